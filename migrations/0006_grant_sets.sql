-- 0006: grant sets. The grants an account holds in a snapshot are stored
-- once per distinct set and shared by every account and snapshot that holds
-- the same set, as account records are, so that syncing an unchanged org
-- again adds a set number per account rather than a row per grant.
-- `access_grant` becomes a view with the columns the table had, so that
-- every query of it reads as before.
--
-- A set is found by the SHA-256 of its entries in entitlement order.
-- `grant_set_sha256` is slack-uar's own aggregate, which it defines on its
-- connections from the code that hashes the sets a sync writes
-- (src/store/sets.rs), so that both give a set the same digest.

CREATE TABLE grant_set (
    id     INTEGER PRIMARY KEY,
    sha256 BLOB NOT NULL UNIQUE                     -- of the entries, in entitlement order
);

CREATE TABLE grant_set_entry (
    set_id       INTEGER NOT NULL REFERENCES grant_set (id),
    entitlement  TEXT NOT NULL,                     -- an entitlement key, e.g. workspace:T1:admin
    workspace_id TEXT,                              -- NULL for org-wide grants
    PRIMARY KEY (set_id, entitlement)
) WITHOUT ROWID;

-- NULL: the account holds no grant in that snapshot.
ALTER TABLE snapshot_user ADD COLUMN grant_set_id INTEGER REFERENCES grant_set (id);

-- Each holder's set, by digest.
CREATE TEMP TABLE holder_set (
    snapshot_id INTEGER NOT NULL,
    user_id     TEXT NOT NULL,
    sha256      BLOB NOT NULL,
    PRIMARY KEY (snapshot_id, user_id)
) WITHOUT ROWID;

INSERT INTO temp.holder_set (snapshot_id, user_id, sha256)
SELECT snapshot_id, user_id, grant_set_sha256(entitlement, workspace_id ORDER BY entitlement)
FROM access_grant
GROUP BY snapshot_id, user_id;

INSERT INTO grant_set (sha256)
SELECT sha256 FROM temp.holder_set GROUP BY sha256 ORDER BY min(snapshot_id), min(user_id);

-- A set's entries, from one of the accounts that hold it (with max(), the
-- other columns are those of the row it picks).
INSERT INTO grant_set_entry (set_id, entitlement, workspace_id)
SELECT s.id, g.entitlement, g.workspace_id
FROM (SELECT sha256, max(snapshot_id) AS snapshot_id, user_id
      FROM temp.holder_set GROUP BY sha256) AS one
JOIN grant_set s ON s.sha256 = one.sha256
JOIN access_grant g ON g.snapshot_id = one.snapshot_id AND g.user_id = one.user_id;

UPDATE snapshot_user SET grant_set_id = s.id
FROM temp.holder_set h JOIN grant_set s ON s.sha256 = h.sha256
WHERE h.snapshot_id = snapshot_user.snapshot_id AND h.user_id = snapshot_user.user_id;

DROP TABLE temp.holder_set;

DROP VIEW snapshot_grants;
DROP TABLE access_grant;

CREATE VIEW access_grant AS
SELECT su.snapshot_id, su.user_id, e.entitlement, e.workspace_id
FROM snapshot_user su JOIN grant_set_entry e ON e.set_id = su.grant_set_id;

CREATE VIEW snapshot_grants AS
SELECT g.snapshot_id, g.user_id, g.entitlement, g.workspace_id,
       CASE WHEN g.entitlement LIKE 'workspace:%:admin'
              OR g.entitlement LIKE 'workspace:%:owner'
              OR g.entitlement LIKE 'workspace:%:primary_owner'
              OR g.entitlement LIKE 'org_role:%' THEN 1 ELSE 0 END AS privileged
FROM access_grant g;
