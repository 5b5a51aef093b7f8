-- Client assertion ids (RFC 7523 §3 `jti`) seen, kept until the assertion expires: a replayed
-- assertion is refused.
CREATE TABLE used_assertions (
    key TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX used_assertions_expires_at ON used_assertions(expires_at);
