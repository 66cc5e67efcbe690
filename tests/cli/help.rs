//! `--help` is the first documentation a user reads; pin it.

use crate::harness::{Run, TestEnv};

#[test]
fn help_texts() {
    let env = TestEnv::new();
    for (name, args) in [
        ("help", vec!["--help"]),
        ("sync_help", vec!["sync", "--help"]),
        ("snapshots_help", vec!["snapshots", "--help"]),
        ("diff_help", vec!["diff", "--help"]),
        ("export_help", vec!["export", "--help"]),
        ("apply_help", vec!["apply", "--help"]),
        ("sandbox_help", vec!["sandbox", "--help"]),
        ("demo_help", vec!["demo", "--help"]),
    ] {
        let run = Run::of(env.cmd(&args)).ok();
        insta::assert_snapshot!(name, run.stdout);
    }
}

#[test]
fn a_token_is_never_accepted_as_a_flag() {
    let env = TestEnv::new();
    Run::of(env.cmd(&["sync", "--token", "xoxp-1"]))
        .fails(2)
        .stderr_has("--token");
}

#[test]
fn no_token_is_a_clear_error_and_creates_nothing() {
    let env = TestEnv::new();
    Run::of(env.cmd(&["sync"]))
        .fails(2)
        .stderr_has("error: no Slack token: set the environment variable SLACK_TOKEN");
    assert!(!env.db.exists());
}

#[test]
fn reading_commands_need_an_existing_database() {
    let env = TestEnv::new();
    Run::of(env.cmd(&["snapshots"]))
        .fails(2)
        .stderr_has("no database at")
        .stderr_has("run `slack-uar sync` first");
    assert!(!env.db.exists(), "a read must not create the database");
}
