use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = slack_uar::cli::Cli::parse();
    match slack_uar::commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        // A closed pipe (`slack-uar snapshots | head`) is the reader's choice.
        Err(slack_uar::Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(err.exit_code())
        }
    }
}
