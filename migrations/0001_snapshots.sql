-- 0001: the first schema. A snapshot is one sync of a Slack org; it owns its
-- workspaces, user groups, memberships and grants. User records are stored
-- once per distinct content (keyed by SHA-256) and shared by every snapshot
-- that saw the same record, so that syncing an unchanged org again adds only
-- the small per-snapshot rows and not another copy of every profile.

CREATE TABLE snapshot (
    id                  INTEGER PRIMARY KEY,
    label               TEXT,
    status              TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
    started_at          TEXT NOT NULL,              -- RFC 3339, UTC
    finished_at         TEXT,                       -- RFC 3339, UTC
    plan                TEXT CHECK (plan IN ('pro', 'business_plus', 'grid')),
    plan_evidence       TEXT,                       -- why the plan was judged so
    api_url             TEXT NOT NULL,
    scim_url            TEXT NOT NULL,
    api_calls           INTEGER NOT NULL DEFAULT 0,
    api_calls_by_method TEXT,                       -- JSON object: method -> requests
    tool_version        TEXT NOT NULL,
    token_user_id       TEXT,                       -- who the token belongs to (never the token)
    token_team_id       TEXT,
    enterprise_id       TEXT,
    error               TEXT                        -- why a failed sync failed
);

CREATE TABLE workspace (
    snapshot_id   INTEGER NOT NULL REFERENCES snapshot (id) ON DELETE CASCADE,
    team_id       TEXT NOT NULL,
    name          TEXT,
    domain        TEXT,
    enterprise_id TEXT,
    raw_json      TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, team_id)
) WITHOUT ROWID;

CREATE TABLE user_record (
    id                  INTEGER PRIMARY KEY,
    sha256              BLOB NOT NULL UNIQUE,       -- of the derivation version and raw_json
    user_id             TEXT NOT NULL,
    team_id             TEXT,
    name                TEXT,
    real_name           TEXT,
    display_name        TEXT,
    email               TEXT,
    title               TEXT,
    account_type        TEXT NOT NULL CHECK (account_type IN ('member', 'multi_channel_guest', 'single_channel_guest', 'bot')),
    account_status      TEXT NOT NULL CHECK (account_status IN ('active', 'invited', 'deactivated')),
    is_admin            INTEGER NOT NULL,
    is_owner            INTEGER NOT NULL,
    is_primary_owner    INTEGER NOT NULL,
    is_app_user         INTEGER NOT NULL,
    has_2fa             INTEGER,                    -- NULL: Slack did not say
    tz                  TEXT,
    updated_at          TEXT,                       -- Slack's `updated`, RFC 3339 UTC
    raw_json            TEXT NOT NULL               -- the user object exactly as Slack sent it
);

CREATE TABLE snapshot_user (
    snapshot_id INTEGER NOT NULL REFERENCES snapshot (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    record_id   INTEGER NOT NULL REFERENCES user_record (id),
    PRIMARY KEY (snapshot_id, user_id)
) WITHOUT ROWID;

CREATE TABLE usergroup (
    snapshot_id  INTEGER NOT NULL REFERENCES snapshot (id) ON DELETE CASCADE,
    usergroup_id TEXT NOT NULL,
    team_id      TEXT,
    handle       TEXT,
    name         TEXT,
    description  TEXT,
    is_disabled  INTEGER NOT NULL,
    raw_json     TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, usergroup_id)
) WITHOUT ROWID;

-- Every listed member, including those of disabled groups and deactivated
-- accounts; the grants below keep only those that give access.
CREATE TABLE usergroup_member (
    snapshot_id  INTEGER NOT NULL REFERENCES snapshot (id) ON DELETE CASCADE,
    usergroup_id TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, usergroup_id, user_id)
) WITHOUT ROWID;

CREATE TABLE access_grant (
    snapshot_id  INTEGER NOT NULL REFERENCES snapshot (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    entitlement  TEXT NOT NULL,                     -- a key of CONTRACT.md, e.g. workspace:T1:admin
    workspace_id TEXT,                              -- NULL for org-wide grants
    PRIMARY KEY (snapshot_id, user_id, entitlement)
) WITHOUT ROWID;

-- Stable names for auditors who query the file with sqlite3 alone. The
-- views expose the keys of the per-snapshot tables so that lookups by
-- (snapshot_id, user_id) use their primary keys.
CREATE VIEW snapshot_users AS
SELECT su.snapshot_id, su.user_id, r.team_id, r.name, r.real_name, r.display_name,
       r.email, r.title, r.account_type, r.account_status, r.is_admin, r.is_owner,
       r.is_primary_owner, r.is_app_user, r.has_2fa, r.tz, r.updated_at, r.raw_json
FROM snapshot_user su JOIN user_record r ON r.id = su.record_id;

CREATE VIEW snapshot_grants AS
SELECT g.snapshot_id, g.user_id, g.entitlement, g.workspace_id,
       CASE WHEN g.entitlement LIKE 'workspace:%:admin'
              OR g.entitlement LIKE 'workspace:%:owner'
              OR g.entitlement LIKE 'workspace:%:primary_owner'
              OR g.entitlement LIKE 'org_role:%' THEN 1 ELSE 0 END AS privileged
FROM access_grant g;
