//! Charts as inline SVG strings (plotters' SVG backend): line charts with
//! optional log axes, and contour plots with trajectories.
//!
//! Log axes are drawn by plotting `log10` of the data on a linear axis
//! labelled `1e{k}`; points that are not finite (or not positive on a log
//! axis) are dropped, so a diverged run is drawn up to where it stopped.

use plotters::prelude::*;

/// One colour per optimizer, the same in every chart of the report
/// (Okabe-Ito and Tableau colours, readable by colour-blind readers first).
pub fn colour(key: &str) -> RGBColor {
    const PALETTE: [(&str, (u8, u8, u8)); 18] = [
        ("sgd", (0, 0, 0)),
        ("gd", (0, 0, 0)),
        ("momentum", (230, 159, 0)),
        ("heavy_ball", (230, 159, 0)),
        ("nesterov", (86, 180, 233)),
        ("nesterov_lookahead", (0, 114, 178)),
        ("adagrad", (0, 158, 115)),
        ("adadelta", (204, 121, 167)),
        ("rmsprop", (213, 94, 0)),
        ("adam", (0, 114, 178)),
        ("amsgrad", (148, 103, 189)),
        ("adamw", (140, 86, 75)),
        ("nadam", (127, 127, 127)),
        ("radam", (188, 189, 34)),
        ("adamax", (23, 190, 207)),
        ("bgd", (0, 0, 0)),
        ("mbgd", (0, 158, 115)),
        ("he", (0, 114, 178)),
    ];
    if let Some((_, (r, g, b))) = PALETTE.iter().find(|(k, _)| *k == key) {
        return RGBColor(*r, *g, *b);
    }
    // Other labels (epsilons, schedules): a stable colour from the name.
    const EXTRA: [(u8, u8, u8); 8] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (23, 190, 207),
    ];
    let h = key.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    let (r, g, b) = EXTRA[h as usize % EXTRA.len()];
    RGBColor(r, g, b)
}

/// A named series of points.
#[derive(Debug, Clone)]
pub struct Line {
    /// Legend label.
    pub label: String,
    /// Palette key (optimizer name, usually).
    pub key: String,
    /// Points `(x, y)`.
    pub points: Vec<(f64, f64)>,
    /// Drawn thin and faded (raw curves under their smoothed version).
    pub faint: bool,
}

impl Line {
    /// A normal line coloured by `key`.
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

fn tick(v: f64, log: bool) -> String {
    if log {
        // Decades as 1e{k}; ticks between decades by their value.
        if (v - v.round()).abs() < 1e-9 {
            return format!("1e{}", v.round() as i64);
        }
        return number(10f64.powf(v));
    }
    // A tick at zero arrives with rounding error (-2e-16); it is 0.
    if v.abs() < 1e-12 {
        return "0".into();
    }
    number(v)
}

/// A tick label: plain for moderate values, else scientific with as many
/// digits as it takes to tell neighbouring ticks apart (12000 is 1.2e4, not 1e4).
fn number(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e4 || v.abs() < 1e-2) {
        let s = format!("{v:.1e}");
        s.replace(".0e", "e")
    } else {
        format!("{v:.2}").trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A line chart; `None` when no series has a drawable point.
pub fn line_chart(axes: &Axes, lines: &[Line]) -> Option<String> {
    let data: Vec<(&Line, Vec<(f64, f64)>)> = lines
        .iter()
        .map(|l| {
            let pts = l
                .points
                .iter()
                .filter_map(|&(x, y)| Some((transform(x, axes.log_x)?, transform(y, axes.log_y)?)))
                .collect();
            (l, pts)
        })
        .collect();
    if data.iter().all(|(_, p)| p.is_empty()) {
        return None;
    }
    let (x0, x1) = range(data.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)));
    let (y0, y1) = range(data.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 380)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&axes.title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(38)
            .y_label_area_size(62)
            .build_cartesian_2d(x0..x1, y0..y1)
            .ok()?;
        let (lx, ly) = (axes.log_x, axes.log_y);
        chart
            .configure_mesh()
            .x_desc(axes.x.as_str())
            .y_desc(axes.y.as_str())
            .x_label_formatter(&|v| tick(*v, lx))
            .y_label_formatter(&|v| tick(*v, ly))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .ok()?;
        for (line, pts) in &data {
            let c = colour(&line.key);
            let style = if line.faint { c.mix(0.25).stroke_width(1) } else { c.stroke_width(2) };
            let series = chart.draw_series(LineSeries::new(pts.iter().copied(), style)).ok()?;
            if !line.faint {
                series
                    .label(line.label.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    Some(svg)
}

/// A contour plot of `f` over a window (filled cells, colour by
/// `log(1 + f - min)`) with trajectories drawn over it.
pub fn contour_chart(
    axes: &Axes,
    window: ((f64, f64), (f64, f64)),
    f: impl Fn(f64, f64) -> f64,
    lines: &[Line],
) -> Option<String> {
    let ((x0, x1), (y0, y1)) = window;
    let cells = 70;
    let (dx, dy) = ((x1 - x0) / cells as f64, (y1 - y0) / cells as f64);
    let mut grid = Vec::with_capacity(cells * cells);
    for i in 0..cells {
        for j in 0..cells {
            grid.push((i, j, f(x0 + (i as f64 + 0.5) * dx, y0 + (j as f64 + 0.5) * dy)));
        }
    }
    let min = grid.iter().map(|c| c.2).fold(f64::INFINITY, f64::min);
    let levels: Vec<f64> = grid.iter().map(|c| (1.0 + c.2 - min).ln()).collect();
    let max = levels.iter().copied().fold(0.0, f64::max).max(1e-12);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (560, 480)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&axes.title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(38)
            .y_label_area_size(48)
            .build_cartesian_2d(x0..x1, y0..y1)
            .ok()?;
        chart.configure_mesh().x_desc(axes.x.as_str()).y_desc(axes.y.as_str()).disable_mesh().draw().ok()?;
        chart
            .draw_series(grid.iter().zip(&levels).map(|(&(i, j, _), &l)| {
                let t = l / max;
                // light yellow (low) to dark blue-grey (high), quantised into 14 bands like contour lines
                let t = (t * 14.0).floor() / 14.0;
                let c = RGBColor((250.0 - 170.0 * t) as u8, (245.0 - 150.0 * t) as u8, (215.0 - 60.0 * t) as u8);
                let (cx, cy) = (x0 + i as f64 * dx, y0 + j as f64 * dy);
                Rectangle::new([(cx, cy), (cx + dx, cy + dy)], c.filled())
            }))
            .ok()?;
        for line in lines {
            let c = colour(&line.key);
            let pts: Vec<(f64, f64)> = line
                .points
                .iter()
                .copied()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .map(|(x, y)| (x.clamp(x0, x1), y.clamp(y0, y1)))
                .collect();
            if pts.is_empty() {
                continue;
            }
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))
                .ok()?
                .label(line.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
            let end = *pts.last().expect("non-empty");
            chart.draw_series(std::iter::once(Circle::new(end, 4, c.filled()))).ok()?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    Some(svg)
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
        assert!(svg.starts_with("<svg") && svg.contains("<polyline") && svg.contains("\nadam\n</text>"));
        assert!(line_chart(&Axes::new("t", "x", "y"), &[Line::new("a", "a", vec![(f64::NAN, 1.0)])]).is_none());
        assert_eq!(colour("adam"), colour("adam"));
        assert_eq!([tick(-2.2e-16, false), tick(12000.0, false), tick(10000.0, false)], ["0", "1.2e4", "1e4"]);
        assert_eq!([tick(0.0025, false), tick(0.5, false), tick(-3.0, true)], ["2.5e-3", "0.5", "1e-3"]);
        assert_ne!(colour("adam"), colour("sgd"));
    }
}
