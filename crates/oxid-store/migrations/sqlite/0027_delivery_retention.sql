-- Finished back-channel logout deliveries (delivered or given up) stay for a retention, so an
-- operator can see what was sent; the sweep removes them after `[backchannel] retention_secs`.
-- Only unfinished rows are claimed or counted as pending (the partial index keeps the due
-- look-up on them alone).
ALTER TABLE logout_deliveries ADD COLUMN finished_at INTEGER;
ALTER TABLE logout_deliveries ADD COLUMN outcome TEXT;
DROP INDEX logout_deliveries_due;
CREATE INDEX logout_deliveries_due ON logout_deliveries(next_attempt_at)
    WHERE finished_at IS NULL;
CREATE INDEX logout_deliveries_finished ON logout_deliveries(finished_at)
    WHERE finished_at IS NOT NULL;
