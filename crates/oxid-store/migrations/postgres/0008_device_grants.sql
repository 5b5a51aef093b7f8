-- Device authorization grants (RFC 8628): looked up by the device code's hash when the device
-- polls and by the user code's hash on the verification page; kept until expires_at.
CREATE TABLE device_grants (
    device_code_hash TEXT PRIMARY KEY NOT NULL,
    user_code_hash TEXT NOT NULL UNIQUE,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    scopes TEXT[] NOT NULL,
    poll_interval BIGINT NOT NULL,
    last_polled_at BIGINT,
    expires_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    sid TEXT,
    auth_time BIGINT,
    acr TEXT,
    amr TEXT[] NOT NULL
);
CREATE INDEX device_grants_client_id ON device_grants(client_id);
CREATE INDEX device_grants_user_id ON device_grants(user_id);
CREATE INDEX device_grants_expires_at ON device_grants(expires_at);
