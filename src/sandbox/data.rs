//! The sandbox's world: one Slack org as JSON, loaded from a folder of
//! sample data, taken from the copy bundled into the binary, or generated at
//! any size for benchmarks. Users and groups stay raw JSON so that the
//! sandbox serves exactly what the files say, missing fields included.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use super::SandboxError;
use crate::domain::model::Plan;
use crate::slack::wire;

/// The bundled sample workspaces, by name.
const BUNDLED: &[(&str, [&str; 3])] = &[
    (
        "kestrel-q3",
        [
            include_str!("../../sample-data/kestrel-q3/sandbox.json"),
            include_str!("../../sample-data/kestrel-q3/users.json"),
            include_str!("../../sample-data/kestrel-q3/usergroups.json"),
        ],
    ),
    (
        "kestrel-q4",
        [
            include_str!("../../sample-data/kestrel-q4/sandbox.json"),
            include_str!("../../sample-data/kestrel-q4/users.json"),
            include_str!("../../sample-data/kestrel-q4/usergroups.json"),
        ],
    ),
    (
        "corvid-q3",
        [
            include_str!("../../sample-data/corvid-q3/sandbox.json"),
            include_str!("../../sample-data/corvid-q3/users.json"),
            include_str!("../../sample-data/corvid-q3/usergroups.json"),
        ],
    ),
    (
        "corvid-q4",
        [
            include_str!("../../sample-data/corvid-q4/sandbox.json"),
            include_str!("../../sample-data/corvid-q4/users.json"),
            include_str!("../../sample-data/corvid-q4/usergroups.json"),
        ],
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    User,
    Bot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    #[default]
    Active,
    /// Answers `token_revoked`.
    Revoked,
    /// Answers `account_inactive`.
    Inactive,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TokenSpec {
    pub token: String,
    pub user_id: String,
    pub kind: TokenKind,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub state: TokenState,
    /// Enterprise Grid: the workspaces the org-wide app is approved for
    /// (what `auth.teams.list` shows); `None` means all of them.
    #[serde(default)]
    pub workspaces: Option<Vec<String>>,
    /// Enterprise Grid: the token of an app installed on this one workspace
    /// rather than org-wide, which sees only that workspace.
    #[serde(default)]
    pub installed_on: Option<String>,
}

impl TokenSpec {
    /// Whether the token may act on workspace `team` with non-admin methods.
    pub fn approved_for(&self, team: &str) -> bool {
        if let Some(own) = &self.installed_on {
            return own == team;
        }
        self.workspaces
            .as_ref()
            .is_none_or(|ws| ws.iter().any(|w| w == team))
    }
}

#[derive(Debug, Clone, Deserialize)]
struct SandboxFile {
    plan: Plan,
    team: Value,
    tokens: Vec<TokenSpec>,
    /// Enterprise Grid: the org's workspaces, as `admin.teams.list` shows them.
    #[serde(default)]
    workspaces: Vec<Value>,
    /// Enterprise Grid: `admin.roles.listAssignments` entries.
    #[serde(default)]
    role_assignments: Vec<Value>,
    /// `team.accessLogs` entries, timed relative to when the sandbox starts
    /// so that a sample's dormant and active people stay so.
    #[serde(default)]
    access_logs: Vec<SampleLogin>,
}

/// An access-log entry of a sample: Slack's fields, with its first and
/// latest access given as days before the sandbox starts.
#[derive(Debug, Clone, Deserialize)]
struct SampleLogin {
    user_id: String,
    first_days_ago: i64,
    last_days_ago: i64,
    #[serde(default)]
    ip: Option<String>,
    #[serde(default)]
    user_agent: Option<String>,
    #[serde(default)]
    count: Option<i64>,
}

impl SampleLogin {
    fn at(&self, now: i64, users: &[Value]) -> wire::Login {
        let day = 86_400;
        wire::Login {
            username: users
                .iter()
                .find(|u| u["id"] == self.user_id.as_str())
                .and_then(|u| u["name"].as_str())
                .map(str::to_owned),
            user_id: self.user_id.clone(),
            // A few hours into the day, so that "N days ago" is that day.
            date_first: now - self.first_days_ago * day,
            date_last: now - self.last_days_ago * day,
            count: self.count.or(Some(1)),
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            isp: None,
            country: Some("US".into()),
            region: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct OrgData {
    pub plan: Plan,
    /// The `team` object of `team.info`; on Enterprise Grid, the org.
    pub team: Value,
    /// Enterprise Grid: the org's workspaces (`id`, `name`, `domain`). A
    /// Grid user lists theirs in `enterprise_user.teams`, and may carry a
    /// sandbox-only `sandbox_roles` map of team to `admin`, `owner` or
    /// `primary_owner`, which the sandbox never sends.
    pub workspaces: Vec<Value>,
    /// The first token is the one the sandbox advertises.
    pub tokens: Vec<TokenSpec>,
    pub users: Vec<Value>,
    pub usergroups: Vec<Value>,
    /// Enterprise Grid: `{role_id, entity_id, user_id, date_create}` entries.
    pub role_assignments: Vec<Value>,
    /// `team.accessLogs`: one entry per user, IP and client, newest
    /// (`date_first`) first.
    pub access_logs: Vec<wire::Login>,
    /// Per workspace asked for (none: the token's), the positions of its
    /// entries in `access_logs`, newest first; made on first use. The logs
    /// are history: someone removed from a workspace later keeps the
    /// entries they made there.
    pub access_index: HashMap<Option<String>, Arc<Vec<u32>>>,
    /// Each user's position in `users` by id, made on first use; users are
    /// changed in place, never added, removed or reordered.
    pub user_positions: OnceLock<HashMap<String, usize>>,
    /// What the list methods filter on, per user in `users` order, made on
    /// first use and forgotten by [`user_mut`](Self::user_mut).
    pub user_facts: OnceLock<Vec<UserFacts>>,
}

/// A user's id, whether deactivated, and workspaces, read out of the JSON
/// once rather than at every call of a list method.
#[derive(Debug, Clone)]
pub struct UserFacts {
    pub id: String,
    pub deleted: bool,
    pub teams: Vec<String>,
}

impl OrgData {
    /// The entries `team.accessLogs` lists for `team` (none: all), as
    /// positions in `access_logs`, newest first.
    pub fn access_entries(&mut self, team: Option<&str>) -> Arc<Vec<u32>> {
        let key = team.map(str::to_owned);
        if let Some(index) = self.access_index.get(&key) {
            return index.clone();
        }
        let members: Option<HashSet<&str>> = team.map(|t| {
            self.facts()
                .iter()
                .filter(|f| f.teams.iter().any(|x| x == t))
                .map(|f| f.id.as_str())
                .collect()
        });
        let index: Vec<u32> = self
            .access_logs
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                members
                    .as_ref()
                    .is_none_or(|m| m.contains(l.user_id.as_str()))
            })
            .map(|(i, _)| i as u32)
            .collect();
        let index = Arc::new(index);
        self.access_index.insert(key, index.clone());
        index
    }

    /// Every user's [`UserFacts`], in `users` order.
    pub fn facts(&self) -> &[UserFacts] {
        self.user_facts.get_or_init(|| {
            self.users
                .iter()
                .map(|u| UserFacts {
                    id: u["id"].as_str().unwrap_or_default().to_owned(),
                    deleted: u["deleted"].as_bool().unwrap_or(false),
                    teams: super::grid::teams_of(u)
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                })
                .collect()
        })
    }

    /// The user at `at`, to change: what was read out of the users is
    /// forgotten, to be read again.
    pub fn user_mut(&mut self, at: usize) -> &mut Value {
        self.user_facts = OnceLock::new();
        &mut self.users[at]
    }

    /// Where the user `id` is in `users`, found by index rather than by
    /// scanning.
    pub fn position(&self, id: &str) -> Option<usize> {
        let positions = self.user_positions.get_or_init(|| {
            self.users
                .iter()
                .enumerate()
                .filter_map(|(i, u)| Some((u["id"].as_str()?.to_owned(), i)))
                .collect()
        });
        positions.get(id).copied()
    }

    /// The user `id`.
    pub fn user(&self, id: &str) -> Option<&Value> {
        self.position(id).map(|i| &self.users[i])
    }

    pub fn team_id(&self) -> &str {
        self.team["id"].as_str().unwrap_or_default()
    }

    /// Load `sandbox.json`, `users.json` and `usergroups.json` from `dir`.
    pub fn load(dir: &Path) -> Result<OrgData, SandboxError> {
        let read = |name: &str| -> Result<String, SandboxError> {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|source| SandboxError::Read { path, source })
        };
        let texts = [
            read("sandbox.json")?,
            read("users.json")?,
            read("usergroups.json")?,
        ];
        Self::parse(
            &dir.display().to_string(),
            [&texts[0], &texts[1], &texts[2]],
        )
    }

    pub fn bundled(name: &str) -> Result<OrgData, SandboxError> {
        let (_, texts) = BUNDLED
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| SandboxError::UnknownBundle(name.to_owned()))?;
        Self::parse(&format!("bundled:{name}"), *texts)
    }

    fn parse(origin: &str, [meta, users, groups]: [&str; 3]) -> Result<OrgData, SandboxError> {
        let bad = |file: &str, e: serde_json::Error| SandboxError::Parse {
            file: format!("{origin}/{file}"),
            detail: e.to_string(),
        };
        let meta: SandboxFile = serde_json::from_str(meta).map_err(|e| bad("sandbox.json", e))?;
        let users: Vec<Value> = serde_json::from_str(users).map_err(|e| bad("users.json", e))?;
        let usergroups: Vec<Value> =
            serde_json::from_str(groups).map_err(|e| bad("usergroups.json", e))?;
        for (file, items) in [("users.json", &users), ("usergroups.json", &usergroups)] {
            if let Some(i) = items
                .iter()
                .position(|v| !v.is_object() || !v["id"].is_string())
            {
                return Err(SandboxError::Parse {
                    file: format!("{origin}/{file}"),
                    detail: format!("entry {i} is not an object with a string id"),
                });
            }
        }
        if meta.tokens.is_empty() {
            return Err(SandboxError::Parse {
                file: format!("{origin}/sandbox.json"),
                detail: "no tokens: the sandbox needs at least one".into(),
            });
        }
        let now = chrono::Utc::now().timestamp();
        let mut access_logs: Vec<wire::Login> =
            meta.access_logs.iter().map(|l| l.at(now, &users)).collect();
        access_logs.sort_by_key(|l| std::cmp::Reverse(l.date_first));
        Ok(OrgData {
            plan: meta.plan,
            team: meta.team,
            tokens: meta.tokens,
            workspaces: meta.workspaces,
            users,
            usergroups,
            role_assignments: meta.role_assignments,
            access_logs,
            access_index: HashMap::new(),
            user_positions: OnceLock::new(),
            user_facts: OnceLock::new(),
        })
    }

    /// A Business+ workspace of `n` users shaped like a real company: a few
    /// owners and admins, guests, bots, deactivated accounts, and one user
    /// group per hundred users. Deterministic, so runs compare.
    pub fn generate(n: usize) -> OrgData {
        let mut org = Self::generated_without_users(n);
        let team_id = org.team_id().to_owned();
        org.users = (0..n)
            .into_par_iter()
            .map(|i| generated_user(&team_id, i))
            .collect();
        org.access_logs = generated_access_logs(&org.users);
        org
    }

    /// [`generate`](Self::generate)'s org, user groups and token, without
    /// its people: the base of the Grid org too.
    fn generated_without_users(n: usize) -> OrgData {
        let team_id = "T0GEN00001";
        let groups = n.div_ceil(100).max(1);
        let usergroups = (0..groups)
            .map(|g| {
                let members: Vec<String> = (0..50)
                    .map(|k| (g * 100 + k * 2) % n.max(1))
                    .map(|i| format!("U{i:09}"))
                    .collect();
                json!({
                    "id": format!("S{g:09}"), "team_id": team_id, "is_usergroup": true,
                    "name": format!("Team {g}"), "handle": format!("team-{g}"),
                    "description": "", "date_create": 1_600_000_000, "date_update": 1_700_000_000,
                    "is_subteam": true, "is_external": false, "auto_provision": false,
                    "enterprise_subteam_id": "", "created_by": "U000000000", "updated_by": "U000000000",
                    "deleted_by": null, "prefs": {"channels": [], "groups": []},
                    "date_delete": if g % 20 == 19 { 1_710_000_000 } else { 0 },
                    "user_count": members.len(), "users": members,
                })
            })
            .collect();
        OrgData {
            plan: Plan::BusinessPlus,
            team: json!({"id": team_id, "name": "Generated Co", "domain": "generated-co",
                         "email_domain": "generated.example"}),
            tokens: vec![TokenSpec {
                token: "xoxp-generated-sandbox-token".into(),
                user_id: "U000000000".into(),
                kind: TokenKind::User,
                scopes: [
                    "users:read",
                    "users:read.email",
                    "team:read",
                    "usergroups:read",
                    "usergroups:write",
                    "admin",
                ]
                .map(String::from)
                .to_vec(),
                state: TokenState::Active,
                workspaces: None,
                installed_on: None,
            }],
            access_logs: Vec::new(),
            access_index: HashMap::new(),
            user_positions: OnceLock::new(),
            user_facts: OnceLock::new(),
            workspaces: Vec::new(),
            users: Vec::new(),
            usergroups,
            role_assignments: Vec::new(),
        }
    }
}

impl OrgData {
    /// The org of [`generate`](Self::generate) a quarter later: 1% new
    /// hires, 2% new titles, 1% promoted to admin, 0.5% gone.
    pub fn generate_quarter_later(n: usize) -> OrgData {
        let mut org = Self::generate(n);
        let team_id = org.team_id().to_owned();
        for (i, u) in org.users.iter_mut().enumerate() {
            if i % 50 == 10 {
                u["profile"]["title"] = json!("Senior Engineer");
            }
            if i % 100 == 12 && !u["is_restricted"].as_bool().unwrap_or(false) {
                u["is_admin"] = json!(true);
            }
            if i % 200 == 11 {
                u["deleted"] = json!(true);
            }
        }
        org.users
            .extend((n..n + n / 100).map(|i| generated_user(&team_id, i)));
        org
    }
}

impl OrgData {
    /// An Enterprise Grid org of `n` users across `workspaces` workspaces,
    /// for benchmarks: each person in one to three workspaces (guests and
    /// bots in one), an admin or two per fifty, org admins, role assignments
    /// on the org and on workspaces, a user group per hundred users. With
    /// `quarter_later`: 1% new hires, 1% promoted, 0.5% gone, 1% moved out
    /// of a workspace. Deterministic, so runs compare.
    pub fn generate_grid(n: usize, workspaces: usize, quarter_later: bool) -> OrgData {
        let w = workspaces.max(1);
        let enterprise = "E0GEN00001";
        let team = |t: usize| format!("T0GENW{t:04}");
        let total = if quarter_later { n + n / 100 } else { n };
        let users: Vec<Value> = (0..total)
            .into_par_iter()
            .map(|i| {
                let home = team(i % w);
                let mut u = generated_user(&home, i);
                let single = u["is_restricted"] == true || u["is_bot"] == true;
                let mut teams = vec![home.clone()];
                if !single && i % 3 != 0 {
                    teams.push(team((i * 7 + 3) % w));
                }
                if !single && i % 5 == 0 {
                    teams.push(team((i * 13 + 5) % w));
                }
                let mut seen = std::collections::HashSet::new();
                teams.retain(|t| seen.insert(t.clone()));
                if quarter_later && i % 100 == 21 && teams.len() > 1 {
                    teams.pop();
                }
                let mut roles = serde_json::Map::new();
                if i < w {
                    roles.insert(team(i), json!("primary_owner"));
                } else if u["is_admin"] == true {
                    // Admins come every fifty people, so by their home alone
                    // they would all fall in one workspace: spread them.
                    let admin_of = team((i / 50) % w);
                    if !teams.contains(&admin_of) {
                        teams.push(admin_of.clone());
                    }
                    roles.insert(admin_of, json!("admin"));
                } else if quarter_later && i % 100 == 12 {
                    roles.insert(home.clone(), json!("admin"));
                }
                if quarter_later && i % 200 == 11 {
                    u["deleted"] = json!(true);
                }
                for flag in ["is_admin", "is_owner", "is_primary_owner"] {
                    u[flag] = json!(false);
                }
                if u["is_bot"] != true {
                    u["enterprise_user"] = json!({
                        "id": u["id"], "enterprise_id": enterprise, "enterprise_name": "Generated Group",
                        "is_admin": i < 3, "is_owner": i < 2, "is_primary_owner": i == 0,
                        "teams": teams,
                    });
                }
                if !roles.is_empty() && !single {
                    u["sandbox_roles"] = Value::Object(roles);
                }
                u
            })
            .collect();
        let role_assignments = (0..n)
            .filter(|i| i % 500 == 4 || i % 700 == 6)
            .map(|i| {
                let (role, entity) = if i % 500 == 4 {
                    ("Rl0A", enterprise.to_owned())
                } else {
                    ("Rl01", team(i % w))
                };
                json!({"role_id": role, "entity_id": entity, "user_id": format!("U{i:09}"),
                       "date_create": 1_700_000_000})
            })
            .collect();
        let mut org = Self::generated_without_users(n);
        for (g, group) in org.usergroups.iter_mut().enumerate() {
            group["team_id"] = json!(team(g % w));
        }
        let admin_scopes = [
            "admin.teams:read",
            "admin.users:read",
            "admin.users:write",
            "admin.roles:read",
            "admin.roles:write",
        ];
        org.tokens[0].scopes.extend(admin_scopes.map(String::from));
        OrgData {
            plan: Plan::Grid,
            team: json!({"id": enterprise, "name": "Generated Group", "domain": "generated-group",
                         "enterprise_id": enterprise, "enterprise_name": "Generated Group"}),
            workspaces: (0..w)
                .map(|t| json!({"id": team(t), "name": format!("Workspace {t}"), "domain": format!("gen-{t}")}))
                .collect(),
            access_logs: generated_access_logs(&users),
            access_index: HashMap::new(),
            user_positions: OnceLock::new(),
            user_facts: OnceLock::new(),
            users,
            role_assignments,
            ..org
        }
    }
}

/// Two entries (web and phone) for each active person of a generated org,
/// the latest within the last month, but every 40th person dormant: last
/// seen 200 days before the sandbox started.
fn generated_access_logs(users: &[Value]) -> Vec<wire::Login> {
    let now = chrono::Utc::now().timestamp();
    let day = 86_400;
    let active = |(_, u): &(usize, &Value)| {
        !(u["deleted"].as_bool().unwrap_or(false) || u["is_bot"].as_bool().unwrap_or(false))
    };
    let mut out: Vec<wire::Login> = users
        .par_iter()
        .enumerate()
        .filter(active)
        .flat_map_iter(|(i, u)| {
            let last = if i % 40 == 39 { 200 } else { (i % 30) as i64 };
            [("Slack Desktop", 0), ("Slack iOS", 2)].map(|(client, offset)| wire::Login {
                user_id: u["id"].as_str().unwrap_or_default().to_owned(),
                username: u["name"].as_str().map(str::to_owned),
                // Distinct, so that paging back with `before` is exercised.
                date_first: now - (300 + (i % 200) as i64) * day - i as i64 - offset,
                date_last: now - (last + offset) * day,
                count: Some(40),
                ip: Some(format!(
                    "10.{}.{}.{}",
                    i / 65_536 % 256,
                    i / 256 % 256,
                    i % 256
                )),
                user_agent: Some(client.into()),
                isp: None,
                country: Some("US".into()),
                region: None,
            })
        })
        .collect();
    // Newest first, as Slack lists them.
    out.par_sort_by_key(|l| std::cmp::Reverse(l.date_first));
    out
}

fn generated_user(team_id: &str, i: usize) -> Value {
    let id = format!("U{i:09}");
    let name = format!("user{i}");
    let img = format!("https://avatars.slack-edge.example/{id}_");
    let primary = i == 0;
    let owner = i < 3;
    let admin = owner || i % 50 == 1;
    let bot = i % 100 == 7;
    let guest = i % 20 == 3;
    let single = guest && i % 40 == 3;
    let deleted = i % 33 == 5;
    json!({
        "id": id, "team_id": team_id, "name": name, "deleted": deleted,
        "color": "9f69e7", "real_name": format!("User {i}"),
        "tz": "Europe/Berlin", "tz_label": "Central European Time", "tz_offset": 3600,
        "is_admin": admin && !guest && !bot, "is_owner": owner, "is_primary_owner": primary,
        "is_restricted": guest, "is_ultra_restricted": single,
        "is_bot": bot, "is_app_user": false, "updated": 1_700_000_000 + i as i64,
        "has_2fa": !i.is_multiple_of(3),
        "profile": {
            "title": "Engineer", "phone": "", "skype": "", "avatar_hash": format!("g{i:011x}"),
            "fields": {},
            "real_name": format!("User {i}"), "real_name_normalized": format!("User {i}"),
            "display_name": name, "display_name_normalized": name,
            "email": if bot { Value::Null } else { json!(format!("user{i}@generated.example")) },
            "first_name": "User", "last_name": format!("{i}"),
            "image_24": format!("{img}24.png"), "image_32": format!("{img}32.png"),
            "image_48": format!("{img}48.png"), "image_72": format!("{img}72.png"),
            "image_192": format!("{img}192.png"), "image_512": format!("{img}512.png"),
            "status_text": "", "status_emoji": "", "team": team_id,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_parses() {
        for (name, _) in BUNDLED {
            let org = OrgData::bundled(name).unwrap();
            assert!(org.users.len() >= 50, "{name}: {}", org.users.len());
            let grid = name.starts_with("corvid");
            assert_eq!(org.plan == Plan::Grid, grid, "{name}");
            assert_eq!(org.workspaces.len() >= 3, grid, "{name}");
        }
    }

    #[test]
    fn generated_grid_org_spreads_people_over_workspaces() {
        let org = OrgData::generate_grid(1000, 10, false);
        assert_eq!(org.plan, Plan::Grid);
        assert_eq!(org.workspaces.len(), 10);
        let in_many = org
            .users
            .iter()
            .filter(|u| {
                u["enterprise_user"]["teams"]
                    .as_array()
                    .is_some_and(|t| t.len() > 1)
            })
            .count();
        assert!(in_many > 500, "{in_many}");
        let with_admins: std::collections::BTreeSet<&str> = org
            .users
            .iter()
            .filter_map(|u| u["sandbox_roles"].as_object())
            .flat_map(|roles| roles.iter())
            .filter(|(_, role)| *role == "admin")
            .map(|(team, _)| team.as_str())
            .collect();
        assert_eq!(with_admins.len(), 10, "admins in every workspace");
        assert_eq!(org.tokens[0].user_id, "U000000000");
        let later = OrgData::generate_grid(1000, 10, true);
        assert_eq!(later.users.len(), 1010);
    }

    #[test]
    fn generated_org_is_deterministic() {
        let a = OrgData::generate(500);
        let b = OrgData::generate(500);
        assert_eq!(a.users, b.users);
        assert_eq!(a.users.len(), 500);
        assert_eq!(a.usergroups.len(), 5);
    }
}
