//! `cargo run --release --bin grade -- run ASSIGNMENT SUBMISSIONS --out DIR`
//! grades a folder of submissions (`descent_grader::class`); `assign`
//! builds the student kit and `check` is the student's own run of the
//! visible tests (`descent_grader::kit`); `one`, `export` and `package`
//! serve the grading platforms (`descent_grader::platform`); `regrade`
//! stages and publishes new grades (`descent_grader::regrade`). A thin
//! client: everything is the library's.

use clap::{ArgGroup, Parser, Subcommand};
use descent_grader::class::grade_all;
use descent_grader::kit::{assign_as, check};
use descent_grader::platform::{export, grade_single, gradescope, prairielearn, Platform};
use descent_grader::regrade::{publish, stage, STAGED};
use descent_grader::sandbox::{probe, Isolation};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Grade coursework on optimizers against PyTorch's trajectories.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
    /// Grade untrusted submissions even where this machine's cell is weak
    /// (limits only: no user namespaces and not root, or not Linux); `grade`
    /// says which cell it has and refuses without this flag.
    #[arg(long, global = true)]
    allow_weak_isolation: bool,
}

/// `--gradescope` or `--prairielearn`.
#[derive(clap::Args)]
#[command(group(ArgGroup::new("platform").required(true).args(["gradescope", "prairielearn"])))]
struct Which {
    /// Gradescope's results.json.
    #[arg(long)]
    gradescope: bool,
    /// PrairieLearn's results.json.
    #[arg(long)]
    prairielearn: bool,
}

impl Which {
    fn platform(&self) -> Platform {
        if self.gradescope {
            Platform::Gradescope
        } else {
            Platform::PrairieLearn
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Grade every submission (NAME.rs, or NAME/solution.rs) in SUBMISSIONS.
    Run {
        /// The assignment folder (with assignment.json).
        assignment: PathBuf,
        /// The folder of submissions.
        submissions: PathBuf,
        /// Where the gradebook, the pages and the per-student files go.
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
        /// An optimizer's, schedules' or functions' kit as an evcxr notebook exercise (solution.ipynb)
        /// instead of a Rust file.
        #[arg(long)]
        notebook: bool,
    },
    /// Run the visible tests of KIT on your solution, as the grader would.
    Check {
        /// The kit's folder.
        #[arg(default_value = ".")]
        kit: PathBuf,
        /// Your solution (default: KIT/solution.rs, or KIT/solution.ipynb for a notebook exercise).
        #[arg(long)]
        solution: Option<PathBuf>,
    },
    /// Grade one submission and write one platform's results.json (what an
    /// autograder runs).
    One {
        /// The assignment folder.
        assignment: PathBuf,
        /// The submission: a .rs file, or a folder with solution.rs (or one .rs file).
        submission: PathBuf,
        /// Write Gradescope's results.json to this path.
        #[arg(long, value_name = "RESULTS_JSON", conflicts_with = "prairielearn")]
        gradescope: Option<PathBuf>,
        /// Write PrairieLearn's results.json to this path.
        #[arg(long, value_name = "RESULTS_JSON")]
        prairielearn: Option<PathBuf>,
    },
    /// Write a platform's results.json for every student of a graded folder.
    Export {
        /// The graded folder (the --out of `grade run`).
        grades: PathBuf,
        #[command(flatten)]
        which: Which,
        /// Where OUT/STUDENT/results.json go (default: GRADES/gradescope or GRADES/prairielearn).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Build Gradescope's autograder zip, or the question and server files
    /// of a PrairieLearn course, for ASSIGNMENT.
    Package {
        /// The assignment folder.
        assignment: PathBuf,
        #[command(flatten)]
        which: Which,
        /// What to write: the zip (Gradescope; default autograder.zip) or
        /// the folder to copy into the course (PrairieLearn; default
        /// prairielearn/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// descent's workspace folder (default: the one this binary was built from).
        #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))]
        source: PathBuf,
    },
    /// Grade again into OUT/regrade/ and show old and new scores side by
    /// side; publish nothing until `--confirm`.
    Regrade {
        /// The assignment folder (not with --confirm).
        #[arg(required_unless_present = "confirm")]
        assignment: Option<PathBuf>,
        /// The folder of submissions (not with --confirm).
        #[arg(required_unless_present = "confirm")]
        submissions: Option<PathBuf>,
        /// The graded folder whose grades are compared and replaced.
        #[arg(long, default_value = "grades")]
        out: PathBuf,
        /// Submissions graded at once.
        #[arg(long, default_value_t = 2)]
        jobs: usize,
        /// Publish the staged grades in OUT/regrade/.
        #[arg(long, conflicts_with_all = ["assignment", "submissions"])]
        confirm: bool,
    },
}

/// Whether untrusted code may be graded here: in a cell with namespaces or
/// a uid of its own; in a weaker one only when the teacher said so. Says
/// which cell is in force, and why no stronger one, on the terminal.
fn may_grade(allow_weak: bool) -> bool {
    let probe = probe();
    eprintln!("isolation: {} ({})", probe.isolation.name(), probe.isolation.describe());
    for note in &probe.notes {
        eprintln!("  {note}");
    }
    if probe.isolation < Isolation::SeparateUid && !allow_weak {
        eprintln!(
            "error: this cell does not confine untrusted code; grade on Linux where user namespaces are allowed, \
             or as root (the platforms' containers are), or pass --allow-weak-isolation to grade anyway"
        );
        return false;
    }
    if probe.isolation < Isolation::Namespaces {
        eprintln!("warning: no namespaces here: see docs/grading.md, \"Isolation\"");
    }
    true
}

fn main() -> ExitCode {
    let progress = std::io::stderr().is_terminal();
    let args = Args::parse();
    let grades_untrusted =
        matches!(args.command, Command::Run { .. } | Command::One { .. } | Command::Regrade { confirm: false, .. });
    if grades_untrusted && !may_grade(args.allow_weak_isolation) {
        return ExitCode::from(2);
    }
    let result = match args.command {
        Command::Run { assignment, submissions, out, jobs } => run(&assignment, &submissions, &out, jobs, progress),
        Command::Assign { assignment, out, notebook } => assign_as(&assignment, &out, notebook).map(|()| {
            println!("wrote the kit to {} (visible tests only)", out.display());
        }),
        Command::Check { kit, solution } => {
            let notebook = kit.join("solution.ipynb");
            let solution =
                solution.unwrap_or_else(|| if notebook.is_file() { notebook } else { kit.join("solution.rs") });
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
        Command::One { assignment, submission, gradescope, prairielearn } => {
            let (platform, path) = match (gradescope, prairielearn) {
                (Some(p), _) => (Platform::Gradescope, p),
                (None, Some(p)) => (Platform::PrairieLearn, p),
                (None, None) => {
                    eprintln!("error: give --gradescope RESULTS_JSON or --prairielearn RESULTS_JSON");
                    return ExitCode::from(2);
                }
            };
            grade_single(&assignment, &submission, platform, &path).map(|r| {
                println!("{:.3} / {:.3}: wrote {}", r.grade.score(), r.grade.max_score(), path.display());
            })
        }
        Command::Export { grades, which, out } => {
            let platform = which.platform();
            let out = out.unwrap_or_else(|| grades.join(platform.folder()));
            export(&grades, platform, &out).map(|n| println!("wrote {n} results files under {}", out.display()))
        }
        Command::Package { assignment, which, out, source } => match which.platform() {
            Platform::Gradescope => {
                let out = out.unwrap_or_else(|| PathBuf::from("autograder.zip"));
                gradescope::package(&assignment, &source, &out).map(|()| {
                    println!(
                        "wrote {} (upload it as the autograder of a Gradescope programming assignment)",
                        out.display()
                    )
                })
            }
            Platform::PrairieLearn => {
                let out = out.unwrap_or_else(|| PathBuf::from("prairielearn"));
                prairielearn::package(&assignment, &source, &out).map(|()| {
                    println!(
                        "wrote {}: copy questions/ and serverFilesCourse/ into your course, build the image from \
                         serverFilesCourse/descent/Dockerfile, push it and name it in info.json (\"image\")",
                        out.display()
                    )
                })
            }
        },
        Command::Regrade { confirm: true, out, .. } => publish(&out).map(|n| {
            println!("published the regrade: {n} files replaced in {}", out.display());
        }),
        Command::Regrade { assignment, submissions, out, jobs, confirm: false } => {
            let (assignment, submissions) = (assignment.expect("required"), submissions.expect("required"));
            stage(&assignment, &submissions, &out, jobs, progress).map(|(_, changes)| {
                let moved: Vec<_> = changes.iter().filter(|c| c.changed()).collect();
                let cell = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
                println!("{:<24} {:<28} {:>8} {:>8}", "student", "test", "old", "new");
                for c in &moved {
                    println!("{:<24} {:<28} {:>8} {:>8}", c.student, c.test, cell(c.old), cell(c.new));
                }
                println!(
                    "{} of {} scores change; nothing is published. The staged grades and changes.csv are in {}. \
                     Publish them with: grade regrade --confirm --out {}",
                    moved.len(),
                    changes.len(),
                    out.join(STAGED).display(),
                    out.display()
                );
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

fn run(assignment: &Path, submissions: &Path, out: &Path, jobs: usize, progress: bool) -> descent::Result<()> {
    grade_all(assignment, submissions, out, jobs, progress).map(|graded| {
        println!("{:<24} {:>8} {:>8}  note", "student", "score", "max");
        for r in &graded.records {
            let g = &r.grade;
            let note = if g.gradable { g.message.lines().next().unwrap_or("") } else { "does not compile" };
            println!("{:<24} {:>8.3} {:>8.3}  {note}", g.student, g.score(), g.max_score());
        }
        if graded.reused > 0 {
            println!("{} grades kept from an interrupted run of the same grading", graded.reused);
        }
        println!(
            "wrote {}, the class page {} and per-student files for {} submissions",
            out.join("gradebook.csv").display(),
            out.join("index.html").display(),
            graded.records.len()
        );
    })
}
