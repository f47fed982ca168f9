//! Notebook exercises: a student answers in an evcxr notebook, and the
//! grader takes the notebook's solution cells as the submission's module
//! (the kernel is not in the grading path).
//!
//! A solution cell is a code cell tagged `solution`, or one whose nbgrader
//! metadata says `"solution": true`. In the student's copy (`grade
//! assign`), a solution cell's `// BEGIN SOLUTION` ... `// END SOLUTION`
//! regions become `todo!()` (a cell without regions is emptied to `// YOUR
//! CODE HERE`), nbgrader's `// BEGIN HIDDEN TESTS` ... `// END HIDDEN TESTS`
//! regions are removed from every cell, and every output is cleared (an
//! output of the reference solution would show its answers).

use crate::compile::STUDENT_API;
use crate::model::Kind;
use crate::regions::{strip_solution, BEGIN};
use descent::{Error, Result};
use serde_json::Value;

/// Marks the start of a region of nbgrader's hidden tests.
pub const BEGIN_HIDDEN: &str = "// BEGIN HIDDEN TESTS";
/// Marks its end.
pub const END_HIDDEN: &str = "// END HIDDEN TESTS";

fn parse(notebook: &str) -> Result<Value> {
    let nb: Value = serde_json::from_str(notebook).map_err(|e| Error::data("notebook", e.to_string()))?;
    if !nb["cells"].is_array() {
        return Err(Error::data("notebook", "not a Jupyter notebook: it has no list of cells"));
    }
    Ok(nb)
}

/// A cell's source as one string (Jupyter stores a string or a list of lines).
fn source(cell: &Value) -> String {
    match &cell["source"] {
        Value::String(s) => s.clone(),
        Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

/// Whether `cell` is a code cell the student writes.
pub fn is_solution(cell: &Value) -> bool {
    let tagged = cell["metadata"]["tags"].as_array().is_some_and(|t| t.iter().any(|v| v == "solution"));
    cell["cell_type"] == "code" && (tagged || cell["metadata"]["nbgrader"]["solution"] == Value::Bool(true))
}

/// The submission's module: the solution cells in order, evcxr's `:`
/// commands dropped, after a `use` of the student API.
pub fn solution_module(notebook: &str) -> Result<String> {
    let nb = parse(notebook)?;
    let cells: Vec<&Value> = nb["cells"].as_array().expect("checked").iter().filter(|c| is_solution(c)).collect();
    if cells.is_empty() {
        return Err(Error::data("notebook", "no solution cell (a code cell tagged `solution`)"));
    }
    let mut module = String::from("#[allow(unused_imports)]\nuse crate::student_api::*;\n");
    for cell in cells {
        module.push('\n');
        for line in source(cell).lines().filter(|l| !l.trim_start().starts_with(':')) {
            module.push_str(line);
            module.push('\n');
        }
    }
    Ok(module)
}

/// The module a submission's text makes: a notebook's solution cells
/// ([`solution_module`]), or the Rust file as it is.
pub fn module_of(text: &str, is_notebook: bool) -> Result<String> {
    if is_notebook {
        solution_module(text)
    } else {
        Ok(text.to_string())
    }
}

/// `text` without its hidden-test regions.
fn strip_hidden(text: &str) -> Result<String> {
    let mut out = String::new();
    let mut hidden = false;
    for line in text.lines() {
        match line.trim() {
            BEGIN_HIDDEN if hidden => return Err(Error::data("notebook", "a hidden-test region inside another")),
            BEGIN_HIDDEN => hidden = true,
            END_HIDDEN if !hidden => return Err(Error::data("notebook", "END HIDDEN TESTS without BEGIN")),
            END_HIDDEN => hidden = false,
            _ if !hidden => {
                out.push_str(line);
                out.push('\n');
            }
            _ => {}
        }
    }
    if hidden {
        return Err(Error::data("notebook", "a hidden-test region is never closed"));
    }
    Ok(out)
}

/// The student API as a notebook cell: `student.rs` without its module
/// documentation and its `cfg_attr` lines (serde is the grader's, not the
/// kernel's).
pub fn api_cell() -> String {
    STUDENT_API
        .lines()
        .filter(|l| !l.starts_with("//!") && !l.contains("cfg_attr"))
        .skip_while(|l| l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A cell that runs an optimizer a hundred steps on the ill-conditioned
/// quadratic.
const TRY_OPTIMIZER: &str = "let mut opt = build(&Hyper { lr: 0.05, ..Hyper::default() });\n\
                  let mut w = vec![-5.0, -2.0];\n\
                  for t in 1..=100 {\n    \
                      let g = vec![0.2 * w[0], 4.0 * w[1]];\n    \
                      opt.step(&mut w, &g);\n    \
                      if t % 20 == 0 {\n        \
                          println!(\"step {t}: f = {:.4e}\", 0.1 * w[0] * w[0] + 2.0 * w[1] * w[1]);\n    \
                      }\n\
                  }\n\
                  for (name, values) in opt.state() {\n    \
                      println!(\"{name}: {:?}\", values);\n\
                  }\n";

/// A cell that checks every function of the autodiff assignment against
/// central differences of its own forward.
const TRY_FUNCTIONS: &str = r#"/// The largest |analytic − numeric| of `op`'s backward over the first
/// `differentiable` inputs, by central differences of its forward.
fn max_gradient_error(op: &str, inputs: &[(Vec<f64>, Vec<usize>)], differentiable: usize) -> f64 {
    let f = build_function(op).expect("build_function knows the op");
    let forward = |xs: &[(Vec<f64>, Vec<usize>)]| {
        let t: Vec<Tensor> = xs.iter().map(|(data, shape)| Tensor { data, shape }).collect();
        f.forward(&t)
    };
    let dy: Vec<f64> = (0..forward(inputs).len()).map(|i| 0.5 + 0.25 * i as f64).collect();
    let t: Vec<Tensor> = inputs.iter().map(|(data, shape)| Tensor { data, shape }).collect();
    let analytic = f.backward(&t, &dy);
    let h = 1e-6;
    let mut worst = 0.0_f64;
    for k in 0..differentiable {
        for j in 0..inputs[k].0.len() {
            let (mut plus, mut minus) = (inputs.to_vec(), inputs.to_vec());
            plus[k].0[j] += h;
            minus[k].0[j] -= h;
            let (yp, ym) = (forward(&plus), forward(&minus));
            let numeric = dy.iter().zip(yp.iter().zip(&ym)).map(|(g, (a, b))| g * (a - b)).sum::<f64>() / (2.0 * h);
            worst = worst.max((analytic[k][j] - numeric).abs());
        }
    }
    worst
}

/// `n` inputs in [−scale, scale], away from ReLU's kink at 0 (central
/// differences across it would be wrong).
fn grid(n: usize, scale: f64) -> Vec<f64> {
    (0..n).map(|i| scale * ((i * 7 % 11) as f64 - 5.0) / 5.0 + 0.05).collect()
}

for (op, inputs, differentiable) in [
    ("matmul", vec![(grid(6, 1.0), vec![2, 3]), (grid(12, 0.5), vec![3, 4])], 2),
    ("relu", vec![(grid(6, 1.0), vec![2, 3])], 1),
    ("add", vec![(grid(6, 1.0), vec![2, 3]), (grid(3, 1.0), vec![3])], 2),
    ("softmax_cross_entropy", vec![(grid(6, 2.0), vec![2, 3]), (vec![0.0, 2.0], vec![2])], 1),
] {
    println!("{op}: largest |analytic − numeric| = {:e}", max_gradient_error(op, &inputs, differentiable));
}
"#;

/// A cell that prints each schedule's learning rates.
const TRY_SCHEDULES: &str = r#"let h = ScheduleHyper {
    lr: 0.1, step_size: 10, gamma: 0.5, warmup_epochs: 5, start_factor: 0.1, t_max: 20, eta_min: 0.001,
    factor: 0.5, patience: 3, threshold: 1e-4, cooldown: 2, min_lr: 1e-3,
};
// A loss that falls for 10 epochs, then stalls.
let losses: Vec<f64> = (0..30).map(|t| if t < 10 { 1.0 / (1.0 + t as f64) } else { 0.1 }).collect();
for name in ["step_lr", "exponential_lr", "cosine_warmup", "reduce_on_plateau"] {
    let mut s = build_schedule(name, &ScheduleHyper { gamma: if name == "exponential_lr" { 0.9 } else { 0.5 }, ..h })
        .expect("build_schedule knows the name");
    let mut lrs = vec![s.lr()];
    for &loss in &losses {
        s.step(loss);
        lrs.push(s.lr());
    }
    println!("{name:>18}: {}", lrs.iter().step_by(5).map(|v| format!("{v:.4}")).collect::<Vec<_>>().join(" "));
}
"#;

/// What a notebook exercise of `kind` says and tries: the interface in
/// words, the solution cell's heading, the try-it cell and its words.
fn notebook_texts(kind: Kind) -> Result<(&'static str, &'static str, &'static str, &'static str)> {
    Ok(match kind {
        Kind::Optimizer => (
            "`build(h)` returns your optimizer for the hyperparameters `h`; `step` updates one flat vector of \
             parameters from its gradients; `state` names your buffers as PyTorch does.",
            "Your optimizer",
            TRY_OPTIMIZER,
            "A hundred steps on `0.1 x² + 2 y²` from (−5, −2): the loss should fall.",
        ),
        Kind::Function => (
            "`build_function(op)` returns the op called `op`; `forward` maps its input arrays (`Tensor`: values \
             row-major and a shape) to its output; `backward` returns the gradient of each input for an upstream \
             gradient `dy`.",
            "Your ops",
            TRY_FUNCTIONS,
            "Each backward against central differences of its forward, the check the grader makes (it also \
             compares with PyTorch): every largest difference should be below about 1e-8.",
        ),
        Kind::Schedule => (
            "`build_schedule(name, h)` returns the schedule called `name` for the hyperparameters `h` (torch's \
             names); `lr()` is the learning rate of the coming epoch and `step(loss)` ends an epoch whose \
             validation loss was `loss`.",
            "Your schedules",
            TRY_SCHEDULES,
            "Each schedule's learning rates over 30 epochs, on a loss that stalls from epoch 10: the step decays \
             every 10 epochs, the exponential one every epoch, the cosine rises for 5 epochs then falls to \
             `eta_min` at epoch 25 (and rises after it: the cosine is periodic, as torch's), and \
             reduce-on-plateau halves the rate once the loss has stalled for more than 3 epochs.",
        ),
        Kind::Op => {
            return Err(Error::invalid("assign", "notebook", "an op's exercise is written as a notebook already"))
        }
        Kind::Training => {
            return Err(Error::invalid(
                "assign",
                "notebook",
                "a training is a Rust file that uses descent's library (the notebooks in notebooks/ are where to try \
                 it in the kernel)",
            ))
        }
    })
}

/// An optimizer's, schedules' or functions' reference solution
/// (`solution.rs`) as a reference notebook: the task in words (the file's
/// documentation), the student API, the solution as a cell tagged
/// `solution`, and a cell that tries it (an optimizer on the
/// ill-conditioned quadratic; each schedule's rates; functions against
/// central differences of their forwards). `grade assign --notebook` makes
/// the student's copy from it.
pub fn notebook_of(kind: Kind, title: &str, solution_rs: &str) -> Result<String> {
    let (interface, yours, try_it, try_text) = notebook_texts(kind)?;
    let doc: String = solution_rs
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| format!("{}\n", l.strip_prefix(' ').unwrap_or(l)))
        .collect();
    let code: String = solution_rs
        .lines()
        .filter(|l| !l.starts_with("//!") && !l.starts_with("use crate::student_api"))
        .skip_while(|l| l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let markdown = |text: String| serde_json::json!({"cell_type": "markdown", "metadata": {}, "source": text});
    let code_cell = |text: String, tags: &[&str]| {
        serde_json::json!({
            "cell_type": "code", "execution_count": null, "metadata": {"tags": tags}, "outputs": [], "source": text
        })
    };
    let mut nb = serde_json::json!({
        "cells": [
            markdown(format!("# Exercise: {title}\n\n{doc}")),
            markdown(format!("## The interface\n\nThis cell is given (it is the grader's `student_api`): {interface}")),
            code_cell(api_cell(), &[]),
            markdown(format!(
                "## {yours}\n\nWrite the regions marked `todo!(\"your code here\")`. The grader compiles only this \
                 cell."
            )),
            code_cell(code, &["solution"]),
            markdown(format!("## Try it\n\n{try_text}")),
            code_cell(try_it.to_string(), &[]),
        ],
        "metadata": {
            "kernelspec": {"display_name": "Rust", "language": "rust", "name": "rust"},
            "language_info": {"name": "Rust"}
        },
        "nbformat": 4,
        "nbformat_minor": 5
    });
    // nbformat 4.5 wants an id on every cell.
    for (i, cell) in nb["cells"].as_array_mut().expect("cells").iter_mut().enumerate() {
        cell["id"] = format!("cell-{i}").into();
    }
    Ok(serde_json::to_string_pretty(&nb).expect("JSON"))
}

/// The student's copy of a reference notebook.
pub fn student_notebook(notebook: &str) -> Result<String> {
    let mut nb = parse(notebook)?;
    for cell in nb["cells"].as_array_mut().expect("checked") {
        let text = source(cell);
        let text = if is_solution(cell) {
            if text.lines().any(|l| l.trim() == BEGIN) {
                strip_solution(&text)?
            } else {
                "// YOUR CODE HERE\n".to_string()
            }
        } else {
            text
        };
        let text = strip_hidden(&text)?;
        cell["source"] = Value::String(text.trim_end_matches('\n').to_string());
        if cell["cell_type"] == "code" {
            cell["outputs"] = Value::Array(Vec::new());
            cell["execution_count"] = Value::Null;
        }
    }
    Ok(serde_json::to_string_pretty(&nb).expect("JSON"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notebook(cells: Value) -> String {
        serde_json::json!({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).to_string()
    }

    #[test]
    fn solution_cells_by_tag_or_nbgrader_metadata_make_the_module() {
        let nb = notebook(serde_json::json!([
            {"cell_type": "markdown", "metadata": {}, "source": "pub fn not_code() {}"},
            {"cell_type": "code", "metadata": {}, "source": "pub trait Given {}", "outputs": []},
            {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": [":dep x = \"1\"\n", "pub fn a() {}"], "outputs": []},
            {"cell_type": "code", "metadata": {"nbgrader": {"solution": true, "grade": false}}, "source": "pub fn b() {}", "outputs": []},
            {"cell_type": "code", "metadata": {"nbgrader": {"solution": false, "grade": true}}, "source": "assert!(true);", "outputs": []}
        ]));
        let module = solution_module(&nb).unwrap();
        assert_eq!(module, "#[allow(unused_imports)]\nuse crate::student_api::*;\n\npub fn a() {}\n\npub fn b() {}\n");
        let none = notebook(serde_json::json!([{"cell_type": "code", "metadata": {}, "source": "fn f() {}"}]));
        assert!(solution_module(&none).unwrap_err().to_string().contains("no solution cell"));
        assert!(solution_module("{\"not\": 1}").unwrap_err().to_string().contains("not a Jupyter notebook"));
    }

    #[test]
    fn the_students_copy_has_no_solution_no_hidden_test_and_no_output() {
        let nb = notebook(serde_json::json!([
            {"cell_type": "code", "metadata": {"tags": ["solution"]}, "execution_count": 3,
             "source": "fn f() -> u8 {\n    // BEGIN SOLUTION\n    42\n    // END SOLUTION\n}",
             "outputs": [{"output_type": "stream", "name": "stdout", "text": "42"}]},
            {"cell_type": "code", "metadata": {"nbgrader": {"solution": true}}, "source": "fn g() {}", "outputs": []},
            {"cell_type": "code", "metadata": {"nbgrader": {"grade": true}},
             "source": "assert_eq!(f(), 42);\n// BEGIN HIDDEN TESTS\nassert_eq!(f() + 1, 43);\n// END HIDDEN TESTS", "outputs": []}
        ]));
        let copy: Value = serde_json::from_str(&student_notebook(&nb).unwrap()).unwrap();
        let cells = copy["cells"].as_array().unwrap();
        assert_eq!(cells[0]["source"], "fn f() -> u8 {\n    todo!(\"your code here\")\n}");
        assert_eq!((cells[0]["outputs"].as_array().unwrap().len(), &cells[0]["execution_count"]), (0, &Value::Null));
        assert_eq!(cells[1]["source"], "// YOUR CODE HERE");
        assert_eq!(cells[2]["source"], "assert_eq!(f(), 42);");
        // The metadata stays: nbgrader still knows its cells.
        assert_eq!(cells[1]["metadata"]["nbgrader"]["solution"], true);
        let open =
            notebook(serde_json::json!([{"cell_type": "code", "metadata": {}, "source": "// BEGIN HIDDEN TESTS"}]));
        assert!(student_notebook(&open).unwrap_err().to_string().contains("never closed"));
    }
}
