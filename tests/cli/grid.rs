//! Enterprise Grid end to end, on the bundled Corvid Group org: the sync
//! reads exactly the grants the sample data gives (derived here on their
//! own from the files), the diff across the quarter, an apply that makes
//! each kind of Grid revocation once and verifies it, and the coverage note
//! of a token that cannot list every workspace.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Run, Sandbox, TestEnv, sample_data, wait_until};

const ORG: &str = "E0CORVID1";
const NO_TEAMS: &str = "xoxp-5000000001-5000000003-sandbox-noteams";
/// An app installed on the Engineering workspace alone, not org-wide.
const ONE_WORKSPACE: &str = "xoxp-5000000001-5000000008-sandbox-engineering";

fn corvid(quarter: &str) -> Sandbox {
    Sandbox::start(&["--sample", &format!("corvid-{quarter}")])
}

fn load(dir: &Path, file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap()
}

/// The grants the sample's files give, by the contract's rules, written
/// out plainly: (user, entitlement, workspace).
fn expected_grants(sample: &str) -> BTreeSet<(String, String, String)> {
    let dir = sample_data(sample);
    let users = load(&dir, "users.json");
    let groups = load(&dir, "usergroups.json");
    let meta = load(&dir, "sandbox.json");
    let mut out = BTreeSet::new();
    let mut active = BTreeSet::new();
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    for u in users.as_array().unwrap() {
        if u["deleted"] == true {
            continue;
        }
        let id = s(&u["id"]);
        active.insert(id.clone());
        let eu = &u["enterprise_user"];
        let teams: Vec<String> = match eu["teams"].as_array() {
            Some(ts) => ts.iter().map(s).collect(),
            None => vec![s(&u["team_id"])],
        };
        let plain = u["is_restricted"] != true && u["is_bot"] != true;
        for t in &teams {
            out.insert((id.clone(), format!("workspace:{t}:member"), t.clone()));
            if !plain {
                continue;
            }
            let own = u["sandbox_roles"][t].as_str().unwrap_or("");
            let org = if eu["is_owner"] == true {
                "owner"
            } else if eu["is_admin"] == true {
                "admin"
            } else {
                ""
            };
            let roles: &[&str] = match (own, org) {
                ("primary_owner", _) => &["admin", "owner", "primary_owner"],
                ("owner", _) | (_, "owner") => &["admin", "owner"],
                ("admin", _) | (_, "admin") => &["admin"],
                _ => &[],
            };
            for r in roles {
                out.insert((id.clone(), format!("workspace:{t}:{r}"), t.clone()));
            }
        }
        if eu.is_object() {
            out.insert((id.clone(), format!("org:{ORG}:member"), String::new()));
        }
    }
    for g in groups.as_array().unwrap() {
        if g["date_delete"] != 0 {
            continue;
        }
        for m in g["users"].as_array().unwrap() {
            if active.contains(m.as_str().unwrap()) {
                let key = format!("usergroup:{}:member", s(&g["id"]));
                out.insert((s(m), key, s(&g["team_id"])));
            }
        }
    }
    for a in meta["role_assignments"].as_array().unwrap() {
        let entity = s(&a["entity_id"]);
        let ws = if entity.starts_with('T') {
            entity.clone()
        } else {
            String::new()
        };
        let key = format!("org_role:{}:{entity}", s(&a["role_id"]));
        out.insert((s(&a["user_id"]), key, ws));
    }
    out
}

fn stored_grants(env: &TestEnv, snapshot: i64) -> BTreeSet<(String, String, String)> {
    let db = env.db();
    let mut stmt = db
        .prepare(
            "SELECT user_id, entitlement, coalesce(workspace_id, '') FROM access_grant
             WHERE snapshot_id = ?1",
        )
        .unwrap();
    stmt.query_map([snapshot], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn sync_reads_exactly_the_orgs_grants_per_workspace_reading_each_account_once() {
    let sb = corvid("q3");
    let env = TestEnv::new();
    let out = Run::of(env.slack(&sb, &["sync", "--format", "json"]))
        .ok()
        .json();
    assert_eq!(out["snapshot"]["plan"], "grid");
    assert_eq!(out["snapshot"]["counts"]["workspaces"], 4);
    assert_eq!(out["snapshot"]["workspace_source"], "admin.teams.list");
    assert_eq!(out["snapshot"]["coverage_note"], Value::Null);

    let want = expected_grants("corvid-q3");
    let got = stored_grants(&env, 1);
    assert_eq!(
        got.difference(&want).collect::<Vec<_>>(),
        Vec::<&(String, String, String)>::new(),
        "grants the sample does not give"
    );
    assert_eq!(
        want.difference(&got).collect::<Vec<_>>(),
        Vec::<&(String, String, String)>::new(),
        "grants the sync missed"
    );
    // A few facts spelled out, so that a wrong rule above cannot hide.
    let has = |u: &str, e: &str| got.iter().any(|(a, b, _)| a == u && b == e);
    assert!(has("W0C000008", "workspace:T0CRVENG1:admin"));
    assert!(
        !has("W0C000008", "workspace:T0CRVHQ01:admin"),
        "admin of one workspace only"
    );
    assert!(has("W0C000060", "workspace:T0CRVENG1:member"));
    assert_eq!(
        got.iter().filter(|(u, _, _)| u == "W0C000060").count(),
        3,
        "a guest: one workspace, the org, one group"
    );
    assert!(
        !has("U0C0BOT01", &format!("org:{ORG}:member")),
        "bots have no org account"
    );
    assert!(has("W0C000004", "org_role:Rl0A:E0CORVID1"));
    assert!(
        !got.iter().any(|(u, _, _)| u == "W0C000049"),
        "deactivated: no grants"
    );
    let user_rows = env.query_i64("SELECT count(*) FROM snapshot_user WHERE snapshot_id = 1");
    assert_eq!(user_rows, 57, "every account once, whatever its workspaces");

    let calls = sb.calls();
    assert_eq!(
        calls.get("users.list"),
        None,
        "accounts come from the org's roster"
    );
    assert_eq!(calls.get("users.info"), None);
    assert_eq!(
        calls["admin.users.list"],
        2 + 4,
        "the roster (active, deactivated) and each workspace's admins"
    );
    assert_eq!(calls["usergroups.list"], 4);
    assert_eq!(calls["admin.teams.list"], 1);
    assert_eq!(calls["admin.roles.listAssignments"], 1);
}

#[test]
fn an_org_larger_than_a_page_is_read_in_full_page_by_page() {
    let sb = Sandbox::start(&["--generate-users", "2500", "--generate-workspaces", "3"]);
    let env = TestEnv::new();
    Run::of(env.slack(&sb, &["sync"])).ok();
    assert_eq!(
        env.query_i64("SELECT count(*) FROM snapshot_user WHERE snapshot_id = 1"),
        2500
    );
    // 76 of the 2,500 generated accounts are deactivated: the active roster
    // takes three pages of 1,000, the deactivated one, each workspace one.
    assert_eq!(sb.calls()["admin.users.list"], 3 + 1 + 3);
    let people = env.query_i64(
        "SELECT count(*) FROM snapshot_users WHERE snapshot_id = 1
         AND account_status != 'deactivated' AND account_type != 'bot'",
    );
    assert!(people > 2000);
    assert_eq!(
        env.query_i64(
            "SELECT count(*) FROM access_grant WHERE snapshot_id = 1 AND entitlement LIKE 'org:%'"
        ),
        people,
        "every active person on every page holds the org"
    );
    assert_eq!(
        env.query_i64(
            "SELECT count(DISTINCT workspace_id) FROM access_grant WHERE snapshot_id = 1
             AND entitlement LIKE 'workspace:%:admin'"
        ),
        3,
        "each workspace's admins"
    );
}

/// 2,500 people in thirty workspaces, under Slack's tier limits with a
/// ten-second minute (tier 2: two calls a second after a burst of twenty).
fn thirty_workspaces_under_tier_limits() -> Sandbox {
    Sandbox::start(&[
        "--generate-users",
        "2500",
        "--generate-workspaces",
        "30",
        "--rate-limits",
        "--rate-limit-minute-ms",
        "10000",
    ])
}

#[test]
fn a_sync_paces_itself_under_slacks_tier_limits_and_reads_every_workspace() {
    // Thirty workspaces take thirty usergroups.list calls, past tier 2's
    // burst of twenty; a ten-second minute refills two calls a second. The
    // client knows the minute and keeps under it: it paces itself rather
    // than lean on 429s (Slack treats repeated 429s as misbehaviour).
    let sb = thirty_workspaces_under_tier_limits();
    let env = TestEnv::new();
    let out = Run::of(env.slack(&sb, &["sync", "--format", "json"]))
        .ok()
        .json();
    let limited = sb.rate_limited();
    let groups_limited = limited.get("usergroups.list").copied().unwrap_or(0);
    // Unpaced, every call past the burst met the limit; paced, a 3% margin
    // (15 ms a call here) leaves room only for a badly stalled machine.
    assert!(groups_limited <= 2, "kept under the limit: {limited:?}");
    assert_eq!(
        sb.calls()["usergroups.list"],
        30 + groups_limited,
        "each limited call again, once it may"
    );
    assert_eq!(out["snapshot"]["counts"]["workspaces"], 30);
    assert_eq!(
        out["snapshot"]["counts"]["usergroups"], 25,
        "a group per hundred people, none lost"
    );
}

#[test]
fn a_client_that_outruns_the_limit_waits_out_each_429_and_loses_nothing() {
    // The client believes in a minute half as long as the sandbox's: it
    // asks faster than allowed, is answered 429, waits, slows and goes on.
    let sb = thirty_workspaces_under_tier_limits();
    let env = TestEnv::new();
    let mut cmd = env.slack(&sb, &["sync", "--format", "json"]);
    cmd.env("SLACK_UAR_RATE_MINUTE_MS", "5000");
    let out = Run::of(cmd).ok().json();
    let limited = sb.rate_limited();
    let groups_limited = limited.get("usergroups.list").copied().unwrap_or(0);
    assert!(groups_limited > 0, "the limit was met: {limited:?}");
    assert_eq!(sb.calls()["usergroups.list"], 30 + groups_limited);
    assert_eq!(out["snapshot"]["counts"]["usergroups"], 25);
}

#[test]
fn workspaces_are_read_concurrently_within_each_methods_limit_and_a_429_is_waited_out() {
    let sb = corvid("q3");
    // Every call is slow, so that the client's requests in flight overlap
    // and can be counted; the fourth usergroups.list, which a limit above 3
    // would send while the first three are still in flight, is rate limited.
    sb.fault(serde_json::json!({
        "method": "usergroups.list", "kind": "ratelimited", "retry_after": 1, "after": 3
    }));
    for method in ["usergroups.list", "admin.users.list"] {
        sb.fault(serde_json::json!({
            "method": method, "kind": "delay", "delay_ms": 400, "times": 0
        }));
    }
    let env = TestEnv::new();
    Run::of(env.slack(&sb, &["sync"])).ok();
    assert_eq!(
        stored_grants(&env, 1),
        expected_grants("corvid-q3"),
        "every workspace read in full despite the 429"
    );
    assert_eq!(
        sb.calls()["usergroups.list"],
        4 + 1,
        "the limited call, again"
    );
    let peak = sb.peak_in_flight();
    // Tier 2 (usergroups.list) allows 3 requests in flight, tier 3
    // (admin.users.list) 6: four workspaces meet the first limit, and the
    // roster's two lists plus four workspaces' admins stay under the second.
    assert_eq!(peak["usergroups.list"], 3, "{peak:?}");
    assert!(
        (2..=6).contains(&peak["admin.users.list"]),
        "concurrent, within tier 3: {peak:?}"
    );
}

#[test]
fn a_token_of_one_workspace_of_the_org_is_refused_by_sync_and_apply() {
    let sb = corvid("q3");
    let env = TestEnv::new();
    let refusal = "belongs to one workspace (T0CRVENG1) of the Enterprise Grid org E0CORVID1";
    // Refused for what it is, not for the org scopes it lacks.
    Run::of(env.slack_as(&sb, ONE_WORKSPACE, &["sync"]))
        .fails(2)
        .stderr_has(refusal)
        .stderr_has("install the app at the org level");
    assert!(!env.db.exists(), "refused before the database is created");
    assert_eq!(
        sb.calls().into_keys().collect::<Vec<_>>(),
        ["auth.test"],
        "refused before reading anything"
    );

    // A sheet of the org, applied with that token: refused before any write.
    let sheet = reviewed(&env, &sb, &[("W0C000013", "usergroup:S0CENGONC:member")]);
    Run::of(env.slack_as(
        &sb,
        ONE_WORKSPACE,
        &["apply", sheet.to_str().unwrap(), "--execute"],
    ))
    .fails(2)
    .stderr_has(refusal);
    assert!(writes(&sb).is_empty());
}

#[test]
fn an_org_token_without_role_scope_or_of_a_non_admin_fails_with_its_fix() {
    let sb = corvid("q3");
    let env = TestEnv::new();
    // Org roles are part of the population: no review without them.
    Run::of(env.slack_as(&sb, "xoxp-5000000001-5000000012-sandbox-noroles", &["sync"]))
        .fails(2)
        .stderr_has("missing_scope: the token lacks admin.roles:read")
        .stderr_has("reinstall the app");
    assert_eq!(sb.calls().into_keys().collect::<Vec<_>>(), ["auth.test"]);
    // Every scope, but the user is no org admin: Slack's answer, and the fix.
    Run::of(env.slack_as(&sb, "xoxp-5000000001-5000000008-sandbox-member", &["sync"]))
        .fails(2)
        .stderr_has("not_an_admin: admin.teams.list is for org owners and admins")
        .stderr_has("installed at the org level by an org admin or owner");
    // The scope is checked before the database is touched; Slack's refusal
    // comes while reading, and fails the snapshot it started.
    let snapshots = env.snapshots();
    assert_eq!(snapshots.len(), 1);
    assert_eq!(snapshots[0]["status"], "failed");
}

#[test]
fn a_token_without_admin_teams_read_falls_back_and_the_snapshot_says_so() {
    let sb = corvid("q3");
    let env = TestEnv::new();
    Run::of(env.slack_as(&sb, NO_TEAMS, &["sync"]))
        .ok()
        .stderr_has("note: workspaces read with auth.teams.list");
    let snap = &env.snapshots()[0];
    assert_eq!(snap["workspace_source"], "auth.teams.list");
    assert_eq!(snap["counts"]["workspaces"], 2);
    assert!(
        snap["coverage_note"]
            .as_str()
            .unwrap()
            .contains("add admin.teams:read")
    );
    assert_eq!(snap["plan_support"]["plan"], "grid");
    let got = stored_grants(&env, 1);
    // Memberships and roles of unlisted workspaces are not read; org role
    // assignments are the org's, whatever workspace they are on.
    let outside = |e: &str| e.contains("T0CRVSLS1") || e.contains("T0CRVOPS1");
    assert!(
        got.iter()
            .all(|(_, e, _)| !e.starts_with("workspace:") || !outside(e))
    );
    assert!(got.iter().any(|(_, e, _)| e == "org_role:Rl0C:T0CRVSLS1"));
    let sheet = env.dir.path().join("q3.csv");
    Run::of(env.cmd(&["export", "--out", sheet.to_str().unwrap()])).ok();
    let manifest = load(env.dir.path(), "q3.csv.manifest.json");
    assert_eq!(manifest["sync"]["workspace_source"], "auth.teams.list");
    assert!(manifest["sync"]["coverage_note"].is_string());
    assert_eq!(
        sb.calls_to("admin.teams.list"),
        0,
        "the scope was known to be missing"
    );
}

#[test]
fn diff_across_the_quarter_shows_what_changed_in_the_org() {
    let env = TestEnv::new();
    Run::of(env.slack(&corvid("q3"), &["sync"])).ok();
    Run::of(env.slack(&corvid("q4"), &["sync"])).ok();
    let diff = Run::of(env.cmd(&["diff", "--format", "json"])).ok().json();
    let got: BTreeSet<String> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| match c["change"].as_str().unwrap() {
            "changed" => format!(
                "~ {} {}: {} -> {}",
                c["user_id"].as_str().unwrap(),
                c["field"].as_str().unwrap(),
                c["old"],
                c["new"]
            ),
            change => format!(
                "{change} {} {}",
                c["user_id"].as_str().unwrap(),
                c["entitlement"].as_str().unwrap()
            ),
        })
        .collect();
    let want: BTreeSet<String> = [
        "added W0C000012 org_role:Rl0B:E0CORVID1",
        "added W0C000030 workspace:T0CRVOPS1:admin",
        "added W0C000070 org:E0CORVID1:member",
        "added W0C000070 workspace:T0CRVENG1:member",
        "added W0C000070 workspace:T0CRVHQ01:member",
        "added W0C000071 org:E0CORVID1:member",
        "added W0C000071 workspace:T0CRVSLS1:member",
        "added W0C000031 usergroup:S0CENGONC:member",
        "removed W0C000034 usergroup:S0CENGONC:member",
        "removed W0C000015 workspace:T0CRVSLS1:member",
        "removed W0C000040 org:E0CORVID1:member",
        "removed W0C000040 workspace:T0CRVENG1:member",
        "removed W0C000040 workspace:T0CRVHQ01:member",
        "~ W0C000040 account_status: \"active\" -> \"deactivated\"",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(got, want);
}

/// Sync, export, and revoke `decisions` (user id, entitlement); keep the rest.
fn reviewed(env: &TestEnv, sb: &Sandbox, decisions: &[(&str, &str)]) -> PathBuf {
    Run::of(env.slack(sb, &["sync"])).ok();
    let exported = env.dir.path().join("export.csv");
    Run::of(env.cmd(&["export", "--out", exported.to_str().unwrap(), "--force"])).ok();
    let mut reader = csv::Reader::from_path(&exported).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (user, entitlement, decision) = (col("user_id"), col("entitlement"), col("decision"));
    let path = env.dir.path().join("reviewed.csv");
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&headers).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        let mut cells: Vec<String> = record.iter().map(str::to_owned).collect();
        let revoke = decisions.contains(&(&record[user], &record[entitlement]));
        cells[decision] = if revoke { "revoke" } else { "keep" }.to_owned();
        writer.write_record(&cells).unwrap();
    }
    writer.flush().unwrap();
    path
}

#[test]
fn the_orgs_review_sheet_places_each_grant_and_shows_org_roles_and_a_guests_expiry() {
    let sb = corvid("q3");
    let env = TestEnv::new();
    Run::of(env.slack(&sb, &["sync"])).ok();
    let sheet = env.dir.path().join("q3.csv");
    Run::of(env.cmd(&["export", "--out", sheet.to_str().unwrap()])).ok();
    let mut reader = csv::Reader::from_path(&sheet).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<BTreeMap<String, String>> = reader
        .records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.trim_start_matches('\u{feff}').to_owned(), v.to_owned()))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), expected_grants("corvid-q3").len());
    let row = |user: &str, entitlement: &str| {
        rows.iter()
            .find(|r| r["user_id"] == user && r["entitlement"] == entitlement)
            .unwrap_or_else(|| panic!("no row {user} {entitlement}"))
    };
    let raj = row("W0C000008", "workspace:T0CRVENG1:admin");
    assert_eq!(
        (raj["workspace_name"].as_str(), raj["privileged"].as_str()),
        ("Corvid Engineering", "yes")
    );
    let org = row("W0C000004", "org_role:Rl0A:E0CORVID1");
    assert_eq!(
        (org["workspace_id"].as_str(), org["privileged"].as_str()),
        ("", "yes"),
        "a role on the org belongs to no workspace"
    );
    let on_workspace = row("W0C000010", "org_role:Rl01:T0CRVENG1");
    assert_eq!(on_workspace["workspace_id"], "T0CRVENG1");
    assert_eq!(row("W0C000060", "org:E0CORVID1:member")["privileged"], "no");
    // admin.users.list gives a guest's expiry at the top level, not in a profile.
    let mia = row("W0C000060", "workspace:T0CRVENG1:member");
    assert_eq!(mia["account_type"], "multi_channel_guest");
    assert_eq!(mia["guest_expires_at"], "2027-03-31T00:00:00Z");
    assert_eq!(raj["guest_expires_at"], "");
    // Org roles, beside each of the person's rows: the workspace roles of
    // org owners and admins follow them.
    let org_role = |user: &str| {
        let roles: BTreeSet<&str> = rows
            .iter()
            .filter(|r| r["user_id"] == user)
            .map(|r| r["org_role"].as_str())
            .collect();
        assert_eq!(roles.len(), 1, "{user}: one org role on every row");
        roles.into_iter().next().unwrap().to_owned()
    };
    assert_eq!(org_role("W0C000001"), "primary_owner");
    assert_eq!(org_role("W0C000002"), "owner");
    assert_eq!(org_role("W0C000003"), "admin");
    assert_eq!(org_role("W0C000008"), "", "a workspace admin only");
    assert_eq!(org_role("W0C000060"), "");
}

const GRID_WRITES: &[&str] = &[
    "admin.users.remove",
    "admin.users.setRegular",
    "admin.users.setAdmin",
    "admin.roles.removeAssignments",
    "scim:PATCH Users/{id}",
    "usergroups.users.update",
];

fn writes(sb: &Sandbox) -> BTreeMap<String, u64> {
    let calls = sb.calls();
    GRID_WRITES
        .iter()
        .filter_map(|m| calls.get(*m).map(|n| (m.to_string(), *n)))
        .collect()
}

#[test]
fn apply_makes_each_grid_revocation_once_verifies_it_and_the_next_sync_shows_exactly_that() {
    let sb = corvid("q3");
    let env = TestEnv::new();
    let decisions = [
        ("W0C000021", "workspace:T0CRVSLS1:member"), // out of Sales, not HQ or Engineering
        ("W0C000008", "workspace:T0CRVENG1:admin"),  // demoted
        ("W0C000007", "workspace:T0CRVENG1:owner"),  // owner no more, admin still
        ("W0C000004", "org_role:Rl0A:E0CORVID1"),    // two holders of one role:
        ("W0C000011", "org_role:Rl0A:E0CORVID1"),    //   one call
        ("W0C000060", "org:E0CORVID1:member"),       // an org account closed
        ("W0C000013", "usergroup:S0CENGONC:member"), // with the org token's team_id
        ("W0C000012", "workspace:T0CRVENG1:admin"),  // an org admin: manual
        ("W0C000005", "workspace:T0CRVSLS1:member"), // Sales' primary owner: refused
    ];
    let sheet = reviewed(&env, &sb, &decisions);
    let dry = Run::of(env.slack(&sb, &["apply", sheet.to_str().unwrap(), "--format", "json"]))
        .ok()
        .json();
    assert_eq!(dry["plan_support"]["plan"], "grid");
    assert!(writes(&sb).is_empty(), "a dry run writes nothing");

    let run = Run::of(env.slack(
        &sb,
        &[
            "apply",
            sheet.to_str().unwrap(),
            "--execute",
            "--format",
            "json",
        ],
    ))
    .ok()
    .json();
    let by_key: BTreeMap<String, (String, String)> = run["revocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                format!(
                    "{} {}",
                    r["user_id"].as_str().unwrap(),
                    r["entitlement"].as_str().unwrap()
                ),
                (
                    r["status"].as_str().unwrap().to_owned(),
                    r["verified"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect();
    for (user, entitlement) in &decisions[..7] {
        assert_eq!(
            by_key[&format!("{user} {entitlement}")],
            ("done".into(), "yes".into()),
            "{user} {entitlement}"
        );
    }
    assert_eq!(by_key["W0C000012 workspace:T0CRVENG1:admin"].0, "manual");
    assert_eq!(by_key["W0C000005 workspace:T0CRVSLS1:member"].0, "refused");
    let once: BTreeMap<String, u64> = GRID_WRITES.iter().map(|m| (m.to_string(), 1)).collect();
    assert_eq!(
        writes(&sb),
        once,
        "one write each; both role holders in one call"
    );

    // Again: nothing is written twice.
    Run::of(env.slack(&sb, &["apply", sheet.to_str().unwrap(), "--execute"])).ok();
    assert_eq!(writes(&sb), once);

    // The next sync differs from the reviewed one by exactly the revocations.
    Run::of(env.slack(&sb, &["sync"])).ok();
    let before = stored_grants(&env, 1);
    let after = stored_grants(&env, 2);
    let gone: BTreeSet<(String, String)> = before
        .difference(&after)
        .map(|(u, e, _)| (u.clone(), e.clone()))
        .collect();
    assert!(after.is_subset(&before), "nothing was granted");
    let mut want: BTreeSet<(String, String)> = decisions[..7]
        .iter()
        .map(|(u, e)| (u.to_string(), e.to_string()))
        .collect();
    // What follows from them: leaving Sales leaves its group; a closed
    // account holds nothing.
    want.insert(("W0C000021".into(), "usergroup:S0CSLSAEX:member".into()));
    want.extend(
        before
            .iter()
            .filter(|(u, _, _)| u == "W0C000060")
            .map(|(u, e, _)| (u.clone(), e.clone())),
    );
    assert_eq!(gone, want);
    let hq = (
        "W0C000021".to_owned(),
        "workspace:T0CRVHQ01:member".to_owned(),
        "T0CRVHQ01".to_owned(),
    );
    assert!(after.contains(&hq), "still in HQ");
    assert!(
        after
            .iter()
            .any(|(u, e, _)| u == "W0C000007" && e == "workspace:T0CRVENG1:admin"),
        "Nina stays an admin"
    );
}

#[test]
fn a_run_killed_during_a_batched_role_removal_resumes_with_one_write() {
    let sb = corvid("q3");
    let env = TestEnv::new();
    let decisions = [
        ("W0C000013", "usergroup:S0CENGONC:member"), // written first
        ("W0C000004", "org_role:Rl0A:E0CORVID1"),    // both in one call,
        ("W0C000011", "org_role:Rl0A:E0CORVID1"),    //   killed in flight
    ];
    let sheet = reviewed(&env, &sb, &decisions);
    let sheet_arg = sheet.to_str().unwrap().to_owned();
    sb.fault(serde_json::json!({
        "method": "admin.roles.removeAssignments", "kind": "delay", "delay_ms": 60000
    }));
    let mut child = env
        .slack(&sb, &["apply", &sheet_arg, "--execute"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_until(Duration::from_secs(20), || {
        sb.calls_to("admin.roles.removeAssignments") >= 1
    }));
    child.kill().unwrap();
    child.wait().unwrap();
    let status = |status: &str| {
        env.query_i64(&format!(
            "SELECT count(*) FROM revocation WHERE status = '{status}'"
        ))
    };
    assert_eq!((status("done"), status("in_flight")), (1, 2));

    sb.clear_faults();
    let before = writes(&sb);
    Run::of(env.slack(&sb, &["apply", &sheet_arg, "--execute"])).ok();
    let after = writes(&sb);
    let delta = |m: &str| after.get(m).copied().unwrap_or(0) - before.get(m).copied().unwrap_or(0);
    assert_eq!(
        delta("admin.roles.removeAssignments"),
        1,
        "both rows, one call"
    );
    assert_eq!(delta("usergroups.users.update"), 0, "done is not redone");
    assert_eq!(
        env.query_i64("SELECT count(*) FROM revocation WHERE status = 'done' AND verified = 1"),
        3
    );
    Run::of(env.slack(&sb, &["sync"])).ok();
    let after = stored_grants(&env, 2);
    for (user, entitlement) in decisions {
        assert!(
            !after.iter().any(|(u, e, _)| u == user && e == entitlement),
            "{user} {entitlement}"
        );
    }
}

#[test]
fn a_grid_sheet_is_refused_with_a_token_of_another_org() {
    let grid = corvid("q3");
    let env = TestEnv::new();
    let sheet = reviewed(&env, &grid, &[("W0C000021", "workspace:T0CRVSLS1:member")]);
    let workspace = Sandbox::bundled();
    Run::of(env.slack(&workspace, &["apply", sheet.to_str().unwrap(), "--execute"]))
        .fails(2)
        .stderr_has("was read from Enterprise Grid org E0CORVID1, but the token belongs to workspace T04KSTRL9");
    assert!(writes(&workspace).is_empty() && writes(&grid).is_empty());
}

#[test]
fn regression_the_org_account_of_a_workspaces_primary_owner_is_refused_at_plan_time() {
    let sb = corvid("q4");
    let env = TestEnv::new();
    // Sofia is the primary owner of the Sales workspace, not an org admin:
    // Slack would answer cannot_disable_primary_owner to the deactivation.
    let sheet = reviewed(&env, &sb, &[("W0C000005", "org:E0CORVID1:member")]);
    let sheet_arg = sheet.to_str().unwrap();
    let plan = Run::of(env.slack(&sb, &["apply", sheet_arg, "--format", "json"]))
        .ok()
        .json();
    let row = &plan["revocations"][0];
    assert_eq!(row["status"], "refused", "{plan}");
    assert!(
        row["detail"]
            .as_str()
            .unwrap()
            .contains("primary owner of workspace T0CRVSLS1"),
        "{row}"
    );
    Run::of(env.slack(&sb, &["apply", sheet_arg, "--execute"])).ok();
    assert!(writes(&sb).is_empty(), "{:?}", writes(&sb));
}

#[test]
fn the_grid_demo_runs_the_quarter_as_a_campaign() {
    let env = TestEnv::new();
    let run = Run::of(env.cmd(&["demo", "--plan", "grid"]))
        .ok()
        .stdout_has("Findings")
        .stdout_has("The review campaign")
        .stdout_has("security@corvid.example")
        .stderr_has("apply finished: 7 done, 1 manual")
        .stdout_has("q4-evidence.zip: everything holds for snapshot 2");
    assert!(
        !run.stdout.contains("xoxp-"),
        "the demo must not print tokens"
    );
    assert_eq!(
        env.query_i64("SELECT count(*) FROM revocation WHERE status = 'done' AND verified = 1"),
        7
    );
}
