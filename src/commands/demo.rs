//! `slack-uar demo`: a quarterly review against the sandbox, narrated, so a
//! new user sees the whole cycle on sample data without a Slack token.

use std::time::Instant;

use super::{Context, stop_signal};
use crate::cli::{DemoArgs, DemoPlan};
use crate::error::{Error, exit};
use crate::output::{Format, html, progress::SyncSpinner, views};
use crate::sandbox::{OrgData, Sandbox};
use crate::sheet::xlsx::XlsxSheet;
use crate::sheet::{sheet_writer, unguard};
use crate::signing;
use crate::slack::Token;
use crate::store::{OpenMode, Store};
use crate::workflow::bundle::{self, EvidenceRequest};
use crate::workflow::findings::{self, DEFAULT_DORMANT_DAYS, FindingsRequest};
use crate::workflow::remediation::{self, ApplyRequest};
use crate::workflow::review_report::{self, ReportRequest};
use crate::workflow::review_sheet::{self, ExportRequest};
use crate::workflow::{collection, comparison, snapshot};

/// Fill the decision column as the demo's reviewers would: revoke the
/// given (user name, entitlement) rows, keep the rest.
fn review_sheet(
    from: &std::path::Path,
    to: &std::path::Path,
    revoke: &[(&str, &str)],
) -> Result<(), Error> {
    let io = |source| Error::WriteFile {
        path: to.to_owned(),
        source,
    };
    let mut reader = csv::Reader::from_path(from).map_err(|e| io(std::io::Error::other(e)))?;
    let headers = reader
        .headers()
        .map_err(|e| io(std::io::Error::other(e)))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .expect("an exported column")
    };
    let (user, entitlement, decision) = (col("user_name"), col("entitlement"), col("decision"));
    let file = crate::files::create_private(to).map_err(io)?;
    let mut writer = sheet_writer(file).map_err(io)?;
    writer
        .write_record(&headers)
        .map_err(|e| io(std::io::Error::other(e)))?;
    for record in reader.records() {
        let record = record.map_err(|e| io(std::io::Error::other(e)))?;
        let mut cells: Vec<String> = record.iter().map(str::to_owned).collect();
        let revoked = revoke.contains(&(&record[user], &record[entitlement]));
        cells[decision] = if revoked { "revoke" } else { "keep" }.to_owned();
        writer
            .write_record(&cells)
            .map_err(|e| io(std::io::Error::other(e)))?;
    }
    writer.flush().map_err(io)
}

/// The reviewer who answers in Excel: their filled CSV saved as a workbook
/// (as a spreadsheet would), beside it with the `.xlsx` extension.
fn as_workbook(filled: &std::path::Path) -> Result<std::path::PathBuf, Error> {
    let book = filled.with_extension("xlsx");
    let io = |source| Error::WriteFile {
        path: book.clone(),
        source,
    };
    let mut reader = csv::Reader::from_path(filled).map_err(|e| io(std::io::Error::other(e)))?;
    let mut sheet = XlsxSheet::new().map_err(|e| io(std::io::Error::other(e)))?;
    for record in reader.records() {
        let record = record.map_err(|e| io(std::io::Error::other(e)))?;
        let cells: Vec<&str> = record.iter().map(unguard).collect();
        sheet
            .row(&cells)
            .map_err(|e| io(std::io::Error::other(e)))?;
    }
    let bytes = sheet
        .finish(&[])
        .map_err(|e| io(std::io::Error::other(e)))?;
    crate::files::write_bytes_atomically(&book, &bytes)?;
    Ok(book)
}

/// One demo's sample org and the review its people do.
struct Story {
    /// The org's email domain, for the campaign's reviewers.
    domain: &'static str,
    q3: &'static str,
    q4: &'static str,
    org: &'static str,
    quarter: &'static str,
    review: &'static str,
    revoke: &'static [(&'static str, &'static str)],
    /// The company's HR roster, and what `findings` shows against it.
    hr: &'static str,
    findings: &'static str,
    dry_run: &'static str,
    /// What the last sync's diff shows.
    proof: &'static str,
}

const KESTREL: Story = Story {
    domain: "kestrel.example",
    q3: "kestrel-q3",
    q4: "kestrel-q4",
    org: "Kestrel Labs runs Slack Business+ with {people} accounts: owners, admins, guests, bots,\n\
          people who left, one invitation never accepted.",
    quarter: "Two engineers join, a developer becomes a workspace admin, an admin steps down,\n\
              a contractor's guest account is upgraded, someone leaves, an invitation is accepted,\n\
              and user groups change hands.",
    review: "Reviewers mark each row keep or revoke. Here they revoke the accounts of the two\n\
             leavers, Ivan and Victor, and of Elif, a contractor nobody sponsored, take Ben (a\n\
             contractor) out of @engineering, take Rosa off @oncall, and, by mistake, mark the\n\
             primary owner's account for revocation too.",
    revoke: &[
        ("ivan.petrov", "workspace:T04KSTRL9:member"),
        ("victor.hale", "workspace:T04KSTRL9:member"),
        ("elif.yilmaz", "workspace:T04KSTRL9:member"),
        ("ben.turner", "usergroup:S04KENGIN:member"),
        ("rosa.quint", "usergroup:S04KONCAL:member"),
        ("maya.okafor", "workspace:T04KSTRL9:member"),
    ],
    hr: include_str!("../../sample-data/kestrel-q4/hr.csv"),
    findings: "Before anyone reviews a row, `slack-uar findings` checks the snapshot against the HR\n\
               roster, the access logs and Q3: two people left the company yet still have Slack (one\n\
               used it after leaving), a contractor and a service account no HR record accounts for,\n\
               an admin nobody has seen for months, a guest past their end date, and the new admin.",
    dry_run: "`slack-uar apply` checks every row against the snapshot and shows the plan. Nothing is\n\
              written to Slack without --execute. The primary owner is refused, always.",
    proof: "A new snapshot, and its diff against Q4: exactly what was revoked is gone.",
};

const CORVID: Story = Story {
    domain: "corvid.example",
    q3: "corvid-q3",
    q4: "corvid-q4",
    org: "Corvid Group runs Slack Enterprise Grid: one org, four workspaces (HQ, Engineering,\n\
          Sales, Operations), {people} accounts, most in two or three workspaces with a role in\n\
          each, guests in one, org owners and admins, and admin roles assigned on the org and on\n\
          workspaces. One org-wide token reads it all; each account is read once.",
    quarter: "An engineer joins, a reseller gets a guest account in Sales, an analyst becomes an\n\
              admin of Operations, someone leaves the company, a salesperson moves out of the Sales\n\
              workspace, an admin role is granted on the org, and the on-call group changes.",
    review: "Reviewers close the org accounts of the leavers, Bruno and Caleb, take Ivan out of\n\
             the Sales workspace (but not HQ or Engineering), demote\n\
             Raj from Engineering admin, end Nina's ownership of Engineering while she stays an\n\
             admin, remove Omar's admin role on Engineering, close the account of Mia (a\n\
             contractor), and mark Felix's Engineering admin for removal: he is an org admin, so\n\
             that is for the org's dashboard.",
    revoke: &[
        ("bruno.costa", "org:E0CORVID1:member"),
        ("caleb.diaz", "org:E0CORVID1:member"),
        ("ivan.jensen", "workspace:T0CRVSLS1:member"),
        ("raj.patel", "workspace:T0CRVENG1:admin"),
        ("nina.petrova", "workspace:T0CRVENG1:owner"),
        ("omar.haddad", "org_role:Rl01:T0CRVENG1"),
        ("mia.contractor", "org:E0CORVID1:member"),
        ("felix.wagner", "workspace:T0CRVENG1:admin"),
    ],
    hr: include_str!("../../sample-data/corvid-q4/hr.csv"),
    findings: "Before anyone reviews a row, `slack-uar findings` checks the org against the HR roster,\n\
               every workspace's access logs and Q3: two leavers still hold org accounts (one signed\n\
               in after leaving), a partner's guest account no HR record accounts for, an Operations\n\
               admin unseen for months, a vendor guest past their end date, and new privilege.",
    dry_run: "`slack-uar apply` checks every row against the snapshot and shows the plan: on Grid\n\
              admin.users.remove, setRegular, setAdmin, admin.roles.removeAssignments and SCIM.\n\
              Nothing is written to Slack without --execute.",
    proof: "A new snapshot, and its diff against Q4: what was revoked is gone, with what follows\n\
            from it in Slack: leaving Sales leaves its user groups, and a closed account holds\n\
            nothing. Felix, left to the org's dashboard, is unchanged.",
};

fn say(step: &str, text: &str) {
    println!("\n== {step}\n{text}\n");
}

fn sync_step(ctx: &Context, label: &str) -> Result<i64, Error> {
    // A fresh client per sync, so that each snapshot counts its own calls.
    let client = ctx.client(ctx.token()?)?;
    let started = Instant::now();
    let spinner = SyncSpinner::new(ctx.show_progress());
    let taken = ctx.runtime.block_on(snapshot::take(
        &ctx.db,
        &client,
        Some(label.to_owned()),
        &spinner,
        stop_signal(),
    ));
    spinner.finish();
    let taken = taken?;
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    views::print_sync_summary(
        ctx.format,
        ctx.quiet,
        &store.summary(taken.snapshot_id, taken.headcount)?,
        started.elapsed(),
        taken.unknown_group_members,
    )
    .map_err(Error::Output)?;
    Ok(taken.snapshot_id)
}

fn diff_step(ctx: &Context, from: i64, to: i64) -> Result<(), Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    views::print_diff_table(&comparison::compare(&store, from, to)?).map_err(Error::Output)
}

fn apply_step(ctx: &Context, request: &ApplyRequest) -> Result<(), Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let reviewed = remediation::read_sheet(&store, &ctx.db, request)?;
    let client = ctx.client(ctx.token()?)?;
    let outcome = ctx.runtime.block_on(remediation::apply(
        &store,
        &client,
        reviewed,
        request,
        &|_, _| {},
    ))?;
    views::print_apply(ctx.format, ctx.quiet, &outcome).map_err(Error::Output)
}

pub fn run(mut ctx: Context, args: &DemoArgs) -> Result<u8, Error> {
    let story = match args.plan {
        DemoPlan::BusinessPlus => &KESTREL,
        DemoPlan::Grid => &CORVID,
    };
    // The demo's files go into a fresh folder of their own, kept for a look.
    let folder = tempfile::Builder::new()
        .prefix("slack-uar-demo-")
        .tempdir()
        .map_err(|source| Error::Io {
            what: "cannot create a folder for the demo in",
            path: std::env::temp_dir(),
            source,
        })?
        .keep();
    if !ctx.db_given {
        ctx.db = folder.join("demo.db");
    }
    ctx.format = Format::Table;
    let q3 = OrgData::bundled(story.q3)?;
    let people = q3.users.len();
    let listen = "127.0.0.1:0".parse().expect("a valid address");
    let sandbox = ctx.runtime.block_on(Sandbox::start(q3, listen))?;
    ctx.slack.api_url = sandbox.api_url();
    ctx.slack.scim_url = sandbox.scim_url();
    ctx.sandbox_token = Some(Token::new(sandbox.token()));

    say(
        "1. The org",
        &format!(
            "{}\nA local fake of Slack's Web and SCIM APIs (the sandbox) serves it at {}.\n\
             Nothing here talks to the real Slack. The review's database: {}",
            story.org.replace("{people}", &people.to_string()),
            sandbox.api_url(),
            ctx.db.display()
        ),
    );

    say(
        "2. Sync the Q3 review",
        "`slack-uar sync` reads users, roles and user groups and stores them as one snapshot,\n\
         atomically: it is marked complete only when everything was read.",
    );
    let q3_id = sync_step(&ctx, "2026-Q3 review")?;

    say("3. A quarter passes", story.quarter);
    sandbox.replace_org(OrgData::bundled(story.q4)?);

    say(
        "4. Sync the Q4 review",
        "The same command, a quarter later:",
    );
    let q4_id = sync_step(&ctx, "2026-Q4 review")?;

    say(
        "5. What changed",
        "`slack-uar diff` compares the two snapshots, what a reviewer must look at first:",
    );
    diff_step(&ctx, q3_id, q4_id)?;

    say("6. Findings", story.findings);
    let hr = folder.join("hr.csv");
    std::fs::write(&hr, story.hr).map_err(|source| Error::WriteFile {
        path: hr.clone(),
        source,
    })?;
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let found = findings::find(
        &store,
        &FindingsRequest {
            snapshot: Some(q4_id),
            hr: Some(hr.clone()),
            hr_alias: None,
            dormant_days: DEFAULT_DORMANT_DAYS,
            baseline: Some(q3_id),
        },
    )?;
    views::print_findings(ctx.format, ctx.quiet, &found).map_err(Error::Output)?;

    let campaign = folder.join("q4-campaign");
    let rules = folder.join("reviewers.csv");
    let (security, it) = (
        format!("security@{}", story.domain),
        format!("it@{}", story.domain),
    );
    std::fs::write(
        &rules,
        format!(
            "match,reviewer\nworkspace:*:admin,{security}\nworkspace:*:owner,{security}\n\
             workspace:*:primary_owner,{security}\norg_role:*,{security}\n"
        ),
    )
    .map_err(|source| Error::WriteFile {
        path: rules.clone(),
        source,
    })?;
    say(
        "7. The review campaign",
        &format!(
            "`slack-uar export --split-by reviewer` gives each reviewer a file of their rows, with the\n\
             change since Q3 and the account's findings beside each. By a rules file every privileged\n\
             grant goes to {security}; every other row to the account's manager in the HR roster;\n\
             what has no manager (bots, service accounts) to {it}. One manifest for the auditor:"
        ),
    );
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let manifest = review_sheet::export(
        &store,
        &ctx.db,
        &ExportRequest {
            snapshot: Some(q4_id),
            baseline: Some(q3_id),
            filter: None,
            out: campaign.clone(),
            force: false,
            hr: Some(hr.clone()),
            hr_alias: None,
            dormant_days: DEFAULT_DORMANT_DAYS,
            reviewers: Some(rules),
            default_reviewer: Some(it.clone()),
            split_by_reviewer: true,
            sheet_format: None,
        },
    )?;
    views::print_export(ctx.format, &campaign, &manifest).map_err(Error::Output)?;
    println!(
        "An auditor checks each file with sha256sum against {}",
        campaign.join("manifest.json").display()
    );

    say(
        "8. The review",
        &format!(
            "{}\nSecurity answers in Excel, the others in their CSV files. `slack-uar status` shows\n\
             who has decided what:",
            story.review
        ),
    );
    let mut answers = Vec::new();
    for file in manifest.files.iter().flatten() {
        let sent = campaign.join(&file.file);
        let answer = folder.join(format!("answer-{}", file.file));
        review_sheet(&sent, &answer, story.revoke)?;
        if file.reviewer.as_deref() == Some(security.as_str()) {
            answers.push(as_workbook(&answer)?);
        } else {
            answers.push(answer);
        }
    }
    views::print_status(
        ctx.format,
        ctx.quiet,
        &collection::status(&store, &answers)?,
    )
    .map_err(Error::Output)?;
    let apply_request = |execute| ApplyRequest {
        sheets: answers.clone(),
        execute,
        report: Some(folder.join("q4-remediation.csv")),
        require_complete: true,
        max_revocations: 100,
    };

    say("9. Apply, dry run", story.dry_run);
    apply_step(&ctx, &apply_request(false))?;

    say(
        "10. Apply for real",
        "With --execute each revocation is journaled, the grant is read from Slack again just\n\
         before the write, and every result is read back and marked verified:",
    );
    apply_step(&ctx, &apply_request(true))?;

    say("11. Sync again: the proof", story.proof);
    let after_id = sync_step(&ctx, "2026-Q4 after remediation")?;
    diff_step(&ctx, q4_id, after_id)?;

    say(
        "12. All snapshots",
        "`slack-uar snapshots` lists what the database holds, for the auditor's trail:",
    );
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    views::print_snapshots(ctx.format, &store.snapshots()?).map_err(Error::Output)?;

    say(
        "13. The evidence",
        "`slack-uar report` draws the review as one HTML page for managers and auditors;\n\
         `slack-uar evidence` packs the export, the answers, the remediation report, that page\n\
         and the snapshot's data into one archive, signed with a key made by `slack-uar keygen`:",
    );
    let page = folder.join("q4-review.html");
    let report = review_report::gather(
        &store,
        &ReportRequest {
            snapshot: Some(q4_id),
            baseline: Some(q3_id),
            sheets: answers.clone(),
            hr: Some(hr.clone()),
            hr_alias: None,
            dormant_days: DEFAULT_DORMANT_DAYS,
        },
    )?;
    let html_page = html::render(&report);
    crate::files::write_bytes_atomically(&page, html_page.as_bytes())?;
    views::print_report_written(&page, &report).map_err(Error::Output)?;
    let key = folder.join("q4-signing.key");
    let public = signing::keygen(&key)?;
    let bundle_path = folder.join("q4-evidence.zip");
    let made = bundle::make(
        &store,
        &EvidenceRequest {
            manifests: vec![campaign.join("manifest.json")],
            out: bundle_path.clone(),
            sheets: answers.clone(),
            reports: vec![folder.join("q4-remediation.csv")],
            hr: Some(hr.clone()),
            hr_alias: None,
            dormant_days: DEFAULT_DORMANT_DAYS,
            sign: Some(key),
            force: false,
        },
    )?;
    println!(
        "Wrote {} ({} members) and its signature {}.",
        made.bundle,
        made.index.members.len(),
        made.signature.as_deref().unwrap_or_default()
    );

    say(
        "14. The auditor checks it",
        &format!(
            "`slack-uar verify BUNDLE --key KEY.pub` checks the signature, every member's SHA-256,\n\
             each export against its manifest and the snapshot's grants, the remediation report\n\
             against the journal, and the data against the database. Without slack-uar:\n  \
             minisign -Vm {bundle} -p {public}\n  \
             unzip {bundle} && cd q4-evidence && sha256sum -c SHA256SUMS",
            bundle = bundle_path.display(),
            public = public.display()
        ),
    );
    let key = signing::public_key(&public.display().to_string())?;
    let check = bundle::check(&bundle_path, Some(&store), Some(&key))?;
    views::print_verification(ctx.format, ctx.quiet, &check).map_err(Error::Output)?;
    if !check.holds() {
        return Ok(exit::FINDINGS);
    }

    println!(
        "\nThe HR roster, the campaign's files and manifest, the answers, the remediation\n\
         report, the HTML report and the evidence bundle are in {}.\n\
         The database is {}; look inside with:\n  \
         sqlite3 {} 'SELECT row_id, user_id, entitlement, status, verified FROM revocation'",
        folder.display(),
        ctx.db.display(),
        ctx.db.display()
    );
    Ok(exit::OK)
}
