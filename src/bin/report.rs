//! `cargo run --release --bin report`: runs every experiment of the seeds
//! and writes the HTML write-up with its data into `reports/`.

use clap::Parser;
use descent::experiments::{Profile, EXPERIMENTS};
use descent::report::{generate, ReportOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Regenerate the descent report (HTML, CSVs, summary.json).
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// `quick` (a few minutes, MNIST subsets) or `full` (the real reproduction, under an hour on 2 cores).
    #[arg(long, default_value = "quick")]
    profile: String,
    /// Output directory.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// Re-run only these sections (comma-separated); the others are kept from the last run's saved data.
    #[arg(long, value_delimiter = ',')]
    only: Option<Vec<String>>,
    /// Base seed of every experiment.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Directory with the four MNIST files (else MNIST_DIR, else data/mnist).
    #[arg(long)]
    mnist_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let profile: Profile = match args.profile.parse() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = ReportOptions {
        profile,
        seed: args.seed,
        out: args.out,
        only: args.only,
        mnist_dir: args.mnist_dir,
        progress: std::io::stderr().is_terminal(),
    };
    match generate(&opts) {
        Ok(summary) => {
            println!("{:<20} {:>9} {:>6} {:>6} {:>10}  status", "section", "time (s)", "pass", "fail", "full only");
            for s in &summary.sections {
                println!(
                    "{:<20} {:>9.1} {:>6} {:>6} {:>10}  {}",
                    s.name, s.seconds, s.supported, s.not_supported, s.full_only, s.status
                );
            }
            println!("wrote {} in {:.1} s", summary.index.display(), summary.seconds);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            if e.to_string().contains("unknown experiment") {
                let names: Vec<&str> = EXPERIMENTS.iter().map(|e| e.name).collect();
                eprintln!("sections: {}", names.join(", "));
            }
            ExitCode::from(1)
        }
    }
}
