//! Line charts: one polyline per series, optional log axes, as SVG.
//!
//! plotters draws the frame (title, axes, grid, tick labels at the
//! positions of [`super::ticks`]); the series and the legend are written as
//! plain SVG over it, so that each series is one `<polyline>` with its dash
//! pattern (plotters' dashed series are one element per dash) and its
//! points thinned to what the pixels can show. Log axes plot `log10` of the
//! data; points that are not finite (or not positive on a log axis) are
//! dropped, so a diverged run is drawn up to where it stopped.

use super::style::{styles_for, Style, LINE_SIZE};
use super::svg::{draw_frame, grid, legend, polyline};
use super::ticks::{linear_ticks, log_ticks};

/// A named series of points.
#[derive(Debug, Clone)]
pub struct Line {
    /// Legend label.
    pub label: String,
    /// Style key: an optimizer's name keeps its style in every chart; equal
    /// keys in one chart are drawn alike.
    pub key: String,
    /// Points `(x, y)`.
    pub points: Vec<(f64, f64)>,
    /// Drawn thin and faded, without a legend entry (a raw curve under its
    /// smoothed twin of the same key).
    pub faint: bool,
}

impl Line {
    /// A normal line styled by `key`.
    pub fn new(label: impl Into<String>, key: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Line { label: label.into(), key: key.into(), points, faint: false }
    }
}

/// Axis descriptions and scales of a chart.
#[derive(Debug, Clone)]
pub struct Axes {
    /// Title above the chart.
    pub title: String,
    /// x-axis label, with unit.
    pub x: String,
    /// y-axis label, with unit.
    pub y: String,
    /// log10 x axis.
    pub log_x: bool,
    /// log10 y axis.
    pub log_y: bool,
}

impl Axes {
    /// Linear axes.
    pub fn new(title: impl Into<String>, x: impl Into<String>, y: impl Into<String>) -> Self {
        Axes { title: title.into(), x: x.into(), y: y.into(), log_x: false, log_y: false }
    }
    /// With a log y axis.
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }
    /// With a log x axis.
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }
}

fn transform(v: f64, log: bool) -> Option<f64> {
    match (v.is_finite(), log) {
        (false, _) => None,
        (true, true) if v > 0.0 => Some(v.log10()),
        (true, true) => None,
        (true, false) => Some(v),
    }
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.04).max(1e-9 * lo.abs().max(1.0));
    (lo - pad, hi + pad)
}

/// Ticks of an axis over `[lo, hi]`.
pub(crate) fn ticks(lo: f64, hi: f64, log: bool) -> Vec<f64> {
    if log {
        log_ticks(lo, hi)
    } else {
        linear_ticks(lo, hi, 6)
    }
}

/// A line chart; `None` when no series has a drawable point.
pub fn line_chart(axes: &Axes, lines: &[Line]) -> Option<String> {
    let data: Vec<Vec<(f64, f64)>> = lines
        .iter()
        .map(|l| {
            l.points.iter().filter_map(|&(x, y)| Some((transform(x, axes.log_x)?, transform(y, axes.log_y)?))).collect()
        })
        .collect();
    if data.iter().all(Vec::is_empty) {
        return None;
    }
    let (x0, x1) = range(data.iter().flatten().map(|p| p.0));
    let (y0, y1) = range(data.iter().flatten().map(|p| p.1));
    let styles: Vec<Style> = styles_for(&lines.iter().map(|l| l.key.as_str()).collect::<Vec<_>>());
    let labelled: Vec<(String, Style)> = unique_labels(lines, &styles);
    let legend_width = legend_width(&labelled);
    let mut svg = String::new();
    let frame = draw_frame(&mut svg, LINE_SIZE, axes, (x0, x1), (y0, y1), legend_width, 62)?;
    let (x_ticks, y_ticks) = (ticks(x0, x1, axes.log_x), ticks(y0, y1, axes.log_y));
    let mut overlay = grid(&frame, &x_ticks, &y_ticks, (axes.log_x, axes.log_y), true);
    // Faint curves first, so the full ones are drawn over them.
    for pass in [true, false] {
        for ((line, pts), style) in lines.iter().zip(&data).zip(&styles) {
            if line.faint == pass && !pts.is_empty() {
                let pixels: Vec<(f64, f64)> = pts.iter().map(|&p| frame.pixel(p)).collect();
                overlay.push_str(&polyline(&pixels, style, if line.faint { 1.0 } else { 2.0 }, line.faint));
            }
        }
    }
    overlay.push_str(&legend(&labelled, frame.right() + 12.0, frame.top() + 4.0));
    Some(super::svg::append(svg, &overlay))
}

/// The legend entries: each label once, with the style of its first full
/// (not faint) series.
pub(crate) fn unique_labels(lines: &[Line], styles: &[Style]) -> Vec<(String, Style)> {
    let mut out: Vec<(String, Style)> = Vec::new();
    for (l, s) in lines.iter().zip(styles) {
        if !l.faint && !out.iter().any(|(label, _)| *label == l.label) {
            out.push((l.label.clone(), *s));
        }
    }
    out
}

/// Room for the legend on the right: its longest label, about 7 px a letter.
pub(crate) fn legend_width(entries: &[(String, Style)]) -> u32 {
    if entries.is_empty() {
        return 0;
    }
    let longest = entries.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0).min(40) as u32;
    36 + 7 * longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_an_svg_with_its_data_and_skips_non_finite_points() {
        let lines = [
            Line::new("adam", "adam", vec![(1.0, 10.0), (2.0, 1.0), (3.0, f64::NAN), (4.0, 0.1)]),
            Line::new("sgd", "sgd", vec![(1.0, 5.0), (2.0, f64::INFINITY)]),
        ];
        let svg = line_chart(&Axes::new("loss", "step", "loss").log_y(), &lines).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("stroke-linejoin=\"round\"").count(), 2 + 2, "two series, two legend samples");
        assert!(svg.contains(">adam</text>") && svg.contains(">sgd</text>"));
        assert!(line_chart(&Axes::new("t", "x", "y"), &[Line::new("a", "a", vec![(f64::NAN, 1.0)])]).is_none());
    }

    #[test]
    fn a_log_axis_reads_in_decades() {
        let points: Vec<(f64, f64)> = (1..=1000).map(|i| (i as f64, 1e4 / i as f64)).collect();
        let svg = line_chart(&Axes::new("t", "x", "y").log_x().log_y(), &[Line::new("a", "adam", points)]).unwrap();
        for tick in [">1<", ">10<", ">100<", ">1000<", ">1e4<"] {
            assert!(svg.contains(tick), "no tick {tick}");
        }
        assert!(!svg.contains("316.23") && !svg.contains("6309.57"));
    }

    #[test]
    fn long_series_are_thinned_to_what_the_pixels_show() {
        // 200,000 noisy points make at most a few points per pixel column.
        let points: Vec<(f64, f64)> = (0..200_000).map(|i| (i as f64, ((i * 7919) % 1000) as f64)).collect();
        let svg = line_chart(&Axes::new("t", "x", "y"), &[Line::new("a", "sgd", points)]).unwrap();
        assert!(svg.len() < 60_000, "{} bytes", svg.len());
    }
}
