-- Oxid storage schema (PostgreSQL). Lists are TEXT[], JSON values JSONB, bytes BYTEA,
-- times BIGINT seconds.

CREATE TABLE clients (
    client_id TEXT PRIMARY KEY NOT NULL,
    secret_hash TEXT,
    secret_encrypted BYTEA,
    client_name TEXT,
    redirect_uris TEXT[] NOT NULL,
    post_logout_redirect_uris TEXT[] NOT NULL,
    grant_types TEXT[] NOT NULL,
    response_types TEXT[] NOT NULL,
    token_endpoint_auth_method TEXT NOT NULL,
    scopes TEXT[] NOT NULL,
    id_token_signed_response_alg TEXT,
    backchannel_logout_uri TEXT,
    frontchannel_logout_uri TEXT,
    skip_consent BOOLEAN NOT NULL,
    metadata JSONB NOT NULL,
    registration_token_hash TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    claims JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    sid TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_time BIGINT NOT NULL,
    amr TEXT[] NOT NULL,
    acr TEXT,
    expires_at BIGINT NOT NULL
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
    scopes TEXT[] NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client_id ON consents(client_id);

CREATE TABLE codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri TEXT,
    scopes TEXT[] NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    code_challenge_method TEXT,
    sid TEXT,
    auth_time BIGINT NOT NULL,
    acr TEXT,
    amr TEXT[] NOT NULL,
    claims_request JSONB,
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT
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
    scopes TEXT[] NOT NULL,
    sid TEXT,
    auth_time BIGINT,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX tokens_grant_id ON tokens(grant_id);
CREATE INDEX tokens_client_id ON tokens(client_id);
CREATE INDEX tokens_user_id ON tokens(user_id);
CREATE INDEX tokens_expires_at ON tokens(expires_at);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    alg TEXT NOT NULL,
    private_key_encrypted BYTEA NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('next', 'current', 'retired')),
    created_at BIGINT NOT NULL,
    activated_at BIGINT,
    retired_at BIGINT,
    expires_at BIGINT
);
