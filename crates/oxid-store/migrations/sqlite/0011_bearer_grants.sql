-- Users found by their email claim (a trusted issuer's subject_mapping = "email", RFC 7523 §3).
CREATE INDEX users_email ON users(json_extract(claims, '$.email'));

-- Grants minted by token exchange (RFC 8693 §2.2.1): the audiences the issued token is for and
-- the `act` claim of delegation (§4.1), kept until the grant's last token expires.
CREATE TABLE exchanged_grants (
    grant_id TEXT PRIMARY KEY NOT NULL,
    audiences TEXT NOT NULL,
    act TEXT,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX exchanged_grants_expires_at ON exchanged_grants(expires_at);
