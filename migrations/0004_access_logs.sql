-- 0004: access logs, for the `dormant` finding. A sync on a plan that has
-- team.accessLogs (Business+, Enterprise Grid; the admin scope) keeps each
-- account's latest access, and the snapshot records whether the logs were
-- read and how far back they reached, or why they were not: dormancy judged
-- from logs nobody read would report nobody dormant.

CREATE TABLE last_access (
    snapshot_id INTEGER NOT NULL REFERENCES snapshot (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    last_access INTEGER NOT NULL,                   -- Unix seconds: the latest date_last of the user's log entries
    PRIMARY KEY (snapshot_id, user_id)
) WITHOUT ROWID;

ALTER TABLE snapshot ADD COLUMN access_logs_read INTEGER;   -- 1 read, 0 not read; NULL: taken before 0004
ALTER TABLE snapshot ADD COLUMN access_logs_since INTEGER;  -- Unix seconds: the oldest entry read
ALTER TABLE snapshot ADD COLUMN access_logs_note TEXT;      -- why they were not read, or what they cover
