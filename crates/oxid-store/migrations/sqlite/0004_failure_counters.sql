-- Failed attempts per key (login per account and per address, client secret per client), for
-- brute-force throttling; kept until expires_at (the end of the window or of the lock).
CREATE TABLE failure_counters (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_started INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX failure_counters_expires_at ON failure_counters(expires_at);
