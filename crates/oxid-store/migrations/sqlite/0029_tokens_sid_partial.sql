-- One B-tree fewer per token without a session (every client_credentials token, issue 14):
-- the sid index keeps only the tokens that have one, the only ones ending a session looks
-- up (`sid = ?` implies `sid IS NOT NULL`, so the partial index still serves that query).
DROP INDEX tokens_sid;
CREATE INDEX tokens_sid ON tokens(sid) WHERE sid IS NOT NULL;
