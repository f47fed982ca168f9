//! A claim of a seed or paper, declared once beside the experiment that
//! decides it ([`ClaimSpec`]: its id, source, statement and criterion,
//! written before any run), and what a run says about it ([`Claim`]: the
//! number, the verdict, the protocol).
//!
//! An experiment lists its specs in [`Experiment::claims`](super::Experiment);
//! its run turns each into a claim with [`ClaimSpec::tested`] (decided under
//! the protocol, with an interval), [`ClaimSpec::decided`] (one number
//! against a criterion), [`ClaimSpec::demonstration`] (a criterion that
//! could not come out otherwise) or [`ClaimSpec::full_only`]. The registry
//! of everything the seeds claim ([`super::seed_claims`]) is built from
//! the same specs, so a statement cannot differ between the two.

use super::multiplicity::{Check, Corrected};
use super::protocol::{Estimate, Protocol};
use serde::{Deserialize, Serialize};

/// A claim as declared, before any run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimSpec {
    /// Stable identifier, `<experiment>.<short name>`.
    pub id: &'static str,
    /// The document it comes from: a seed file (`000`, `002`, `003`,
    /// `004`), a paper (`wilson`, `reddi`), or `descent` for this project's
    /// own notes.
    pub document: &'static str,
    /// Where in it: "seed 003, figure 1(b)", "Reddi et al. 2018, Theorem 1".
    pub source: &'static str,
    /// The claim, in the source's words where possible.
    pub statement: &'static str,
    /// How the run decides it, fixed before the run.
    pub criterion: &'static str,
    /// Evidence, or a demonstration that could not come out otherwise.
    pub kind: Kind,
}

/// What a run under the protocol found about a claim.
#[derive(Debug, Clone)]
pub struct Tested<'a> {
    /// The estimate that decides it (its mean is the claim's value).
    pub estimate: &'a Estimate,
    /// The verdict the criterion gives that estimate (or several), with
    /// its p-values.
    pub verdict: Check,
    /// The numbers behind the verdict, in a sentence.
    pub detail: String,
    /// Seeds, tuning and rule.
    pub protocol: Protocol,
}

/// One number against a criterion.
#[derive(Debug, Clone)]
pub struct Decided {
    /// The number the criterion looks at.
    pub value: f64,
    /// Whether it meets the criterion.
    pub ok: bool,
    /// The numbers behind the verdict, in a sentence.
    pub detail: String,
}

impl ClaimSpec {
    /// An evidence claim, before its run.
    pub const fn evidence(
        id: &'static str,
        document: &'static str,
        source: &'static str,
        statement: &'static str,
        criterion: &'static str,
    ) -> ClaimSpec {
        ClaimSpec { id, document, source, statement, criterion, kind: Kind::Evidence }
    }

    /// The same claim, labelled a demonstration: its criterion could not
    /// come out otherwise.
    pub const fn demonstrates(self) -> ClaimSpec {
        ClaimSpec { kind: Kind::Demonstration, ..self }
    }

    fn claim(&self, value: Option<f64>, verdict: Verdict, detail: String, protocol: Option<Protocol>) -> Claim {
        Claim {
            id: self.id.into(),
            source: self.source.into(),
            statement: self.statement.into(),
            criterion: self.criterion.into(),
            value,
            verdict,
            detail,
            kind: self.kind,
            protocol,
            p_value: None,
            correction: None,
        }
    }

    /// Decided under the protocol: the value is the estimate's mean, and
    /// the protocol carries seeds, grids, rule and interval.
    pub fn tested(&self, t: Tested) -> Claim {
        let value = t.estimate.mean.is_finite().then_some(t.estimate.mean);
        let claim = self.claim(value, t.verdict.verdict, t.detail, Some(t.protocol.decided(t.estimate)));
        Claim { p_value: Some(t.verdict.p_value()), ..claim }
    }

    /// Decided by one number: supported when it meets the criterion.
    pub fn decided(&self, d: Decided) -> Claim {
        self.claim(d.value.is_finite().then_some(d.value), Verdict::of(d.ok), d.detail, None)
    }

    /// A claim whose criterion could not come out otherwise (an identity, a
    /// property of the construction): shown, labelled, not evidence.
    pub fn demonstration(&self, d: Decided) -> Claim {
        Claim { kind: Kind::Demonstration, ..self.decided(d) }
    }

    /// A claim this profile cannot decide, and why.
    pub fn full_only(&self, why: &str) -> Claim {
        self.claim(None, Verdict::FullProfileOnly, why.into(), None)
    }
}

/// What a run says about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The run's numbers meet the criterion.
    Supported,
    /// They do not.
    NotSupported,
    /// This profile cannot decide it; run `--profile full`.
    FullProfileOnly,
    /// The data cannot decide it: the interval straddles the threshold.
    Inconclusive,
    /// It presupposes another claim ("stuck *because*...") whose verdict in
    /// this run is not "supported": not decided, not counted.
    PremiseNotMet,
    /// The source's condition for it does not hold in this run (Wilson's
    /// "at equal training loss"): not decided, not counted, with the numbers.
    NotApplicable,
}

/// Whether a claim's outcome is evidence about the optimizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The criterion could have come out either way.
    #[default]
    Evidence,
    /// The criterion could not come out otherwise (an identity, a property
    /// the construction guarantees): a demonstration, not counted.
    Demonstration,
}

impl Verdict {
    /// How the report and the notebooks say it.
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::NotSupported => "not supported",
            Verdict::FullProfileOnly => "full profile only",
            Verdict::Inconclusive => "inconclusive",
            Verdict::PremiseNotMet => "premise not met",
            Verdict::NotApplicable => "not applicable",
        }
    }

    /// Supported if `ok`, else not supported.
    pub fn of(ok: bool) -> Verdict {
        if ok {
            Verdict::Supported
        } else {
            Verdict::NotSupported
        }
    }
}

/// A claim of a seed or paper and what our run says about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Stable identifier, `<experiment>.<short name>`.
    pub id: String,
    /// Where it comes from: "seed 003", "Reddi et al. 2018, section 3"...
    pub source: String,
    /// The claim, in the source's words where possible.
    pub statement: String,
    /// How the run decides it, written before the run.
    pub criterion: String,
    /// The number the criterion looks at; `None` when there is none (not
    /// run, or not finite: a run that never reached a target).
    pub value: Option<f64>,
    /// The outcome.
    pub verdict: Verdict,
    /// The numbers behind the verdict, in a sentence.
    pub detail: String,
    /// Evidence or demonstration.
    #[serde(default)]
    pub kind: Kind,
    /// Seeds, tuning, rule and interval, for claims decided under
    /// [`protocol`](super::protocol).
    #[serde(default)]
    pub protocol: Option<Protocol>,
    /// The p-value of its per-claim test (twice the smaller one-sided
    /// p-value), for claims decided under the protocol.
    #[serde(default)]
    pub p_value: Option<f64>,
    /// Set when the ledger's correction for multiplicity
    /// ([`super::multiplicity`]) changed the verdict: the per-claim one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<Correction>,
}

/// A verdict the multiplicity correction changed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    /// The verdict of the claim's own 95% interval.
    pub per_claim: Verdict,
    /// The level Holm's procedure compared its p-value with.
    pub level: f64,
}

impl Claim {
    /// Decided only when `premise` (the claim it presupposes, from the same
    /// run) is supported; otherwise "premise not met", with why.
    pub fn given(mut self, premise: &Claim) -> Claim {
        if premise.verdict != Verdict::Supported && self.verdict != Verdict::FullProfileOnly {
            self.detail = format!(
                "premise not met: it presupposes {} (here {}), so it is not decided; the numbers: {}",
                premise.id,
                premise.verdict.text(),
                self.detail
            );
            self.verdict = Verdict::PremiseNotMet;
        }
        self
    }

    /// Applies the ledger's correction: a verdict it changes keeps the
    /// per-claim one beside it, and the detail says why.
    pub fn correct(&mut self, c: Corrected) {
        if c.verdict != self.verdict {
            self.detail = format!(
                "{} per claim, inconclusive over the run: p = {:.2e} > {:.2e} (Holm); {}",
                self.verdict.text(),
                self.p_value.unwrap_or(1.0),
                c.level,
                self.detail
            );
            self.correction = Some(Correction { per_claim: self.verdict, level: c.level });
            self.verdict = c.verdict;
        }
    }

    /// The verdict as shown: "demonstration: supported" for a
    /// demonstration.
    pub fn label(&self) -> String {
        let label = match (self.kind, self.correction) {
            (Kind::Evidence, Some(c)) => {
                format!("{} after correction ({} per claim)", self.verdict.text(), c.per_claim.text())
            }
            (Kind::Evidence, None) => self.verdict.text().to_string(),
            (Kind::Demonstration, _) => format!("demonstration ({})", self.verdict.text()),
        };
        match self.protocol.as_ref().map(|p| &p.edge_limited) {
            Some(methods) if !methods.is_empty() => format!("{label}, edge-limited ({})", methods.join(", ")),
            _ => label,
        }
    }

    /// The protocol in a sentence, for claims that have one.
    pub fn protocol_text(&self) -> Option<String> {
        let p = self.protocol.as_ref()?;
        let lrs: Vec<String> = p.selected.iter().map(|(m, lr)| format!("{m} {lr:.3e}")).collect();
        let interval = p.interval.map_or("unbounded".into(), |[lo, hi]| format!("[{lo:.4e}, {hi:.4e}]"));
        let p_value = self.p_value.map_or(String::new(), |p| format!(" (p = {p:.2e})"));
        Some(format!(
            "{}; lr used: {}; estimate {} with 95% interval {interval}{p_value}",
            p.describe(),
            lrs.join(", "),
            p.estimate.map_or("none".into(), |e| format!("{e:.4e}"))
        ))
    }
}

impl Verdict {
    /// All parts supported: supported; any part not supported: not
    /// supported; otherwise inconclusive.
    pub fn all(parts: &[Verdict]) -> Verdict {
        // Parts whose condition does not hold are left out; none left is
        // "not applicable".
        let applicable: Vec<Verdict> = parts.iter().copied().filter(|v| *v != Verdict::NotApplicable).collect();
        if applicable.is_empty() && !parts.is_empty() {
            return Verdict::NotApplicable;
        }
        let parts = applicable.as_slice();
        if parts.contains(&Verdict::NotSupported) {
            Verdict::NotSupported
        } else if parts.iter().all(|v| *v == Verdict::Supported) {
            Verdict::Supported
        } else if parts.contains(&Verdict::FullProfileOnly) {
            Verdict::FullProfileOnly
        } else {
            Verdict::Inconclusive
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_whose_premise_is_not_supported_is_not_decided() {
        let spec = ClaimSpec::evidence("x.because", "000", "a source", "B because A", "a criterion");
        let claim = spec.decided(Decided { value: 1.0, ok: true, detail: "B holds".into() });
        let failed = spec.decided(Decided { value: 0.0, ok: false, detail: "A does not hold".into() });
        let held = spec.decided(Decided { value: 1.0, ok: true, detail: "A holds".into() });
        let not_met = claim.clone().given(&failed);
        assert_eq!(not_met.verdict, Verdict::PremiseNotMet);
        assert!(not_met.detail.starts_with("premise not met"), "{}", not_met.detail);
        assert_eq!(claim.given(&held).verdict, Verdict::Supported);
    }
}
