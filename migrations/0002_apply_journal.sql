-- 0002: apply's journal. Every revocation is recorded, with its state,
-- before Slack is called and again after, so that a run killed at any
-- point can be run again: what is done is not written twice, and what was
-- in flight is re-read from Slack before anything is retried. Each run
-- records which sheet (by SHA-256) was applied, by whom, and when.

CREATE TABLE apply_run (
    id              INTEGER PRIMARY KEY,
    snapshot_id     INTEGER NOT NULL REFERENCES snapshot (id),
    sheet_file      TEXT NOT NULL,
    sheet_sha256    TEXT NOT NULL,
    executed        INTEGER NOT NULL,           -- 0: a dry run (plan only)
    run_by_user_id  TEXT,                       -- the token's user (auth.test)
    run_by_name     TEXT,
    api_url         TEXT NOT NULL,
    started_at      TEXT NOT NULL,              -- RFC 3339, UTC
    finished_at     TEXT,
    revoke_rows     INTEGER NOT NULL,
    keep_rows       INTEGER NOT NULL,
    undecided_rows  INTEGER NOT NULL
);

CREATE TABLE revocation (
    snapshot_id   INTEGER NOT NULL REFERENCES snapshot (id),
    row_id        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    entitlement   TEXT NOT NULL,
    workspace_id  TEXT,
    action        TEXT NOT NULL,                -- what slack-uar does, or 'none'
    status        TEXT NOT NULL CHECK (status IN
                    ('planned', 'in_flight', 'done', 'already_revoked', 'manual', 'refused', 'failed')),
    verified      INTEGER NOT NULL DEFAULT 0,
    performed_at  TEXT,
    detail        TEXT,
    first_run_id  INTEGER NOT NULL REFERENCES apply_run (id),
    last_run_id   INTEGER NOT NULL REFERENCES apply_run (id),
    PRIMARY KEY (snapshot_id, row_id)
) WITHOUT ROWID;
