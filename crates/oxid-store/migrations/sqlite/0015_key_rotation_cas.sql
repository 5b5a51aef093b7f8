-- Key rotation as a compare-and-set (issue 13, "many instances, one database"): at most one
-- current and one next key per algorithm, whatever the number of processes rotating at once.
-- Processes that raced before this migration may have left two; keep the one each rule
-- prefers (the newest activated current key signs, the oldest next key is promoted first)
-- and retire the others, which stay published until the rotation policy expires them.
UPDATE signing_keys SET state = 'retired',
    retired_at = COALESCE(retired_at, CAST(strftime('%s', 'now') AS INTEGER))
WHERE state = 'current' AND kid NOT IN (
    SELECT kid FROM (
        SELECT kid, ROW_NUMBER() OVER (PARTITION BY alg
            ORDER BY COALESCE(activated_at, created_at) DESC, kid DESC) AS rank
        FROM signing_keys WHERE state = 'current'
    ) WHERE rank = 1
);
UPDATE signing_keys SET state = 'retired',
    retired_at = COALESCE(retired_at, CAST(strftime('%s', 'now') AS INTEGER))
WHERE state = 'next' AND kid NOT IN (
    SELECT kid FROM (
        SELECT kid, ROW_NUMBER() OVER (PARTITION BY alg ORDER BY created_at, kid) AS rank
        FROM signing_keys WHERE state = 'next'
    ) WHERE rank = 1
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (alg) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (alg) WHERE state = 'next';

-- Who may rotate now: one holder at a time until `expires_at`, so that processes do not all
-- generate keys only to lose the compare-and-set.
CREATE TABLE rotation_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
