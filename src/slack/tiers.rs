//! Slack's rate-limit tiers: which tier each Web API method slack-uar calls
//! is in, and how many calls a minute a tier allows. A fact of Slack's API,
//! not of either side: the client paces itself by it and the sandbox
//! enforces it.

/// Slack's rate-limit tier of each Web API method slack-uar calls, as the
/// Java SDK's table (`metadata/web-api/rate_limit_tiers.json`) has them.
pub fn rate_limit_tier(method: &str) -> Option<u8> {
    Some(match method {
        "admin.roles.removeAssignments"
        | "admin.users.remove"
        | "admin.users.setAdmin"
        | "admin.users.setRegular"
        | "auth.teams.list"
        | "team.accessLogs"
        | "usergroups.list"
        | "usergroups.users.list"
        | "usergroups.users.update"
        | "users.list" => 2,
        "admin.roles.listAssignments" | "admin.teams.list" | "admin.users.list" | "team.info" => 3,
        "users.info" => 4,
        _ => return None,
    })
}

/// Calls a minute Slack allows each method of `tier` ("Tier 2: 20+ per
/// minute", and so on, in Slack's rate-limit documentation).
pub fn calls_per_minute(tier: u8) -> f64 {
    match tier {
        1 => 1.0,
        2 => 20.0,
        3 => 50.0,
        _ => 100.0,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn tiers_match_slacks_table() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/slack-samples/java-sdk/rate_limit_tiers.json"
        );
        let table: HashMap<String, String> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut checked = 0;
        for (method, tier) in &table {
            if let Some(ours) = rate_limit_tier(method) {
                assert_eq!(format!("Tier{ours}"), *tier, "{method}");
                checked += 1;
            }
        }
        assert_eq!(checked, 15, "every method in our table is in Slack's");
    }
}
