//! `cargo run --release --bin grade -- run ASSIGNMENT SUBMISSIONS --out DIR`
//! grades a folder of submissions (`descent::grading::batch`); `assign`
//! builds the student kit and `check` is the student's own run of the
//! visible tests (`descent::grading::kit`). A thin client: everything is
//! the library's.

use clap::{Parser, Subcommand};
use descent::grading::batch::grade_all;
use descent::grading::kit::{assign, check};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
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
    /// Build the student kit of ASSIGNMENT into --out (visible tests only).
    Assign {
        /// The assignment folder.
        assignment: PathBuf,
        /// The kit's folder.
        #[arg(long, default_value = "kit")]
        out: PathBuf,
    },
    /// Run the visible tests of KIT on your solution, as the grader would.
    Check {
        /// The kit's folder.
        #[arg(default_value = ".")]
        kit: PathBuf,
        /// Your solution (default: KIT/solution.rs).
        #[arg(long)]
        solution: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let result = match Args::parse().command {
        Command::Run { assignment, submissions, out, jobs } => run(&assignment, &submissions, &out, jobs),
        Command::Assign { assignment, out } => assign(&assignment, &out).map(|()| {
            println!("wrote the kit to {} (visible tests only)", out.display());
        }),
        Command::Check { kit, solution } => {
            let solution = solution.unwrap_or_else(|| kit.join("solution.rs"));
            check(&kit, &solution).map(|record| {
                let g = &record.grade;
                if !g.gradable || !g.message.is_empty() {
                    println!("{}\n", g.message);
                }
                for t in &g.tests {
                    println!("{:<24} {:>7.3} / {:<7.3} {}", t.name, t.score, t.max_score, t.output);
                }
                println!("total {:.3} / {:.3} on the visible tests", g.score(), g.max_score());
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(assignment: &Path, submissions: &Path, out: &Path, jobs: usize) -> descent::Result<()> {
    grade_all(assignment, submissions, out, jobs, std::io::stderr().is_terminal()).map(|records| {
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
    })
}
