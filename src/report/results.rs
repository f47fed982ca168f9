//! `docs/results-*.md`: a run's claims as a readable document, rendered
//! from its `summary.json` (so it shows exactly what the page shows), with
//! the run's commit, date, machine and time.

use super::{Summary, SummaryClaim};
use crate::experiments::{Kind, Verdict};
use descent::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize)]
struct Row {
    id: String,
    label: String,
    statement: String,
    source: String,
    criterion: String,
    detail: String,
    protocol: Option<String>,
    grids: Vec<String>,
    estimate: String,
    /// The verdict at each base seed (`0: supported, 1: inconclusive`),
    /// when the run is given others.
    seeds: String,
}

impl Row {
    fn of(c: &SummaryClaim) -> Row {
        let claim = &c.claim;
        let estimate = match (claim.protocol.as_ref().and_then(|p| p.estimate.zip(p.interval)), claim.value) {
            (Some((mean, [lo, hi])), _) => {
                let p = claim.p_value.map_or(String::new(), |p| format!(", p = {p:.1e}"));
                format!("{} [{}, {}]{p}", number(mean), number(lo), number(hi))
            }
            (None, Some(v)) => number(v),
            (None, None) => "– (see the result)".into(),
        };
        Row {
            id: claim.id.clone(),
            label: claim.label(),
            statement: claim.statement.clone(),
            source: claim.source.clone(),
            criterion: claim.criterion.clone(),
            detail: claim.detail.clone(),
            protocol: claim.protocol_text(),
            grids: claim.protocol.as_ref().map_or_else(Vec::new, |p| p.grids()),
            estimate,
            seeds: String::new(),
        }
    }
}

#[derive(Serialize)]
struct SectionRow {
    name: String,
    status: String,
    reason: Option<String>,
    seconds: String,
    claims: usize,
    rows: Vec<Row>,
}

#[derive(Serialize, Default)]
struct Counts {
    supported: usize,
    not_supported: usize,
    inconclusive: usize,
    full_only: usize,
    not_applicable: usize,
    demonstrations: usize,
}

/// Three significant digits; infinities and NaN spelled out.
fn number(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3e}")
    } else {
        format!("{v}")
    }
}

/// Escapes what would break a Markdown table cell: `|` and line breaks.
fn md(value: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let s = tera::try_get_value!("md", "value", String, value);
    Ok(tera::Value::String(s.replace('|', "\\|").replace(['\n', '\r'], " ")))
}

/// The Markdown document of `summary`; `command` is the command that
/// regenerates it (printed at its top).
pub fn markdown(summary: &Summary, command: &str) -> Result<String> {
    markdown_across(summary, &[], command)
}

/// The verdicts of a claim at each base seed: the run's, then `others`'
/// (runs of the same profile at other base seeds), as `seed: verdict`.
fn across(claim: &SummaryClaim, seed: u64, others: &[Summary]) -> Vec<(u64, Verdict)> {
    let mut v = vec![(seed, claim.claim.verdict)];
    for o in others {
        if let Some(c) = o.claims.iter().find(|c| c.claim.id == claim.claim.id) {
            v.push((o.metadata.seed, c.claim.verdict));
        }
    }
    v
}

/// [`markdown`], with a column of each claim's verdict at every base seed
/// of `others` (same profile, other base seeds). An evidence claim whose
/// verdict is not the same at every base seed is shown and counted as
/// inconclusive, with the verdicts.
pub fn markdown_across(summary: &Summary, others: &[Summary], command: &str) -> Result<String> {
    for o in others {
        if o.metadata.profile != summary.metadata.profile {
            return Err(Error::invalid(
                "report",
                "stability",
                format!(
                    "a {} run cannot check the stability of a {} run",
                    o.metadata.profile, summary.metadata.profile
                ),
            ));
        }
    }
    let mut summary = summary.clone();
    let mut seeds_of: HashMap<String, String> = HashMap::new();
    if !others.is_empty() {
        let seed = summary.metadata.seed;
        for c in summary.claims.iter_mut() {
            let verdicts = across(c, seed, others);
            let text: Vec<String> = verdicts.iter().map(|(s, v)| format!("{s}: {}", v.text())).collect();
            seeds_of.insert(c.claim.id.clone(), text.join(", "));
            let differ = verdicts.iter().any(|(_, v)| *v != verdicts[0].1);
            if differ && c.claim.kind == Kind::Evidence {
                c.claim.detail = format!(
                    "the verdict differs between base seeds ({}), so it is inconclusive; at base seed {}: {}",
                    text.join(", "),
                    seed,
                    c.claim.detail
                );
                c.claim.verdict = Verdict::Inconclusive;
            }
        }
    }
    let summary = &summary;
    let mut tera = tera::Tera::default();
    tera.add_raw_template("results.md", include_str!("../../templates/results.md.tera"))
        .map_err(|e| Error::invalid("report", "templates", e.to_string()))?;
    tera.register_filter("md", md);
    tera.autoescape_on(vec![]);
    let mut counts = Counts::default();
    for c in &summary.claims {
        let claim = &c.claim;
        if claim.kind == Kind::Demonstration {
            counts.demonstrations += 1;
            continue;
        }
        match claim.verdict {
            Verdict::Supported => counts.supported += 1,
            Verdict::NotSupported => counts.not_supported += 1,
            Verdict::Inconclusive => counts.inconclusive += 1,
            Verdict::FullProfileOnly => counts.full_only += 1,
            Verdict::PremiseNotMet | Verdict::NotApplicable => counts.not_applicable += 1,
        }
    }
    let sections: Vec<SectionRow> = summary
        .sections
        .iter()
        .map(|s| {
            let rows: Vec<Row> =
                summary.claims.iter().filter(|c| c.section == s.name).map(|c| row(c, &seeds_of)).collect();
            SectionRow {
                name: s.name.clone(),
                status: s.status.to_string(),
                reason: s.reason.clone(),
                seconds: format!("{:.1}", s.seconds),
                claims: rows.len(),
                rows,
            }
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("meta", &summary.metadata);
    ctx.insert("command", command);
    ctx.insert("correction", crate::experiments::multiplicity::CORRECTION);
    ctx.insert("counts", &counts);
    ctx.insert("claims", &summary.claims.iter().map(|c| row(c, &seeds_of)).collect::<Vec<_>>());
    ctx.insert("stability", &!others.is_empty());
    ctx.insert("sections", &sections);
    tera.render("results.md", &ctx).map_err(|e| Error::invalid("report", "templates", format!("{e:?}")))
}

/// A claim's row, with its verdicts at every base seed.
fn row(c: &SummaryClaim, seeds_of: &HashMap<String, String>) -> Row {
    Row { seeds: seeds_of.get(&c.claim.id).cloned().unwrap_or_default(), ..Row::of(c) }
}
