//! The report and the grader's pages in a real browser: headless Chromium
//! loads the generated files; no console messages (the pages have no
//! scripts, so any would be an error) and no network requests (NetLog),
//! and a screenshot is saved.
//!
//! Needs Debian's `chromium` (installed by `.ci/run`, which also sets
//! DESCENT_REQUIRE_BROWSER=1 so that a missing browser fails CI instead of
//! skipping).

use descent_lab::experiments::Profile;
use descent_lab::report::{generate, ReportOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.exists())
}

/// Loads `page` headless; returns (console lines, URLs requested over the network).
fn load(browser: &Path, page: &Path, screenshot: &Path) -> (Vec<String>, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let netlog = profile.path().join("net.json");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1100,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console: Vec<String> = stderr.lines().filter(|l| l.contains("CONSOLE")).map(String::from).collect();
    // Requests the page made: those keyed to its file:// origin (the
    // browser's own background requests are keyed to other sites).
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&netlog).unwrap_or_default()).unwrap_or_default();
    let mut urls = Vec::new();
    for event in log["events"].as_array().into_iter().flatten() {
        let params = &event["params"];
        let (Some(url), Some(key)) = (params["url"].as_str(), params["network_isolation_key"].as_str()) else {
            continue;
        };
        if key.contains("file://")
            && !url.starts_with("file:")
            && !url.starts_with("data:")
            && !urls.iter().any(|u| u == url)
        {
            urls.push(url.to_string());
        }
    }
    assert!(screenshot.exists(), "no screenshot; chromium said: {stderr}");
    (console, urls)
}

/// The browser, or `None` (the test is skipped) when it is not installed
/// and CI does not require it.
fn browser() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var("DESCENT_REQUIRE_BROWSER").is_err(),
            "DESCENT_REQUIRE_BROWSER is set but chromium is not installed"
        );
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
    }
    found
}

#[test]
fn the_grading_pages_load_without_console_errors_or_network_requests() {
    let Some(browser) = browser() else { return };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/grader");
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("subs");
    std::fs::create_dir_all(&subs).unwrap();
    for name in ["adam_no_bias_correction", "does_not_compile", "adam_returns_nan"] {
        std::fs::copy(root.join(format!("tests/submissions/adam/{name}.rs")), subs.join(format!("{name}.rs"))).unwrap();
    }
    std::fs::copy(root.join("assignments/adam/solution/solution.rs"), subs.join("adam_correct.rs")).unwrap();
    let out = dir.path().join("out");
    descent_grader::class::grade_all(&root.join("assignments/adam"), &subs, &out, 2, false).unwrap();
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    for (page, shot) in [
        (out.join("feedback/adam_no_bias_correction.html"), tmp.join("feedback.png")),
        (out.join("feedback/does_not_compile.html"), tmp.join("feedback-rejected.png")),
        (out.join("index.html"), tmp.join("class.png")),
    ] {
        let (console, urls) = load(&browser, &page, &shot);
        assert!(console.is_empty(), "{}: console messages: {console:?}", page.display());
        assert!(urls.is_empty(), "{}: network requests: {urls:?}", page.display());
        eprintln!("screenshot: {}", shot.display());
    }
}

#[test]
fn the_report_loads_without_console_errors_or_network_requests() {
    let Some(browser) = browser() else { return };
    let dir = tempfile::tempdir().unwrap();
    let only = ["surfaces", "toy_function", "amsgrad", "seed004"];
    generate(&ReportOptions {
        only: Some(only.iter().map(|s| s.to_string()).collect()),
        mnist_dir: Some("/nonexistent".into()),
        ..ReportOptions::new(Profile::Quick, 0, dir.path())
    })
    .unwrap();
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let (console, urls) = load(&browser, &dir.path().join("index.html"), &shot);
    assert!(console.is_empty(), "console messages: {console:?}");
    assert!(urls.is_empty(), "network requests: {urls:?}");
    eprintln!("screenshot: {}", shot.display());

    // The checks themselves catch what they look for.
    let bad = dir.path().join("bad.html");
    std::fs::write(
        &bad,
        "<html><body><img src=\"http://127.0.0.1:9/x.png\"><script>console.error('boom')</script></body></html>",
    )
    .unwrap();
    let (console, urls) = load(&browser, &bad, &dir.path().join("bad.png"));
    assert!(!console.is_empty(), "a console.error must be seen");
    assert!(!urls.is_empty(), "a request must be seen");
}
