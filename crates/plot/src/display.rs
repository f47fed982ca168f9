//! Charts and tables in a notebook (the evcxr Jupyter kernel).
//!
//! evcxr shows the last expression of a cell by calling its
//! `evcxr_display()` method when it has one; the method prints
//! `EVCXR_BEGIN_CONTENT <mime type>`, the content, and `EVCXR_END_CONTENT`.
//! A cell shows one output per MIME type, so several charts are laid out as
//! one SVG ([`figure`]), and tables are HTML with a plain-text twin (what
//! `jupyter nbconvert --to markdown` or a terminal shows).

use crate::{line_chart, Axes, Error, Line};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// A chart with its caption (a report's or a notebook's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartView {
    /// Caption under the chart.
    pub caption: String,
    /// Inline SVG.
    pub svg: String,
}

/// A table with its caption and header, every cell as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableView {
    /// Caption.
    pub caption: String,
    /// Column headers.
    pub header: Vec<String>,
    /// Cells.
    pub rows: Vec<Vec<String>>,
}

impl TableView {
    /// A table of columns of numbers (printed as Rust prints an `f64`: the
    /// shortest text that reads back as the same value), one column per
    /// `(header, values)`; shorter columns leave their last cells empty.
    ///
    /// ```
    /// use descent_plot::TableView;
    ///
    /// let t = TableView::of_columns("steps", &[("x", vec![1.0, 2.0]), ("f(x)", vec![0.5, 0.25])]);
    /// assert_eq!(t.rows, [["1", "0.5"], ["2", "0.25"]]);
    /// ```
    pub fn of_columns<S: AsRef<str>>(caption: &str, columns: &[(S, Vec<f64>)]) -> TableView {
        let height = columns.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
        let rows = (0..height)
            .map(|i| columns.iter().map(|(_, v)| v.get(i).map_or(String::new(), |x| format!("{x}"))).collect())
            .collect();
        let header = columns.iter().map(|(h, _)| h.as_ref().to_string()).collect();
        TableView { caption: caption.into(), header, rows }
    }

    /// The table in a notebook.
    pub fn html(&self) -> Html {
        join(std::slice::from_ref(self))
    }
}

/// An SVG image (shown as `image/svg+xml`).
#[derive(Debug, Clone, PartialEq)]
pub struct Svg(pub String);

/// An HTML fragment with its plain-text equivalent.
#[derive(Debug, Clone, PartialEq)]
pub struct Html {
    /// `text/html`.
    pub html: String,
    /// `text/plain`.
    pub text: String,
}

fn emit(out: &mut String, mime: &str, content: &str) {
    // evcxr ends the content at a line that is exactly EVCXR_END_CONTENT;
    // none of ours is, since content never has a bare line of that text.
    let _ = writeln!(out, "EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
}

impl Svg {
    /// What evcxr calls to show the value.
    pub fn evcxr_display(&self) {
        let mut out = String::new();
        emit(&mut out, "image/svg+xml", &self.0);
        print!("{out}");
    }
}

impl Html {
    /// What evcxr calls to show the value.
    pub fn evcxr_display(&self) {
        let mut out = String::new();
        emit(&mut out, "text/html", &self.html);
        emit(&mut out, "text/plain", &self.text);
        print!("{out}");
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A line chart (see [`line_chart`]); an error when no line has a drawable
/// point, so that an empty chart cannot pass for a result.
pub fn chart(axes: &Axes, lines: &[Line]) -> Result<Svg, Error> {
    line_chart(axes, lines)
        .map(Svg)
        .ok_or_else(|| Error { what: "chart", reason: format!("{:?}: no finite point to draw", axes.title) })
}

/// The `width` and `height` attributes of an SVG's root element.
fn size_of(svg: &str) -> Option<(u32, u32)> {
    let root = &svg[..svg.find('>')?];
    let attr = |name: &str| -> Option<u32> {
        let start = root.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = start + root[start..].find('"')?;
        root[start..end].trim_end_matches("px").parse().ok()
    };
    Some((attr("width")?, attr("height")?))
}

/// Widest a figure is shown, in pixels (its content is scaled to fit).
pub const MAX_WIDTH: u32 = 960;

/// Several charts laid out in one SVG, `columns` to a row, each with its
/// caption underneath, scaled down to [`MAX_WIDTH`] when wider.
pub fn figure(charts: &[ChartView], columns: usize) -> Result<Svg, Error> {
    if charts.is_empty() {
        return Err(Error { what: "figure", reason: "no chart to show".into() });
    }
    let columns = columns.clamp(1, charts.len());
    const CAPTION: u32 = 34;
    let sizes: Vec<(u32, u32)> = charts
        .iter()
        .map(|c| {
            size_of(&c.svg).ok_or_else(|| Error { what: "figure", reason: "a chart without width and height".into() })
        })
        .collect::<Result<_, Error>>()?;
    let cell_w = sizes.iter().map(|s| s.0).max().unwrap_or(0);
    let cell_h = sizes.iter().map(|s| s.1).max().unwrap_or(0) + CAPTION;
    let rows = charts.len().div_ceil(columns) as u32;
    let (width, height) = (cell_w * columns as u32, cell_h * rows);
    // Shown at most MAX_WIDTH wide (a notebook's output column), scaled
    // through the viewBox so nothing is cut off or scrolls sideways.
    let shown_w = width.min(MAX_WIDTH);
    let shown_h = (height as u64 * shown_w as u64 / width as u64) as u32;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{shown_w}\" height=\"{shown_h}\" \
         viewBox=\"0 0 {width} {height}\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for (i, (c, (w, h))) in charts.iter().zip(&sizes).enumerate() {
        let (x, y) = ((i % columns) as u32 * cell_w, (i / columns) as u32 * cell_h);
        let _ = writeln!(svg, "<g transform=\"translate({x},{y})\">\n{}\n</g>", c.svg.trim());
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-family=\"sans-serif\" font-size=\"13\" text-anchor=\"middle\" \
             fill=\"#333\">{}</text>",
            x + w / 2,
            y + h + 20,
            escape(&c.caption)
        );
    }
    svg.push_str("</svg>");
    Ok(Svg(svg))
}

/// Table views as HTML tables and aligned plain text.
pub fn join(tables: &[TableView]) -> Html {
    let mut html = String::new();
    let mut text = String::new();
    for t in tables {
        let _ = write!(html, "<table>\n<caption>{}</caption>\n<thead><tr>", escape(&t.caption));
        for h in &t.header {
            let _ = write!(html, "<th>{}</th>", escape(h));
        }
        html.push_str("</tr></thead>\n<tbody>\n");
        for row in &t.rows {
            html.push_str("<tr>");
            for cell in row {
                let _ = write!(html, "<td>{}</td>", escape(cell));
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</tbody>\n</table>\n");
        let _ = writeln!(text, "{}\n{}", t.caption, plain(&t.header, &t.rows));
    }
    Html { html, text }
}

fn plain(header: &[String], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count().min(60));
        }
    }
    let line = |cells: &[String]| -> String {
        let parts: Vec<String> = (0..cols)
            .map(|i| {
                let cell = cells.get(i).map_or("", String::as_str);
                format!("{cell:<width$}", width = widths[i])
            })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = line(header);
    for row in rows {
        out.push('\n');
        out.push_str(&line(row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_chart(title: &str) -> ChartView {
        let svg = line_chart(&Axes::new(title, "x", "y"), &[Line::new("a", "adam", vec![(0.0, 1.0), (1.0, 0.5)])])
            .expect("drawable");
        ChartView { caption: format!("{title} <caption>"), svg }
    }

    #[test]
    fn a_figure_lays_out_every_chart_with_an_escaped_caption() {
        let charts = [small_chart("one"), small_chart("two"), small_chart("three")];
        let Svg(svg) = figure(&charts, 2).unwrap();
        let (w, h) = size_of(&charts[0].svg).unwrap();
        let (full_w, full_h) = (2 * w, 2 * (h + 34));
        assert!(svg.contains(&format!("viewBox=\"0 0 {full_w} {full_h}\"")));
        assert_eq!(size_of(&svg), Some((MAX_WIDTH, full_h * MAX_WIDTH / full_w)));
        assert_eq!(svg.matches("<polyline").count(), 3 * charts[0].svg.matches("<polyline").count());
        assert!(svg.contains("three &lt;caption&gt;") && svg.ends_with("</svg>"));
        assert!(figure(&[], 2).is_err());
    }

    #[test]
    fn an_empty_chart_is_an_error_not_a_blank_picture() {
        let nothing = [Line::new("a", "adam", vec![(f64::NAN, 1.0)])];
        assert!(chart(&Axes::new("t", "x", "y"), &nothing).is_err());
    }

    #[test]
    fn a_table_of_columns_escapes_cells_and_aligns_its_text() {
        let mut t = TableView::of_columns("two columns", &[("x", vec![1.5, 2.0]), ("y", vec![3.0])]);
        t.rows[0][0] = "a<b".into();
        let Html { html, text } = t.html();
        assert!(html.contains("<td>a&lt;b</td><td>3</td>") && html.contains("<td>2</td><td></td>"), "{html}");
        assert_eq!(text, "two columns\nx    y\na<b  3\n2\n");
    }
}
