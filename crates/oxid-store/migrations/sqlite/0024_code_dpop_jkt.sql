-- DPoP (RFC 9449 §10): the JWK SHA-256 thumbprint an authorization code is bound to (from the
-- `dpop_jkt` request parameter or a DPoP proof at the PAR endpoint, §10.1); the token request
-- must carry a proof by that key. NULL for a code that is not bound.
ALTER TABLE codes ADD COLUMN dpop_jkt TEXT;
