-- Key rotation as a compare-and-set (issue 13, "many instances, one database"): at most one
-- current and one next key per algorithm, whatever the number of instances rotating at once.
-- Instances that raced before this migration may have left two; keep the one each rule
-- prefers (the newest activated current key signs, the oldest next key is promoted first)
-- and retire the others, which stay published until the rotation policy expires them.
UPDATE signing_keys SET state = 'retired',
    retired_at = COALESCE(retired_at, EXTRACT(EPOCH FROM now())::BIGINT)
WHERE state = 'current' AND kid NOT IN (
    SELECT DISTINCT ON (alg) kid FROM signing_keys WHERE state = 'current'
    ORDER BY alg, COALESCE(activated_at, created_at) DESC, kid DESC
);
UPDATE signing_keys SET state = 'retired',
    retired_at = COALESCE(retired_at, EXTRACT(EPOCH FROM now())::BIGINT)
WHERE state = 'next' AND kid NOT IN (
    SELECT DISTINCT ON (alg) kid FROM signing_keys WHERE state = 'next'
    ORDER BY alg, created_at, kid
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (alg) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (alg) WHERE state = 'next';

-- Who may rotate now: one holder at a time until `expires_at`, so that instances do not all
-- generate keys only to lose the compare-and-set.
CREATE TABLE rotation_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
