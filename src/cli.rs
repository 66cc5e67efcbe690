//! The command line, as clap types only. Nothing here does work: `commands`
//! turns these into validated options for the core.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub const DEFAULT_API_URL: &str = "https://slack.com/api/";
pub const DEFAULT_SCIM_URL: &str = "https://api.slack.com/scim/v2/";

#[derive(Debug, Parser)]
#[command(
    name = "slack-uar",
    version,
    about = "User access reviews for Slack: snapshot who has access, diff, review, revoke, prove it.",
    long_about = "User access reviews for Slack, offline and reproducible.\n\n\
        A quarterly review is: `sync` who can use Slack and with what privileges into a local \
        SQLite snapshot; `diff` it against last quarter; `export` a review sheet for reviewers \
        to mark keep or revoke; `apply` the revocations through Slack's APIs; and hand the \
        auditor the evidence. Try it on sample data with `slack-uar demo`.\n\n\
        The Slack token is read from the environment variable SLACK_TOKEN or from \
        --token-file; it is never accepted as a flag and never stored.",
    after_help = "Exit codes: 0 success; 2 error (bad input, Slack error, failed sync); \
        1 only where a command says so."
)]
pub struct Cli {
    /// The slack-uar database (SQLite). Created with mode 0600 when missing.
    /// Also accepted after the command's name.
    #[arg(
        long,
        env = "SLACK_UAR_DB",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub db: Option<PathBuf>,

    /// Output format for data: a table on a terminal, JSON when piped. Also
    /// accepted after the command's name.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// The Slack options, accepted before the command's name too (as
    /// earlier versions took them), but shown only by the commands that
    /// call Slack.
    #[command(flatten, next_help_heading = None)]
    pub slack: HiddenSlackArgs,

    /// More detail on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet", display_order = 200)]
    pub verbose: u8,

    /// Only errors on stderr; no progress bars.
    #[arg(short, long, global = true, display_order = 201)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// [`SlackArgs`] before the command's name, hidden from help.
#[derive(Debug, Clone, Default, Args)]
pub struct HiddenSlackArgs {
    #[arg(long = "api-url", id = "top_api_url", value_name = "URL", hide = true)]
    pub api_url: Option<String>,
    #[arg(
        long = "scim-url",
        id = "top_scim_url",
        value_name = "URL",
        hide = true
    )]
    pub scim_url: Option<String>,
    #[arg(
        long = "token-file",
        id = "top_token_file",
        value_name = "PATH",
        hide = true
    )]
    pub token_file: Option<PathBuf>,
    #[arg(
        long = "rate-limit-patience",
        id = "top_rate_limit_patience",
        value_name = "SECS",
        hide = true
    )]
    pub rate_limit_patience: Option<u64>,
}

/// An email address, as a reviewer is named.
fn email_address(value: &str) -> Result<String, String> {
    let v = value.trim();
    if v.contains('@') && !v.contains(char::is_whitespace) {
        Ok(v.to_lowercase())
    } else {
        Err(format!("{value:?} is not an email address"))
    }
}

/// What findings are checked against, for `findings` and `export`.
#[derive(Debug, Clone, Args)]
pub struct RosterArgs {
    /// The HR roster (CSV with email and status columns) to check accounts against.
    #[arg(long, value_name = "FILE")]
    pub hr: Option<PathBuf>,

    /// A CSV of slack_email,hr_email for people whose two emails differ.
    #[arg(long, value_name = "FILE", requires = "hr")]
    pub hr_alias: Option<PathBuf>,

    /// An active person unseen for this many days is dormant.
    #[arg(long, value_name = "N", default_value_t = 90)]
    pub dormant_days: u32,
}

/// `--db`, for the commands that use the database.
#[derive(Debug, Clone, Args)]
pub struct DbArg {
    /// The slack-uar database (SQLite; env SLACK_UAR_DB; default slack-uar.db).
    /// Created with mode 0600 when missing.
    #[arg(long = "db", value_name = "PATH", display_order = 100)]
    pub path: Option<PathBuf>,
}

/// `--format`, for the commands that print data.
#[derive(Debug, Clone, Args)]
pub struct OutputArg {
    /// Output format for data: a table on a terminal, JSON when piped.
    #[arg(long, value_enum, display_order = 101)]
    pub format: Option<FormatArg>,
}

/// Where Slack is and how to reach it, for the commands that call it.
/// Each falls back to its environment variable, then its default; the
/// values are resolved in one place (`commands::Context`).
#[derive(Debug, Clone, Default, Args)]
pub struct SlackArgs {
    /// Base URL of Slack's Web API; a method's URL is this plus its name
    /// (env SLACK_API_URL; default https://slack.com/api/).
    #[arg(long, value_name = "URL", display_order = 110)]
    pub api_url: Option<String>,

    /// Base URL of Slack's SCIM API v2 (env SLACK_SCIM_URL; default
    /// https://api.slack.com/scim/v2/).
    #[arg(long, value_name = "URL", display_order = 111)]
    pub scim_url: Option<String>,

    /// Read the Slack token from this file instead of SLACK_TOKEN.
    #[arg(long, value_name = "PATH", display_order = 112)]
    pub token_file: Option<PathBuf>,

    /// How long to wait out rate limits on a Slack method that gets no call
    /// through at all before giving up, in seconds (env
    /// SLACK_UAR_RATE_LIMIT_PATIENCE; default 600). Calls that get through
    /// now and then are waited for as long as it takes.
    #[arg(long, value_name = "SECS", display_order = 113)]
    pub rate_limit_patience: Option<u64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read users, workspaces, roles and user groups from Slack into a new snapshot.
    #[command(
        long_about = "Read users, workspaces, roles and user groups from Slack into a new snapshot.\n\n\
        The snapshot is written atomically: it is marked complete only when everything was read. \
        A sync that fails, is interrupted (Ctrl-C) or is killed leaves its snapshot marked failed \
        and none of its data is used. Only one sync writes to a database at a time.\n\n\
        Needs a user token with the scopes users:read, users:read.email, team:read and \
        usergroups:read; with the admin scope it also tells Business+ (SCIM) from Pro."
    )]
    Sync(SyncArgs),

    /// List the snapshots in the database.
    Snapshots(SnapshotsArgs),

    /// Show what changed between two snapshots: new admins, new guests, leavers, role changes.
    #[command(
        long_about = "Show what changed between two complete snapshots, by default the last two.\n\n\
        Grant changes are `added` or `removed`; changes to an account's email, names, title, \
        type (guest kind), status (deactivation, invitation accepted) and 2FA are `changed` with \
        the old and new value. The table puts first what a reviewer must look at: new privileged \
        grants, new guests, deactivations, removed privileges; then the rest."
    )]
    Diff(DiffArgs),

    /// List what an auditor looks for first: leavers, accounts no HR record
    /// accounts for, dormant accounts, expired guests, new privilege.
    #[command(
        long_about = "List what an auditor looks for first in a snapshot (by default the newest \
        complete one), one line per account and finding:\n\n\
        leaver: an active or invited account whose email belongs to a terminated HR record;\n\
        no_hr_record: an active person's account that no HR record accounts for;\n\
        dormant: an active person not seen in the access logs for --dormant-days;\n\
        guest_expired: a guest whose end date has passed;\n\
        privileged_new: a privileged grant the baseline did not have.\n\n\
        leaver and no_hr_record need --hr. Dormancy needs access logs, which sync reads on \
        Business+ and Enterprise Grid with the admin scope; where the snapshot has none, the \
        report says dormancy was not checked. Exits 0; with --exit-code, 1 when anything was found."
    )]
    Findings(FindingsArgs),

    /// Write the review sheet (CSV, one row per grant) and its evidence manifest.
    #[command(
        long_about = "Write the review sheet of a snapshot (by default the latest complete one) \
        and the evidence manifest FILE.manifest.json beside it.\n\n\
        One row per grant, in review order: workspace, privileged grants first, person, \
        entitlement. The `change` column compares with the baseline (by default the complete \
        snapshot before it): new, changed (the person's details changed) or unchanged. \
        Reviewers fill `decision` with keep or revoke. Cells that a spreadsheet would run as a \
        formula are prefixed with '. The manifest records the SHA-256 of the sheet, the \
        snapshot's sync window, plan and API calls, and the population's counts, so an auditor \
        can check completeness with sha256sum and sqlite3 alone."
    )]
    Export(ExportArgs),

    /// Carry out a reviewed sheet: show the plan, and with --execute revoke, verify and report.
    #[command(
        long_about = "Read a reviewed sheet (CSV or XLSX), or a campaign's files of one snapshot, \
        and plan a revocation for every `revoke` decision.\n\n\
        Without --execute it prints the plan and writes the report with every row `planned`, \
        `manual` or `refused` (never over the report of an executed run), making no write call \
        to Slack. With --execute it carries the plan \
        out, reading each grant from Slack again before writing (a grant already gone is \
        `already_revoked`), verifies every result by reading Slack once more, and writes the \
        remediation report. Every step is journaled in the database first: running it again with \
        the same sheet, even after a crash, makes no write twice.\n\n\
        A sheet that is malformed or does not match its snapshot is refused whole, before any \
        call to Slack, with the line and the reason. Exits 1 when some revocations failed."
    )]
    Apply(ApplyArgs),

    /// Show a review campaign's progress: per reviewer, rows assigned, decided, revoke, undecided.
    #[command(
        long_about = "Show a review campaign's progress from the reviewed files sent back (one or \
        more, of one snapshot): for each reviewer, the rows assigned, decided, marked revoke and \
        still undecided, and the total against the snapshot's population, so the security team \
        knows whom to chase. The files are checked as apply checks them. With --exit-code, exits \
        1 while any row is undecided or missing from the files."
    )]
    Status(StatusArgs),

    /// Re-check an export or an evidence bundle for an auditor: hashes, rows, snapshot, revocations.
    #[command(
        long_about = "Re-check an export from its manifest and the database, without trusting \
        whoever made it: the SHA-256 of the sheet (or of each file of a split campaign), its rows \
        against the snapshot's grants (none missing, none edited, none twice), the snapshot's \
        status and window, and that every revocation made from the snapshot was verified.\n\n\
        Given an evidence bundle (.zip or .tar.gz) it checks the bundle from its own contents: \
        the signature BUNDLE.minisig with --key, every member against index.json and SHA256SUMS, \
        each export against its manifest and the bundle's grants, the reviewed files, and each \
        remediation report against the bundle's journal; and, where the database (--db) holds \
        the snapshot, the bundle's data against it. \
        Exits 0 when everything holds, 1 naming each discrepancy."
    )]
    Verify(VerifyArgs),

    /// Write the review as one self-contained HTML page for managers and auditors.
    #[command(
        long_about = "Write the review of a snapshot (by default the newest complete one, or the \
        snapshot of --sheets) as one self-contained HTML file: no script and nothing fetched from \
        elsewhere, charts drawn as inline SVG, and a print layout.\n\n\
        It shows the population by workspace and account type, every privileged grant, the \
        changes since the baseline, the findings (leavers and accounts without an HR record with \
        --hr), the decisions by reviewer of the reviewed files given with --sheets, every apply \
        run with its revocations, status, verification and time, and the SHA-256 of every file \
        involved. The file is written with mode 0600: it names people."
    )]
    Report(ReportArgs),

    /// Pack a review's evidence into one archive (zip or tar.gz), optionally signed.
    #[command(
        long_about = "Pack a review's evidence into one archive, FILE.zip or FILE.tar.gz: the \
        export of each MANIFEST (the manifest and the sheet or split files it names, as written), \
        the reviewed files (--sheets), the remediation reports (--reports, and each reviewed \
        file's default report where it exists), the HTML report, the snapshot's data as CSV \
        (users, grants, workspaces, groups, group members, revocations, apply runs), and \
        index.json and SHA256SUMS listing every member with its SHA-256.\n\n\
        With --sign KEY (a minisign secret key, from `slack-uar keygen` or `minisign -G`) it \
        writes the detached signature FILE.minisig beside the archive; `slack-uar verify FILE \
        --key KEY.pub` and `minisign -Vm FILE -p KEY.pub` check it. An encrypted key's password \
        is read from SLACK_UAR_KEY_PASSWORD. The bundle is verified once written; exits 1 when \
        it does not hold, naming each discrepancy."
    )]
    Evidence(EvidenceArgs),

    /// Create a minisign key pair for signing evidence bundles.
    #[command(
        long_about = "Create a minisign key pair for `evidence --sign`: the secret key KEY (mode \
        0600) and the public key KEY.pub, which auditors use with `verify --key` or minisign. \
        With SLACK_UAR_KEY_PASSWORD set, the secret key is encrypted with it; otherwise it is \
        stored unencrypted, so keep it where only you can read it."
    )]
    Keygen(KeygenArgs),

    /// Serve a local fake of Slack's Web API and SCIM API, for trying slack-uar safely.
    #[command(
        long_about = "Serve a local fake of Slack's Web API and SCIM API from sample data.\n\n\
        Prints api_url=..., scim_url=... and token=... lines on stdout, then serves until \
        interrupted. Point slack-uar at it with SLACK_API_URL, SLACK_SCIM_URL and SLACK_TOKEN. \
        Without --data or --sample it serves the bundled sample workspace. Faults (429s, 500s, \
        dropped connections, Slack errors, delays) can be injected by POSTing to \
        /_sandbox/faults; /_sandbox/calls counts the calls per method, \
        /_sandbox/peak_in_flight the most requests each method had in flight at once, and \
        /_sandbox/rate_limited the calls --rate-limits answered 429."
    )]
    Sandbox(SandboxArgs),

    /// Run a whole quarterly review against the sandbox, narrated.
    Demo(DemoArgs),

    /// Print a shell's completion script for slack-uar to stdout.
    #[command(
        long_about = "Print a shell's completion script for slack-uar to stdout.\n\n\
        bash: slack-uar completions bash > ~/.local/share/bash-completion/completions/slack-uar\n\
        zsh: slack-uar completions zsh > \"${fpath[1]}/_slack-uar\"\n\
        fish: slack-uar completions fish > ~/.config/fish/completions/slack-uar.fish"
    )]
    Completions(CompletionsArgs),

    /// Print slack-uar's man page (roff) to stdout.
    #[command(
        long_about = "Print slack-uar's man page (roff) to stdout, covering every command.\n\n\
        Install it with: slack-uar man > /usr/local/share/man/man1/slack-uar.1"
    )]
    Man,
}

#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// A label for the snapshot, e.g. "2026-Q4 review".
    #[arg(long, value_name = "TEXT")]
    pub label: Option<String>,

    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub output: OutputArg,
    #[command(flatten)]
    pub slack: SlackArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older snapshot (default: the second newest complete one).
    #[arg(value_name = "FROM")]
    pub from: Option<i64>,

    /// The newer snapshot (default: the newest complete one, also when only FROM is given).
    #[arg(value_name = "TO")]
    pub to: Option<i64>,

    /// Exit with 1 when anything changed (0 when nothing did).
    #[arg(long)]
    pub exit_code: bool,

    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct FindingsArgs {
    /// The snapshot to check (default: the newest complete one).
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: Option<i64>,

    #[command(flatten)]
    pub roster: RosterArgs,

    /// The snapshot new privilege is judged against (default: the complete one before SNAPSHOT).
    #[arg(long, value_name = "SNAPSHOT")]
    pub baseline: Option<i64>,

    /// Exit with 1 when anything was found (for a scheduled check).
    #[arg(long)]
    pub exit_code: bool,

    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The snapshot to review (default: the newest complete one).
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: Option<i64>,

    /// Where to write the review sheet (CSV, or a workbook for FILE.xlsx); the
    /// manifest goes to FILE.manifest.json. With --split-by, a folder.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// The snapshot that fills the change column (default: the complete one before SNAPSHOT).
    #[arg(long, value_name = "SNAPSHOT")]
    pub baseline: Option<i64>,

    /// Review part of the population; the manifest records the filter and the full row count.
    #[arg(long, value_enum, value_name = "PART")]
    pub only: Option<OnlyArg>,

    /// Overwrite FILE if it exists (a reviewed sheet is never overwritten by accident).
    #[arg(long)]
    pub force: bool,

    // What the findings column is computed from, as for `findings`.
    #[command(flatten)]
    pub roster: RosterArgs,

    /// Reviewer rules: a CSV of match,reviewer, first match wins (see the README).
    /// Without it, or where no rule matches, a row goes to the account's
    /// manager in the HR roster (--hr).
    #[arg(long, value_name = "FILE")]
    pub reviewers: Option<PathBuf>,

    /// Who reviews the rows nothing else assigned.
    #[arg(long, value_name = "EMAIL", value_parser = email_address)]
    pub default_reviewer: Option<String>,

    /// Write one file per reviewer into the folder --out, with one
    /// manifest (DIR/manifest.json) listing every file.
    #[arg(long, value_enum, value_name = "BY")]
    pub split_by: Option<SplitArg>,

    /// The files' format (default: by --out's extension; CSV for --split-by).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub sheet_format: Option<SheetFormatArg>,

    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SplitArg {
    /// A file per reviewer (`unassigned` for rows of nobody).
    Reviewer,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SheetFormatArg {
    Csv,
    Xlsx,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnlyArg {
    /// Admin, owner, primary owner and org-role grants.
    Privileged,
    /// Grants of multi- and single-channel guests.
    Guests,
    /// Grants of bots and apps.
    Bots,
    /// Grants that are new or whose holder changed since the baseline.
    Changed,
    /// Grants of accounts with a finding (see `slack-uar findings`).
    Findings,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The reviewed sheet (CSV), or several: a split campaign's files of one snapshot.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Carry the plan out. Without it, nothing is written to Slack.
    #[arg(long)]
    pub execute: bool,

    /// Where to write the remediation report (default: the first FILE with .csv replaced by -remediation.csv).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,

    /// Refuse a sheet that has rows without a decision.
    #[arg(long)]
    pub require_complete: bool,

    /// Refuse a plan that would make more than this many revocations.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_revocations: usize,

    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub output: OutputArg,
    #[command(flatten)]
    pub slack: SlackArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The reviewed files (CSV) sent back, of one snapshot.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Exit with 1 while any row is undecided or missing (for a scheduled chase).
    #[arg(long)]
    pub exit_code: bool,

    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The manifest export wrote (FILE.manifest.json, or DIR/manifest.json of a split
    /// campaign), or an evidence bundle (.zip, .tar.gz).
    #[arg(value_name = "MANIFEST|BUNDLE")]
    pub manifest: PathBuf,

    /// The public key (a minisign .pub file, or its base64 line) a bundle's signature
    /// BUNDLE.minisig must verify with.
    #[arg(long, value_name = "PUBKEY")]
    pub key: Option<String>,

    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The snapshot to report on (default: the --sheets' snapshot, else the newest complete one).
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: Option<i64>,

    /// Where to write the report (FILE.html).
    #[arg(long, value_name = "FILE.html", value_parser = html_path)]
    pub out: PathBuf,

    /// The snapshot changes are counted from (default: the complete one before SNAPSHOT).
    #[arg(long, value_name = "SNAPSHOT")]
    pub baseline: Option<i64>,

    /// The campaign's reviewed files (CSV or XLSX), whose decisions the report shows.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub sheets: Vec<PathBuf>,

    #[command(flatten)]
    pub roster: RosterArgs,

    #[command(flatten)]
    pub db: DbArg,
}

#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// The manifest of each export the review used (FILE.manifest.json, or DIR/manifest.json).
    #[arg(value_name = "MANIFEST", required = true)]
    pub manifests: Vec<PathBuf>,

    /// Where to write the bundle: FILE.zip, FILE.tar.gz or FILE.tgz.
    #[arg(long, value_name = "FILE", value_parser = bundle_path)]
    pub out: PathBuf,

    /// The reviewed files (CSV or XLSX) as reviewers sent them back.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub sheets: Vec<PathBuf>,

    /// Remediation reports beyond each reviewed file's default FILE-remediation.csv.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub reports: Vec<PathBuf>,

    /// Sign the bundle with this minisign secret key (writes FILE.minisig).
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,

    /// Overwrite FILE (and FILE.minisig) if they exist.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub roster: RosterArgs,

    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the secret key; the public key goes to KEY.pub.
    #[arg(long, value_name = "KEY")]
    pub out: PathBuf,
}

fn html_path(value: &str) -> Result<PathBuf, String> {
    let lower = value.to_ascii_lowercase();
    if lower.ends_with(".html") || lower.ends_with(".htm") {
        Ok(PathBuf::from(value))
    } else {
        Err(format!(
            "{value:?} does not end in .html; name the report FILE.html"
        ))
    }
}

fn bundle_path(value: &str) -> Result<PathBuf, String> {
    let lower = value.to_ascii_lowercase();
    if [".zip", ".tar.gz", ".tgz"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        Ok(PathBuf::from(value))
    } else {
        Err(format!(
            "{value:?} is neither .zip nor .tar.gz; name the bundle FILE.zip or FILE.tar.gz"
        ))
    }
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// A folder of sample data (sandbox.json, users.json, usergroups.json);
    /// the bundled sample workspace when omitted.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["generate_users", "sample"])]
    pub data: Option<PathBuf>,

    /// Serve one of the bundled samples: kestrel-q3 and kestrel-q4 (a Business+
    /// workspace), corvid-q3 and corvid-q4 (an Enterprise Grid org of four workspaces).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "kestrel-q3",
        value_parser = ["kestrel-q3", "kestrel-q4", "corvid-q3", "corvid-q4"],
        conflicts_with = "generate_users"
    )]
    pub sample: String,

    /// Where to listen; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,

    /// Serve a generated workspace of this many users instead of sample data.
    #[arg(long, value_name = "N")]
    pub generate_users: Option<usize>,

    /// With --generate-users: the generated workspace a quarter later (hires,
    /// promotions, new titles, leavers), for diffs at scale.
    #[arg(long, requires = "generate_users")]
    pub quarter_later: bool,

    /// With --generate-users: an Enterprise Grid org of this many workspaces,
    /// each user a member of one to three of them.
    #[arg(long, value_name = "N", requires = "generate_users", value_parser = clap::value_parser!(u16).range(1..))]
    pub generate_workspaces: Option<u16>,

    /// Enforce Slack's per-method rate limits: each method's tier allows its
    /// calls a minute (tier 2: 20, tier 3: 50, tier 4: 100), in bursts of up
    /// to a minute's budget; past it, 429 with Retry-After.
    #[arg(long)]
    pub rate_limits: bool,

    /// With --rate-limits: how long the sandbox's minute lasts, in
    /// milliseconds, to try the limits quickly.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 60_000,
        requires = "rate_limits"
    )]
    pub rate_limit_minute_ms: u64,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Which Slack plan to review: a Business+ workspace, or an Enterprise Grid org.
    #[arg(long, value_enum, default_value = "business_plus")]
    pub plan: DemoPlan,

    #[command(flatten)]
    pub db: DbArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DemoPlan {
    /// Kestrel Labs: one Business+ workspace, revoked through SCIM.
    #[value(name = "business_plus")]
    BusinessPlus,
    /// Corvid Group: an Enterprise Grid org of four workspaces, revoked through the Admin API.
    Grid,
}
