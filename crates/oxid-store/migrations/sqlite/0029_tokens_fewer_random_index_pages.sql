-- Fewer index pages written per token (issue 14). An index entry ends with the token's
-- random hash, so every entry under one key lands on a random leaf: each token dirtied its
-- own leaf of tokens_sid (every token without a session shares the key NULL) and of
-- tokens_client_id (every token of a client shares its id), one WAL frame each.
-- The sid index keeps only the tokens that have one, the only ones ending a session looks up
-- (`sid = ?` implies `sid IS NOT NULL`, so the partial index still serves that query).
DROP INDEX tokens_sid;
CREATE INDEX tokens_sid ON tokens(sid) WHERE sid IS NOT NULL;
-- A client's tokens in the order they expire, so a new one goes at the end of its client's
-- range (next to the one before); the client's cascade still finds them by the first column.
DROP INDEX tokens_client_id;
CREATE INDEX tokens_client_id ON tokens(client_id, expires_at);
