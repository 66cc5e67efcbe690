//! The sandbox must answer as Slack does: its responses are checked against
//! the shapes Slack is recorded sending (the Java SDK's samples and the
//! OpenAPI spec in tests/fixtures/slack-samples), and its protocol
//! behaviour (errors, cursors, 429, scopes header) against Slack's docs.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::Sandbox;

fn fixture(path: &str) -> Value {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/slack-samples")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(full).unwrap()).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every field the sandbox sends must be one Slack sends, with the same
/// JSON type (Slack also sends null in place of most values).
fn assert_shape(ours: &Value, slack: &Value, path: &str) {
    if ours.is_null() {
        return;
    }
    assert_eq!(kind(ours), kind(slack), "{path}: type differs from Slack's");
    match (ours, slack) {
        (Value::Object(o), Value::Object(s)) if !s.is_empty() => {
            for (k, v) in o {
                let Some(sv) = s.get(k) else {
                    panic!("{path}.{k}: Slack's recorded shape has no such field");
                };
                assert_shape(v, sv, &format!("{path}.{k}"));
            }
        }
        (Value::Array(o), Value::Array(s)) if !s.is_empty() => {
            for (i, v) in o.iter().enumerate() {
                // Slack's masked samples union the element shapes.
                let merged = s.iter().fold(json!({}), |mut acc, e| {
                    if let (Some(a), Some(b)) = (acc.as_object_mut(), e.as_object()) {
                        a.extend(b.clone());
                        acc
                    } else {
                        e.clone()
                    }
                });
                assert_shape(v, &merged, &format!("{path}[{i}]"));
            }
        }
        _ => {}
    }
}

/// The union of a user object's fields across Slack's recorded samples.
fn slack_user_shape() -> Value {
    let mut user = fixture("java-sdk/users.list.json")["members"][0].clone();
    let info = fixture("java-sdk/users.info.json")["user"].clone();
    for (k, v) in info.as_object().unwrap() {
        user.as_object_mut()
            .unwrap()
            .entry(k.clone())
            .or_insert(v.clone());
    }
    user
}

fn call(
    sb: &Sandbox,
    method: &str,
    token: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = Sandbox::http()
        .post(format!("{}{method}", sb.api_url))
        .form(form);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.json().unwrap())
}

#[test]
fn responses_have_slacks_recorded_shapes() {
    let sb = Sandbox::bundled();
    let t = Some(sb.token.as_str());

    let (_, headers, page) = call(&sb, "users.list", t, &[("limit", "1000")]);
    assert_eq!(page["ok"], true);
    let mut slack = fixture("java-sdk/users.list.json");
    slack["ok"] = json!(true);
    slack["members"] = json!([slack_user_shape()]);
    assert_shape(&page, &slack, "users.list");
    assert_eq!(page["members"].as_array().unwrap().len(), 67);
    assert!(headers.get("x-oauth-scopes").is_some());

    let (_, _, groups) = call(
        &sb,
        "usergroups.list",
        t,
        &[
            ("include_users", "true"),
            ("include_disabled", "true"),
            ("include_count", "true"),
        ],
    );
    let mut slack = fixture("java-sdk/usergroups.list.json");
    slack["ok"] = json!(true);
    assert_shape(&groups, &slack, "usergroups.list");

    for method in ["auth.test", "team.info"] {
        let (_, _, body) = call(&sb, method, t, &[]);
        let mut slack = fixture(&format!("java-sdk/{method}.json"));
        slack["ok"] = json!(true);
        assert_shape(&body, &slack, method);
    }

    let scim: Value = Sandbox::http()
        .get(format!("{}Users?startIndex=1&count=5", sb.scim_url))
        .bearer_auth(&sb.token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let mut slack = fixture("java-sdk/scim.v2.Users.json");
    slack.as_object_mut().unwrap().remove("Errors");
    for k in ["totalResults", "itemsPerPage", "startIndex"] {
        slack.as_object_mut().unwrap().entry(k).or_insert(json!(1));
    }
    assert_shape(&scim, &slack, "scim Users");
    assert_eq!(scim["Resources"].as_array().unwrap().len(), 5);
}

#[test]
fn errors_come_as_http_200_with_ok_false() {
    let sb = Sandbox::bundled();
    let spec_error = fixture("openapi/users.list.json")["error_example"].clone();

    let (status, _, body) = call(&sb, "users.list", None, &[]);
    assert_eq!((status, &body["error"]), (200, &json!("not_authed")));
    assert_eq!(kind(&body), kind(&spec_error));
    let (_, _, body) = call(&sb, "users.list", Some("xoxp-nope"), &[]);
    assert_eq!(body["error"], "invalid_auth");
    let (_, _, body) = call(
        &sb,
        "users.list",
        Some(&sb.token),
        &[("cursor", "dXNlcjpVMEc5V0ZYTlo=")],
    );
    assert_eq!(body, spec_error, "same as Slack's own example");
    let (_, _, body) = call(
        &sb,
        "users.list",
        Some("xoxp-4000000001-4000000005-sandbox-revoked"),
        &[],
    );
    assert_eq!(body["error"], "token_revoked");
    // A token without the method's scope: Slack names what is needed.
    let (_, headers, body) = call(&sb, "team.info", Some(USERS_ONLY), &[]);
    assert_eq!(body["error"], "missing_scope");
    assert_eq!(body["needed"], "team:read");
    assert_eq!(body["provided"], "users:read");
    assert_eq!(headers["x-oauth-scopes"], "users:read");
    let (_, _, body) = call(&sb, "no.such.method", Some(&sb.token), &[]);
    assert_eq!(body["error"], "unknown_method");
}

const USERS_ONLY: &str = "xoxp-4000000001-4000000008-sandbox-usersonly";

#[test]
fn cursors_are_opaque_and_must_be_url_encoded() {
    let sb = Sandbox::start(&["--generate-users", "1200"]);
    let t = Some(sb.token.as_str());
    let (_, _, first) = call(&sb, "users.list", t, &[("limit", "1000")]);
    let cursor = first["response_metadata"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(cursor.ends_with('='), "{cursor}");
    assert!(cursor.contains('+'), "{cursor}");
    let (_, _, second) = call(
        &sb,
        "users.list",
        t,
        &[("limit", "1000"), ("cursor", &cursor)],
    );
    assert_eq!(second["members"].as_array().unwrap().len(), 200);
    assert_eq!(second["response_metadata"]["next_cursor"], "");
    // A client that forgets to encode sends `+` as a space.
    let raw = format!("{}users.list?limit=1000&cursor={cursor}", sb.api_url);
    let body: Value = Sandbox::http()
        .get(raw)
        .bearer_auth(&sb.token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["error"], "invalid_cursor");
    // Pages are capped at Slack's maximum, and a large org needs a limit.
    let (_, _, capped) = call(&sb, "users.list", t, &[("limit", "5000")]);
    assert_eq!(capped["members"].as_array().unwrap().len(), 1000);
    let (_, _, body) = call(&sb, "users.list", t, &[]);
    assert_eq!(body["error"], "limit_required");
}

#[test]
fn emails_are_hidden_without_users_read_email() {
    let sb = Sandbox::bundled();
    let (_, _, page) = call(
        &sb,
        "users.list",
        Some("xoxp-4000000001-4000000003-sandbox-noemail"),
        &[("limit", "100")],
    );
    assert!(
        page["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["profile"].get("email").is_none())
    );
    let (_, _, page) = call(&sb, "users.list", Some(&sb.token), &[("limit", "100")]);
    assert!(page["members"][0]["profile"]["email"].is_string());
}

#[test]
fn injected_faults_answer_as_slack_and_proxies_do() {
    let sb = Sandbox::bundled();
    sb.fault(json!({"method": "users.list", "kind": "ratelimited", "retry_after": 7}));
    let resp = Sandbox::http()
        .post(format!("{}users.list", sb.api_url))
        .bearer_auth(&sb.token)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    // The fault fired once; the next call is served.
    let (status, _, body) = call(&sb, "users.list", Some(&sb.token), &[]);
    assert_eq!((status, body["ok"].clone()), (200, json!(true)));
    assert_eq!(sb.calls_to("users.list"), 2);

    sb.fault(json!({"method": "team.info", "kind": "drop"}));
    let dropped = Sandbox::http()
        .post(format!("{}team.info", sb.api_url))
        .bearer_auth(&sb.token)
        .send()
        .and_then(|r| r.text());
    assert!(
        dropped.is_err(),
        "a dropped connection must fail the read: {dropped:?}"
    );
}

#[test]
fn scim_answers_only_admin_user_tokens_on_plans_that_have_it() {
    let sb = Sandbox::bundled();
    let get = |token: &str| {
        Sandbox::http()
            .get(format!("{}Users?count=1", sb.scim_url))
            .bearer_auth(token)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(get(&sb.token), 200);
    assert_eq!(get("xoxp-4000000001-4000000004-sandbox-noadmin"), 403);
    assert_eq!(get("xoxb-4000000001-4000000007-sandbox-bot"), 403);
    assert_eq!(get("xoxp-wrong"), 401);
}

/// Check `value` against an OpenAPI 2 schema of `definitions.json`: the
/// required fields are there (but `allowed_missing`, which Slack itself
/// omits in its own examples) and every field the schema describes has its
/// type.
fn assert_schema(
    value: &Value,
    schema: &Value,
    defs: &Value,
    allowed_missing: &[&str],
    path: &str,
) {
    let resolve = |s: &Value| -> Value {
        match s.get("$ref").and_then(|r| r.as_str()) {
            Some(r) if r.starts_with("#/definitions/defs_") => json!({"type": "string"}),
            Some(r) => {
                let name = r.trim_start_matches("#/definitions/");
                defs.get(name).cloned().unwrap_or(json!({"type": "object"}))
            }
            None => s.clone(),
        }
    };
    let schema = resolve(schema);
    let types: Vec<String> = match (&schema["type"], &schema["items"]) {
        (Value::String(t), _) => vec![t.clone()],
        (Value::Array(ts), _) => ts.iter().map(|t| t.as_str().unwrap().to_owned()).collect(),
        (_, Value::Array(alts)) => alts
            .iter()
            .map(|a| resolve(a)["type"].as_str().unwrap_or("string").to_owned())
            .collect(),
        _ => return,
    };
    let fits = |t: &str| match t {
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        _ => true,
    };
    assert!(
        types.iter().any(|t| fits(t)),
        "{path}: {value} is not of type {types:?}"
    );
    if let (Some(obj), Some(props)) = (value.as_object(), schema["properties"].as_object()) {
        for req in schema["required"].as_array().into_iter().flatten() {
            let req = req.as_str().unwrap();
            assert!(
                obj.contains_key(req) || allowed_missing.contains(&req),
                "{path}: required field {req} missing"
            );
        }
        for (k, v) in obj {
            if let Some(p) = props.get(k) {
                assert_schema(v, p, defs, allowed_missing, &format!("{path}.{k}"));
            }
        }
    }
}

#[test]
fn responses_fit_the_openapi_schemas() {
    let sb = Sandbox::bundled();
    let t = Some(sb.token.as_str());
    let defs = fixture("openapi/definitions.json")["definitions"].clone();
    let (_, _, page) = call(&sb, "users.list", t, &[("limit", "1000")]);
    for (i, user) in page["members"].as_array().unwrap().iter().enumerate() {
        // Slack's own users.list example omits is_app_user; so does our data.
        assert_schema(
            user,
            &defs["objs_user"],
            &defs,
            &["is_app_user"],
            &format!("members[{i}]"),
        );
    }
    let (_, _, groups) = call(
        &sb,
        "usergroups.list",
        t,
        &[
            ("include_users", "true"),
            ("include_disabled", "true"),
            ("include_count", "true"),
        ],
    );
    // The 2020 spec requires auto_type; Slack's 2026 recordings no longer have it.
    for (i, g) in groups["usergroups"].as_array().unwrap().iter().enumerate() {
        assert_schema(
            g,
            &defs["objs_subteam"],
            &defs,
            &["auto_type"],
            &format!("usergroups[{i}]"),
        );
    }
    let (_, _, team) = call(&sb, "team.info", t, &[]);
    assert_schema(&team["team"], &defs["objs_team"], &defs, &[], "team");

    // The generated org of the benchmark fits too.
    let generated = Sandbox::start(&["--generate-users", "300"]);
    let gt = Some(generated.token.as_str());
    let (_, _, page) = call(&generated, "users.list", gt, &[("limit", "1000")]);
    for (i, user) in page["members"].as_array().unwrap().iter().enumerate() {
        assert_schema(
            user,
            &defs["objs_user"],
            &defs,
            &[],
            &format!("generated[{i}]"),
        );
    }
    let (_, _, groups) = call(
        &generated,
        "usergroups.list",
        gt,
        &[("include_users", "true")],
    );
    for (i, g) in groups["usergroups"].as_array().unwrap().iter().enumerate() {
        assert_schema(
            g,
            &defs["objs_subteam"],
            &defs,
            &["auto_type"],
            &format!("generated groups[{i}]"),
        );
    }
}

#[test]
fn writes_change_what_the_next_read_sees() {
    let sb = Sandbox::bundled();
    let t = Some(sb.token.as_str());
    // usergroups.users.update replaces the member list.
    let (_, _, before) = call(
        &sb,
        "usergroups.users.list",
        t,
        &[("usergroup", "S04KONCAL")],
    );
    let members: Vec<String> = serde_json::from_value(before["users"].clone()).unwrap();
    assert_eq!(members.len(), 3);
    let kept = members[1..].join(",");
    let (_, _, updated) = call(
        &sb,
        "usergroups.users.update",
        t,
        &[("usergroup", "S04KONCAL"), ("users", &kept)],
    );
    assert_eq!(updated["ok"], true, "{updated}");
    let (_, _, after) = call(
        &sb,
        "usergroups.users.list",
        t,
        &[("usergroup", "S04KONCAL")],
    );
    assert_eq!(after["users"], json!(members[1..]));
    let (_, _, empty) = call(
        &sb,
        "usergroups.users.update",
        t,
        &[("usergroup", "S04KONCAL"), ("users", "")],
    );
    assert_eq!(empty["error"], "no_users_provided");
    let (_, _, unknown) = call(
        &sb,
        "usergroups.users.update",
        t,
        &[("usergroup", "S04KONCAL"), ("users", "UNOBODY")],
    );
    assert_eq!(unknown["error"], "invalid_users");
    let (_, _, missing) = call(&sb, "usergroups.users.list", t, &[("usergroup", "S0NOPE")]);
    assert_eq!(missing["error"], "no_such_subteam");
    let (_, _, denied) = call(
        &sb,
        "usergroups.users.update",
        Some(USERS_ONLY),
        &[("usergroup", "S04KONCAL"), ("users", "U04K00001")],
    );
    assert_eq!(denied["needed"], "usergroups:write");

    // SCIM deactivation shows as deleted in the Web API.
    let patch = |id: &str| {
        Sandbox::http()
            .patch(format!("{}Users/{id}", sb.scim_url))
            .bearer_auth(&sb.token)
            .json(&json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": false}]
            }))
            .send()
            .unwrap()
    };
    assert_eq!(patch("U04K00046").status().as_u16(), 200);
    let (_, _, info) = call(&sb, "users.info", t, &[("user", "U04K00046")]);
    assert_eq!(info["user"]["deleted"], true);
    let scim_user: Value = Sandbox::http()
        .get(format!("{}Users/U04K00046", sb.scim_url))
        .bearer_auth(&sb.token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(scim_user["active"], false);
    let primary = patch("U04K00001");
    assert_eq!(primary.status().as_u16(), 403);
    assert_eq!(
        primary.json::<Value>().unwrap()["Errors"]["description"],
        "cannot_modify_primary_owner"
    );
    assert_eq!(patch("UNOBODY").status().as_u16(), 404);
    let deleted = Sandbox::http()
        .delete(format!("{}Users/U04K00047", sb.scim_url))
        .bearer_auth(&sb.token)
        .send()
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let (_, _, info) = call(&sb, "users.info", t, &[("user", "U04K00047")]);
    assert_eq!(info["user"]["deleted"], true);
    let calls = sb.calls();
    assert_eq!(calls["scim:PATCH Users/{id}"], 3);
    assert_eq!(calls["usergroups.users.update"], 4);
}

#[test]
fn admin_methods_exist_only_on_grid() {
    let sb = Sandbox::bundled();
    let (_, _, body) = call(
        &sb,
        "admin.users.remove",
        Some(&sb.token),
        &[("team_id", "T04KSTRL9"), ("user_id", "U04K00046")],
    );
    assert_eq!(body["error"], "feature_not_enabled");
    let (_, _, teams) = call(&sb, "auth.teams.list", Some(&sb.token), &[]);
    assert_eq!(teams["teams"][0]["id"], "T04KSTRL9", "{teams}");
}

const ORG: &str = "xoxp-5000000001-5000000003-sandbox-org";

/// The Grid sample's shapes are Slack's, and its reads follow Slack's rules
/// for org tokens.
#[test]
fn grid_reads_answer_as_slack_does() {
    let sb = Sandbox::start(&["--sample", "corvid-q3"]);
    assert_eq!(sb.token, ORG);
    let t = Some(ORG);
    let (_, _, auth) = call(&sb, "auth.test", t, &[]);
    assert_eq!(
        (&auth["enterprise_id"], &auth["is_enterprise_install"]),
        (&json!("E0CORVID1"), &json!(true))
    );

    let (_, _, teams) = call(&sb, "admin.teams.list", t, &[("limit", "3")]);
    let mut slack = fixture("java-sdk/admin.teams.list.json");
    slack["ok"] = json!(true);
    assert_shape(&teams, &slack, "admin.teams.list");
    assert_eq!(teams["teams"].as_array().unwrap().len(), 3);
    let cursor = teams["response_metadata"]["next_cursor"].as_str().unwrap();
    let (_, _, rest) = call(&sb, "admin.teams.list", t, &[("cursor", cursor)]);
    assert_eq!(rest["teams"][0]["id"], "T0CRVOPS1");
    assert_eq!(rest["teams"][0]["primary_owner"]["user_id"], "W0C000006");
    let (_, _, bad) = call(&sb, "admin.teams.list", t, &[("limit", "1001")]);
    assert_eq!(bad["error"], "invalid_limit");

    // Per-workspace methods need team_id from an org token, and only for
    // the workspaces its app is approved for.
    let (_, _, missing) = call(&sb, "users.list", t, &[("limit", "10")]);
    assert_eq!(missing["error"], "missing_argument");
    let (_, _, listed) = call(&sb, "users.list", t, &[("team_id", "T0CRVENG1")]);
    let members = listed["members"].as_array().unwrap();
    assert!(members.iter().all(|m| m.get("sandbox_roles").is_none()));
    let raj = members.iter().find(|m| m["id"] == "W0C000008").unwrap();
    assert_eq!(raj["is_admin"], true, "an admin in Engineering");
    let (_, _, hq) = call(&sb, "users.list", t, &[("team_id", "T0CRVHQ01")]);
    let raj = hq["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "W0C000008");
    assert_eq!(raj.unwrap()["is_admin"], false, "a member in HQ");
    let narrow = "xoxp-5000000001-5000000003-sandbox-noteams";
    let (_, _, denied) = call(
        &sb,
        "usergroups.list",
        Some(narrow),
        &[("team_id", "T0CRVSLS1")],
    );
    assert_eq!(denied["error"], "team_access_not_granted");
    let (_, _, approved) = call(&sb, "auth.teams.list", Some(narrow), &[]);
    let mut slack = fixture("java-sdk/auth.teams.list.json");
    slack["ok"] = json!(true);
    assert_shape(&approved, &slack, "auth.teams.list");
    assert_eq!(approved["teams"].as_array().unwrap().len(), 2);
    let (_, _, scoped) = call(&sb, "admin.teams.list", Some(narrow), &[]);
    assert_eq!(scoped["error"], "missing_scope");
    assert_eq!(scoped["needed"], "admin.teams:read");

    // The roster: org roles without team_id, that workspace's with it.
    let (_, _, roster) = call(&sb, "admin.users.list", t, &[("limit", "1000")]);
    let mut slack = fixture("java-sdk/admin.users.list.json");
    slack["ok"] = json!(true);
    assert_shape(&roster, &slack, "admin.users.list");
    let users = roster["users"].as_array().unwrap();
    assert!(users.iter().all(|u| u["is_active"] == true));
    let dana = users.iter().find(|u| u["id"] == "W0C000003").unwrap();
    assert_eq!(
        (
            &dana["is_admin"],
            dana["workspaces"].as_array().unwrap().len()
        ),
        (&json!(true), 4)
    );
    let (_, _, gone) = call(&sb, "admin.users.list", t, &[("is_active", "false")]);
    assert_eq!(gone["users"].as_array().unwrap().len(), 2);
    let (_, _, admins) = call(
        &sb,
        "admin.users.list",
        t,
        &[
            ("team_id", "T0CRVSLS1"),
            ("include_admins", "true"),
            ("include_owners", "true"),
        ],
    );
    let mut ids: Vec<&str> = admins["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    ids.sort();
    // Org owners and admins in Sales, its primary owner, its admin.
    assert_eq!(ids, ["W0C000001", "W0C000003", "W0C000005", "W0C000009"]);
    let (_, _, nope) = call(&sb, "admin.users.list", t, &[("team_id", "T0NOWHERE")]);
    assert_eq!(nope["error"], "team_not_found");

    let (_, _, roles) = call(&sb, "admin.roles.listAssignments", t, &[("limit", "2")]);
    let mut slack = fixture("java-sdk/admin.roles.listAssignments.json");
    slack["ok"] = json!(true);
    assert_shape(&roles, &slack, "admin.roles.listAssignments");
    assert_eq!(roles["role_assignments"].as_array().unwrap().len(), 2);
    let (_, _, eng) = call(
        &sb,
        "admin.roles.listAssignments",
        t,
        &[("role_ids", "Rl01"), ("entity_ids", "T0CRVENG1")],
    );
    assert_eq!(eng["role_assignments"].as_array().unwrap().len(), 2);

    // Admin methods are for org admins and owners.
    let member = "xoxp-5000000001-5000000008-sandbox-member";
    let (_, _, refused) = call(&sb, "admin.users.list", Some(member), &[]);
    assert_eq!(refused["error"], "not_an_admin");
}

/// The Grid writes change what the reads show, and refuse what Slack refuses.
#[test]
fn grid_writes_follow_slacks_rules() {
    let sb = Sandbox::start(&["--sample", "corvid-q3"]);
    let t = Some(ORG);
    let write = |method: &str, args: &[(&str, &str)]| {
        let (_, _, body) = call(&sb, method, t, args);
        body
    };
    let teams_of = |user: &str| {
        let (_, _, info) = call(&sb, "users.info", t, &[("user", user)]);
        info["user"]["enterprise_user"]["teams"].clone()
    };

    let ok = write(
        "admin.users.remove",
        &[("team_id", "T0CRVSLS1"), ("user_id", "W0C000021")],
    );
    let mut slack = fixture("java-sdk/admin.users.remove.json");
    slack["ok"] = json!(true);
    assert_shape(&ok, &slack, "admin.users.remove");
    assert_eq!(ok["ok"], true, "{ok}");
    assert_eq!(teams_of("W0C000021"), json!(["T0CRVHQ01", "T0CRVENG1"]));
    let (_, _, group) = call(
        &sb,
        "usergroups.users.list",
        t,
        &[("usergroup", "S0CSLSAEX"), ("team_id", "T0CRVSLS1")],
    );
    assert!(
        !group["users"]
            .as_array()
            .unwrap()
            .contains(&json!("W0C000021"))
    );
    let again = write(
        "admin.users.remove",
        &[("team_id", "T0CRVSLS1"), ("user_id", "W0C000021")],
    );
    assert_eq!(again["error"], "user_not_found");
    let primary = write(
        "admin.users.remove",
        &[("team_id", "T0CRVSLS1"), ("user_id", "W0C000005")],
    );
    assert_eq!(primary["error"], "cannot_modify_primary_owner");
    let no_team = write("admin.users.remove", &[("user_id", "W0C000021")]);
    assert_eq!(no_team["error"], "missing_argument");

    let demoted = write(
        "admin.users.setRegular",
        &[("team_id", "T0CRVENG1"), ("user_id", "W0C000008")],
    );
    assert_eq!(demoted["ok"], true, "{demoted}");
    let org_admin = write(
        "admin.users.setRegular",
        &[("team_id", "T0CRVENG1"), ("user_id", "W0C000012")],
    );
    assert_eq!(
        org_admin["error"],
        "cannot_set_org_admin_to_regular_at_workspace_level"
    );
    let to_admin = write(
        "admin.users.setAdmin",
        &[("team_id", "T0CRVENG1"), ("user_id", "W0C000007")],
    );
    assert_eq!(to_admin["ok"], true);
    let (_, _, admins) = call(
        &sb,
        "admin.users.list",
        t,
        &[
            ("team_id", "T0CRVENG1"),
            ("include_admins", "true"),
            ("include_owners", "true"),
        ],
    );
    let nina = admins["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "W0C000007")
        .unwrap();
    assert_eq!(
        (&nina["is_admin"], &nina["is_owner"]),
        (&json!(true), &json!(false))
    );
    assert!(
        !admins["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == "W0C000008")
    );

    let eleven = (0..11)
        .map(|i| format!("W{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let many = write(
        "admin.roles.removeAssignments",
        &[
            ("role_id", "Rl0A"),
            ("entity_ids", "E0CORVID1"),
            ("user_ids", &eleven),
        ],
    );
    assert_eq!(many["error"], "too_many_users");
    let bad_role = write(
        "admin.roles.removeAssignments",
        &[
            ("role_id", "Rl9Z"),
            ("entity_ids", "E0CORVID1"),
            ("user_ids", "W0C000004"),
        ],
    );
    assert_eq!(bad_role["error"], "invalid_role_id");
    let done = write(
        "admin.roles.removeAssignments",
        &[
            ("role_id", "Rl0A"),
            ("entity_ids", "E0CORVID1"),
            ("user_ids", "W0C000004,W0C000011"),
        ],
    );
    assert_eq!(done["ok"], true);
    let (_, _, left) = call(
        &sb,
        "admin.roles.listAssignments",
        t,
        &[("role_ids", "Rl0A")],
    );
    assert_eq!(
        left["role_assignments"].as_array().unwrap().len(),
        1,
        "only the one on Operations"
    );

    let update = write(
        "usergroups.users.update",
        &[("usergroup", "S0CENGONC"), ("users", "W0C000008,W0C000013")],
    );
    assert_eq!(
        update["error"], "missing_argument",
        "an org token names the workspace"
    );
}
