//! The student kit (`grade assign`) and the student's own check (`grade
//! check`). A kit is itself an assignment folder holding only the visible
//! tests and their reference data, the starter file (the reference solution
//! with every `// BEGIN SOLUTION` ... `// END SOLUTION` region replaced by
//! `todo!()`), the student API and a README. Hidden tests, their data and
//! the solution never enter it.

use crate::compile::STUDENT_API;
use crate::exercise::student_notebook;
use crate::intake::Submission;
use crate::model::{Assignment, Kind, Loaded, Record, TestCase};
use crate::one::grade_one;
use crate::regions::strip_solution;
use crate::score::{Check, Rules, TestSpec, Visibility};
use descent::files::write_atomically;
use descent::{Error, Result};
use std::path::Path;

/// The assignment's reference solution and whether it is a notebook:
/// `solution/solution.ipynb` (its solution cells are the module) when there
/// is one, else `solution/solution.rs`.
pub fn reference_solution(assignment: &Path) -> Result<(String, bool)> {
    let notebook = assignment.join("solution/solution.ipynb");
    let (path, is_notebook) =
        if notebook.is_file() { (notebook, true) } else { (assignment.join("solution/solution.rs"), false) };
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(path.display(), e))?;
    Ok((text, is_notebook))
}

/// What the kit gives the student for `solution`: its solution regions as
/// `todo!()` (a notebook's solution cells likewise, outputs cleared).
pub fn starter(solution: &str, is_notebook: bool) -> Result<String> {
    if is_notebook {
        student_notebook(solution)
    } else {
        strip_solution(solution)
    }
}

/// Builds the kit of the assignment in `assignment` into `kit`.
pub fn assign(assignment: &Path, kit: &Path) -> Result<()> {
    assign_as(assignment, kit, false)
}

/// [`assign`], and with `notebook` an optimizer's or functions' kit is an
/// evcxr notebook exercise (`solution.ipynb`, made from `solution.rs` by
/// [`crate::exercise::notebook_of`]) instead of a Rust file.
pub fn assign_as(assignment: &Path, kit: &Path, notebook: bool) -> Result<()> {
    let loaded = Loaded::read(assignment)?;
    let visible: Vec<(usize, &TestSpec)> =
        loaded.assignment.rules.tests.iter().enumerate().filter(|(_, t)| t.visibility == Visibility::Visible).collect();
    // A visible test on a case that a hidden test also uses would put the
    // hidden test's data in the kit.
    for (spec, case) in loaded.assignment.rules.tests.iter().zip(&loaded.cases) {
        if let Some((_, shown)) =
            visible.iter().find(|(_, v)| v.case == spec.case && spec.visibility != Visibility::Visible)
        {
            return Err(Error::data(
                assignment.join("assignment.json").display(),
                format!(
                    "visible test {:?} uses case {:?} of the {:?} test {:?}: the kit would hold that test's data",
                    shown.name,
                    case.name(),
                    spec.visibility,
                    spec.name
                ),
            ));
        }
    }
    // Every known slip must be visible before the deadline.
    // (Loading checked that every test's case is of the assignment's kind.)
    let tests = &loaded.assignment.rules.tests;
    let invisible = match loaded.assignment.kind {
        Kind::Optimizer => {
            let shown = |spec: &TestSpec| spec.visibility == Visibility::Visible && spec.check == Check::Replay;
            let cases: Vec<_> = loaded.optimizer_cases().into_iter().zip(tests).map(|(c, t)| (c, shown(t))).collect();
            crate::diagnose::invisible_slips(&cases)
        }
        kind if kind.is_op() => crate::ops::invisible_slips(tests, &loaded.op_cases()),
        _ => Vec::new(),
    };
    if !invisible.is_empty() {
        return Err(Error::data(
            assignment.join("assignment.json").display(),
            format!(
                "a student could not see every known mistake before the deadline: {}; add a visible test whose case \
                 shows it",
                invisible.join("; ")
            ),
        ));
    }
    let mut cases: Vec<&TestCase> = Vec::new();
    for &(i, _) in &visible {
        if !cases.iter().any(|c| c.name() == loaded.cases[i].name()) {
            cases.push(&loaded.cases[i]);
        }
    }
    let optimizer_cases: Vec<&TestCase> =
        cases.iter().copied().filter(|c| matches!(c, TestCase::Optimizer(_))).collect();
    let op_cases: Vec<&TestCase> = cases.iter().copied().filter(|c| matches!(c, TestCase::Op(_))).collect();
    let training_cases: Vec<&TestCase> = cases.iter().copied().filter(|c| matches!(c, TestCase::Training(_))).collect();
    let spec = Assignment {
        reference: "visible/reference.json".into(),
        rules: Rules { tests: visible.iter().map(|(_, t)| (*t).clone()).collect(), ..loaded.assignment.rules.clone() },
        ..loaded.assignment.clone()
    };
    let (mut solution, mut is_notebook) = reference_solution(assignment)?;
    if notebook && !is_notebook {
        solution = crate::exercise::notebook_of(loaded.assignment.kind, &loaded.assignment.title, &solution)?;
        is_notebook = true;
    }
    let starter_name = if is_notebook { "solution.ipynb" } else { "solution.rs" };
    let starter = starter(&solution, is_notebook)?;
    let what = match loaded.assignment.kind {
        Kind::Optimizer => {
            "Your optimizer implements `StudentOptimizer` (see `student_api.rs`): `step` updates a flat vector of \
             parameters from its gradients, and `state` reports your buffers under PyTorch's names (`exp_avg`, \
             `exp_avg_sq`, `max_exp_avg_sq`, `momentum_buffer`); `build(h)` returns it for the hyperparameters `h`."
        }
        Kind::Op => {
            "Your op implements `StudentOp` (see `student_api.rs`): `forward` maps an array (row-major, with its \
             shape) to the op's output, `backward` returns the gradient with respect to the input for an upstream \
             gradient `dy`; `build_op()` returns it."
        }
        Kind::Function => {
            "Each op implements `StudentFunction` (see `student_api.rs`): `forward` maps its input arrays (each \
             row-major, with its shape) to its output, `backward` returns the gradient with respect to each input \
             for an upstream gradient `dy` (an empty vector for an input that is not differentiable); \
             `build_function(op)` returns the op called `op`."
        }
        Kind::Training => {
            "Your `train(data, seed)` trains one of descent's MNIST models (`MnistModel`: mlp, cnn, deep_mlp, \
             mlp_layer_norm) with descent's library on the training examples in `data`, and returns which model \
             and the trained network. The grader measures its accuracy on held-out images that your code never \
             sees, within the assignment's time limit."
        }
        Kind::Schedule => {
            "Each schedule implements `StudentSchedule` (see `student_api.rs`): `lr()` is the learning rate of the \
             coming epoch, `step(loss)` ends an epoch whose validation loss was `loss`; `build_schedule(name, h)` \
             returns the schedule called `name` (`step_lr`, `exponential_lr`, `cosine_warmup`, \
             `reduce_on_plateau`) for the hyperparameters `h`."
        }
    };
    let file_note = if starter_name == "solution.ipynb" {
        "Answer in the cells of `solution.ipynb` marked `todo!(\"your code here\")` or `// YOUR CODE HERE` (the \
         evcxr Rust kernel runs it; the grader compiles only the cells tagged `solution`)."
    } else {
        "Write the regions marked `todo!(\"your code here\")` in `solution.rs`."
    };
    let hidden = loaded.assignment.rules.tests.len() - visible.len();
    let how = if loaded.assignment.kind == Kind::Training {
        "trains your model on the visible tests' examples exactly as the grader does (it needs MNIST: MNIST_DIR \
         or data/mnist/) and measures it on held-out images your code never sees"
    } else {
        "runs the visible tests exactly as the grader does, compares every value with PyTorch's, names the first \
         difference and recognises a known mistake"
    };
    let readme = format!(
        "# {title}\n\n{file_note} {what} Do not print to stdout.\n\nCheck your work, from descent's folder (the \
         first run compiles descent's core and grader, never the lab):\n\n```sh\ncargo run -p descent-grader --bin grade \
         -- check KIT_FOLDER\n```\n\nIt {how} ({n} visible tests). The grader also runs {hidden} hidden tests.\n",
        title = loaded.assignment.title,
        n = visible.len(),
    );
    let write = |name: &str, bytes: &[u8]| write_atomically(&kit.join(name), bytes);
    write("assignment.json", &serde_json::to_vec_pretty(&spec).expect("JSON"))?;
    write(
        "visible/reference.json",
        &serde_json::to_vec(
            &serde_json::json!({ "cases": optimizer_cases, "op_cases": op_cases, "training_cases": training_cases }),
        )
        .expect("JSON"),
    )?;
    write(starter_name, starter.as_bytes())?;
    write("student_api.rs", STUDENT_API.as_bytes())?;
    write("README.md", readme.as_bytes())
}

/// Grades `solution` against the kit (or assignment) in `kit`, as the
/// grader would, in a temporary directory.
pub fn check(kit: &Path, solution: &Path) -> Result<Record> {
    let loaded = Loaded::read(kit)?;
    let work = tempfile::tempdir().map_err(|e| Error::io("temporary directory", e))?;
    let submission = Submission { student: "you".into(), path: solution.to_path_buf(), folder: None };
    grade_one(&loaded, &submission, work.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solution_regions_become_todo_at_their_indentation() {
        let src = "fn f() {\n    let a = 1;\n    // BEGIN SOLUTION\n    secret();\n    // END SOLUTION\n}\n";
        assert_eq!(strip_solution(src).unwrap(), "fn f() {\n    let a = 1;\n    todo!(\"your code here\")\n}\n");
    }

    #[test]
    fn unbalanced_regions_are_errors_naming_the_line() {
        let unclosed = strip_solution("a\n// BEGIN SOLUTION\nb\n").unwrap_err().to_string();
        assert!(unclosed.contains("line 2") && unclosed.contains("never closed"), "{unclosed}");
        let nested = strip_solution("// BEGIN SOLUTION\n// BEGIN SOLUTION\n").unwrap_err().to_string();
        assert!(nested.contains("line 2"), "{nested}");
        let stray = strip_solution("x\n// END SOLUTION\n").unwrap_err().to_string();
        assert!(stray.contains("line 2"), "{stray}");
    }
}
