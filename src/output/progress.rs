//! Progress on a terminal: shown only when stderr is one and not --quiet
//! (the caller decides), never in CI logs.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::workflow::snapshot::SyncProgress;

/// The spinner `sync` shows on a terminal while it reads Slack.
pub struct SyncSpinner(ProgressBar);

impl SyncSpinner {
    pub fn new(visible: bool) -> SyncSpinner {
        let bar = if visible {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}").expect("a valid template"),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        SyncSpinner(bar)
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl SyncProgress for SyncSpinner {
    fn stage(&self, what: &str) {
        self.0.set_message(what.to_owned());
    }
    fn users_stored(&self, total: u64) {
        self.0.set_message(format!("{total} users stored"));
    }
}

/// The bar `apply --execute` shows while it revokes.
pub fn revocation_bar(visible: bool, len: u64) -> ProgressBar {
    let bar = if visible {
        ProgressBar::new(len)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} revocations {elapsed}")
            .expect("a valid template"),
    );
    bar
}
