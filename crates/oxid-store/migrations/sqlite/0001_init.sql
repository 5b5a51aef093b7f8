-- Oxid storage schema (SQLite). Lists and JSON values are JSON text; times are seconds.

CREATE TABLE clients (
    client_id TEXT PRIMARY KEY NOT NULL,
    secret_hash TEXT,
    secret_encrypted BLOB,
    client_name TEXT,
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    grant_types TEXT NOT NULL,
    response_types TEXT NOT NULL,
    token_endpoint_auth_method TEXT NOT NULL,
    scopes TEXT NOT NULL,
    id_token_signed_response_alg TEXT,
    backchannel_logout_uri TEXT,
    frontchannel_logout_uri TEXT,
    skip_consent INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    registration_token_hash TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    claims TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    sid TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_time INTEGER NOT NULL,
    amr TEXT NOT NULL,
    acr TEXT,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user_id ON sessions(user_id);
CREATE INDEX sessions_expires_at ON sessions(expires_at);

-- Not tied to sessions: logout fan-out may read it after the session is gone.
-- purge_expired removes rows whose session no longer exists.
CREATE TABLE session_clients (
    sid TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    PRIMARY KEY (sid, client_id)
);
CREATE INDEX session_clients_client_id ON session_clients(client_id);

CREATE TABLE consents (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client_id ON consents(client_id);

CREATE TABLE codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri TEXT,
    scopes TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    code_challenge_method TEXT,
    sid TEXT,
    auth_time INTEGER NOT NULL,
    acr TEXT,
    amr TEXT NOT NULL,
    claims_request TEXT,
    expires_at INTEGER NOT NULL,
    consumed_at INTEGER
);
CREATE INDEX codes_client_id ON codes(client_id);
CREATE INDEX codes_user_id ON codes(user_id);
CREATE INDEX codes_expires_at ON codes(expires_at);

CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    sid TEXT,
    auth_time INTEGER,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    consumed_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX tokens_grant_id ON tokens(grant_id);
CREATE INDEX tokens_client_id ON tokens(client_id);
CREATE INDEX tokens_user_id ON tokens(user_id);
CREATE INDEX tokens_expires_at ON tokens(expires_at);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    alg TEXT NOT NULL,
    private_key_encrypted BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('next', 'current', 'retired')),
    created_at INTEGER NOT NULL,
    activated_at INTEGER,
    retired_at INTEGER,
    expires_at INTEGER
);
