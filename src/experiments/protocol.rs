//! The experimental protocol every comparative claim goes through, fixed in
//! the code before any run.
//!
//! - **Tuning on held-out data.** [`tune_lr`] picks a method's learning rate
//!   from a ×2 grid around its default (five points, `default · 2^k`,
//!   `k = -2..=2`), extended one point at a time (up to [`MAX_EXTENSIONS`])
//!   while the best point is at an edge, a tie with the edge included; a
//!   tuning stopped by the cap with its best still at an edge marks the
//!   claim *edge-limited*. The score is computed on data the
//!   claim is not decided on: a validation split (MNIST: the last 10,000
//!   training images) or, for claims about optimization speed, a separate
//!   draw of the problem with its own seed ([`Seeds::tuning`]).
//! - **Seeds.** [`Seeds`]: 3 in the quick profile, 5 in the full one, all
//!   different from the tuning seed.
//! - **The decision rule** ([`RULE`]): a claim compares a quantity per seed
//!   (for two methods, paired by seed: same data, same initialisation). Its
//!   mean and Student-t 95% interval decide: the interval entirely on the
//!   claimed side of the threshold is *supported*, entirely on the other side
//!   (or touching it with no spread at all) is *not supported*, and an
//!   interval that straddles the threshold is **inconclusive**.
//!   [`Estimate::within`] decides "similar" claims the same way against a
//!   stated margin.
//! - **Demonstrations.** A claim whose criterion cannot come out otherwise (an
//!   algebraic identity, a property the construction guarantees) is built
//!   with [`ClaimSpec::demonstration`](super::ClaimSpec::demonstration),
//!   shown as such, and not counted as evidence.

use super::multiplicity::{student_t_cdf, Check};
use super::{Profile, Verdict};
use descent::train::run_parallel;
use descent::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The decision rule, as printed with every claim that uses it.
pub const RULE: &str = "mean over seeds with a Student-t 95% interval: supported if the interval lies on the \
                        claimed side, not supported if on the other side, inconclusive if it straddles";

/// Grid points each side of the default: `default · 2^k`, `k = -SPAN..=SPAN`.
pub const SPAN: i32 = 2;
/// How many ×2 points may be added past an edge that keeps winning.
pub const MAX_EXTENSIONS: usize = 4;

/// The seeds of a claim's runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Seeds {
    /// Evaluation seeds, one run per seed and method.
    pub eval: Vec<u64>,
    /// The seed of tuning runs (never one of `eval`).
    pub tuning: u64,
}

impl Seeds {
    /// 3 (quick) or 5 (full) evaluation seeds from `base`, and a tuning seed.
    pub fn of(profile: Profile, base: u64) -> Seeds {
        let n = profile.pick(3, 5);
        Seeds { eval: (0..n).map(|i| base.wrapping_add(i)).collect(), tuning: base.wrapping_add(10_000) }
    }
}

/// How a claim was decided; `summary.json` carries it per claim.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Protocol {
    /// Evaluation seeds.
    pub seeds: Vec<u64>,
    /// Learning rates tried, per method (empty when the rates are the
    /// source's own, as in seed 003's grid).
    pub lr_grid: BTreeMap<String, Vec<f64>>,
    /// The tuning score of each point of `lr_grid`, per method (lower is
    /// better; `null` for a run that diverged, whose score is +inf).
    #[serde(default)]
    pub grid_scores: BTreeMap<String, Vec<Option<f64>>>,
    /// The learning rate used, per method.
    pub selected: BTreeMap<String, f64>,
    /// What the tuning score was computed on.
    pub selected_on: String,
    /// The decision rule.
    pub rule: String,
    /// Mean of the decided quantity over the seeds.
    pub estimate: Option<f64>,
    /// Its 95% interval.
    pub interval: Option<[f64; 2]>,
    /// Methods whose tuning stopped at the extension cap with the best
    /// score still at an edge: the claim is "edge-limited".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edge_limited: Vec<String>,
}

impl Protocol {
    /// A protocol with `seeds`, selection and rule; estimate and interval
    /// are filled by [`Protocol::decided`].
    pub fn new(seeds: &Seeds, selected_on: &str) -> Protocol {
        Protocol {
            seeds: seeds.eval.clone(),
            selected_on: selected_on.into(),
            rule: RULE.into(),
            ..Protocol::default()
        }
    }

    /// Records a method's tuning.
    pub fn tuned(mut self, method: &str, t: &Tuned) -> Protocol {
        self.lr_grid.insert(method.into(), t.grid.iter().map(|g| g.0).collect());
        self.grid_scores.insert(method.into(), t.grid.iter().map(|g| g.1.is_finite().then_some(g.1)).collect());
        self.selected.insert(method.into(), t.best);
        if t.edge_limited {
            self.edge_limited.push(method.into());
        }
        self
    }

    /// Records the tuning of each of `methods` (name and anything else:
    /// the default lr, a batching mode), in order.
    pub fn tuned_each<M>(self, methods: &[(&str, M)], tuned: &[Tuned]) -> Protocol {
        methods.iter().zip(tuned).fold(self, |p, ((name, _), t)| p.tuned(name, t))
    }

    /// Records a method's fixed learning rate.
    pub fn fixed(mut self, method: &str, lr: f64) -> Protocol {
        self.selected.insert(method.into(), lr);
        self
    }

    /// With the estimate that decided the claim.
    pub fn decided(mut self, e: &Estimate) -> Protocol {
        self.estimate = e.mean.is_finite().then_some(e.mean);
        self.interval = (e.lo.is_finite() && e.hi.is_finite()).then_some([e.lo, e.hi]);
        self
    }

    /// The tuning grids as text, one method per entry:
    /// `"sgd: 0.05 → 0.12, 0.1 → 0.09 (used), 0.2 → diverged"`.
    pub fn grids(&self) -> Vec<String> {
        self.lr_grid
            .iter()
            .map(|(method, lrs)| {
                let scores = self.grid_scores.get(method);
                let points: Vec<String> = lrs
                    .iter()
                    .enumerate()
                    .map(|(i, lr)| {
                        let score = match scores.and_then(|s| s.get(i)) {
                            Some(Some(v)) => format!("{v:.3e}"),
                            Some(None) => "diverged".into(),
                            None => "?".into(),
                        };
                        let used = if self.selected.get(method) == Some(lr) { " (used)" } else { "" };
                        format!("{lr:.3e} → {score}{used}")
                    })
                    .collect();
                format!("{method}: {}", points.join(", "))
            })
            .collect()
    }

    /// One line for the report: seeds, selection, grid size.
    pub fn describe(&self) -> String {
        let grid = if self.lr_grid.is_empty() {
            "learning rates fixed by the source".to_string()
        } else {
            let n: usize = self.lr_grid.values().map(Vec::len).sum();
            format!("lr tuned on {} ({n} grid points, ×2 steps)", self.selected_on)
        };
        format!("{} seeds; {grid}; {}", self.seeds.len(), RULE)
    }
}

/// A learning rate chosen on held-out data.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuned {
    /// Every point tried and its score (lower is better; a diverged run
    /// scores +inf), in increasing lr.
    pub grid: Vec<(f64, f64)>,
    /// The lr with the lowest score (the smaller lr on a tie).
    pub best: f64,
    /// Whether the extension stopped at its cap with the best score still
    /// at an edge (the best rate may lie beyond the grid).
    pub edge_limited: bool,
}

/// Tunes a learning rate: the ×2 grid around `default` scored by `score`
/// (lower is better; computed by the caller on held-out data), in parallel,
/// extended while the best point is at an edge.
pub fn tune_lr(default: f64, score: impl Fn(f64) -> Result<f64> + Sync) -> Result<Tuned> {
    let lrs: Vec<f64> = (-SPAN..=SPAN).map(|k| default * 2f64.powi(k)).collect();
    let clean = |s: f64| if s.is_nan() { f64::INFINITY } else { s };
    let scores: Vec<f64> =
        run_parallel(&lrs, |&lr| score(lr)).into_iter().map(|r| r.map(clean)).collect::<Result<_>>()?;
    let mut grid: Vec<(f64, f64)> = lrs.into_iter().zip(scores).collect();
    // Extended while the best score is at an edge, a tie included (a flat
    // grid says nothing about where the best rate is), alternating the
    // edges when both hold it.
    let mut extensions = 0;
    let mut down_next = true;
    while extensions < MAX_EXTENSIONS {
        let best = grid[best_index(&grid)].1;
        let last = grid.len() - 1;
        let low = grid[0].1 <= best && grid.len() > 1 && grid[0].1 <= grid[1].1;
        let high = grid[last].1 <= best && best.is_finite();
        let lr = match (low, high) {
            (true, true) if down_next => grid[0].0 / 2.0,
            (true, true) => grid[last].0 * 2.0,
            (true, false) => grid[0].0 / 2.0,
            (false, true) => grid[last].0 * 2.0,
            (false, false) => break,
        };
        down_next = !down_next;
        let s = clean(score(lr)?);
        if lr < grid[0].0 {
            grid.insert(0, (lr, s));
        } else {
            grid.push((lr, s));
        }
        extensions += 1;
    }
    let at = best_index(&grid);
    let best_score = grid[at].1;
    let at_edge = grid[0].1 <= best_score || (grid[grid.len() - 1].1 <= best_score && best_score.is_finite());
    let edge_limited = extensions == MAX_EXTENSIONS && at_edge;
    Ok(Tuned { best: grid[at].0, grid, edge_limited })
}

fn best_index(grid: &[(f64, f64)]) -> usize {
    let mut best = 0;
    for (i, g) in grid.iter().enumerate() {
        if g.1 < grid[best].1 {
            best = i;
        }
    }
    best
}

/// Two-sided 95% quantile of Student's t with `df` degrees of freedom.
pub fn t95(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        d if d <= 30 => T[d - 1],
        _ => 1.96,
    }
}

/// Mean of a per-seed quantity and its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Mean.
    pub mean: f64,
    /// Lower end of the 95% interval.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// Number of seeds.
    pub n: usize,
    /// Standard error of the mean (`sd / sqrt(n)`); infinite with one
    /// seed, NaN when the mean is not finite.
    pub se: f64,
}

impl Estimate {
    /// Mean and Student-t 95% interval of `xs` (one value per seed). A
    /// non-finite value makes the interval unbounded on its side (a run
    /// that never reached a target is worse than any that did, by an
    /// unknown amount), so such claims come out inconclusive rather than
    /// decided by a made-up number.
    pub fn of(xs: &[f64]) -> Estimate {
        let n = xs.len();
        if n == 0 || xs.iter().any(|x| x.is_nan()) {
            return Estimate { mean: f64::NAN, lo: f64::NEG_INFINITY, hi: f64::INFINITY, n, se: f64::NAN };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if !mean.is_finite() {
            let lo = if xs.contains(&f64::NEG_INFINITY) { f64::NEG_INFINITY } else { min(xs) };
            let hi = if xs.contains(&f64::INFINITY) { f64::INFINITY } else { max(xs) };
            return Estimate { mean, lo, hi, n, se: f64::NAN };
        }
        let var = if n > 1 { xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64 } else { 0.0 };
        let se = if n > 1 { (var / n as f64).sqrt() } else { f64::INFINITY };
        let half = if n > 1 { t95(n - 1) * se } else { f64::INFINITY };
        Estimate { mean, lo: mean - half, hi: mean + half, n, se }
    }

    /// The paired difference `a_i − b_i` (same seed, same data).
    pub fn paired(a: &[f64], b: &[f64]) -> Estimate {
        assert_eq!(a.len(), b.len(), "paired estimates need one value per seed on both sides");
        let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        Estimate::of(&d)
    }

    /// Claim "the quantity is below `t`".
    pub fn below(&self, t: f64) -> Check {
        let verdict = if self.hi < t {
            Verdict::Supported
        } else if self.lo > t || (self.lo == t && self.hi == t) {
            Verdict::NotSupported
        } else {
            Verdict::Inconclusive
        };
        // Against: the mean is t or more, so a deterministic tie counts against.
        let p_against = if self.se == 0.0 { f64::from(u8::from(self.mean < t)) } else { self.negated().p_below(-t) };
        Check { verdict, p_for: self.p_below(t), p_against }
    }

    /// Claim "the quantity is above `t`".
    pub fn above(&self, t: f64) -> Check {
        self.negated().below(-t)
    }

    /// Claim "the quantity is within `±margin`" (equivalence): supported if
    /// the interval lies inside, not supported if entirely outside.
    pub fn within(&self, margin: f64) -> Check {
        let verdict = if self.lo > -margin && self.hi < margin {
            Verdict::Supported
        } else if self.lo > margin || self.hi < -margin {
            Verdict::NotSupported
        } else {
            Verdict::Inconclusive
        };
        // Two one-sided tests for; against, the nearer of two (Bonferroni).
        let p_for = self.p_below(margin).max(self.negated().p_below(margin));
        let p_against = 2.0 * self.negated().p_below(-margin).min(self.p_below(-margin));
        Check { verdict, p_for, p_against: p_against.min(1.0) }
    }

    fn negated(&self) -> Estimate {
        Estimate { mean: -self.mean, lo: -self.hi, hi: -self.lo, ..*self }
    }

    /// One-sided p-value of "the mean is below `t`" (the null: it is `t`
    /// or more): Student's t. With no spread the data decide it outright;
    /// where the t-test does not apply (a non-finite value, one seed),
    /// the sign test: `2^-n` if every value is below `t`, else 1.
    fn p_below(&self, t: f64) -> f64 {
        if self.se.is_finite() && self.se > 0.0 {
            student_t_cdf((self.mean - t) / self.se, (self.n - 1) as f64)
        } else if self.se == 0.0 {
            if self.mean < t {
                0.0
            } else {
                1.0
            }
        } else if self.hi < t && self.n > 1 {
            0.5f64.powi(self.n as i32)
        } else {
            1.0
        }
    }

    /// `mean [lo, hi]`, with `digits` significant digits.
    pub fn show(&self, digits: usize) -> String {
        let f = |v: f64| {
            if v.is_finite() {
                format!("{v:.*e}", digits.saturating_sub(1))
            } else {
                format!("{v}")
            }
        };
        format!("{} [{}, {}]", f(self.mean), f(self.lo), f(self.hi))
    }
}

fn min(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_protocol_keeps_every_grid_point_with_its_score_and_marks_the_one_used() {
        let seeds = Seeds { eval: vec![0, 1, 2], tuning: 10_000 };
        let t = Tuned { grid: vec![(0.05, 0.3), (0.1, 0.2), (0.2, f64::INFINITY)], best: 0.1, edge_limited: false };
        let p = Protocol::new(&seeds, "validation").tuned("sgd", &t);
        assert_eq!(p.lr_grid["sgd"], [0.05, 0.1, 0.2]);
        assert_eq!(p.grid_scores["sgd"], [Some(0.3), Some(0.2), None]);
        assert_eq!(p.grids(), ["sgd: 5.000e-2 → 3.000e-1, 1.000e-1 → 2.000e-1 (used), 2.000e-1 → diverged"]);
    }

    #[test]
    fn t_interval_matches_a_hand_computation() {
        // mean 2, sample sd 1, n 3: half-width 4.303 / sqrt(3).
        let e = Estimate::of(&[1.0, 2.0, 3.0]);
        assert_eq!(e.mean, 2.0);
        assert!((e.hi - 2.0 - 4.303 / 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(e.below(10.0).verdict, Verdict::Supported);
        assert_eq!(e.below(2.5).verdict, Verdict::Inconclusive);
        assert_eq!(e.below(-3.0).verdict, Verdict::NotSupported);
        assert_eq!(e.above(-3.0).verdict, Verdict::Supported);
        assert_eq!(e.within(10.0).verdict, Verdict::Supported);
        assert_eq!(e.within(1.0).verdict, Verdict::Inconclusive);
    }

    #[test]
    fn p_values_agree_with_the_interval() {
        // The interval's upper end is where the one-sided p-value is 2.5%.
        let e = Estimate::of(&[1.0, 2.0, 3.0]);
        assert!((e.below(e.hi).p_for - 0.025).abs() < 1e-4, "{:?}", e.below(e.hi));
        assert!((e.above(e.lo).p_for - 0.025).abs() < 1e-4);
        // At the mean, either way is a coin toss; the claim's p-value is 1.
        let at_mean = e.below(2.0);
        assert_eq!((at_mean.p_for, at_mean.p_against, at_mean.p_value()), (0.5, 0.5, 1.0));
        // Hand computation: t = (2 - 5) / (1 / sqrt 3) on 2 df; P(T < t) = 1/2 (1 - t / sqrt(2 + t^2)).
        let t = -3.0 * 3f64.sqrt();
        let p = 0.5 * (1.0 + t / (2.0 + t * t).sqrt());
        assert!((e.below(5.0).p_for - p).abs() < 1e-12);
        assert!((e.above(5.0).p_against - p).abs() < 1e-12);
        // No spread decides outright; an open-ended estimate falls back on the sign test.
        let tie = Estimate::paired(&[3.0, 3.0, 3.0], &[3.0, 3.0, 3.0]).below(0.0);
        assert_eq!((tie.p_for, tie.p_against), (1.0, 0.0));
        let open = Estimate::of(&[1.0, f64::INFINITY, 2.0]).above(0.5);
        assert_eq!((open.p_for, open.p_against), (0.125, 1.0));
    }

    #[test]
    fn a_deterministic_tie_is_not_a_win_and_a_never_reached_target_is_open_ended() {
        let tie = Estimate::paired(&[3.0, 3.0, 3.0], &[3.0, 3.0, 3.0]);
        assert_eq!(tie.below(0.0).verdict, Verdict::NotSupported);
        let open = Estimate::of(&[1.0, f64::INFINITY, 2.0]);
        assert_eq!((open.lo, open.hi), (1.0, f64::INFINITY));
        assert_eq!(open.below(5.0).verdict, Verdict::Inconclusive);
        assert_eq!(open.above(0.5).verdict, Verdict::Supported);
        assert_eq!(Estimate::of(&[1.0, f64::NAN]).below(5.0).verdict, Verdict::Inconclusive);
    }

    #[test]
    fn tuning_extends_past_a_winning_edge_and_stops_inside() {
        // Best at lr = 0.8: the grid around 0.1 reaches 0.4 then extends to 0.8 and 1.6.
        let t = tune_lr(0.1, |lr| Ok((lr.log2() - 0.8f64.log2()).powi(2))).unwrap();
        assert!((t.best - 0.8).abs() < 1e-12, "{t:?}");
        assert_eq!(t.grid.len(), 7);
        // Diverging large rates stop the extension upward.
        let t = tune_lr(1.0, |lr| Ok(if lr > 1.0 { f64::NAN } else { -lr })).unwrap();
        assert_eq!(t.best, 1.0);
        assert_eq!(t.grid.len(), 5);
        assert!(!t.edge_limited);
    }

    #[test]
    fn a_flat_grid_extends_both_ways_and_a_capped_edge_is_marked() {
        // Every point ties: the grid extends, alternating edges, to the cap.
        let t = tune_lr(0.1, |_| Ok(0.3)).unwrap();
        assert_eq!(t.grid.len(), 5 + MAX_EXTENSIONS, "{t:?}");
        assert!(t.grid[0].0 < 0.025 && t.grid[t.grid.len() - 1].0 > 0.4, "{t:?}");
        assert!(t.edge_limited);
        // Still improving at the cap: marked.
        let t = tune_lr(0.1, |lr| Ok(-lr)).unwrap();
        assert!(t.edge_limited && t.best > 0.4, "{t:?}");
        // Best inside after extending: not marked.
        let t = tune_lr(0.1, |lr| Ok((lr.log2() - 0.8f64.log2()).powi(2))).unwrap();
        assert!(!t.edge_limited);
    }

    #[test]
    fn combined_verdicts() {
        use Verdict::*;
        assert_eq!(Verdict::all(&[Supported, Supported]), Supported);
        assert_eq!(Verdict::all(&[Supported, Inconclusive]), Inconclusive);
        assert_eq!(Verdict::all(&[Inconclusive, NotSupported]), NotSupported);
        // Parts whose condition fails are left out; all of them: not applicable.
        assert_eq!(Verdict::all(&[NotApplicable, Supported]), Supported);
        assert_eq!(Verdict::all(&[NotApplicable, NotApplicable]), NotApplicable);
        assert_eq!(Verdict::all(&[]), Supported);
    }
}
