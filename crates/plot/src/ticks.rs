//! Where an axis is ticked and how its ticks read.
//!
//! Linear axes get "nice" steps (1, 2 or 5 times a power of ten). Log axes
//! are drawn on `log10` of the data and ticked at decades, with 2 and 5
//! between them when the axis spans few decades (as matplotlib's log
//! locator does); every tick is labelled with its value as a plain number
//! (`0.01`, `1`, `100`), or as `1e4`, `2e-5` past four digits.

/// Tick positions in `[lo, hi]` on a linear axis: about `target` of them, at
/// multiples of 1, 2 or 5 times a power of ten.
pub fn linear_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).map(|v| if v.abs() < step * 1e-9 { 0.0 } else { v }).collect()
}

/// Tick positions, in `log10` units, on a log axis spanning `[lo, hi]`
/// (also in `log10` units): decades (every second or fifth one when there
/// are many), plus 2× and 5× between decades when the axis spans less than
/// three decades, and 1× to 9× when it spans less than one.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let span = hi - lo;
    let (first, last) = (lo.floor() as i64, hi.ceil() as i64);
    let multiples: &[f64] = if span < 1.0 {
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    } else if span < 3.0 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let every = if span > 16.0 {
        5
    } else if span > 8.0 {
        2
    } else {
        1
    };
    let mut ticks = Vec::new();
    for decade in first..=last {
        if decade.rem_euclid(every) != 0 {
            continue;
        }
        for m in multiples {
            let t = decade as f64 + m.log10();
            if t >= lo - 1e-9 && t <= hi + 1e-9 {
                ticks.push(t);
            }
        }
    }
    if ticks.len() < 2 && span < 1.0 {
        // Less than a decade between two multiples: fall back to plain steps.
        return linear_ticks(10f64.powf(lo), 10f64.powf(hi), 4)
            .into_iter()
            .filter(|v| *v > 0.0)
            .map(f64::log10)
            .collect();
    }
    ticks
}

/// The label of a tick at `v` (on a log axis, `v` is `log10` of the value,
/// which is never zero, however small: `1e-15`, not `0`).
pub fn label(v: f64, log: bool) -> String {
    if log {
        magnitude(10f64.powf(v))
    } else {
        number(v)
    }
}

/// A number as a tick label: plain when it has at most four digits before
/// and two after the point (`0.01`, `2.5`, `1200`), otherwise `1e4`,
/// `2e-5`, `1.5e6`; zero is `0` even when it arrives as `-2e-16` (the
/// rounding of a linear axis's steps).
pub fn number(v: f64) -> String {
    if v.abs() < 1e-12 {
        return "0".into();
    }
    magnitude(v)
}

/// A non-zero number as [`number`] writes it.
fn magnitude(v: f64) -> String {
    let a = v.abs();
    if (1e-2..1e4).contains(&a) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return s.to_string();
    }
    let exponent = a.log10().floor() as i32;
    let mantissa = v / 10f64.powi(exponent);
    let m = format!("{mantissa:.1}");
    let m = m.trim_end_matches('0').trim_end_matches('.');
    // Rounding can carry the mantissa to 10 (9.99e3 -> "10e3").
    if m == "10" || m == "-10" {
        return format!("{}e{}", if v < 0.0 { "-1" } else { "1" }, exponent + 1);
    }
    format!("{m}e{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(ticks: &[f64], log: bool) -> Vec<String> {
        ticks.iter().map(|t| label(*t, log)).collect()
    }

    #[test]
    fn log_axes_are_ticked_at_decades_with_plain_labels() {
        assert_eq!(labels(&log_ticks(0.0, 4.2), true), ["1", "10", "100", "1000", "1e4"]);
        assert_eq!(labels(&log_ticks(-3.3, 0.5), true), ["1e-3", "0.01", "0.1", "1"]);
        // Few decades: 2 and 5 between them.
        assert_eq!(labels(&log_ticks(0.0, 2.0), true), ["1", "2", "5", "10", "20", "50", "100"]);
        // Many decades: every second one.
        assert_eq!(labels(&log_ticks(-12.0, -2.5), true), ["1e-12", "1e-10", "1e-8", "1e-6", "1e-4"]);
        // Far below 1e-12 a decade is still a decade, not zero.
        assert_eq!(label(-15.0, true), "1e-15");
        assert_eq!(label(-20.0, true), "1e-20");
        // Within one decade: 1 to 9.
        assert_eq!(labels(&log_ticks(2f64.log10(), 6f64.log10()), true), ["2", "3", "4", "5", "6"]);
        // None of the old labels like 6309.57 or 316.23.
        for span in [(0.5, 3.8), (-1.0, 5.0), (1.2, 1.9), (-7.0, 7.0)] {
            for l in labels(&log_ticks(span.0, span.1), true) {
                assert!(l.len() <= 5, "{span:?}: {l}");
            }
        }
    }

    #[test]
    fn linear_axes_take_nice_steps_and_zero_is_zero() {
        assert_eq!(labels(&linear_ticks(0.0, 1.0, 5), false), ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        assert_eq!(labels(&linear_ticks(-2.2e-16, 12000.0, 4), false), ["0", "5000", "1e4"]);
        assert_eq!(labels(&linear_ticks(-1.05, 1.05, 5), false), ["-1", "-0.5", "0", "0.5", "1"]);
        assert_eq!(
            [number(12000.0), number(0.0025), number(-2.2e-16), number(0.001)],
            ["1.2e4", "2.5e-3", "0", "1e-3"]
        );
    }
}
