//! Plain SVG written over a plotters frame: series as single polylines
//! thinned to the pixels, legends, and the pixel mapping of a chart.

use super::style::{Style, FONT, LABEL_SIZE};
use plotters::prelude::*;
use std::fmt::Write as _;

/// Where a chart's data coordinates land in the SVG, in pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    x: (f64, f64),
    y: (f64, f64),
    px: (f64, f64),
    py: (f64, f64),
}

impl Frame {
    /// The mapping of `chart`, whose axes span `x` and `y`.
    pub(crate) fn of<DB: DrawingBackend, X, Y>(
        chart: &ChartContext<DB, Cartesian2d<X, Y>>,
        x: (f64, f64),
        y: (f64, f64),
    ) -> Frame
    where
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        let low = chart.backend_coord(&(x.0, y.0));
        let high = chart.backend_coord(&(x.1, y.1));
        Frame { x, y, px: (low.0 as f64, high.0 as f64), py: (low.1 as f64, high.1 as f64) }
    }

    /// The pixel of a data point.
    pub(crate) fn pixel(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let fx = (x - self.x.0) / (self.x.1 - self.x.0);
        let fy = (y - self.y.0) / (self.y.1 - self.y.0);
        (self.px.0 + fx * (self.px.1 - self.px.0), self.py.0 + fy * (self.py.1 - self.py.0))
    }

    /// Left edge of the plotting area.
    pub(crate) fn left(&self) -> f64 {
        self.px.0.min(self.px.1)
    }

    /// Bottom edge of the plotting area.
    pub(crate) fn bottom(&self) -> f64 {
        self.py.0.max(self.py.1)
    }

    /// Right edge of the plotting area.
    pub(crate) fn right(&self) -> f64 {
        self.px.1.max(self.px.0)
    }

    /// Top edge of the plotting area.
    pub(crate) fn top(&self) -> f64 {
        self.py.1.min(self.py.0)
    }
}

/// Draws a chart's frame into `svg` with plotters: white background,
/// title, axes and their descriptions, room on the right for a legend
/// `legend` pixels wide. Ticks, grid and series are the caller's overlay.
pub(crate) fn draw_frame(
    svg: &mut String,
    size: (u32, u32),
    axes: &super::Axes,
    x: (f64, f64),
    y: (f64, f64),
    legend: u32,
    y_label_area: u32,
) -> Option<Frame> {
    let root = SVGBackend::with_string(svg, size).into_drawing_area();
    root.fill(&WHITE).ok()?;
    let mut chart = ChartBuilder::on(&root)
        .caption(&axes.title, (FONT, super::style::TITLE_SIZE))
        .margin(12)
        .margin_right(12 + legend)
        .x_label_area_size(38)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .ok()?;
    // Axes and their titles only: ticks and grid are drawn over it, where
    // their positions are ours (decades on log axes).
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(0)
        .x_desc(axes.x.as_str())
        .y_desc(axes.y.as_str())
        .axis_desc_style((FONT, LABEL_SIZE + 1))
        .draw()
        .ok()?;
    let frame = Frame::of(&chart, x, y);
    root.present().ok()?;
    Some(frame)
}

/// `overlay` inserted before the closing tag of `svg`.
pub(crate) fn append(mut svg: String, overlay: &str) -> String {
    match svg.rfind("</svg>") {
        Some(end) => svg.insert_str(end, overlay),
        None => svg.push_str(overlay),
    }
    svg
}

/// Escapes text for SVG.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Points in pixels, fewer where several share a pixel: a series whose x
/// never decreases keeps, per pixel column, its first, lowest, highest and
/// last point (the envelope a pixel can show); any other path drops points
/// closer than 0.7 px to the last one kept. The last point always stays.
pub(crate) fn thin(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if points.len() <= 2 {
        return points.to_vec();
    }
    let monotone = points.windows(2).all(|w| w[1].0 >= w[0].0);
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(points.len().min(4096));
    if monotone {
        let mut i = 0;
        while i < points.len() {
            let column = points[i].0.floor();
            let mut j = i;
            let (mut lo, mut hi) = (i, i);
            while j < points.len() && points[j].0.floor() == column {
                if points[j].1 < points[lo].1 {
                    lo = j;
                }
                if points[j].1 > points[hi].1 {
                    hi = j;
                }
                j += 1;
            }
            let mut keep = [i, lo, hi, j - 1];
            keep.sort_unstable();
            for (k, &idx) in keep.iter().enumerate() {
                if k == 0 || idx != keep[k - 1] {
                    out.push(points[idx]);
                }
            }
            i = j;
        }
    } else {
        out.push(points[0]);
        for &p in &points[1..points.len() - 1] {
            let last = out[out.len() - 1];
            if (p.0 - last.0).hypot(p.1 - last.1) >= 0.7 {
                out.push(p);
            }
        }
        out.push(points[points.len() - 1]);
    }
    out
}

/// The `points` attribute of a polyline, one decimal per coordinate.
pub(crate) fn points_attribute(pixels: &[(f64, f64)]) -> String {
    let mut s = String::with_capacity(pixels.len() * 12);
    for (i, (x, y)) in pixels.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{x:.1},{y:.1}");
    }
    s
}

/// One series as a polyline, thinned.
pub(crate) fn polyline(pixels: &[(f64, f64)], style: &Style, width: f64, faint: bool) -> String {
    let dash = style.dash.dasharray().map(|d| format!(" stroke-dasharray=\"{d}\"")).unwrap_or_default();
    let opacity = if faint { " stroke-opacity=\"0.3\"" } else { "" };
    format!(
        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"{width}\"{dash}{opacity} stroke-linejoin=\"round\" \
         points=\"{}\"/>\n",
        style.hex(),
        points_attribute(&thin(pixels))
    )
}

/// A legend: one row per entry, a sample of the line and its label, from
/// `(x, y)` down.
pub(crate) fn legend(entries: &[(String, Style)], x: f64, y: f64) -> String {
    let mut s = String::new();
    for (i, (label, style)) in entries.iter().enumerate() {
        let row = y + 9.0 + 18.0 * i as f64;
        s.push_str(&polyline(&[(x, row), (x + 24.0, row)], style, 2.0, false).replacen(
            "<polyline ",
            "<polyline class=\"legend\" ",
            1,
        ));
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-family=\"{FONT}\" font-size=\"{LABEL_SIZE}\" \
             dominant-baseline=\"middle\" fill=\"#222\">{}</text>",
            x + 30.0,
            row,
            escape(label)
        );
    }
    s
}

/// Grid lines and tick labels at `x_ticks` and `y_ticks` (data units; on a
/// log axis, `log10` units), labelled by [`super::ticks::label`].
pub(crate) fn grid(frame: &Frame, x_ticks: &[f64], y_ticks: &[f64], log: (bool, bool), lines: bool) -> String {
    let (left, right, top, bottom) = (frame.left(), frame.right(), frame.top(), frame.bottom());
    let grid = super::style::GRID;
    let stroke = format!("#{:02x}{:02x}{:02x}", grid.0, grid.1, grid.2);
    let mut s = String::new();
    let text = |s: &mut String, x: f64, y: f64, anchor: &str, label: String| {
        let _ = writeln!(
            s,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" font-family=\"{FONT}\" font-size=\"{LABEL_SIZE}\" \
             text-anchor=\"{anchor}\" dominant-baseline=\"middle\" fill=\"#222\">{}</text>",
            escape(&label)
        );
    };
    for &t in x_ticks {
        let (x, _) = frame.pixel((t, 0.0));
        if x < left - 0.5 || x > right + 0.5 {
            continue;
        }
        if lines {
            let _ = writeln!(
                s,
                "<line x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" stroke=\"{stroke}\"/>"
            );
        }
        let _ = writeln!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{bottom:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#444\"/>",
            bottom + 5.0
        );
        text(&mut s, x, bottom + 14.0, "middle", super::ticks::label(t, log.0));
    }
    for &t in y_ticks {
        let (_, y) = frame.pixel((0.0, t));
        if y < top - 0.5 || y > bottom + 0.5 {
            continue;
        }
        if lines {
            let _ = writeln!(
                s,
                "<line x1=\"{left:.1}\" y1=\"{y:.1}\" x2=\"{right:.1}\" y2=\"{y:.1}\" stroke=\"{stroke}\"/>"
            );
        }
        let _ = writeln!(
            s,
            "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{left:.1}\" y2=\"{y:.1}\" stroke=\"#444\"/>",
            left - 5.0
        );
        text(&mut s, left - 8.0, y, "end", super::ticks::label(t, log.1));
    }
    s
}
