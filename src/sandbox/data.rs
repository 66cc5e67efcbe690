//! The sandbox's world: one Slack org as JSON, loaded from a folder of
//! sample data, taken from the copy bundled into the binary, or generated at
//! any size for benchmarks. Users and groups stay raw JSON so that the
//! sandbox serves exactly what the files say, missing fields included.

use std::path::Path;

use serde::Deserialize;
use serde_json::{Value, json};

use super::SandboxError;
use crate::model::Plan;

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
];

/// The bundled workspace `sandbox` serves without `--data`.
pub const DEFAULT_BUNDLED: &str = "kestrel-q3";

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
}

#[derive(Debug, Clone, Deserialize)]
struct SandboxFile {
    plan: Plan,
    team: Value,
    tokens: Vec<TokenSpec>,
    /// Enterprise Grid: `admin.roles.listAssignments` entries.
    #[serde(default)]
    role_assignments: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct OrgData {
    pub plan: Plan,
    /// The `team` object of `team.info`.
    pub team: Value,
    /// The first token is the one the sandbox advertises.
    pub tokens: Vec<TokenSpec>,
    pub users: Vec<Value>,
    pub usergroups: Vec<Value>,
    /// Enterprise Grid: `{role_id, entity_id, user_id, date_create}` entries.
    pub role_assignments: Vec<Value>,
}

impl OrgData {
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
        Ok(OrgData {
            plan: meta.plan,
            team: meta.team,
            tokens: meta.tokens,
            users,
            usergroups,
            role_assignments: meta.role_assignments,
        })
    }

    /// A Business+ workspace of `n` users shaped like a real company: a few
    /// owners and admins, guests, bots, deactivated accounts, and one user
    /// group per hundred users. Deterministic, so runs compare.
    pub fn generate(n: usize) -> OrgData {
        let team_id = "T0GEN00001";
        let users: Vec<Value> = (0..n).map(|i| generated_user(team_id, i)).collect();
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
            }],
            users,
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
            assert!(org.users.len() >= 60, "{name}: {}", org.users.len());
            assert_eq!(org.plan, Plan::BusinessPlus);
        }
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
