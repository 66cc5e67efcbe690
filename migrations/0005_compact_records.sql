-- 0005: compact account records and user groups. The user object, and the
-- user group, Slack sent is kept whole but compressed as SQLite Archives
-- compress their files (a zlib stream, or the bytes as sent where
-- compressing saves nothing), so that `sqlite3` alone gives it back:
-- `sqlar_uncompress(raw, raw_bytes)`. The guest's end
-- date, which `findings` and `export` read, gets a column of its own rather
-- than being parsed out of the JSON on every read. `sqlar_compress` is the
-- sqlite3 shell's, which slack-uar defines on its connections alike. The
-- space the old table took is free for later syncs; `VACUUM` returns it.
--
-- A group's JSON (mostly its member list) would otherwise often pass the
-- kilobyte at which a row of a WITHOUT ROWID table spills onto a page of
-- its own.
--
-- SQLite cannot change a column in place, so the tables are rebuilt (with
-- foreign keys off while they are: see Store::migrate) and the view that
-- names the records' columns is made again.

DROP VIEW snapshot_users;

CREATE TABLE user_record_0005 (
    id                  INTEGER PRIMARY KEY,
    sha256              BLOB NOT NULL UNIQUE,       -- of the derivation version and the JSON as sent
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
    guest_expires_at    INTEGER,                    -- Unix seconds: Slack's guest_expiration_ts / expiration_ts
    raw                 BLOB NOT NULL,              -- the user object as Slack sent it, sqlar-compressed
    raw_bytes           INTEGER NOT NULL            -- its length uncompressed
);

INSERT INTO user_record_0005
SELECT id, sha256, user_id, team_id, name, real_name, display_name, email, title,
       account_type, account_status, is_admin, is_owner, is_primary_owner, is_app_user,
       has_2fa, tz, updated_at,
       coalesce(json_extract(raw_json, '$.profile.guest_expiration_ts'),
                json_extract(raw_json, '$.expiration_ts')),
       sqlar_compress(CAST(raw_json AS BLOB)), length(CAST(raw_json AS BLOB))
FROM user_record;

DROP TABLE user_record;
ALTER TABLE user_record_0005 RENAME TO user_record;

CREATE VIEW snapshot_users AS
SELECT su.snapshot_id, su.user_id, r.team_id, r.name, r.real_name, r.display_name,
       r.email, r.title, r.account_type, r.account_status, r.is_admin, r.is_owner,
       r.is_primary_owner, r.is_app_user, r.has_2fa, r.tz, r.updated_at,
       r.guest_expires_at, r.raw, r.raw_bytes
FROM snapshot_user su JOIN user_record r ON r.id = su.record_id;

CREATE TABLE usergroup_0005 (
    snapshot_id  INTEGER NOT NULL REFERENCES snapshot (id) ON DELETE CASCADE,
    usergroup_id TEXT NOT NULL,
    team_id      TEXT,
    handle       TEXT,
    name         TEXT,
    description  TEXT,
    is_disabled  INTEGER NOT NULL,
    raw          BLOB NOT NULL,                     -- the group as Slack sent it, sqlar-compressed
    raw_bytes    INTEGER NOT NULL,                  -- its length uncompressed
    PRIMARY KEY (snapshot_id, usergroup_id)
) WITHOUT ROWID;

INSERT INTO usergroup_0005
SELECT snapshot_id, usergroup_id, team_id, handle, name, description, is_disabled,
       sqlar_compress(CAST(raw_json AS BLOB)), length(CAST(raw_json AS BLOB))
FROM usergroup;

DROP TABLE usergroup;
ALTER TABLE usergroup_0005 RENAME TO usergroup;
