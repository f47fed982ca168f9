//! Runs the sections, renders the templates, writes the outputs.

use super::sections::{visuals, Visuals};
use crate::data::download::write_atomically;
use crate::data::Mnist;
use crate::experiments::{csv_bytes, Claim, Context, Profile, Verdict, EXPERIMENTS};
use crate::{Error, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What the `report` command was asked to do.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// quick or full.
    pub profile: Profile,
    /// Base seed of every experiment.
    pub seed: u64,
    /// Output directory (`reports/`).
    pub out: PathBuf,
    /// Re-run only these sections; the others come from the last run's
    /// saved data in `out/data/sections/`.
    pub only: Option<Vec<String>>,
    /// Where MNIST is (else `MNIST_DIR`, else `data/mnist`).
    pub mnist_dir: Option<PathBuf>,
    /// Progress bars (drawn on a terminal only).
    pub progress: bool,
}

/// One section, as rendered and as saved for `--only`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Section {
    name: String,
    title: String,
    sources: String,
    /// `ran`, `not_run` or `failed`.
    status: String,
    reason: Option<String>,
    profile: String,
    seed: u64,
    seconds: f64,
    claims: Vec<Claim>,
    notes: Vec<String>,
    visuals: Visuals,
    csv: Vec<String>,
}

/// A section's line in the closing summary.
#[derive(Debug, Clone, Serialize)]
pub struct SectionSummary {
    /// Section name.
    pub name: String,
    /// `ran`, `not_run`, `failed` (or `kept` from an earlier run).
    pub status: String,
    /// Wall time.
    pub seconds: f64,
    /// Claims supported / not supported / full profile only.
    pub supported: usize,
    /// Claims not supported.
    pub not_supported: usize,
    /// Claims left to the full profile.
    pub full_only: usize,
}

/// What `generate` did.
#[derive(Debug, Clone, Serialize)]
pub struct ReportSummary {
    /// Per section.
    pub sections: Vec<SectionSummary>,
    /// The HTML file written.
    pub index: PathBuf,
    /// Total wall time.
    pub seconds: f64,
}

#[derive(Serialize)]
struct Metadata {
    profile: String,
    seed: u64,
    version: &'static str,
    commit: String,
    rustc: String,
    cpu: String,
    threads: usize,
    seconds: String,
    only: String,
}

#[derive(Serialize)]
struct LedgerRow<'a> {
    section: &'a str,
    section_title: &'a str,
    claim: &'a Claim,
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    metadata: &'a Metadata,
    claims: Vec<SummaryClaim<'a>>,
    sections: Vec<SummarySection<'a>>,
}

#[derive(Serialize)]
struct SummaryClaim<'a> {
    section: &'a str,
    #[serde(flatten)]
    claim: &'a Claim,
}

#[derive(Serialize)]
struct SummarySection<'a> {
    name: &'a str,
    status: &'a str,
    reason: &'a Option<String>,
    profile: &'a str,
    seconds: f64,
    csv: &'a [String],
}

/// The templates, compiled into the binary from `templates/`.
fn templates() -> Result<tera::Tera> {
    let mut t = tera::Tera::default();
    let mut files: Vec<(String, &str)> = vec![
        ("base.html".into(), include_str!("../../templates/base.html.tera")),
        ("macros.html".into(), include_str!("../../templates/macros.html.tera")),
    ];
    for (name, text) in SECTION_TEMPLATES {
        files.push((format!("sections/{name}.html"), text));
    }
    t.add_raw_templates(files).map_err(|e| Error::invalid("report", "templates", tera_error(&e)))?;
    Ok(t)
}

/// One partial per section, in `templates/sections/`.
const SECTION_TEMPLATES: [(&str, &str); 11] = [
    ("batch_modes", include_str!("../../templates/sections/batch_modes.html.tera")),
    ("linear_regression", include_str!("../../templates/sections/linear_regression.html.tera")),
    ("surfaces", include_str!("../../templates/sections/surfaces.html.tera")),
    ("toy_function", include_str!("../../templates/sections/toy_function.html.tera")),
    ("mnist_mlp", include_str!("../../templates/sections/mnist_mlp.html.tera")),
    ("cnn_grid", include_str!("../../templates/sections/cnn_grid.html.tera")),
    ("wilson", include_str!("../../templates/sections/wilson.html.tera")),
    ("amsgrad", include_str!("../../templates/sections/amsgrad.html.tera")),
    ("adadelta_eps", include_str!("../../templates/sections/adadelta_eps.html.tera")),
    ("adagrad_sparse", include_str!("../../templates/sections/adagrad_sparse.html.tera")),
    ("seed004", include_str!("../../templates/sections/seed004.html.tera")),
];

fn tera_error(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}

fn command_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(cmd).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn saved_path(out: &Path, name: &str) -> PathBuf {
    out.join("data").join("sections").join(format!("{name}.json"))
}

/// Runs the experiments and writes `out/index.html`, `out/summary.json`,
/// `out/data/*.csv` and `out/data/sections/*.json`. Nothing is written
/// until everything has been computed and rendered; each file is then
/// replaced atomically, the HTML last.
pub fn generate(opts: &ReportOptions) -> Result<ReportSummary> {
    let start = Instant::now();
    if let Some(only) = &opts.only {
        for name in only {
            crate::experiments::by_name(name)?;
        }
    }
    let selected = |name: &str| opts.only.as_ref().is_none_or(|o| o.iter().any(|n| n == name));
    let needs_mnist =
        EXPERIMENTS.iter().any(|e| selected(e.name) && (e.needs_mnist || matches!(e.name, "wilson" | "seed004")));
    let mnist: std::result::Result<Mnist, Error> = if needs_mnist {
        Mnist::load(opts.mnist_dir.as_deref())
    } else {
        Err(Error::invalid("report", "mnist", "not loaded: no selected section needs it"))
    };
    let tera = templates()?;
    // An overall bar, and a spinner with its elapsed time for the running section.
    let multi = MultiProgress::new();
    if !opts.progress {
        multi.set_draw_target(ProgressDrawTarget::hidden());
    }
    let bar = multi.add(ProgressBar::new(EXPERIMENTS.len() as u64));
    bar.set_style(
        ProgressStyle::with_template("report {bar:30} {pos}/{len} sections, {elapsed}").expect("valid template"),
    );
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut sections = Vec::new();
    let mut summaries = Vec::new();
    for e in EXPERIMENTS {
        let spinner = multi.add(ProgressBar::new_spinner());
        spinner.set_style(ProgressStyle::with_template("  {spinner} {msg} {elapsed}").expect("valid template"));
        spinner.set_message(e.name);
        spinner.enable_steady_tick(std::time::Duration::from_millis(200));
        let section_start = Instant::now();
        let mut status_note = None;
        let section = if !selected(e.name) {
            status_note = Some("kept");
            match std::fs::read(saved_path(&opts.out, e.name))
                .ok()
                .and_then(|b| serde_json::from_slice::<Section>(&b).ok())
            {
                Some(s) => s,
                None => not_run(e, opts, "not selected with --only, and no earlier run of it was saved".into()),
            }
        } else if e.needs_mnist && mnist.is_err() {
            let why = mnist.as_ref().err().map(|e| e.to_string()).unwrap_or_default();
            not_run(e, opts, format!("needs MNIST: {why}"))
        } else {
            let ctx =
                Context { profile: opts.profile, seed: opts.seed, mnist: mnist.as_ref(), progress: opts.progress };
            match (e.run)(&ctx).and_then(|o| {
                let v = visuals(e.name, &o)?;
                Ok((o, v))
            }) {
                Ok((outcome, visuals)) => {
                    let mut csv = Vec::new();
                    for (frame, df) in &outcome.frames {
                        let file = format!("{}_{frame}.csv", e.name);
                        files.push((opts.out.join("data").join(&file), csv_bytes(df, &file)?));
                        csv.push(file);
                    }
                    Section {
                        name: e.name.into(),
                        title: e.title.into(),
                        sources: e.sources.into(),
                        status: "ran".into(),
                        reason: None,
                        profile: opts.profile.to_string(),
                        seed: opts.seed,
                        seconds: section_start.elapsed().as_secs_f64(),
                        claims: outcome.claims,
                        notes: outcome.notes,
                        visuals,
                        csv,
                    }
                }
                Err(err) => {
                    let mut s = not_run(e, opts, format!("failed: {err}"));
                    s.status = "failed".into();
                    s
                }
            }
        };
        if status_note.is_none() {
            let json =
                serde_json::to_vec(&section).map_err(|err| Error::invalid("report", "section", err.to_string()))?;
            files.push((saved_path(&opts.out, e.name), json));
        }
        let count = |v: Verdict| section.claims.iter().filter(|c| c.verdict == v).count();
        summaries.push(SectionSummary {
            name: e.name.into(),
            status: status_note.map_or(section.status.clone(), |s| format!("{s} ({})", section.status)),
            seconds: section_start.elapsed().as_secs_f64(),
            supported: count(Verdict::Supported),
            not_supported: count(Verdict::NotSupported),
            full_only: count(Verdict::FullProfileOnly),
        });
        sections.push(section);
        spinner.finish_and_clear();
        bar.inc(1);
    }
    bar.finish_and_clear();
    let metadata = Metadata {
        profile: opts.profile.to_string(),
        seed: opts.seed,
        version: env!("CARGO_PKG_VERSION"),
        commit: command_line("git", &["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into()),
        rustc: command_line("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
        cpu: cpu(),
        threads: rayon::current_num_threads(),
        seconds: format!("{:.1}", start.elapsed().as_secs_f64()),
        only: opts.only.as_ref().map(|o| o.join(", ")).unwrap_or_default(),
    };
    // Render every section's partial, then the page.
    let mut rendered = Vec::new();
    for s in &sections {
        let mut ctx = tera::Context::new();
        ctx.insert("s", s);
        let html = tera
            .render(&format!("sections/{}.html", s.name), &ctx)
            .map_err(|e| Error::invalid("report", "templates", tera_error(&e)))?;
        rendered.push(html);
    }
    let ledger: Vec<LedgerRow> = sections
        .iter()
        .flat_map(|s| s.claims.iter().map(move |c| LedgerRow { section: &s.name, section_title: &s.title, claim: c }))
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("meta", &metadata);
    ctx.insert("ledger", &ledger);
    ctx.insert("sections", &sections);
    ctx.insert("rendered", &rendered);
    let count = |v: Verdict| ledger.iter().filter(|r| r.claim.verdict == v).count();
    ctx.insert("supported", &count(Verdict::Supported));
    ctx.insert("not_supported", &count(Verdict::NotSupported));
    ctx.insert("full_only", &count(Verdict::FullProfileOnly));
    let html = tera.render("base.html", &ctx).map_err(|e| Error::invalid("report", "templates", tera_error(&e)))?;
    let summary = SummaryJson {
        metadata: &metadata,
        claims: ledger.iter().map(|r| SummaryClaim { section: r.section, claim: r.claim }).collect(),
        sections: sections
            .iter()
            .map(|s| SummarySection {
                name: &s.name,
                status: &s.status,
                reason: &s.reason,
                profile: &s.profile,
                seconds: s.seconds,
                csv: &s.csv,
            })
            .collect(),
    };
    let summary_json =
        serde_json::to_vec_pretty(&summary).map_err(|e| Error::invalid("report", "summary", e.to_string()))?;
    files.push((opts.out.join("summary.json"), summary_json));
    files.push((opts.out.join("index.html"), html.into_bytes()));
    for (path, bytes) in &files {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
        }
        write_atomically(path, bytes)?;
    }
    Ok(ReportSummary {
        sections: summaries,
        index: opts.out.join("index.html"),
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn not_run(e: &crate::experiments::Experiment, opts: &ReportOptions, reason: String) -> Section {
    Section {
        name: e.name.into(),
        title: e.title.into(),
        sources: e.sources.into(),
        status: "not_run".into(),
        reason: Some(reason),
        profile: opts.profile.to_string(),
        seed: opts.seed,
        seconds: 0.0,
        claims: Vec::new(),
        notes: Vec::new(),
        visuals: Visuals::default(),
        csv: Vec::new(),
    }
}
