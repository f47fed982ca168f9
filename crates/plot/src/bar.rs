//! Bar charts: one bar per labelled category (a histogram's bins, a count
//! per mistake), counts or values on a linear y axis from zero.

use super::line::Axes;
use super::style::{FONT, LABEL_SIZE, LINE_SIZE, PALETTE};
use super::svg::{draw_frame, escape, grid};
use super::ticks::linear_ticks;
use std::fmt::Write as _;

/// A bar chart of `bars` (label, value ≥ 0), in order, each bar labelled
/// under the axis and its value written over it; `None` when there is no
/// bar or a value is negative or not finite.
pub fn bar_chart(axes: &Axes, bars: &[(String, f64)]) -> Option<String> {
    if bars.is_empty() || bars.iter().any(|(_, v)| !v.is_finite() || *v < 0.0) {
        return None;
    }
    let top = bars.iter().map(|b| b.1).fold(0.0, f64::max);
    let y1 = if top > 0.0 { top * 1.12 } else { 1.0 };
    let n = bars.len() as f64;
    let mut svg = String::new();
    let frame = draw_frame(&mut svg, LINE_SIZE, axes, (0.0, n), (0.0, y1), 0, 48)?;
    let ticks: Vec<f64> = linear_ticks(0.0, y1, 5).into_iter().filter(|t| *t <= top.max(1.0)).collect();
    let mut overlay = grid(&frame, &[], &ticks, (false, false), true);
    let (r, g, b) = PALETTE[4];
    for (i, (label, value)) in bars.iter().enumerate() {
        let (x0, y0) = frame.pixel((i as f64 + 0.1, *value));
        let (x1, base) = frame.pixel((i as f64 + 0.9, 0.0));
        let _ = writeln!(
            overlay,
            "<rect class=\"bar\" x=\"{x0:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#{r:02x}{g:02x}{b:02x}\"/>",
            x1 - x0,
            base - y0
        );
        let mid = (x0 + x1) / 2.0;
        let _ = writeln!(
            overlay,
            "<text x=\"{mid:.1}\" y=\"{:.1}\" font-family=\"{FONT}\" font-size=\"{LABEL_SIZE}\" \
             text-anchor=\"middle\" fill=\"#222\">{}</text>",
            y0 - 4.0,
            super::ticks::number(*value)
        );
        let _ = writeln!(
            overlay,
            "<text x=\"{mid:.1}\" y=\"{:.1}\" font-family=\"{FONT}\" font-size=\"{LABEL_SIZE}\" \
             text-anchor=\"middle\" dominant-baseline=\"middle\" fill=\"#222\">{}</text>",
            base + 14.0,
            escape(label)
        );
    }
    Some(super::svg::append(svg, &overlay))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bar_is_a_rect_with_its_label_and_value() {
        let bars = vec![("0–10".to_string(), 2.0), ("10–20".to_string(), 0.0), ("90–100".to_string(), 7.0)];
        let svg = bar_chart(&Axes::new("scores", "score (%)", "students"), &bars).unwrap();
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 3);
        assert!(svg.contains(">90–100</text>") && svg.contains(">7</text>"), "{svg}");
        assert!(bar_chart(&Axes::new("t", "x", "y"), &[]).is_none());
        assert!(bar_chart(&Axes::new("t", "x", "y"), &[("a".into(), f64::NAN)]).is_none());
    }
}
