-- The `claims` request parameter (OIDC Core §5.5) an access or refresh token was issued
-- under, so that UserInfo can honour its `userinfo` member's `value`/`values` (§5.5.1).
ALTER TABLE tokens ADD COLUMN claims_request TEXT;
