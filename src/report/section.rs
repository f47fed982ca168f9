//! A section of the report: what it shows, as rendered and as saved for
//! `--only`, and its line in the closing summary.

use crate::experiments::{Claim, Experiment, Profile, Visuals};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// How a section's experiment went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionStatus {
    /// It ran; its claims and charts are this run's.
    Ran,
    /// It could not run (MNIST missing, never run with `--only`).
    NotRun,
    /// It ran and failed, or its saved last run could not be read.
    Failed,
}

impl fmt::Display for SectionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SectionStatus::Ran => "ran",
            SectionStatus::NotRun => "not_run",
            SectionStatus::Failed => "failed",
        })
    }
}

/// A section's status in the closing summary: its own, and whether it was
/// kept from an earlier run (`--only`). Shown and serialised as `ran`,
/// `not_run`, `failed`, or `kept (ran)` and so on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryStatus {
    /// The section's status.
    pub status: SectionStatus,
    /// Not run this time: read back from the last run.
    pub kept: bool,
}

impl fmt::Display for SummaryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kept {
            write!(f, "kept ({})", self.status)
        } else {
            write!(f, "{}", self.status)
        }
    }
}

impl Serialize for SummaryStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One section, as rendered and as saved for `--only` (in
/// `data/sections/<name>.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Section {
    pub(crate) name: String,
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) question: String,
    pub(crate) sources: String,
    pub(crate) status: SectionStatus,
    pub(crate) reason: Option<String>,
    pub(crate) profile: String,
    pub(crate) seed: u64,
    pub(crate) seconds: f64,
    pub(crate) claims: Vec<Claim>,
    pub(crate) notes: Vec<String>,
    pub(crate) visuals: Visuals,
    pub(crate) csv: Vec<String>,
}

impl Section {
    /// An empty section of `e` with this status.
    pub(crate) fn of(
        e: &Experiment,
        profile: Profile,
        seed: u64,
        status: SectionStatus,
        reason: Option<String>,
    ) -> Self {
        Section {
            name: e.name.into(),
            title: e.title.into(),
            question: e.question.into(),
            sources: e.sources.into(),
            status,
            reason,
            profile: profile.to_string(),
            seed,
            seconds: 0.0,
            claims: Vec::new(),
            notes: Vec::new(),
            visuals: Visuals::default(),
            csv: Vec::new(),
        }
    }

    /// A section saved by an earlier run, from its JSON.
    pub fn parse(bytes: &[u8]) -> descent::Result<Section> {
        serde_json::from_slice(bytes).map_err(|e| descent::Error::data("saved section", e.to_string()))
    }

    /// A section that did not run, and why.
    pub(crate) fn not_run(e: &Experiment, profile: Profile, seed: u64, reason: String) -> Self {
        Section::of(e, profile, seed, SectionStatus::NotRun, Some(reason))
    }

    /// A saved section with today's title, question and sources (the texts
    /// may have been edited since it ran; its numbers are kept as they were).
    pub(crate) fn refreshed(mut self, e: &Experiment) -> Self {
        self.title = e.title.into();
        self.question = e.question.into();
        self.sources = e.sources.into();
        self
    }
}

/// A section's line in the closing summary.
#[derive(Debug, Clone, Serialize)]
pub struct SectionSummary {
    /// Section name.
    pub name: String,
    /// Ran, not run, failed; kept from an earlier run or not.
    pub status: SummaryStatus,
    /// Why it did not run or failed.
    pub reason: Option<String>,
    /// Wall time.
    pub seconds: f64,
    /// Claims supported.
    pub supported: usize,
    /// Claims not supported.
    pub not_supported: usize,
    /// Claims left to the full profile.
    pub full_only: usize,
    /// Claims the data could not decide.
    #[serde(default)]
    pub inconclusive: usize,
    /// Claims not decided because their premise or the source's condition
    /// does not hold in this run.
    #[serde(default)]
    pub not_applicable: usize,
    /// Demonstrations (not counted above).
    #[serde(default)]
    pub demonstrations: usize,
    /// Claims decided by their own interval that the multiplicity
    /// correction made inconclusive (counted in `inconclusive`).
    #[serde(default)]
    pub corrected: usize,
}
