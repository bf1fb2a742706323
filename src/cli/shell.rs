//! `folio completions SHELL` and `folio man`: what users expect of a command-line tool.

use clap::CommandFactory;

/// A shell clap_complete knows.
#[derive(clap::Args, Debug)]
pub struct CompletionArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Prints the completion script for the shell on stdout.
pub fn completions(a: &CompletionArgs) -> anyhow::Result<()> {
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "folio", &mut out);
    write_out(&out)
}

/// Prints the man page (roff) on stdout: the synopsis, the global options and every
/// subcommand with what it does (`folio help COMMAND` has each one's flags).
pub fn man() -> anyhow::Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(super::Cli::command()).render(&mut out)?;
    write_out(&out)
}

fn write_out(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    o.write_all(bytes)?;
    o.flush()?;
    Ok(())
}
