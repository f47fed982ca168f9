//! `cargo run --bin report`: runs every experiment of the seeds
//! and writes the HTML write-up with its data into `reports/`. The options
//! are `descent_lab::report::cli`'s; everything else is the library's.

use descent_lab::report::cli::{parse, CliError};
use descent_lab::report::{generate, SectionStatus};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let opts = match parse(std::env::args_os(), std::io::stderr().is_terminal()) {
        Ok(opts) => opts,
        Err(CliError::Clap(e)) => e.exit(),
        Err(CliError::Invalid(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match generate(&opts) {
        Ok(summary) => {
            println!(
                "{:<20} {:>9} {:>6} {:>6} {:>6} {:>10} {:>6}  status",
                "section", "time (s)", "pass", "fail", "open", "full only", "demo"
            );
            for s in &summary.sections {
                println!(
                    "{:<20} {:>9.1} {:>6} {:>6} {:>6} {:>10} {:>6}  {}",
                    s.name,
                    s.seconds,
                    s.supported,
                    s.not_supported,
                    s.inconclusive,
                    s.full_only,
                    s.demonstrations,
                    s.status
                );
            }
            // What did not run, and why, on the terminal too (not only in the page).
            for s in summary.sections.iter().filter(|s| s.status.status != SectionStatus::Ran) {
                if let Some(reason) = &s.reason {
                    eprintln!("note: {} {}: {reason}", s.name, s.status);
                }
            }
            let corrected: usize = summary.sections.iter().map(|s| s.corrected).sum();
            if corrected > 0 {
                println!(
                    "{corrected} of the open claims are decided by their own 95% interval but not after Holm's \
                     correction over the run's claims (see the ledger)"
                );
            }
            println!("wrote {} in {:.1} s", summary.index.display(), summary.seconds);
            if let Some(e) = &summary.mnist_error {
                eprintln!("error: --mnist-dir could not be read (the report was written without MNIST): {e}");
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
