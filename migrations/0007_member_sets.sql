-- 0007: member sets. The accounts a user group lists are stored once per
-- distinct set and shared by every group and snapshot that lists the same,
-- as grants are since 0006, so that syncing unchanged groups again adds a
-- set number per group rather than a row per membership.
-- `usergroup_member` becomes a view with the columns the table had.
--
-- `member_set_sha256` is slack-uar's own aggregate, defined on its
-- connections from the code that hashes the sets a sync writes
-- (src/store/sets.rs).

CREATE TABLE member_set (
    id     INTEGER PRIMARY KEY,
    sha256 BLOB NOT NULL UNIQUE                     -- of the members, in user_id order
);

CREATE TABLE member_set_entry (
    set_id  INTEGER NOT NULL REFERENCES member_set (id),
    user_id TEXT NOT NULL,
    PRIMARY KEY (set_id, user_id)
) WITHOUT ROWID;

-- NULL: the group lists no one.
ALTER TABLE usergroup ADD COLUMN member_set_id INTEGER REFERENCES member_set (id);

-- Each group's set, by digest.
CREATE TEMP TABLE group_set (
    snapshot_id  INTEGER NOT NULL,
    usergroup_id TEXT NOT NULL,
    sha256       BLOB NOT NULL,
    PRIMARY KEY (snapshot_id, usergroup_id)
) WITHOUT ROWID;

INSERT INTO temp.group_set (snapshot_id, usergroup_id, sha256)
SELECT snapshot_id, usergroup_id, member_set_sha256(user_id ORDER BY user_id)
FROM usergroup_member
GROUP BY snapshot_id, usergroup_id;

INSERT INTO member_set (sha256)
SELECT sha256 FROM temp.group_set GROUP BY sha256 ORDER BY min(snapshot_id), min(usergroup_id);

-- A set's members, from one of the groups that list them (with max(), the
-- other columns are those of the row it picks).
INSERT INTO member_set_entry (set_id, user_id)
SELECT s.id, m.user_id
FROM (SELECT sha256, max(snapshot_id) AS snapshot_id, usergroup_id
      FROM temp.group_set GROUP BY sha256) AS one
JOIN member_set s ON s.sha256 = one.sha256
JOIN usergroup_member m ON m.snapshot_id = one.snapshot_id AND m.usergroup_id = one.usergroup_id;

UPDATE usergroup SET member_set_id = s.id
FROM temp.group_set h JOIN member_set s ON s.sha256 = h.sha256
WHERE h.snapshot_id = usergroup.snapshot_id AND h.usergroup_id = usergroup.usergroup_id;

DROP TABLE temp.group_set;

DROP TABLE usergroup_member;

-- Every listed member, including those of disabled groups and deactivated
-- accounts; the grants keep only those that give access.
CREATE VIEW usergroup_member AS
SELECT g.snapshot_id, g.usergroup_id, e.user_id
FROM usergroup g JOIN member_set_entry e ON e.set_id = g.member_set_id;
