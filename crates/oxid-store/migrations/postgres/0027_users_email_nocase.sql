-- Users found by their email claim compare it case-insensitively (a trusted issuer's or IdP's
-- `Alice@Example.com` names the user registered as `alice@example.com`), as Keycloak does.
DROP INDEX IF EXISTS users_email;
CREATE INDEX users_email_lower ON users ((lower(claims->>'email')));
