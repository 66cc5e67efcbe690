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
        ("verify_help", vec!["verify", "--help"]),
        ("report_help", vec!["report", "--help"]),
        ("evidence_help", vec!["evidence", "--help"]),
        ("keygen_help", vec!["keygen", "--help"]),
        ("completions_help", vec!["completions", "--help"]),
    ] {
        let run = Run::of(env.cmd(&args)).ok();
        insta::assert_snapshot!(name, run.stdout);
    }
}

#[test]
fn regression_each_command_shows_only_the_options_it_uses() {
    let env = TestEnv::new();
    let slack = [
        "--api-url",
        "--scim-url",
        "--token-file",
        "--rate-limit-patience",
    ];
    let help = |cmd: &str| Run::of(env.cmd(&[cmd, "--help"])).ok().stdout;
    for cmd in ["sync", "apply"] {
        let text = help(cmd);
        for flag in slack.iter().chain(&["--db", "--format"]) {
            assert!(text.contains(flag), "{cmd} --help lacks {flag}");
        }
    }
    for cmd in ["snapshots", "diff", "export"] {
        let text = help(cmd);
        for flag in slack {
            assert!(!text.contains(flag), "{cmd} --help lists {flag}");
        }
        assert!(text.contains("--db") && text.contains("--format"), "{cmd}");
    }
    let sandbox = help("sandbox");
    for flag in slack.iter().chain(&["--db ", "--format"]) {
        assert!(!sandbox.contains(flag), "sandbox --help lists {flag}");
    }
    // A missing required option names only what is missing.
    let run = Run::of(env.cmd(&["export"])).fails(2);
    assert!(run.stderr.contains("--out <FILE>"), "{}", run.stderr);
    assert!(!run.stderr.contains("--api-url"), "{}", run.stderr);
    // --db and --format still work before the command's name, and after it.
    let db = env.dir.path().join("elsewhere.db");
    let db = db.to_str().unwrap();
    for args in [vec!["--db", db, "snapshots"], vec!["snapshots", "--db", db]] {
        Run::of(env.cmd(&args)).fails(2).stderr_has("elsewhere.db");
    }
}

#[test]
fn completions_and_man_page_cover_every_command() {
    let env = TestEnv::new();
    let bash = Run::of(env.cmd(&["completions", "bash"])).ok().stdout;
    for word in [
        "slack-uar",
        "sync",
        "apply",
        "--execute",
        "--max-revocations",
    ] {
        assert!(bash.contains(word), "bash completions lack {word}");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = Run::of(env.cmd(&["completions", shell])).ok().stdout;
        assert!(out.contains("require-complete"), "{shell}");
    }
    Run::of(env.cmd(&["completions", "tcsh"])).fails(2);
    let man = Run::of(env.cmd(&["man"])).ok().stdout;
    assert!(
        man.starts_with(".ie") || man.contains(".TH slack-uar 1"),
        "{man}"
    );
    for section in ["SLACK-UAR SYNC", "SLACK-UAR APPLY", "SLACK-UAR EXPORT"] {
        assert!(man.contains(section), "man page lacks {section}");
    }
    assert!(
        man.contains("max\\-revocations"),
        "apply's options are in the page"
    );
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

#[test]
fn regression_a_bad_patience_in_the_environment_troubles_only_commands_that_call_slack() {
    let env = TestEnv::new();
    let mut cmd = env.cmd(&["sync"]);
    cmd.env("SLACK_UAR_RATE_LIMIT_PATIENCE", "ten minutes");
    Run::of(cmd).fails(2).stderr_has(
        "SLACK_UAR_RATE_LIMIT_PATIENCE is \"ten minutes\", not a whole number of seconds",
    );
    let mut cmd = env.cmd(&["snapshots"]);
    cmd.env("SLACK_UAR_RATE_LIMIT_PATIENCE", "ten minutes");
    Run::of(cmd).fails(2).stderr_has("no database at");
}
