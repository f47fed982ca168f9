//! Downloads MNIST into `data/mnist/` (or `--dir`), verifying every file.
//!
//! `cargo run --release --bin fetch-data`

use clap::Parser;
use descent::data::download::{fetch_mnist, Fetched, MIRRORS};
use std::path::PathBuf;
use std::process::ExitCode;

/// Download the four MNIST IDX files, verified by SHA-256, written atomically.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Destination directory.
    #[arg(long, default_value = "data/mnist")]
    dir: PathBuf,
    /// A mirror to try (repeatable; tried in order). Default: the public mirrors.
    #[arg(long = "mirror")]
    mirrors: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mirrors = if args.mirrors.is_empty() { MIRRORS.iter().map(|m| m.to_string()).collect() } else { args.mirrors };
    match fetch_mnist(&args.dir, &mirrors) {
        Ok(report) => {
            for (name, fetched) in report {
                match fetched {
                    Fetched::AlreadyPresent => println!("{name}: already present and verified"),
                    Fetched::Downloaded(url) => println!("{name}: downloaded from {url}, verified"),
                }
            }
            println!("MNIST is in {}", args.dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
