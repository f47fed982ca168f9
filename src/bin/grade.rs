//! `cargo run --release --bin grade -- run ASSIGNMENT SUBMISSIONS --out DIR`:
//! grades a folder of submissions (see `descent::grading::batch`). A thin
//! client: everything is the library's.

use clap::{Parser, Subcommand};
use descent::grading::batch::grade_all;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Grade coursework on optimizers against PyTorch's trajectories.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Grade every submission (NAME.rs, or NAME/solution.rs) in SUBMISSIONS.
    Run {
        /// The assignment folder (with assignment.json).
        assignment: PathBuf,
        /// The folder of submissions.
        submissions: PathBuf,
        /// Where the gradebook and the per-student files go.
        #[arg(long, default_value = "grades")]
        out: PathBuf,
        /// Submissions graded at once.
        #[arg(long, default_value_t = 2)]
        jobs: usize,
    },
}

fn main() -> ExitCode {
    let Command::Run { assignment, submissions, out, jobs } = Args::parse().command;
    match grade_all(&assignment, &submissions, &out, jobs, std::io::stderr().is_terminal()) {
        Ok(records) => {
            println!("{:<24} {:>8} {:>8}  note", "student", "score", "max");
            for r in &records {
                let g = &r.grade;
                let note = if g.gradable { g.message.lines().next().unwrap_or("") } else { "does not compile" };
                println!("{:<24} {:>8.3} {:>8.3}  {note}", g.student, g.score(), g.max_score());
            }
            println!(
                "wrote {} (and per-student files) for {} submissions",
                out.join("gradebook.csv").display(),
                records.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
