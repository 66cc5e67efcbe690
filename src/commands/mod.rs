//! One module per subcommand, each turning validated options into calls to
//! the core and printing the result. This module builds the shared
//! [`Context`] from the parsed command line: database path, endpoints,
//! token source, output format, logging and the async runtime.

mod apply;
mod completions;
mod demo;
mod diff;
mod evidence;
mod export;
mod findings;
mod keygen;
mod report;
mod sandbox;
mod snapshots;
mod status;
mod sync;
mod verify;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{Cli, Command, DbArg, FormatArg, HiddenSlackArgs, OutputArg, SlackArgs};
use crate::cli::{DEFAULT_API_URL, DEFAULT_SCIM_URL};
use crate::error::Error;
use crate::files::{MAX_TOKEN_FILE_BYTES, read_capped};
use crate::output::Format;
use crate::slack::{ClientConfig, RetryPolicy, SlackClient, Token};

/// Where the database is when neither --db nor SLACK_UAR_DB says.
pub const DEFAULT_DB: &str = "slack-uar.db";

/// Everything a command needs from the command line, validated.
pub struct Context {
    pub db: PathBuf,
    /// Whether --db / SLACK_UAR_DB named the database.
    pub db_given: bool,
    /// Where Slack is: the flags, the environment or the defaults, or the
    /// demo's sandbox.
    pub slack: SlackSettings,
    pub format: Format,
    pub quiet: bool,
    pub runtime: tokio::runtime::Runtime,
    /// The token to use instead of SLACK_TOKEN / --token-file: the demo's
    /// sandbox token, never anything a user passes.
    pub sandbox_token: Option<Token>,
}

impl Context {
    /// The token from --token-file or SLACK_TOKEN, never from a flag value.
    pub fn token(&self) -> Result<Token, Error> {
        if let Some(token) = &self.sandbox_token {
            return Ok(token.clone());
        }
        let (value, source_name) = match &self.slack.token_file {
            Some(path) => {
                let bytes = read_capped(path, "token file", MAX_TOKEN_FILE_BYTES)?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| Error::TokenNotText { path: path.clone() })?;
                (text, path.display().to_string())
            }
            None => (
                std::env::var("SLACK_TOKEN").map_err(|_| Error::NoToken)?,
                "SLACK_TOKEN".to_owned(),
            ),
        };
        let token = Token::new(value);
        if token.expose().is_empty() {
            return Err(Error::EmptyToken { source_name });
        }
        Ok(token)
    }

    pub fn client(&self, token: Token) -> Result<SlackClient, Error> {
        Ok(SlackClient::new(ClientConfig {
            api_url: self.slack.api_url.clone(),
            scim_url: self.slack.scim_url.clone(),
            token,
            retry: RetryPolicy {
                rate_limit_patience: self.slack.rate_limit_patience,
                ..RetryPolicy::default()
            },
            timeout: Duration::from_secs(60),
            rate_minute: self.slack.rate_minute,
        })?)
    }

    /// Progress bars only on a terminal, never with --quiet or in CI logs.
    pub fn show_progress(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLACK_UAR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("slack_uar={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

/// The minute of Slack's rate limits the client paces itself by: Slack's
/// own, or a sandbox's shorter one (README, "Rate limits").
fn rate_minute() -> Result<Duration, Error> {
    const NAME: &str = "SLACK_UAR_RATE_MINUTE_MS";
    match std::env::var(NAME).ok().filter(|v| !v.is_empty()) {
        None => Ok(Duration::from_secs(60)),
        Some(v) => match v.parse::<u64>() {
            Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
            _ => Err(Error::BadEnvironment {
                name: NAME,
                value: v,
                expected: "a positive whole number of milliseconds",
            }),
        },
    }
}

/// Where Slack is and how to reach it, for a command that calls it.
pub struct SlackSettings {
    pub api_url: String,
    pub scim_url: String,
    pub token_file: Option<PathBuf>,
    pub rate_limit_patience: Duration,
    /// How long a minute of Slack's rate limits lasts (SLACK_UAR_RATE_MINUTE_MS,
    /// for a sandbox run with --rate-limit-minute-ms; 60 s otherwise).
    pub rate_minute: Duration,
}

impl SlackSettings {
    /// A flag after the command's name wins over one before it, which wins
    /// over the environment, which wins over the default.
    fn resolve(after: &SlackArgs, before: &HiddenSlackArgs) -> Result<SlackSettings, Error> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let patience = match after.rate_limit_patience.or(before.rate_limit_patience) {
            Some(secs) => secs,
            None => match env("SLACK_UAR_RATE_LIMIT_PATIENCE") {
                Some(v) => v.parse().map_err(|_| Error::BadEnvironment {
                    name: "SLACK_UAR_RATE_LIMIT_PATIENCE",
                    value: v,
                    expected: "a whole number of seconds",
                })?,
                None => RetryPolicy::default().rate_limit_patience.as_secs(),
            },
        };
        Ok(SlackSettings {
            api_url: (after.api_url.clone().or(before.api_url.clone()))
                .or_else(|| env("SLACK_API_URL"))
                .unwrap_or_else(|| DEFAULT_API_URL.to_owned()),
            scim_url: (after.scim_url.clone().or(before.scim_url.clone()))
                .or_else(|| env("SLACK_SCIM_URL"))
                .unwrap_or_else(|| DEFAULT_SCIM_URL.to_owned()),
            token_file: after.token_file.clone().or(before.token_file.clone()),
            rate_limit_patience: Duration::from_secs(patience),
            rate_minute: rate_minute()?,
        })
    }

    /// For commands that do not call Slack (the demo sets its own).
    fn unused() -> SlackSettings {
        SlackSettings {
            api_url: DEFAULT_API_URL.to_owned(),
            scim_url: DEFAULT_SCIM_URL.to_owned(),
            token_file: None,
            rate_limit_patience: RetryPolicy::default().rate_limit_patience,
            rate_minute: Duration::from_secs(60),
        }
    }
}

/// The options a command shares with others, where it has them.
fn shared_args(command: &Command) -> (Option<&DbArg>, Option<&OutputArg>, Option<&SlackArgs>) {
    match command {
        Command::Sync(a) => (Some(&a.db), Some(&a.output), Some(&a.slack)),
        Command::Snapshots(a) => (Some(&a.db), Some(&a.output), None),
        Command::Diff(a) => (Some(&a.db), Some(&a.output), None),
        Command::Findings(a) => (Some(&a.db), Some(&a.output), None),
        Command::Export(a) => (Some(&a.db), Some(&a.output), None),
        Command::Apply(a) => (Some(&a.db), Some(&a.output), Some(&a.slack)),
        Command::Status(a) => (Some(&a.db), Some(&a.output), None),
        Command::Verify(a) => (Some(&a.db), Some(&a.output), None),
        Command::Report(a) => (Some(&a.db), None, None),
        Command::Evidence(a) => (Some(&a.db), Some(&a.output), None),
        Command::Demo(a) => (Some(&a.db), None, None),
        Command::Sandbox(_) | Command::Keygen(_) | Command::Completions(_) | Command::Man => {
            (None, None, None)
        }
    }
}

pub fn run(cli: Cli) -> Result<u8, Error> {
    init_logging(cli.verbose, cli.quiet);
    // The client's work is one task that waits on Slack; one thread does
    // it with less memory and CPU than a pool. The sandbox serves on a pool.
    let runtime = match &cli.command {
        Command::Sandbox(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    }
    .enable_all()
    .build()
    .map_err(|source| Error::Io {
        what: "cannot start the async runtime",
        path: PathBuf::new(),
        source,
    })?;
    let (db, output, slack) = shared_args(&cli.command);
    // After the command's name wins over before it (which holds the
    // environment's SLACK_UAR_DB), which wins over the default.
    let db = db.and_then(|d| d.path.clone()).or(cli.db);
    let format = output.and_then(|o| o.format).or(cli.format);
    let slack = match slack {
        Some(args) => SlackSettings::resolve(args, &cli.slack)?,
        None => SlackSettings::unused(),
    };
    let ctx = Context {
        db_given: db.is_some(),
        db: db.unwrap_or_else(|| PathBuf::from(DEFAULT_DB)),
        slack,
        format: Format::resolve(format.map(|f| match f {
            FormatArg::Table => Format::Table,
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
        })),
        quiet: cli.quiet,
        runtime,
        sandbox_token: None,
    };
    match cli.command {
        Command::Sync(args) => sync::run(&ctx, &args),
        Command::Snapshots(_) => snapshots::run(&ctx),
        Command::Diff(args) => diff::run(&ctx, &args),
        Command::Findings(args) => findings::run(&ctx, &args),
        Command::Export(args) => export::run(&ctx, &args),
        Command::Apply(args) => apply::run(&ctx, &args),
        Command::Status(args) => status::run(&ctx, &args),
        Command::Verify(args) => verify::run(&ctx, &args),
        Command::Report(args) => report::run(&ctx, &args),
        Command::Evidence(args) => evidence::run(&ctx, &args),
        Command::Keygen(args) => keygen::run(&ctx, &args),
        Command::Sandbox(args) => sandbox::run(&ctx, &args),
        Command::Demo(args) => demo::run(ctx, &args),
        Command::Completions(args) => completions::completions(args.shell),
        Command::Man => completions::man(),
    }
}

/// Resolves when the process is asked to stop, naming how.
pub async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return "Ctrl-C";
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "Ctrl-C",
            _ = term.recv() => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
