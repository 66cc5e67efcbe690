//! `slack-uar completions SHELL` and `slack-uar man`: generated from the
//! command line's own definition, so they cannot drift from `--help`.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, exit};

pub fn completions(shell: clap_complete::Shell) -> Result<u8, Error> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "slack-uar", &mut out);
    std::io::stdout().write_all(&out).map_err(Error::Output)?;
    Ok(exit::OK)
}

/// One roff page: the top command's, then each subcommand's as a section.
pub fn man() -> Result<u8, Error> {
    let command = Cli::command();
    let mut out = Vec::new();
    let page = clap_mangen::Man::new(command.clone());
    page.render(&mut out).map_err(Error::Output)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("slack-uar {}", sub.get_name());
        out.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        let section = clap_mangen::Man::new(sub.clone().bin_name(name));
        let mut parts = Vec::new();
        section
            .render_description_section(&mut parts)
            .map_err(Error::Output)?;
        section
            .render_synopsis_section(&mut parts)
            .map_err(Error::Output)?;
        section
            .render_options_section(&mut parts)
            .map_err(Error::Output)?;
        // Within a command's section, its parts are subsections.
        let parts = String::from_utf8_lossy(&parts).replace(".SH ", ".SS ");
        out.extend_from_slice(parts.as_bytes());
    }
    std::io::stdout().write_all(&out).map_err(Error::Output)?;
    Ok(exit::OK)
}
