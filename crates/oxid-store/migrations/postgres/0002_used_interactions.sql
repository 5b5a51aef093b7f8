-- One-time form submissions (login, consent, logout confirmation): a replayed form is refused.
CREATE TABLE used_interactions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX used_interactions_expires_at ON used_interactions(expires_at);
