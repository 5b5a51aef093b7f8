-- API tokens (issue 12): the resource a token is for (RFC 8707 §2, the `aud` of RFC 9068
-- §2.2), the absolute end of a refresh token family (the client's refresh_token_lifetime),
-- the reply of a rotation sealed with the secret box for the client's refresh grace window
-- (never tokens in clear), and the resource an authorization code was asked for.
ALTER TABLE tokens ADD COLUMN audience TEXT;
ALTER TABLE tokens ADD COLUMN grant_expires_at INTEGER;
ALTER TABLE tokens ADD COLUMN reply_sealed BLOB;
ALTER TABLE codes ADD COLUMN resource TEXT;
