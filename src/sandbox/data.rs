//! The sandbox's world: one Slack org as JSON, loaded from a folder of
//! sample data, taken from the copy bundled into the binary, or generated at
//! any size for benchmarks. Users and groups stay raw JSON so that the
//! sandbox serves exactly what the files say, missing fields included; a
//! generated org's users are kept as the JSON text they were written as
//! (see [`Users`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::SandboxError;
pub use super::users::{UserFacts, Users};
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
    pub users: Users,
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
    /// Whose each entry of `access_logs` is, as a position in `users`;
    /// made on first use.
    pub access_log_users: OnceLock<Vec<Option<u32>>>,
}

impl OrgData {
    /// The entries `team.accessLogs` lists for `team` (none: all), as
    /// positions in `access_logs`, newest first.
    pub fn access_entries(&mut self, team: Option<&str>) -> Arc<Vec<u32>> {
        let key = team.map(str::to_owned);
        if let Some(index) = self.access_index.get(&key) {
            return index.clone();
        }
        let index: Vec<u32> = match team {
            None => (0..self.access_logs.len() as u32).collect(),
            Some(t) => {
                // Whether each user is a member, by position: an org's
                // workspaces are each asked for, and comparing ids for every
                // entry each time cost more than serving the pages.
                let member: Vec<bool> = self
                    .facts()
                    .iter()
                    .map(|f| f.teams.iter().any(|x| x == t))
                    .collect();
                let whose = self.access_log_users.get_or_init(|| {
                    self.access_logs
                        .iter()
                        .map(|l| self.users.position(&l.user_id).map(|at| at as u32))
                        .collect()
                });
                whose
                    .iter()
                    .enumerate()
                    .filter(|(_, at)| at.is_some_and(|at| member[at as usize]))
                    .map(|(i, _)| i as u32)
                    .collect()
            }
        };
        let index = Arc::new(index);
        self.access_index.insert(key, index.clone());
        index
    }

    /// Every user's [`UserFacts`], in `users` order.
    pub fn facts(&self) -> &[UserFacts] {
        self.users.facts()
    }

    /// Change the user at `at` with `change`.
    pub fn change_user<R>(&mut self, at: usize, change: impl FnOnce(&mut Value) -> R) -> R {
        self.users.change(at, change)
    }

    /// Where the user `id` is in `users`, found by index rather than by
    /// scanning.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.users.position(id)
    }

    /// The user `id`.
    pub fn user(&self, id: &str) -> Option<Cow<'_, Value>> {
        self.position(id).map(|i| self.users.get(i))
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
            users: Users::parsed(users),
            usergroups,
            role_assignments: meta.role_assignments,
            access_logs,
            access_index: HashMap::new(),
            access_log_users: OnceLock::new(),
        })
    }

    /// A Business+ workspace of `n` users shaped like a real company: a few
    /// owners and admins, guests, bots, deactivated accounts, and one user
    /// group per hundred users. Deterministic, so runs compare.
    pub fn generate(n: usize) -> OrgData {
        Self::generated(n, false)
    }

    /// [`generate`](Self::generate), or with `quarter_later` its org a
    /// quarter later: the access logs are the first quarter's, the changes
    /// made after them.
    fn generated(n: usize, quarter_later: bool) -> OrgData {
        let mut org = Self::generated_without_users(n);
        let team_id = org.team_id().to_owned();
        // Each person is written as text as soon as made: the access logs
        // are made from what they were before the quarter's changes.
        let (seeds, mut users): (Vec<LogSeed>, Vec<_>) = (0..n)
            .into_par_iter()
            .map(|i| {
                let mut u = generated_user(&team_id, i);
                let seed = LogSeed::of(&u);
                if quarter_later {
                    if i % 50 == 10 {
                        u.profile.title = "Senior Engineer";
                    }
                    if i % 100 == 12 && !u.is_restricted {
                        u.is_admin = true;
                    }
                    if i % 200 == 11 {
                        u.deleted = true;
                    }
                }
                (seed, as_text(&u))
            })
            .unzip();
        org.access_logs = generated_access_logs(&seeds);
        if quarter_later {
            users.extend((n..n + n / 100).map(|i| as_text(&generated_user(&team_id, i))));
        }
        org.users = Users::texts(users);
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
            access_log_users: OnceLock::new(),
            workspaces: Vec::new(),
            users: Users::default(),
            usergroups,
            role_assignments: Vec::new(),
        }
    }
}

impl OrgData {
    /// The org of [`generate`](Self::generate) a quarter later: 1% new
    /// hires, 2% new titles, 1% promoted to admin, 0.5% gone.
    pub fn generate_quarter_later(n: usize) -> OrgData {
        Self::generated(n, true)
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
        let (seeds, users): (Vec<LogSeed>, Vec<_>) = (0..total)
            .into_par_iter()
            .map(|i| {
                let home = team(i % w);
                let mut u = generated_user(&home, i);
                let single = u.is_restricted || u.is_bot;
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
                let mut roles = BTreeMap::new();
                if i < w {
                    roles.insert(team(i), "primary_owner");
                } else if u.is_admin {
                    // Admins come every fifty people, so by their home alone
                    // they would all fall in one workspace: spread them.
                    let admin_of = team((i / 50) % w);
                    if !teams.contains(&admin_of) {
                        teams.push(admin_of.clone());
                    }
                    roles.insert(admin_of, "admin");
                } else if quarter_later && i % 100 == 12 {
                    roles.insert(home.clone(), "admin");
                }
                if quarter_later && i % 200 == 11 {
                    u.deleted = true;
                }
                (u.is_admin, u.is_owner, u.is_primary_owner) = (false, false, false);
                if !u.is_bot {
                    u.enterprise_user = Some(EnterpriseUser {
                        enterprise_id: enterprise,
                        enterprise_name: "Generated Group",
                        id: u.id.clone(),
                        is_admin: i < 3,
                        is_owner: i < 2,
                        is_primary_owner: i == 0,
                        teams,
                    });
                }
                if !single {
                    u.sandbox_roles = roles;
                }
                (LogSeed::of(&u), as_text(&u))
            })
            .unzip();
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
            access_logs: generated_access_logs(&seeds),
            access_index: HashMap::new(),
            access_log_users: OnceLock::new(),
            users: Users::texts(users),
            role_assignments,
            ..org
        }
    }
}

/// Two entries (web and phone) for each active person of a generated org,
/// the latest within the last month, but every 40th person dormant: last
/// seen 200 days before the sandbox started.
fn generated_access_logs(users: &[LogSeed]) -> Vec<wire::Login> {
    let now = chrono::Utc::now().timestamp();
    let day = 86_400;
    let active = |(_, u): &(usize, &LogSeed)| u.active;
    let mut out: Vec<wire::Login> = users
        .par_iter()
        .enumerate()
        .filter(active)
        .flat_map_iter(|(i, u)| {
            let last = if i % 40 == 39 { 200 } else { (i % 30) as i64 };
            [("Slack Desktop", 0), ("Slack iOS", 2)].map(|(client, offset)| wire::Login {
                user_id: u.id.clone(),
                username: Some(u.name.clone()),
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

/// A generated person as Slack sends a user. The fields are in the order
/// serde_json writes a parsed object's (by name), so the text is the same
/// as the object's parsed and written again.
#[derive(Serialize)]
struct GeneratedUser {
    color: &'static str,
    deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    enterprise_user: Option<EnterpriseUser>,
    has_2fa: bool,
    id: String,
    is_admin: bool,
    is_app_user: bool,
    is_bot: bool,
    is_owner: bool,
    is_primary_owner: bool,
    is_restricted: bool,
    is_ultra_restricted: bool,
    name: String,
    profile: Profile,
    real_name: String,
    /// Grid: the sandbox's own record of the user's roles by workspace,
    /// which it never sends (see [`OrgData::workspaces`]).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    sandbox_roles: BTreeMap<String, &'static str>,
    team_id: String,
    tz: &'static str,
    tz_label: &'static str,
    tz_offset: i64,
    updated: i64,
}

#[derive(Serialize)]
struct EnterpriseUser {
    enterprise_id: &'static str,
    enterprise_name: &'static str,
    id: String,
    is_admin: bool,
    is_owner: bool,
    is_primary_owner: bool,
    teams: Vec<String>,
}

#[derive(Serialize)]
struct Profile {
    avatar_hash: String,
    display_name: String,
    display_name_normalized: String,
    email: Option<String>,
    fields: serde_json::Map<String, Value>,
    first_name: &'static str,
    image_192: String,
    image_24: String,
    image_32: String,
    image_48: String,
    image_512: String,
    image_72: String,
    last_name: String,
    phone: &'static str,
    real_name: String,
    real_name_normalized: String,
    skype: &'static str,
    status_emoji: &'static str,
    status_text: &'static str,
    team: String,
    title: &'static str,
}

fn generated_user(team_id: &str, i: usize) -> GeneratedUser {
    let id = format!("U{i:09}");
    let name = format!("user{i}");
    let img = |size: u32| format!("https://avatars.slack-edge.example/{id}_{size}.png");
    let owner = i < 3;
    let admin = owner || i % 50 == 1;
    let bot = i % 100 == 7;
    let guest = i % 20 == 3;
    let real_name = format!("User {i}");
    GeneratedUser {
        color: "9f69e7",
        deleted: i % 33 == 5,
        enterprise_user: None,
        has_2fa: !i.is_multiple_of(3),
        is_admin: admin && !guest && !bot,
        is_app_user: false,
        is_bot: bot,
        is_owner: owner,
        is_primary_owner: i == 0,
        is_restricted: guest,
        is_ultra_restricted: guest && i % 40 == 3,
        profile: Profile {
            avatar_hash: format!("g{i:011x}"),
            display_name: name.clone(),
            display_name_normalized: name.clone(),
            email: (!bot).then(|| format!("user{i}@generated.example")),
            fields: serde_json::Map::new(),
            first_name: "User",
            image_192: img(192),
            image_24: img(24),
            image_32: img(32),
            image_48: img(48),
            image_512: img(512),
            image_72: img(72),
            last_name: i.to_string(),
            phone: "",
            real_name: real_name.clone(),
            real_name_normalized: real_name.clone(),
            skype: "",
            status_emoji: "",
            status_text: "",
            team: team_id.to_owned(),
            title: "Engineer",
        },
        real_name,
        sandbox_roles: BTreeMap::new(),
        team_id: team_id.to_owned(),
        tz: "Europe/Berlin",
        tz_label: "Central European Time",
        tz_offset: 3600,
        updated: 1_700_000_000 + i as i64,
        id,
        name,
    }
}

/// A generated person as the JSON text the sandbox keeps, with its facts.
fn as_text(u: &GeneratedUser) -> (Box<str>, UserFacts) {
    let facts = UserFacts {
        id: u.id.clone(),
        deleted: u.deleted,
        bot: u.is_bot,
        privileged: !u.sandbox_roles.is_empty()
            || u.enterprise_user
                .as_ref()
                .is_some_and(|e| e.is_admin || e.is_owner || e.is_primary_owner),
        teams: match &u.enterprise_user {
            Some(e) => e.teams.clone(),
            None => vec![u.team_id.clone()],
        },
    };
    // Room for the largest (a Grid user's, 1.5 KB) up front: growing the
    // buffer as it fills costs more than writing.
    let mut text = Vec::with_capacity(2048);
    serde_json::to_writer(&mut text, u).expect("a generated user serialises");
    let text = String::from_utf8(text).expect("serde_json writes UTF-8");
    (text.into_boxed_str(), facts)
}

/// What a generated person's access-log entries are made from.
struct LogSeed {
    id: String,
    name: String,
    active: bool,
}

impl LogSeed {
    fn of(u: &GeneratedUser) -> LogSeed {
        LogSeed {
            id: u.id.clone(),
            name: u.name.clone(),
            active: !(u.deleted || u.is_bot),
        }
    }
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
        let with_admins: std::collections::BTreeSet<String> = org
            .users
            .iter()
            .filter_map(|u| u["sandbox_roles"].as_object().cloned())
            .flat_map(|roles| roles.into_iter())
            .filter(|(_, role)| *role == "admin")
            .map(|(team, _)| team)
            .collect();
        assert_eq!(with_admins.len(), 10, "admins in every workspace");
        assert_eq!(org.tokens[0].user_id, "U000000000");
        let later = OrgData::generate_grid(1000, 10, true);
        assert_eq!(later.users.len(), 1010);
    }

    /// A generated user is kept as text with its facts beside it: the facts
    /// must be what its JSON says, and the text what serde_json writes for
    /// that JSON (keys in order), or the sandbox would filter on one user
    /// and answer with another.
    #[test]
    fn generated_users_facts_are_their_json_s() {
        for org in [
            OrgData::generate(300),
            OrgData::generate_quarter_later(300),
            OrgData::generate_grid(300, 7, false),
            OrgData::generate_grid(300, 7, true),
        ] {
            // Roles by workspace are Grid's alone.
            let grid = org.plan == Plan::Grid;
            assert_eq!(org.facts().iter().any(|f| f.privileged), grid);
            assert!(org.facts().iter().any(|f| f.bot));
            assert!(org.facts().iter().any(|f| f.deleted));
            for (at, facts) in org.facts().iter().enumerate() {
                assert_eq!(facts, &UserFacts::of(&org.users.get(at)), "{at}");
                // The text as written against serde_json's writing of its
                // parse: the same bytes, so a record's hash is what it was
                // when users were kept parsed.
                let text = org.users.text(at).expect("a generated user is text");
                let parsed: Value = serde_json::from_str(text).unwrap();
                assert_eq!(parsed.to_string(), text, "{at}");
            }
        }
        let later = OrgData::generate_quarter_later(300);
        assert_eq!(later.users.get(10)["profile"]["title"], "Senior Engineer");
        assert_eq!(later.users.get(11)["deleted"], true);
        assert_eq!(later.users.get(12)["is_admin"], true);
        assert_eq!(later.users.len(), 303);
    }

    #[test]
    fn a_workspaces_access_logs_are_its_members_entries() {
        let mut org = OrgData::generate_grid(400, 5, false);
        let all = org.access_entries(None);
        assert_eq!(all.len(), org.access_logs.len());
        let mut seen = 0;
        for t in 0..5 {
            let team = format!("T0GENW{t:04}");
            let members: std::collections::HashSet<String> = org
                .facts()
                .iter()
                .filter(|f| f.teams.contains(&team))
                .map(|f| f.id.clone())
                .collect();
            let expected: Vec<u32> = (0..org.access_logs.len() as u32)
                .filter(|&i| members.contains(&org.access_logs[i as usize].user_id))
                .collect();
            let entries = org.access_entries(Some(&team));
            assert!(!entries.is_empty(), "{team}");
            assert_eq!(*entries, expected, "{team}");
            seen += entries.len();
        }
        assert!(
            seen > all.len(),
            "people in several workspaces count in each"
        );
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
