//! Runs the sections, renders the templates, writes the outputs.

use super::section::{Section, SectionStatus, SectionSummary, SummaryStatus};
use crate::experiments::{csv_bytes, multiplicity, Claim, Context, Experiment, Kind, Profile, Verdict, EXPERIMENTS};
use descent::data::Mnist;
use descent::error::with_sources;
use descent::files::{csv_field, write_atomically};
use descent::{Error, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
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
    /// Also write the claims as a Markdown document here (e.g.
    /// `docs/results-full.md`), with the other files.
    pub results_md: Option<PathBuf>,
    /// `summary.json` of runs of the same profile at other base seeds, for
    /// the Markdown document's stability column.
    pub stability: Vec<PathBuf>,
}

impl ReportOptions {
    /// Every section of `profile` at base seed `seed` into `out`: MNIST
    /// looked up as the command does, no progress bars, no Markdown
    /// document. Set the other fields with `..ReportOptions::new(..)`, so a
    /// caller (a notebook, a test) keeps compiling when an option is added.
    pub fn new(profile: Profile, seed: u64, out: impl Into<PathBuf>) -> ReportOptions {
        ReportOptions {
            profile,
            seed,
            out: out.into(),
            only: None,
            mnist_dir: None,
            progress: false,
            results_md: None,
            stability: Vec::new(),
        }
    }

    /// The `report` command line that reproduces these options.
    pub fn command(&self) -> String {
        let mut c = format!(
            "cargo run --bin report -- --profile {} --seed {} --out {}",
            self.profile,
            self.seed,
            self.out.display()
        );
        if let Some(only) = &self.only {
            c.push_str(&format!(" --only {}", only.join(",")));
        }
        if let Some(md) = &self.results_md {
            c.push_str(&format!(" --results-md {}", md.display()));
        }
        if !self.stability.is_empty() {
            let paths: Vec<String> = self.stability.iter().map(|p| p.display().to_string()).collect();
            c.push_str(&format!(" --stability {}", paths.join(",")));
        }
        c
    }
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
    /// Why MNIST could not be read from an explicitly given `mnist_dir`
    /// (the report is written all the same; the command then fails).
    pub mnist_error: Option<String>,
}

/// The run's metadata: what `summary.json` and the page's last table say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// quick or full.
    pub profile: String,
    /// Base seed.
    pub seed: u64,
    /// descent's version.
    pub version: String,
    /// Git commit, when known.
    pub commit: String,
    /// `rustc --version`.
    pub rustc: String,
    /// CPU model.
    pub cpu: String,
    /// Rayon's threads.
    pub threads: usize,
    /// Wall time, seconds.
    pub seconds: String,
    /// When the run finished (UTC).
    #[serde(default)]
    pub date: String,
    /// The `--only` list, comma-separated (empty for a full run).
    pub only: String,
}

#[derive(Serialize)]
struct LedgerRow<'a> {
    section: &'a str,
    section_title: &'a str,
    claim: &'a Claim,
    /// The verdict as shown ("inconclusive", "demonstration (supported)").
    label: String,
    /// The protocol in a sentence, when the claim has one.
    protocol: Option<String>,
    /// Its tuning grids with their scores, one line per method.
    grids: Vec<String>,
}

impl<'a> LedgerRow<'a> {
    fn new(section: &'a Section, claim: &'a Claim) -> Self {
        LedgerRow {
            section: &section.name,
            section_title: &section.title,
            claim,
            label: claim.label(),
            protocol: claim.protocol_text(),
            grids: claim.protocol.as_ref().map_or_else(Vec::new, |p| p.grids()),
        }
    }
}

/// `summary.json`: every claim with its section, and every section's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The run.
    pub metadata: Metadata,
    /// Every claim of every section, in the page's order.
    pub claims: Vec<SummaryClaim>,
    /// Every section.
    pub sections: Vec<SummarySection>,
}

impl Summary {
    /// Reads a `summary.json`; an error names the file and what is wrong.
    pub fn read(path: &Path) -> Result<Summary> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path.display(), e))?;
        Summary::parse(&bytes).map_err(|e| Error::data(path.display(), e.to_string()))
    }

    /// Parses the bytes of a `summary.json`.
    pub fn parse(bytes: &[u8]) -> Result<Summary> {
        serde_json::from_slice(bytes).map_err(|e| Error::data("summary.json", format!("not a descent summary: {e}")))
    }
}

/// A claim with the section it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryClaim {
    /// The section's name.
    pub section: String,
    /// The claim.
    #[serde(flatten)]
    pub claim: Claim,
}

/// A section's status, time and files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummarySection {
    /// Name.
    pub name: String,
    /// Ran, not run, failed.
    pub status: SectionStatus,
    /// Why not, when it did not run.
    pub reason: Option<String>,
    /// The profile it ran with.
    pub profile: String,
    /// Wall time.
    pub seconds: f64,
    /// Its CSV files under `data/`.
    pub csv: Vec<String>,
}

/// Files to write once everything is computed: `(path, bytes)`.
type Files = Vec<(PathBuf, Vec<u8>)>;

/// Runs the experiments and writes `out/index.html`, `out/summary.json`,
/// `out/data/*.csv` and `out/data/sections/*.json`. Nothing is written
/// until everything has been computed and rendered; each file is then
/// replaced atomically, the HTML last.
pub fn generate(opts: &ReportOptions) -> Result<ReportSummary> {
    let start = Instant::now();
    // The commit is read before the run: a commit made while it runs is not
    // the code that ran.
    let commit = commit();
    let selected = selection(opts)?;
    let (mnist, mnist_error) = load_mnist(opts, &selected);
    let tera = templates()?;
    let mut files = Files::new();
    let (sections, summaries) = run_sections(opts, &selected, &mnist, &mut files)?;
    let metadata = metadata(opts, start, commit);
    let (html, summary_json) = render(&tera, &metadata, &sections)?;
    if let Some(path) = &opts.results_md {
        let summary = Summary::parse(&summary_json)?;
        let others = opts.stability.iter().map(|p| Summary::read(p)).collect::<Result<Vec<_>>>()?;
        files.push((path.clone(), super::markdown_across(&summary, &others, &opts.command())?.into_bytes()));
    }
    files.push((opts.out.join("data").join("tuning.csv"), tuning_csv(&sections).into_bytes()));
    files.push((opts.out.join("summary.json"), summary_json));
    files.push((opts.out.join("index.html"), html.into_bytes()));
    write_all(&files)?;
    Ok(ReportSummary {
        sections: summaries,
        index: opts.out.join("index.html"),
        seconds: start.elapsed().as_secs_f64(),
        mnist_error,
    })
}

/// Whether each experiment (in registry order) runs this time; an unknown
/// `--only` name is an error that lists the valid ones.
fn selection(opts: &ReportOptions) -> Result<Vec<bool>> {
    if let Some(only) = &opts.only {
        for name in only {
            crate::experiments::by_name(name)?;
        }
    }
    Ok(EXPERIMENTS.iter().map(|e| opts.only.as_ref().is_none_or(|o| o.iter().any(|n| n == e.name))).collect())
}

/// MNIST, when a selected experiment uses it; and, when `mnist_dir` was
/// given explicitly and could not be read, why.
fn load_mnist(opts: &ReportOptions, selected: &[bool]) -> (Result<Mnist>, Option<String>) {
    let wanted = EXPERIMENTS.iter().zip(selected).any(|(e, &s)| s && e.mnist.loads());
    if !wanted {
        return (Err(Error::invalid("report", "mnist", "not loaded: no selected section uses it")), None);
    }
    let mnist = Mnist::load(opts.mnist_dir.as_deref());
    let explicit_error = match (&mnist, &opts.mnist_dir) {
        (Err(e), Some(_)) => Some(e.to_string()),
        _ => None,
    };
    (mnist, explicit_error)
}

/// Sections in flight at once (never more than rayon's threads).
const SECTIONS_AT_ONCE: usize = 2;

/// Runs (or keeps) every section with the progress display, up to
/// [`SECTIONS_AT_ONCE`] at a time, so that one section's serial stretches (a
/// tuning grid's last run, a chart, a single-threaded loop) leave the other
/// cores to the next section instead of idle. Each section runs on a thread
/// of its own outside rayon's pool, as a lone section ran on the main thread:
/// its parallel work goes to the pool, and a pool thread waiting inside one
/// section never picks up another whole section (which would make the
/// first one's time that of both). The sections come back in their order,
/// and the CSVs and saved sections of those that ran go into `files`. A
/// section's numbers never depend on what runs beside it (every run takes
/// its own seed, and the kernels give the same bits on any number of
/// threads); its time is its own wall time, with another section beside it.
fn run_sections(
    opts: &ReportOptions,
    selected: &[bool],
    mnist: &Result<Mnist>,
    files: &mut Files,
) -> Result<(Vec<Section>, Vec<SectionSummary>)> {
    // An overall bar, and a spinner with its elapsed time for each running section.
    let multi = MultiProgress::new();
    if !opts.progress {
        multi.set_draw_target(ProgressDrawTarget::hidden());
    }
    let bar = multi.add(ProgressBar::new(EXPERIMENTS.len() as u64));
    bar.set_style(
        ProgressStyle::with_template("report {bar:30} {pos}/{len} sections, {elapsed}").expect("valid template"),
    );
    let run_one = |(e, run_it): (&Experiment, bool)| -> Result<(Section, Files, bool, f64)> {
        let spinner = multi.add(ProgressBar::new_spinner());
        spinner.set_style(ProgressStyle::with_template("  {spinner} {msg} {elapsed}").expect("valid template"));
        spinner.set_message(e.name);
        spinner.enable_steady_tick(std::time::Duration::from_millis(200));
        let started = Instant::now();
        let mut own = Files::new();
        let section = if run_it { run_section(e, opts, mnist, &mut own)? } else { kept(e, opts) };
        let seconds = started.elapsed().as_secs_f64();
        spinner.finish_and_clear();
        bar.inc(1);
        Ok((section, own, !run_it, seconds))
    };
    let jobs: Vec<(&Experiment, bool)> = EXPERIMENTS.iter().copied().zip(selected.iter().copied()).collect();
    let ran = in_flight(&jobs, SECTIONS_AT_ONCE.min(rayon::current_num_threads()), run_one);
    bar.finish_and_clear();
    let (mut sections, mut timing) = (Vec::new(), Vec::new());
    for result in ran {
        let (section, own, kept, seconds) = result?;
        files.extend(own);
        sections.push(section);
        timing.push((kept, seconds));
    }
    correct_for_multiplicity(&mut sections);
    let summaries =
        sections.iter().zip(timing).map(|(section, (kept, seconds))| section_summary(section, kept, seconds)).collect();
    Ok((sections, summaries))
}

/// `run` over `jobs` on `threads` threads of their own (at least one), each
/// taking the next job in order when it finishes one; the results in the
/// jobs' order.
fn in_flight<J: Copy + Sync, R: Send>(jobs: &[J], threads: usize, run: impl Fn(J) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let done: Vec<Mutex<Option<R>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&job) = jobs.get(i) else { break };
                let result = run(job);
                *done[i].lock().expect("no thread panicked holding it") = Some(result);
            });
        }
    });
    done.into_iter().map(|slot| slot.into_inner().expect("not poisoned").expect("every job ran")).collect()
}

/// The ledger's correction ([`multiplicity`]): Holm's procedure over the
/// evidence claims of every section that were tested (supported, not
/// supported or inconclusive per claim). The saved sections keep the
/// per-claim verdicts, so a `--only` run corrects over the whole ledger
/// again.
fn correct_for_multiplicity(sections: &mut [Section]) {
    let tested = |c: &Claim| {
        c.kind == Kind::Evidence
            && c.correction.is_none()
            && matches!(c.verdict, Verdict::Supported | Verdict::NotSupported | Verdict::Inconclusive)
    };
    let family: Vec<(Verdict, Option<f64>)> =
        sections.iter().flat_map(|s| &s.claims).filter(|c| tested(c)).map(|c| (c.verdict, c.p_value)).collect();
    let mut corrected = multiplicity::holm(&family, multiplicity::FAMILY_ALPHA).into_iter();
    for claim in sections.iter_mut().flat_map(|s| &mut s.claims) {
        if tested(claim) {
            claim.correct(corrected.next().expect("one correction per claim of the family"));
        }
    }
}

fn section_summary(section: &Section, kept: bool, seconds: f64) -> SectionSummary {
    let count = |v: Verdict| section.claims.iter().filter(|c| c.verdict == v && c.kind == Kind::Evidence).count();
    SectionSummary {
        name: section.name.clone(),
        status: SummaryStatus { status: section.status, kept },
        reason: section.reason.clone(),
        seconds,
        supported: count(Verdict::Supported),
        not_supported: count(Verdict::NotSupported),
        full_only: count(Verdict::FullProfileOnly),
        inconclusive: count(Verdict::Inconclusive),
        not_applicable: count(Verdict::PremiseNotMet) + count(Verdict::NotApplicable),
        demonstrations: section.claims.iter().filter(|c| c.kind == Kind::Demonstration).count(),
        corrected: section.claims.iter().filter(|c| c.correction.is_some()).count(),
    }
}

/// Runs one experiment and draws its visuals; a failure becomes a failed
/// section (the report goes on). Its CSVs and saved JSON go into `files`.
fn run_section(e: &Experiment, opts: &ReportOptions, mnist: &Result<Mnist>, files: &mut Files) -> Result<Section> {
    let started = Instant::now();
    if e.mnist.requires() {
        if let Err(why) = mnist {
            return Ok(Section::not_run(e, opts.profile, opts.seed, format!("needs MNIST: {why}")));
        }
    }
    let ctx = Context { profile: opts.profile, seed: opts.seed, mnist: mnist.as_ref(), progress: opts.progress };
    let section = match (e.run)(&ctx).and_then(|o| e.visuals(&o).map(|v| (o, v))) {
        Ok((outcome, visuals)) => {
            let mut csv = Vec::new();
            for (frame, df) in &outcome.frames {
                let file = format!("{}_{frame}.csv", e.name);
                files.push((opts.out.join("data").join(&file), csv_bytes(df, &file)?));
                csv.push(file);
            }
            let mut s = Section::of(e, opts.profile, opts.seed, SectionStatus::Ran, None);
            s.seconds = started.elapsed().as_secs_f64();
            s.claims = outcome.claims;
            s.notes = outcome.notes;
            s.visuals = visuals;
            s.csv = csv;
            s
        }
        Err(err) => Section::of(e, opts.profile, opts.seed, SectionStatus::Failed, Some(format!("failed: {err}"))),
    };
    let json = serde_json::to_vec(&section).map_err(|err| Error::invalid("report", "section", err.to_string()))?;
    files.push((saved_path(&opts.out, e.name), json));
    Ok(section)
}

fn saved_path(out: &Path, name: &str) -> PathBuf {
    out.join("data").join("sections").join(format!("{name}.json"))
}

/// A section not selected with `--only`: the last run's, read back from
/// its saved JSON. A file that is missing means it never ran; one that
/// cannot be read or parsed is reported (which file, why) as a failed
/// section rather than passed over.
fn kept(e: &Experiment, opts: &ReportOptions) -> Section {
    let path = saved_path(&opts.out, e.name);
    let failed = |why: String| {
        let reason = format!(
            "could not read its last run from {}: {why}; run it again with `--only {}`",
            path.display(),
            e.name
        );
        Section::of(e, opts.profile, opts.seed, SectionStatus::Failed, Some(reason))
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let why = "not selected with --only, and no earlier run of it was saved".to_string();
            return Section::not_run(e, opts.profile, opts.seed, why);
        }
        Err(err) => return failed(err.to_string()),
    };
    match Section::parse(&bytes) {
        Ok(saved) if saved.name == e.name => saved.refreshed(e),
        Ok(saved) => failed(format!("it holds section {:?}", saved.name)),
        Err(err) => failed(err.to_string()),
    }
}

/// Every tuning grid of every claim: `section,claim,method,lr,score,used`
/// (an empty score for a run that diverged).
fn tuning_csv(sections: &[Section]) -> String {
    let mut out = String::from("section,claim,method,lr,score,used\n");
    for s in sections {
        for c in &s.claims {
            let Some(p) = &c.protocol else { continue };
            for (method, lrs) in &p.lr_grid {
                let scores = p.grid_scores.get(method);
                for (i, lr) in lrs.iter().enumerate() {
                    let score =
                        scores.and_then(|v| v.get(i).copied().flatten()).map_or(String::new(), |v| v.to_string());
                    let used = p.selected.get(method) == Some(lr);
                    out.push_str(&format!(
                        "{},{},{},{lr},{score},{used}\n",
                        s.name,
                        csv_field(&c.id),
                        csv_field(method)
                    ));
                }
            }
        }
    }
    out
}

/// `git rev-parse --short HEAD`, with `-dirty` when tracked files differ
/// from it (the run's code is then not exactly that commit's); `unknown`
/// outside a git checkout.
fn commit() -> String {
    let Some(head) = command_line("git", &["rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    let dirty = command_line("git", &["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head}-dirty")
    } else {
        head
    }
}

fn metadata(opts: &ReportOptions, start: Instant, commit: String) -> Metadata {
    Metadata {
        profile: opts.profile.to_string(),
        seed: opts.seed,
        version: env!("CARGO_PKG_VERSION").into(),
        commit,
        rustc: command_line("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
        cpu: cpu(),
        threads: rayon::current_num_threads(),
        seconds: format!("{:.1}", start.elapsed().as_secs_f64()),
        date: utc_now(),
        only: opts.only.as_ref().map(|o| o.join(", ")).unwrap_or_default(),
    }
}

/// The page and `summary.json`.
fn render(tera: &tera::Tera, metadata: &Metadata, sections: &[Section]) -> Result<(String, Vec<u8>)> {
    let template_error = |e: tera::Error| Error::invalid("report", "templates", with_sources(&e));
    let mut rendered = Vec::new();
    for s in sections {
        let mut ctx = tera::Context::new();
        ctx.insert("s", s);
        ctx.insert("claims", &s.claims.iter().map(|c| LedgerRow::new(s, c)).collect::<Vec<_>>());
        rendered.push(tera.render("section.html", &ctx).map_err(template_error)?);
    }
    let ledger: Vec<LedgerRow> =
        sections.iter().flat_map(|s| s.claims.iter().map(move |c| LedgerRow::new(s, c))).collect();
    let mut ctx = tera::Context::new();
    ctx.insert("meta", metadata);
    ctx.insert("ledger", &ledger);
    ctx.insert("correction", multiplicity::CORRECTION);
    ctx.insert("sections", sections);
    ctx.insert("rendered", &rendered);
    let count = |v: Verdict| ledger.iter().filter(|r| r.claim.verdict == v && r.claim.kind == Kind::Evidence).count();
    ctx.insert("supported", &count(Verdict::Supported));
    ctx.insert("not_supported", &count(Verdict::NotSupported));
    ctx.insert("inconclusive", &count(Verdict::Inconclusive));
    ctx.insert("full_only", &count(Verdict::FullProfileOnly));
    ctx.insert("not_applicable", &(count(Verdict::PremiseNotMet) + count(Verdict::NotApplicable)));
    ctx.insert("demonstrations", &ledger.iter().filter(|r| r.claim.kind == Kind::Demonstration).count());
    let html = tera.render("base.html", &ctx).map_err(template_error)?;
    let summary = Summary {
        metadata: metadata.clone(),
        claims: ledger.iter().map(|r| SummaryClaim { section: r.section.into(), claim: r.claim.clone() }).collect(),
        sections: sections
            .iter()
            .map(|s| SummarySection {
                name: s.name.clone(),
                status: s.status,
                reason: s.reason.clone(),
                profile: s.profile.clone(),
                seconds: s.seconds,
                csv: s.csv.clone(),
            })
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| Error::invalid("report", "summary", e.to_string()))?;
    Ok((html, json))
}

/// Replaces each file atomically, in order (the HTML is last).
fn write_all(files: &Files) -> Result<()> {
    for (path, bytes) in files {
        write_atomically(path, bytes)?;
    }
    Ok(())
}

/// The templates, compiled into the binary from `templates/`.
fn templates() -> Result<tera::Tera> {
    let mut t = tera::Tera::default();
    t.add_raw_templates([
        ("base.html", include_str!("../../templates/base.html.tera")),
        ("section.html", include_str!("../../templates/section.html.tera")),
    ])
    .map_err(|e| Error::invalid("report", "templates", with_sources(&e)))?;
    Ok(t)
}

fn command_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(cmd).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The current time, `YYYY-MM-DD HH:MM UTC` (civil date from the Unix day
/// count, Howard Hinnant's algorithm).
fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rem / 3_600, rem % 3_600 / 60)
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
