-- DPoP (RFC 9449 §6): the JWK SHA-256 thumbprint of the key a token is bound to (`cnf.jkt`);
-- NULL for a token that is not sender-constrained.
ALTER TABLE tokens ADD COLUMN dpop_jkt TEXT;
