//! The grader's gradebook read back by the lab's data tool: a teacher
//! opens `gradebook.csv` in polars, quoted names and all.

use descent_grader::platform::gradebook_csv;
use descent_grader::{Grade, TestResult, Visibility};
use descent_lab::polars::prelude::{CsvReadOptions, SerReader};

fn result(name: &str, score: f64) -> TestResult {
    TestResult {
        name: name.into(),
        score,
        max_score: 10.0,
        status: if score >= 10.0 { "passed" } else { "failed" }.into(),
        output: String::new(),
        visibility: Visibility::Visible,
        diagnosis: None,
        seconds: 0.0,
        deviation: Vec::new(),
    }
}

fn sample_grade() -> Grade {
    Grade {
        student: "ada, \"the\" student".into(),
        gradable: true,
        message: String::new(),
        tests: vec![result("adam_mlp", 5.0), result("adam_mlp_hidden", 5.0)],
        execution_time: 0.25,
        visibility: Visibility::Visible,
    }
}

#[test]
fn the_gradebook_csv_opens_in_polars() {
    let csv = gradebook_csv(&[sample_grade()]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gradebook.csv");
    std::fs::write(&path, &csv).unwrap();
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(path))
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(df.shape(), (2, 5));
    let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    assert_eq!(names, ["student", "test", "score", "max", "status"]);
    let student = df.column("student").unwrap().str().unwrap().get(0).unwrap().to_string();
    assert_eq!(student, "ada, \"the\" student");
    let scores = df.column("score").unwrap().f64().unwrap().clone();
    let total: f64 = (0..scores.len()).filter_map(|i| scores.get(i)).sum();
    assert_eq!(total, 10.0);
}
