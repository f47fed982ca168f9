//! How the ledger accounts for making many claims at once.
//!
//! Each claim is decided by its own 95% interval ([`super::protocol::RULE`]):
//! an interval wholly on one side of the threshold is a one-sided test at
//! 2.5% in that direction. Made over the 30-odd evidence claims of a run,
//! those tests would let a claim or two through by chance alone. So every
//! check also carries its two one-sided p-values ([`Check`]), a claim's
//! p-value is twice the smaller of them (the two-sided test its interval
//! makes), and [`holm`] applies Holm's step-down procedure (Holm 1979) over
//! the run's evidence claims at a family-wise level of 5%: a claim stays
//! decided only if its interval decides it *and* Holm rejects it; one that
//! Holm does not reject is shown as inconclusive, with its per-claim
//! verdict and p-value beside it.
//!
//! A claim made of parts ("both beat SGD") is supported when every part is
//! (an intersection-union test: its p-value for is the largest of the
//! parts'), and not supported when any part is not (a union: the smallest
//! p-value against, times the number of parts, Bonferroni within the claim).

use super::Verdict;

/// The family-wise error rate of a run's evidence claims.
pub const FAMILY_ALPHA: f64 = 0.05;

/// The correction as stated on the page.
pub const CORRECTION: &str = "Holm's step-down procedure over the run's evidence claims at a family-wise level of \
                              5%: a claim's p-value (twice the smaller one-sided p-value of its t-test) is compared \
                              with 0.05 / (m - k + 1) in increasing order; a claim not rejected is inconclusive";

/// A criterion applied to a run's numbers: the verdict of the per-claim
/// rule, and the one-sided p-values behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    /// The per-claim (uncorrected) verdict.
    pub verdict: Verdict,
    /// p-value of the test for the claim (small: the data say it holds).
    pub p_for: f64,
    /// p-value of the test against it (small: the data say it does not).
    pub p_against: f64,
}

impl Check {
    /// A part whose condition does not hold in this run: left out.
    pub fn not_applicable() -> Check {
        Check { verdict: Verdict::NotApplicable, p_for: 1.0, p_against: 1.0 }
    }

    /// Every part must hold; parts that are not applicable are left out.
    pub fn all(parts: &[Check]) -> Check {
        let verdicts: Vec<Verdict> = parts.iter().map(|c| c.verdict).collect();
        let verdict = Verdict::all(&verdicts);
        let applicable: Vec<&Check> = parts.iter().filter(|c| c.verdict != Verdict::NotApplicable).collect();
        if applicable.is_empty() && !parts.is_empty() {
            return Check::not_applicable();
        }
        let p_for = applicable.iter().map(|c| c.p_for).fold(0.0, f64::max);
        let p_against = applicable.iter().map(|c| c.p_against).fold(1.0, f64::min) * applicable.len().max(1) as f64;
        Check { verdict, p_for, p_against: p_against.min(1.0) }
    }

    /// The claim's p-value: twice the smaller one-sided one (capped at 1).
    pub fn p_value(&self) -> f64 {
        (2.0 * self.p_for.min(self.p_against)).min(1.0)
    }
}

/// What Holm's procedure said about one claim.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Corrected {
    /// The verdict after the correction.
    pub verdict: Verdict,
    /// The level its p-value was compared with (`alpha / (m - k + 1)`),
    /// or, for a claim past the first non-rejection, the level at which
    /// the procedure stopped.
    pub level: f64,
}

/// Holm's step-down procedure at family-wise level `alpha` over `family`:
/// each entry is a claim's per-claim verdict and p-value (`None` for a
/// claim decided without one, which counts as p = 1). Returns, in the same
/// order, each claim's corrected verdict: a decided verdict that Holm does
/// not reject becomes inconclusive; the others are kept.
pub fn holm(family: &[(Verdict, Option<f64>)], alpha: f64) -> Vec<Corrected> {
    let m = family.len();
    let p = |i: usize| family[i].1.filter(|p| !p.is_nan()).unwrap_or(1.0);
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p(a).total_cmp(&p(b)).then(a.cmp(&b)));
    let mut out = vec![Corrected { verdict: Verdict::Inconclusive, level: alpha / m.max(1) as f64 }; m];
    let mut stopped: Option<f64> = None;
    for (k, &i) in order.iter().enumerate() {
        let level = alpha / (m - k) as f64;
        let rejected = stopped.is_none() && p(i) <= level;
        if !rejected && stopped.is_none() {
            stopped = Some(level);
        }
        let verdict = match family[i].0 {
            Verdict::Supported | Verdict::NotSupported if !rejected => Verdict::Inconclusive,
            v => v,
        };
        out[i] = Corrected { verdict, level: stopped.unwrap_or(level) };
    }
    out
}

/// `P(T <= t)` for Student's t with `df` degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 1.0 } else { 0.0 };
    }
    let x = df / (df + t * t);
    let tail = 0.5 * incomplete_beta(df / 2.0, 0.5, x);
    if t > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The regularized incomplete beta function `I_x(a, b)`, by its continued
/// fraction (modified Lentz), on the side where it converges fast.
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    d = 1.0 / if d.abs() < TINY { TINY } else { d };
    let mut h = d;
    for m in 1..=300 {
        let m = m as f64;
        for num in [
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + num * d;
            d = 1.0 / if d.abs() < TINY { TINY } else { d };
            c = 1.0 + num / c;
            if c.abs() < TINY {
                c = TINY;
            }
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, nine coefficients).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let series = G[1..].iter().enumerate().fold(G[0], |s, (i, g)| s + g / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verdict::*;

    #[test]
    fn the_t_distribution_matches_published_tables() {
        // Upper quantiles t(p, df) from the standard tables (e.g. NIST's
        // Engineering Statistics Handbook, table 1.3.6.7.2).
        let table = [
            (1.0, 0.975, 12.706),
            (2.0, 0.975, 4.303),
            (4.0, 0.975, 2.776),
            (4.0, 0.995, 4.604),
            (4.0, 0.999, 7.173),
            (10.0, 0.95, 1.812),
            (10.0, 0.995, 3.169),
            (30.0, 0.975, 2.042),
            (100.0, 0.999, 3.174),
        ];
        for (df, p, t) in table {
            let got = student_t_cdf(t, df);
            assert!((got - p).abs() < 2e-4, "df {df}: F({t}) = {got}, table {p}");
            assert!((student_t_cdf(-t, df) - (1.0 - p)).abs() < 2e-4);
        }
        assert_eq!(student_t_cdf(0.0, 3.0), 0.5);
        // df = 1 is Cauchy: F(t) = 1/2 + atan(t)/pi.
        for t in [-3.0, -0.5, 0.7, 2.0, 40.0] {
            let cauchy = 0.5 + f64::atan(t) / std::f64::consts::PI;
            assert!((student_t_cdf(t, 1.0) - cauchy).abs() < 1e-12, "{t}");
        }
    }

    #[test]
    fn holm_steps_down_and_stops_at_the_first_claim_it_cannot_reject() {
        // Holm (1979)'s rule on four p-values at 5%: levels 0.0125, 0.0167, 0.025, 0.05.
        let family =
            [(Supported, Some(0.010)), (NotSupported, Some(0.015)), (Supported, Some(0.060)), (Supported, Some(0.001))];
        let c = holm(&family, 0.05);
        assert_eq!(c.iter().map(|c| c.verdict).collect::<Vec<_>>(), [Supported, NotSupported, Inconclusive, Supported]);
        assert!((c[3].level - 0.0125).abs() < 1e-15 && (c[0].level - 0.05 / 3.0).abs() < 1e-15);
        // Stopped at the third: a later, smaller-level claim is not rejected either.
        let family = [(Supported, Some(0.001)), (Supported, Some(0.04)), (Supported, Some(0.049))];
        let c = holm(&family, 0.05);
        assert_eq!(c.iter().map(|c| c.verdict).collect::<Vec<_>>(), [Supported, Inconclusive, Inconclusive]);
        // Inconclusive stays so; a claim without a p-value counts as p = 1.
        let c = holm(&[(Inconclusive, Some(0.0)), (Supported, None)], 0.05);
        assert_eq!(c.iter().map(|c| c.verdict).collect::<Vec<_>>(), [Inconclusive, Inconclusive]);
    }

    #[test]
    fn parts_combine_as_intersection_and_union() {
        let s = |p: f64| Check { verdict: Supported, p_for: p, p_against: 1.0 - p };
        let n = |p: f64| Check { verdict: NotSupported, p_for: 1.0 - p, p_against: p };
        let both = Check::all(&[s(0.001), s(0.01)]);
        assert_eq!((both.verdict, both.p_for), (Supported, 0.01));
        let one_fails = Check::all(&[s(0.001), n(0.004)]);
        assert_eq!(one_fails.verdict, NotSupported);
        assert!((one_fails.p_against - 0.008).abs() < 1e-15);
        assert!((one_fails.p_value() - 0.016).abs() < 1e-15, "twice the smaller: 2 × 0.004 against");
        let left_out = Check::all(&[Check::not_applicable(), s(0.02)]);
        assert_eq!((left_out.verdict, left_out.p_for), (Supported, 0.02));
        assert_eq!(Check::all(&[Check::not_applicable()]).verdict, NotApplicable);
    }
}
