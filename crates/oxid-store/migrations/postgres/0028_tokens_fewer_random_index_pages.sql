-- Fewer index pages written per token (issue 14), as SQLite's migration 0029: the sid index
-- keeps only the tokens that have one (every client_credentials token has none; `sid = $2`
-- implies `sid IS NOT NULL`, so the planner still uses it), and a client's tokens are kept in
-- the order they expire, so a new one goes to the end of its client's range instead of a
-- random leaf (the client's cascade still finds them by the first column).
DROP INDEX tokens_sid;
CREATE INDEX tokens_sid ON tokens(sid) WHERE sid IS NOT NULL;
DROP INDEX tokens_client_id;
CREATE INDEX tokens_client_id ON tokens(client_id, expires_at);
