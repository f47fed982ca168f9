//! The grader's HTML: a feedback page per student and the class summary,
//! rendered from typed contexts with the templates of `crates/grader/templates/`
//! and the project's charts (inline SVG, no scripts, nothing fetched).
//!
//! A feedback page is what a student may be shown at any time: the
//! `visible` tests in full; the others (`hidden`, and those Gradescope shows
//! only after the due date or after publication) only as a count, with
//! their points when the assignment shows the total; the total only when
//! the assignment shows it.

use crate::course::description;
use crate::model::{Assignment, Record};
use crate::score::{Check, Grade, TestResult, Visibility};
use descent::error::with_sources;
use descent::{Error, Result};
use descent_plot::{bar_chart, line_chart, Axes, Line};
use serde::Serialize;
use std::collections::BTreeMap;

/// The templates, compiled into the binary.
fn templates() -> Result<tera::Tera> {
    let mut t = tera::Tera::default();
    t.add_raw_templates([
        ("grading/style.html", include_str!("../templates/style.html.tera")),
        ("grading/feedback.html", include_str!("../templates/feedback.html.tera")),
        ("grading/class.html", include_str!("../templates/class.html.tera")),
    ])
    .map_err(|e| Error::invalid("grade", "templates", with_sources(&e)))?;
    Ok(t)
}

fn render(template: &str, ctx: &impl Serialize) -> Result<String> {
    let ctx = tera::Context::from_serialize(ctx).map_err(|e| Error::invalid("grade", "templates", with_sources(&e)))?;
    templates()?.render(template, &ctx).map_err(|e| Error::invalid("grade", "templates", with_sources(&e)))
}

/// Points as a gradebook shows them (three decimals at most).
fn points(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn check_name(c: Check) -> &'static str {
    match c {
        Check::Replay => "replay",
        Check::LrZero => "property: lr = 0",
        Check::Maximize => "property: maximize",
        Check::Deterministic => "property: deterministic",
        Check::FreeRunning => "property: free-running",
        Check::OpForward => "forward",
        Check::OpBackward => "backward",
        Check::Gradcheck => "gradient check",
        Check::HeldOutAccuracy => "held-out accuracy",
    }
}

#[derive(Serialize)]
struct TestRow {
    name: String,
    check: &'static str,
    score: String,
    max: String,
    status: String,
    output: String,
}

#[derive(Serialize)]
struct FeedbackPage<'a> {
    title: &'a str,
    assignment: &'a str,
    student: &'a str,
    score: String,
    max: String,
    percent: String,
    gradable: bool,
    message: &'a str,
    tests: Vec<TestRow>,
    total_shown: bool,
    isolation: &'a str,
    hidden_count: usize,
    hidden_score: String,
    hidden_max: String,
    chart: Option<String>,
    grader: &'a str,
    rustc: &'a str,
    assignment_hash: &'a str,
    submission_sha256: &'a str,
    seconds: String,
}

/// The test's check, by its name in the assignment.
fn checks(assignment: &Assignment) -> BTreeMap<&str, Check> {
    assignment.rules.tests.iter().map(|t| (t.name.as_str(), t.check)).collect()
}

/// A student's feedback page.
pub fn feedback_html(assignment: &Assignment, record: &Record) -> Result<String> {
    let g = &record.grade;
    let kinds = checks(assignment);
    let shown: Vec<&TestResult> = g.tests.iter().filter(|t| t.visibility == Visibility::Visible).collect();
    let hidden: Vec<&TestResult> = g.tests.iter().filter(|t| t.visibility != Visibility::Visible).collect();
    let tests = shown
        .iter()
        .map(|t| TestRow {
            name: t.name.clone(),
            check: check_name(kinds.get(t.name.as_str()).copied().unwrap_or_default()),
            score: points(t.score),
            max: points(t.max_score),
            status: t.status.clone(),
            output: t.output.clone(),
        })
        .collect();
    // How far each shown replay that missed steps was from the reference.
    let lines: Vec<Line> = shown
        .iter()
        .filter(|t| t.score < t.max_score && !t.deviation.is_empty())
        .map(|t| {
            let pts = t.deviation.iter().enumerate().filter_map(|(i, d)| d.map(|d| ((i + 1) as f64, d))).collect();
            Line::new(t.name.clone(), t.name.clone(), pts)
        })
        .collect();
    let axes = Axes::new("distance from PyTorch at each step", "step", "largest relative difference").log_y();
    let chart = if lines.is_empty() { None } else { line_chart(&axes, &lines) };
    let max = g.max_score();
    let page = FeedbackPage {
        title: &assignment.title,
        assignment: &assignment.name,
        student: &g.student,
        score: points(g.score()),
        max: points(max),
        percent: if max > 0.0 { format!("{:.0}", 100.0 * g.score() / max) } else { "0".into() },
        gradable: g.gradable,
        message: &g.message,
        tests,
        total_shown: g.visibility == Visibility::Visible,
        isolation: record.isolation.map_or("not recorded", |i| i.describe()),
        hidden_count: hidden.len(),
        hidden_score: points(hidden.iter().map(|t| t.score).sum()),
        hidden_max: points(hidden.iter().map(|t| t.max_score).sum()),
        chart,
        grader: &record.grader,
        rustc: &record.rustc,
        assignment_hash: &record.assignment_hash,
        submission_sha256: &record.submission_sha256,
        seconds: format!("{:.2}", g.execution_time),
    };
    render("grading/feedback.html", &page)
}

#[derive(Serialize)]
struct StudentRow<'a> {
    student: &'a str,
    score: String,
    percent: f64,
    note: String,
    seconds: String,
}

#[derive(Serialize)]
struct DiagnosisRow {
    key: String,
    description: String,
    students: usize,
    tests: String,
}

#[derive(Serialize, Clone)]
struct ClassTestRow {
    name: String,
    check: &'static str,
    visibility: String,
    max: String,
    mean: String,
    failed: usize,
    mean_seconds: String,
    max_seconds: String,
}

#[derive(Serialize)]
struct ClassPage<'a> {
    title: &'a str,
    assignment: &'a str,
    students: Vec<StudentRow<'a>>,
    count: usize,
    ungradable: usize,
    mean: String,
    median: String,
    max: String,
    histogram: Option<String>,
    diagnoses: Vec<DiagnosisRow>,
    failing: Vec<ClassTestRow>,
    slowest: Vec<ClassTestRow>,
    hash: &'a str,
    similar: Vec<SimilarRow>,
    flag: String,
}

/// A pair of submissions flagged as alike.
#[derive(Serialize)]
struct SimilarRow {
    a: String,
    b: String,
    similarity: String,
    shared: usize,
}

/// The share of `max` in each tenth: `0–10`, ..., `90–100` (a full score in
/// the last).
fn histogram(grades: &[&Grade]) -> Vec<(String, f64)> {
    let mut bins = vec![0.0; 10];
    for g in grades {
        let max = g.max_score();
        let share = if max > 0.0 { g.score() / max } else { 0.0 };
        bins[((share * 10.0).floor() as usize).min(9)] += 1.0;
    }
    bins.into_iter().enumerate().map(|(i, n)| (format!("{}–{}", 10 * i, 10 * (i + 1)), n)).collect()
}

/// The class summary: scores, the histogram, the mistakes most diagnosed,
/// the tests most failed and the slowest, every student's line.
pub fn class_html(
    assignment: &Assignment,
    classes: &[&str],
    records: &[Record],
    pairs: &[crate::similarity::Pair],
) -> Result<String> {
    let grades: Vec<&Grade> = records.iter().map(|r| &r.grade).collect();
    let kinds = checks(assignment);
    let mut totals: Vec<f64> = grades.iter().map(|g| g.score()).collect();
    totals.sort_by(f64::total_cmp);
    let mean = totals.iter().sum::<f64>() / totals.len().max(1) as f64;
    let median = match totals.len() {
        0 => 0.0,
        n if n % 2 == 1 => totals[n / 2],
        n => (totals[n / 2 - 1] + totals[n / 2]) / 2.0,
    };
    let max = assignment.rules.tests.iter().map(|t| t.points).sum::<f64>();
    let students = grades
        .iter()
        .map(|g| StudentRow {
            student: &g.student,
            score: points(g.score()),
            percent: if max > 0.0 { (1000.0 * g.score() / max).round() / 10.0 } else { 0.0 },
            note: if g.gradable {
                g.message.lines().next().unwrap_or("").to_string()
            } else {
                "does not compile".into()
            },
            seconds: format!("{:.2}", g.execution_time),
        })
        .collect();
    // Each diagnosed mistake: how many students, on which tests.
    let mut mistakes: BTreeMap<String, (std::collections::BTreeSet<&str>, std::collections::BTreeSet<&str>)> =
        BTreeMap::new();
    for g in &grades {
        for t in &g.tests {
            if let Some(d) = &t.diagnosis {
                let entry = mistakes.entry(d.key.clone()).or_default();
                entry.0.insert(&g.student);
                entry.1.insert(&t.name);
            }
        }
    }
    let mut diagnoses: Vec<DiagnosisRow> = mistakes
        .into_iter()
        .map(|(key, (who, tests))| DiagnosisRow {
            description: description(classes, &key).unwrap_or("").to_string(),
            key,
            students: who.len(),
            tests: tests.into_iter().collect::<Vec<_>>().join(", "),
        })
        .collect();
    diagnoses.sort_by(|a, b| b.students.cmp(&a.students).then(a.key.cmp(&b.key)));
    // Per test, over the students who could be graded.
    let rows: Vec<(ClassTestRow, f64)> = assignment
        .rules
        .tests
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let results: Vec<&TestResult> =
                grades.iter().filter(|g| g.gradable).filter_map(|g| g.tests.get(i)).collect();
            let n = results.len().max(1) as f64;
            let secs: Vec<f64> = results.iter().map(|t| t.seconds).collect();
            let max_secs = secs.iter().copied().fold(0.0, f64::max);
            let row = ClassTestRow {
                name: spec.name.clone(),
                check: check_name(kinds.get(spec.name.as_str()).copied().unwrap_or_default()),
                visibility: serde_json::to_value(spec.visibility)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                max: points(spec.points),
                mean: points(results.iter().map(|t| t.score).sum::<f64>() / n),
                failed: results.iter().filter(|t| t.status != "passed").count(),
                mean_seconds: format!("{:.4}", secs.iter().sum::<f64>() / n),
                max_seconds: format!("{max_secs:.4}"),
            };
            (row, max_secs)
        })
        .collect();
    let mut failing: Vec<ClassTestRow> = rows.iter().filter(|(r, _)| r.failed > 0).map(|(r, _)| r.clone()).collect();
    failing.sort_by(|a, b| b.failed.cmp(&a.failed).then(a.name.cmp(&b.name)));
    let mut slowest = rows;
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    let axes = Axes::new("scores", "share of the points (%)", "students");
    let page = ClassPage {
        title: &assignment.title,
        assignment: &assignment.name,
        count: grades.len(),
        ungradable: grades.iter().filter(|g| !g.gradable).count(),
        students,
        mean: points(mean),
        median: points(median),
        max: points(max),
        histogram: bar_chart(&axes, &histogram(&grades)),
        diagnoses,
        failing,
        slowest: slowest.into_iter().take(5).map(|(r, _)| r).collect(),
        hash: records.first().map_or("", |r| r.assignment_hash.as_str()),
        similar: pairs
            .iter()
            .filter(|p| p.similarity >= crate::similarity::FLAG)
            .map(|p| SimilarRow {
                a: p.a.clone(),
                b: p.b.clone(),
                similarity: format!("{:.2}", p.similarity),
                shared: p.shared,
            })
            .collect(),
        flag: format!("{:.2}", crate::similarity::FLAG),
    };
    render("grading/class.html", &page)
}
