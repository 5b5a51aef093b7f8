-- Durable back-channel logout (OIDC Back-Channel Logout 1.0 §2.7-2.8): one row per logout
-- token still to deliver, written in the transaction that ends the session. A sender claims
-- due rows with a lease (lease_holder, lease_until; FOR UPDATE SKIP LOCKED), so one instance
-- sends each; a row leaves the table when it is delivered or given up.
CREATE TABLE logout_deliveries (
    -- Also the logout token's jti, stable across retries (§2.4).
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    sid TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    give_up_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_holder TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX logout_deliveries_due ON logout_deliveries(next_attempt_at);

-- Named leases: a job that must run on one instance at a time (the expired-row sweep).
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Ending a session revokes its tokens for the clients that ask: found by sid.
CREATE INDEX tokens_sid ON tokens(sid);
