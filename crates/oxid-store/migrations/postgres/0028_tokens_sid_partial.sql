-- One index entry fewer per token without a session (every client_credentials token, issue
-- 14): the sid index keeps only the tokens that have one, the only ones ending a session
-- looks up (`sid = $2` implies `sid IS NOT NULL`, so the planner still uses it).
DROP INDEX tokens_sid;
CREATE INDEX tokens_sid ON tokens(sid) WHERE sid IS NOT NULL;
