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
use crate::kit::{strip_solution, BEGIN};
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

/// An optimizer assignment's reference solution (`solution.rs`) as a
/// reference notebook: the task in words (the file's documentation), the
/// student API, the solution as a cell tagged `solution`, and a cell that
/// runs the optimizer on the ill-conditioned quadratic. `grade assign
/// --notebook` makes the student's copy from it.
pub fn notebook_of(title: &str, solution_rs: &str) -> String {
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
    let try_it = "let mut opt = build(&Hyper { lr: 0.05, ..Hyper::default() });\n\
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
    let mut nb = serde_json::json!({
        "cells": [
            markdown(format!("# Exercise: {title}\n\n{doc}")),
            markdown("## The interface\n\nThis cell is given (it is the grader's `student_api`): `build(h)` returns \
                      your optimizer for the hyperparameters `h`; `step` updates one flat vector of parameters from \
                      its gradients; `state` names your buffers as PyTorch does."
                .to_string()),
            code_cell(api_cell(), &[]),
            markdown("## Your optimizer\n\nWrite the region marked `todo!(\"your code here\")`. The grader compiles \
                      only this cell."
                .to_string()),
            code_cell(code, &["solution"]),
            markdown("## Try it\n\nA hundred steps on `0.1 x² + 2 y²` from (−5, −2): the loss should fall.".to_string()),
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
    serde_json::to_string_pretty(&nb).expect("JSON")
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
