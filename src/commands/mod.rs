//! One module per subcommand, each turning validated options into calls to
//! the core and printing the result. This module builds the shared
//! [`Context`] from the parsed command line: database path, endpoints,
//! token source, output format, logging and the async runtime.

mod apply;
mod demo;
mod diff;
mod export;
mod sandbox;
mod snapshots;
mod sync;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{Cli, Command, FormatArg};
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
    pub api_url: String,
    pub scim_url: String,
    pub token_file: Option<PathBuf>,
    /// `--rate-limit-patience`.
    pub rate_limit_patience: Duration,
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
        let (value, source_name) = match &self.token_file {
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
            api_url: self.api_url.clone(),
            scim_url: self.scim_url.clone(),
            token,
            retry: RetryPolicy {
                rate_limit_patience: self.rate_limit_patience,
                ..RetryPolicy::default()
            },
            timeout: Duration::from_secs(60),
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

pub fn run(cli: Cli) -> Result<u8, Error> {
    init_logging(cli.verbose, cli.quiet);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            what: "cannot start the async runtime",
            path: PathBuf::new(),
            source,
        })?;
    let ctx = Context {
        db_given: cli.db.is_some(),
        db: cli.db.unwrap_or_else(|| PathBuf::from(DEFAULT_DB)),
        api_url: cli.api_url,
        scim_url: cli.scim_url,
        token_file: cli.token_file,
        rate_limit_patience: Duration::from_secs(cli.rate_limit_patience),
        format: Format::resolve(cli.format.map(|f| match f {
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
        Command::Snapshots => snapshots::run(&ctx),
        Command::Diff(args) => diff::run(&ctx, &args),
        Command::Export(args) => export::run(&ctx, &args),
        Command::Apply(args) => apply::run(&ctx, &args),
        Command::Sandbox(args) => sandbox::run(&ctx, &args),
        Command::Demo(args) => demo::run(ctx, &args),
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
