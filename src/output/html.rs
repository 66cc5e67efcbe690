//! The review as one self-contained HTML page (README, "For auditors"): no script,
//! no font or image from elsewhere; charts are inline SVG drawn here; a
//! print stylesheet lays it out on paper. maud escapes every value.
//!
//! Every figure that comes from the database carries a `data-key`
//! attribute naming what it counts, so that a test (or an auditor's script)
//! can read the page's numbers back and check them against the database.

use std::collections::BTreeMap;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::domain::changes::Category;
use crate::output::views::{describe, who};
use crate::workflow::review_report::ReviewReport;

/// Rows shown per long table; the rest are counted and left to the CLI.
const MAX_TABLE_ROWS: usize = 2000;

const STYLE: &str = r#"
:root { --ink:#1d1d1f; --muted:#5f6368; --rule:#d9dce1; --bg:#fff; --band:#f5f6f8; --bad:#b3261e; --good:#1e7d32; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; padding-top: 8px; border-top: 2px solid var(--ink); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.meta, .muted { color: var(--muted); }
nav { margin: 12px 0 0; }
nav a { margin-right: 14px; color: var(--ink); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { background: var(--band); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
code, .hash { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.figure { border: 1px solid var(--rule); border-radius: 6px; padding: 8px 14px; min-width: 140px; }
.figure .v { font-size: 22px; font-weight: 600; display: block; }
.bad { color: var(--bad); font-weight: 600; }
.good { color: var(--good); }
svg.chart { display: block; max-width: 100%; height: auto; margin: 8px 0; }
svg.chart text { font: 12px system-ui, sans-serif; fill: var(--ink); }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: baseline; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  h2 { break-before: page; }
  section:first-of-type h2 { break-before: auto; }
  h2, h3 { break-after: avoid; }
  tr, .figure, svg.chart { break-inside: avoid; }
  thead { display: table-header-group; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  @page { margin: 14mm; @bottom-right { content: counter(page) " / " counter(pages); } }
}
"#;

/// Colours that stay apart in print and for the common colour blindnesses.
const PALETTE: [&str; 8] = [
    "#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb", "#222255",
];

/// One bar of a stacked bar chart: its label, and a value per series.
struct Bar {
    label: String,
    parts: Vec<u64>,
}

/// A horizontal stacked bar chart, one bar per row, as inline SVG.
fn stacked_bars(title: &str, series: &[&str], bars: &[Bar]) -> Markup {
    const LABEL_W: f64 = 230.0;
    const BAR_W: f64 = 560.0;
    const ROW_H: f64 = 24.0;
    let max = bars
        .iter()
        .map(|b| b.parts.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let width = LABEL_W + BAR_W + 70.0;
    let height = ROW_H * bars.len() as f64 + 8.0;
    let color = |i: usize| PALETTE[i % PALETTE.len()];
    html! {
        div.legend {
            @for (i, name) in series.iter().enumerate() {
                span { i style={ "background:" (color(i)) } {} (name) }
            }
        }
        svg.chart xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(title)
            viewBox={ "0 0 " (width) " " (height) } width=(width) height=(height) {
            title { (title) }
            @for (row, bar) in bars.iter().enumerate() {
                @let y = row as f64 * ROW_H + 4.0;
                @let total: u64 = bar.parts.iter().sum();
                @let segments = segments(&bar.parts, LABEL_W, BAR_W / max);
                text x=(LABEL_W - 8.0) y=(y + 15.0) text-anchor="end" { (clip(&bar.label, 34)) }
                @for (i, x, w) in &segments {
                    rect x=(x) y=(y) width=(w) height=(ROW_H - 6.0) fill=(color(*i)) {
                        title { (bar.label) ", " (series[*i]) ": " (bar.parts[*i]) }
                    }
                }
                text x=(LABEL_W + total as f64 * BAR_W / max + 6.0) y=(y + 15.0) { (total) }
            }
        }
    }
}

/// Where each non-zero part of a bar starts and how wide it is.
fn segments(parts: &[u64], start: f64, scale: f64) -> Vec<(usize, f64, f64)> {
    let mut x = start;
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if *part > 0 {
            let w = *part as f64 * scale;
            out.push((i, x, w));
            x += w;
        }
    }
    out
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

fn more(shown: usize, total: usize, hint: &str) -> Markup {
    html! {
        @if total > shown {
            p.muted { "… and " (total - shown) " more; " (hint) "." }
        }
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// The whole page.
pub fn render(r: &ReviewReport) -> String {
    let info = &r.snapshot.info;
    let title = format!("Slack access review: snapshot {}", r.snapshot_id);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={ "slack-uar " (r.tool_version) };
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { (title) @if let Some(label) = &info.label { " (" (label) ")" } }
                    p.meta {
                        "Plan " strong { (r.snapshot.plan.as_str()) } ". Read from Slack from "
                        (info.started_at) " to " (r.snapshot.finished_at) " in "
                        span data-key="api_calls" { (info.api_calls) } " API calls. "
                        @match r.baseline {
                            Some(b) => { "Baseline: snapshot " span data-key="baseline" { (b) } ". " },
                            None => { "No baseline: this is the first complete snapshot. " },
                        }
                        "Generated " (r.generated_at) " by slack-uar " (r.tool_version) "."
                    }
                    @if let Some(note) = &info.coverage_note {
                        p.bad { "Coverage: " (note) }
                    }
                    nav {
                        a href="#population" { "Population" }
                        a href="#privileged" { "Privileged" }
                        a href="#changes" { "Changes" }
                        a href="#findings" { "Findings" }
                        a href="#campaign" { "Decisions" }
                        a href="#remediation" { "Remediation" }
                        a href="#files" { "Files" }
                    }
                }
                (figures(r))
                (population(r))
                (privileged(r))
                (changes(r))
                (findings(r))
                (campaign(r))
                (remediation(r))
                (files(r))
                footer.muted {
                    p {
                        "To check this review without trusting whoever ran it: "
                        code { "slack-uar verify FILE.manifest.json" } " re-checks each sheet against the database, "
                        code { "sha256sum" } " checks each file against the table above, and the evidence bundle "
                        "holds the snapshot's data as CSV (README, \"For auditors\")."
                    }
                }
            }
        }
    }
    .into_string()
}

fn figures(r: &ReviewReport) -> Markup {
    let accounts: i64 = r.snapshot.info.counts.users;
    let done = r
        .runs
        .iter()
        .flat_map(|run| &run.revocations)
        .filter(|v| v.status == "done")
        .count();
    let figure = |label: &str, key: &str, value: String| {
        html! { div.figure { span.v data-key=(key) { (value) } (label) } }
    };
    html! {
        div.figures {
            (figure("accounts", "accounts", accounts.to_string()))
            (figure("grants reviewed", "grants", r.grants.to_string()))
            (figure("privileged grants", "privileged", r.privileged.len().to_string()))
            (figure("findings", "findings", r.findings.findings.len().to_string()))
            (figure("revocations done", "revocations_done", done.to_string()))
        }
    }
}

fn population(r: &ReviewReport) -> Markup {
    let types: Vec<&str> = {
        let mut t: Vec<&str> = r
            .workspaces
            .iter()
            .map(|w| w.account_type.as_str())
            .collect();
        t.sort_unstable();
        t.dedup();
        t
    };
    // One row per workspace (org-wide grants last), one column per type.
    let mut rows: BTreeMap<(bool, String), (String, Vec<u64>)> = BTreeMap::new();
    for w in &r.workspaces {
        let id = w.team_id.clone().unwrap_or_default();
        let label = match (&w.team_id, &w.name) {
            (None, _) => "(organization)".to_owned(),
            (Some(id), Some(name)) => format!("{name} ({id})"),
            (Some(id), None) => id.clone(),
        };
        let row = rows
            .entry((w.team_id.is_none(), id))
            .or_insert_with(|| (label, vec![0; types.len()]));
        let at = types.iter().position(|t| *t == w.account_type).unwrap();
        row.1[at] = w.accounts as u64;
    }
    let bars: Vec<Bar> = rows
        .values()
        .map(|(label, parts)| Bar {
            label: label.clone(),
            parts: parts.clone(),
        })
        .collect();
    let accounts = &r.snapshot.info;
    html! {
        section #population {
            h2 { "Population" }
            p {
                "Accounts holding at least one grant, by workspace and account type. The snapshot holds "
                (accounts.counts.users) " accounts (deactivated ones included) and " (r.grants)
                " grants, each a row of the review sheet."
            }
            (stacked_bars("Accounts by workspace and account type", &types, &bars))
            table {
                thead { tr { th { "Workspace" } @for t in &types { th.n { (t) } } } }
                tbody {
                    @for ((_, id), (label, parts)) in &rows {
                        tr {
                            td { (label) }
                            @for (t, n) in types.iter().zip(parts) {
                                td.n data-key={ "workspace_accounts|" (id) "|" (t) } { (n) }
                            }
                        }
                    }
                }
            }
            h3 { "Accounts by type" }
            table {
                thead { tr { th { "Account type" } th.n { "Accounts" } } }
                tbody {
                    @for (t, n) in &r.accounts_by_type {
                        tr { td { (t) } td.n data-key={ "accounts_by_type|" (t) } { (n) } }
                    }
                }
            }
        }
    }
}

fn privileged(r: &ReviewReport) -> Markup {
    let shown = r.privileged.len().min(MAX_TABLE_ROWS);
    html! {
        section #privileged {
            h2 { "Privileged accounts" }
            p { (r.privileged.len()) " privileged grants: workspace admins, owners and primary owners, and Grid org roles." }
            table {
                thead { tr { th { "Person" } th { "Email" } th { "Account" } th { "Grant" } th { "Workspace" } } }
                tbody {
                    @for g in &r.privileged[..shown] {
                        tr data-row="privileged" {
                            td { (opt(&g.name)) br; code { (g.user_id) } }
                            td { (opt(&g.email)) }
                            td { (g.account_type) @if g.account_status != "active" { " (" (g.account_status) ")" } }
                            td { code { (g.entitlement) } }
                            td { (g.workspace_name.as_deref().or(g.workspace_id.as_deref()).unwrap_or("(organization)")) }
                        }
                    }
                }
            }
            (more(shown, r.privileged.len(), "the review sheet lists them all"))
        }
    }
}

fn changes(r: &ReviewReport) -> Markup {
    let Some(diff) = &r.changes else {
        return html! {
            section #changes {
                h2 { "Changes since the baseline" }
                p.muted { "No baseline: there is no complete snapshot before this one." }
            }
        };
    };
    let mut by: BTreeMap<Category, Vec<usize>> = BTreeMap::new();
    for (i, e) in diff.changes.iter().enumerate() {
        by.entry(e.category).or_default().push(i);
    }
    html! {
        section #changes {
            h2 { "Changes since the baseline" }
            p { (diff.changes.len()) " changes from snapshot " (diff.from) " to snapshot " (diff.to) "." }
            table {
                thead { tr { th { "Kind" } th.n { "Changes" } } }
                tbody {
                    @for (category, at) in &by {
                        tr { td { (category.title()) } td.n data-key={ "changes|" (category_key(*category)) } { (at.len()) } }
                    }
                }
            }
            @for (category, at) in &by {
                @let shown = at.len().min(MAX_TABLE_ROWS);
                h3 { (category.title()) }
                table {
                    thead { tr { th { "Person" } th { "User" } th { "Change" } } }
                    tbody {
                        @for i in &at[..shown] {
                            @let e = &diff.changes[*i];
                            tr data-row={ "change|" (category_key(*category)) } {
                                td { (who(e)) }
                                td { code { (e.change.user_id()) } }
                                td { (change_text(&e.change)) }
                            }
                        }
                    }
                }
                (more(shown, at.len(), "`slack-uar diff` lists them all"))
            }
        }
    }
}

fn category_key(c: Category) -> &'static str {
    match c {
        Category::NewPrivilege => "new_privilege",
        Category::NewGuest => "new_guest",
        Category::Deactivation => "deactivation",
        Category::RemovedPrivilege => "removed_privilege",
        Category::Other => "other",
    }
}

fn change_text(c: &crate::domain::changes::Change) -> String {
    use crate::domain::changes::Change;
    match c {
        Change::Added { entitlement, .. } => format!("added {}", describe(entitlement)),
        Change::Removed { entitlement, .. } => format!("removed {}", describe(entitlement)),
        Change::Changed {
            field, old, new, ..
        } => format!(
            "{field}: {} → {}",
            old.as_deref().unwrap_or("(none)"),
            new.as_deref().unwrap_or("(none)")
        ),
    }
}

fn findings(r: &ReviewReport) -> Markup {
    let f = &r.findings;
    let mut by: BTreeMap<&str, u64> = BTreeMap::new();
    for x in &f.findings {
        *by.entry(x.kind.as_str()).or_default() += 1;
    }
    let bars: Vec<Bar> = by
        .iter()
        .map(|(k, n)| Bar {
            label: (*k).to_owned(),
            parts: vec![*n],
        })
        .collect();
    let shown = f.findings.len().min(MAX_TABLE_ROWS);
    html! {
        section #findings {
            h2 { "Findings" }
            p {
                @match &f.roster {
                    Some(roster) => { "Checked against the HR roster " code { (roster.file) } " (" (roster.people) " people, SHA-256 " span.hash { (roster.sha256) } "). " },
                    None => { "No HR roster was given: leavers and accounts without an HR record were not looked for. " },
                }
                @if f.dormancy.checked {
                    "Dormancy: active people unseen in the access logs for " (f.dormancy.days) " days"
                    @if let Some(since) = &f.dormancy.logs_since { " (the logs reach back to " (since) ")" } ". "
                } @else {
                    "Dormancy was not checked: " (opt(&f.dormancy.reason)) ". "
                }
            }
            @if f.findings.is_empty() {
                p.good { "Nothing was found." }
            } @else {
                (stacked_bars("Findings by kind", &["accounts"], &bars))
                table {
                    thead { tr { th { "Kind" } th.n { "Findings" } } }
                    tbody {
                        @for (k, n) in &by {
                            tr { td { (k) } td.n data-key={ "findings|" (k) } { (n) } }
                        }
                    }
                }
                table {
                    thead { tr { th { "Kind" } th { "Person" } th { "Email" } th { "Account" } th { "Detail" } } }
                    tbody {
                        @for x in &f.findings[..shown] {
                            tr data-row="finding" {
                                td { (x.kind.as_str()) }
                                td { (opt(&x.name)) br; code { (x.user_id) } }
                                td { (opt(&x.email)) }
                                td { (x.account_type.as_str()) }
                                td { (x.detail) }
                            }
                        }
                    }
                }
                (more(shown, f.findings.len(), "`slack-uar findings` lists them all"))
            }
        }
    }
}

fn campaign(r: &ReviewReport) -> Markup {
    let Some(c) = &r.campaign else {
        return html! {
            section #campaign {
                h2 { "Decisions" }
                p.muted { "No reviewed sheets were given (" code { "--sheets FILE..." } "): the campaign's decisions are not shown." }
            }
        };
    };
    let bars: Vec<Bar> = c
        .reviewers
        .iter()
        .map(|p| Bar {
            label: reviewer_label(&p.reviewer),
            parts: vec![
                (p.decided - p.revoke) as u64,
                p.revoke as u64,
                p.undecided as u64,
            ],
        })
        .collect();
    html! {
        section #campaign {
            h2 { "Decisions by reviewer" }
            p {
                "From " (c.files.len()) " reviewed file(s): " (c.in_files) " of the snapshot's " (c.population) " grants"
                @if c.missing > 0 { ", " span.bad data-key="campaign_missing" { (c.missing) } " missing from every file" }
                "."
            }
            (stacked_bars("Decisions by reviewer", &["keep", "revoke", "undecided"], &bars))
            table {
                thead { tr { th { "Reviewer" } th.n { "Rows" } th.n { "Keep" } th.n { "Revoke" } th.n { "Undecided" } } }
                tbody {
                    @for p in c.reviewers.iter().chain([&c.total]) {
                        @let key = if std::ptr::eq(p, &c.total) { "(all)".to_owned() } else { p.reviewer.clone() };
                        tr {
                            td { (reviewer_label(&p.reviewer)) }
                            td.n data-key={ "campaign|" (key) "|assigned" } { (p.assigned) }
                            td.n data-key={ "campaign|" (key) "|keep" } { (p.decided - p.revoke) }
                            td.n data-key={ "campaign|" (key) "|revoke" } { (p.revoke) }
                            td.n data-key={ "campaign|" (key) "|undecided" } { (p.undecided) }
                        }
                    }
                }
            }
        }
    }
}

fn reviewer_label(reviewer: &str) -> String {
    if reviewer.is_empty() {
        "(no reviewer)".to_owned()
    } else {
        reviewer.to_owned()
    }
}

fn remediation(r: &ReviewReport) -> Markup {
    html! {
        section #remediation {
            h2 { "Remediation" }
            @if r.runs.is_empty() {
                p.muted { "apply has not been run on this snapshot." }
            }
            @for run in &r.runs {
                h3 {
                    "Run " (run.run.id) ": "
                    @if run.run.executed { "executed" } @else { "dry run" }
                    ", " (run.run.started_at) " to " (run.run.finished_at.as_deref().unwrap_or("(did not finish)"))
                }
                p {
                    "Sheet " code { (run.run.sheet_file) } " (SHA-256 " span.hash { (run.run.sheet_sha256) } "), by "
                    (run.run.run_by_name.as_deref().or(run.run.run_by_user_id.as_deref()).unwrap_or("(unknown)"))
                    ": " (run.run.revoke_rows) " revoke, " (run.run.keep_rows) " keep, " (run.run.undecided_rows) " undecided."
                }
                @if !run.revocations.is_empty() {
                    table {
                        thead { tr { th { "Row" } th { "User" } th { "Grant" } th { "Action" } th { "Status" } th { "Verified" } th { "When" } th { "Detail" } } }
                        tbody {
                            @for v in &run.revocations {
                                tr data-row="revocation" data-status=(v.status) data-verified=(v.verified) {
                                    td { code { (v.row_id) } }
                                    td { code { (v.user_id) } }
                                    td { code { (v.entitlement) } }
                                    td { (v.action) }
                                    td class=(if matches!(v.status.as_str(), "failed" | "in_flight") { "bad" } else { "" }) { (v.status) }
                                    td { @if v.verified { "yes" } @else { "no" } }
                                    td { (opt(&v.performed_at)) }
                                    td { (opt(&v.detail)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn files(r: &ReviewReport) -> Markup {
    html! {
        section #files {
            h2 { "Files and their SHA-256" }
            p { "Files read now are hashed now; sheets that apply ran on show the hash apply recorded." }
            table {
                thead { tr { th { "What" } th { "File" } th.n { "Bytes" } th { "SHA-256" } } }
                tbody {
                    @for f in &r.files {
                        tr data-row="file" {
                            td { (f.role) }
                            td { code { (f.file) } }
                            td.n { @if let Some(b) = f.bytes { (b) } }
                            td.hash { (f.sha256) }
                        }
                    }
                }
            }
        }
    }
}
