//! The `report` command's options: parsed here, in the library, so that
//! the binary stays a thin client and the parsing is tested (and fuzzed)
//! like any other input.

use super::ReportOptions;
use crate::experiments::{by_name, Profile};
use clap::Parser;
use std::ffi::OsString;
use std::path::PathBuf;

/// Regenerate the descent report (HTML, CSVs, summary.json).
#[derive(Parser, Debug)]
#[command(name = "report", version, about, long_about = None)]
pub struct Args {
    /// `quick` (a few minutes, MNIST subsets) or `full` (the real reproduction, under an hour on 2 cores).
    #[arg(long, default_value = "quick")]
    pub profile: String,
    /// Output directory.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Re-run only these sections (comma-separated); the others are kept from the last run's saved data.
    #[arg(long, value_delimiter = ',')]
    pub only: Option<Vec<String>>,
    /// Base seed of every experiment.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Directory with the four MNIST files (else MNIST_DIR, else data/mnist).
    #[arg(long)]
    pub mnist_dir: Option<PathBuf>,
    /// Also write every claim as a Markdown document (e.g. docs/results-full.md).
    #[arg(long)]
    pub results_md: Option<PathBuf>,
    /// The summary.json of runs of the same profile at other base seeds
    /// (comma-separated): the Markdown document gets each claim's verdict
    /// at every base seed, and a claim whose verdict differs is shown
    /// inconclusive.
    #[arg(long, value_delimiter = ',', requires = "results_md")]
    pub stability: Vec<PathBuf>,
}

/// Why a command line was refused.
#[derive(Debug)]
pub enum CliError {
    /// clap's own (also `--help` and `--version`, which are not failures):
    /// print it with `exit()`.
    Clap(clap::Error),
    /// A value clap accepted that descent does not (a profile, a section).
    Invalid(descent::Error),
}

/// The options of `report` from its command line (`args[0]` is the
/// program's name); `progress` says whether to draw bars.
pub fn parse<I, T>(args: I, progress: bool) -> Result<ReportOptions, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = Args::try_parse_from(args).map_err(CliError::Clap)?;
    let profile: Profile = args.profile.parse().map_err(CliError::Invalid)?;
    if let Some(only) = &args.only {
        for name in only {
            by_name(name).map_err(CliError::Invalid)?;
        }
    }
    Ok(ReportOptions {
        profile,
        seed: args.seed,
        out: args.out,
        only: args.only,
        mnist_dir: args.mnist_dir,
        progress,
        results_md: args.results_md,
        stability: args.stability,
    })
}
