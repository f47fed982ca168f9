//! Rich output for the notebooks (the evcxr Jupyter kernel).
//!
//! evcxr shows the last expression of a cell by calling its
//! `evcxr_display()` method when it has one; the method prints
//! `EVCXR_BEGIN_CONTENT <mime type>`, the content, and `EVCXR_END_CONTENT`.
//! A cell shows one output per MIME type, so several charts of a section are
//! laid out as one SVG ([`figure`]), and tables are HTML with a plain-text
//! twin (what `jupyter nbconvert --to markdown` or a terminal shows).
//!
//! Everything here draws with the report's own chart functions
//! ([`crate::plot`]) and each experiment's own section specifications
//! ([`crate::experiments::Experiment::visuals`]), so a notebook shows exactly
//! what the report shows.

use crate::experiments::{by_name, ChartView, TableView};
use crate::experiments::{Claim, Outcome};
use crate::plot::{line_chart, Axes, Line};
use crate::{Error, Result};
use polars::prelude::DataFrame;
use std::fmt::Write as _;

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
pub fn chart(axes: &Axes, lines: &[Line]) -> Result<Svg> {
    line_chart(axes, lines)
        .map(Svg)
        .ok_or_else(|| Error::invalid("chart", "lines", format!("{:?}: no finite point to draw", axes.title)))
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
pub fn figure(charts: &[ChartView], columns: usize) -> Result<Svg> {
    if charts.is_empty() {
        return Err(Error::invalid("figure", "charts", "no chart to show"));
    }
    let columns = columns.clamp(1, charts.len());
    const CAPTION: u32 = 34;
    let sizes: Vec<(u32, u32)> = charts
        .iter()
        .map(|c| size_of(&c.svg).ok_or_else(|| Error::invalid("figure", "svg", "a chart without width and height")))
        .collect::<Result<_>>()?;
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

/// The charts the report draws for experiment `name` from `outcome`, as one
/// figure.
pub fn section_charts(name: &str, outcome: &Outcome) -> Result<Svg> {
    figure(&by_name(name)?.visuals(outcome)?.charts, 2)
}

/// The tables the report shows for experiment `name` (its own tables and
/// the run's notes), then its claims.
pub fn section_tables(name: &str, outcome: &Outcome) -> Result<Html> {
    let mut tables = by_name(name)?.visuals(outcome)?.tables;
    tables.push(claims_table(&outcome.claims));
    Ok(join(&tables))
}

fn claims_table(claims: &[Claim]) -> TableView {
    TableView {
        caption: "Claims and what this run says".into(),
        header: ["claim", "source", "criterion", "verdict", "numbers"].map(String::from).to_vec(),
        rows: claims
            .iter()
            .map(|c| {
                vec![
                    c.statement.clone(),
                    c.source.clone(),
                    c.criterion.clone(),
                    c.label(),
                    match c.protocol_text() {
                        Some(p) => format!("{} Protocol: {p}.", c.detail),
                        None => c.detail.clone(),
                    },
                ]
            })
            .collect(),
    }
}

/// A list of claims as a table.
pub fn claims(claims: &[Claim]) -> Html {
    join(&[claims_table(claims)])
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

/// A DataFrame as a table: its first `max_rows` rows (all when it has no
/// more), with the shape in the caption.
pub fn table(df: &DataFrame, max_rows: usize) -> Html {
    let header: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let shown = df.height().min(max_rows);
    let rows = (0..shown)
        .map(|i| {
            df.columns()
                .iter()
                .map(|c| match c.get(i) {
                    Ok(v) => v.to_string().trim_matches('"').to_string(),
                    Err(e) => format!("<{e}>"),
                })
                .collect()
        })
        .collect();
    let caption = if shown < df.height() {
        format!("{} rows x {} columns (first {shown} shown)", df.height(), df.width())
    } else {
        format!("{} rows x {} columns", df.height(), df.width())
    };
    join(&[TableView { caption, header, rows }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{Column, DataFrame};

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
    fn a_table_shows_its_rows_its_shape_and_escapes_cells() {
        let df = DataFrame::new(
            3,
            vec![Column::new("name".into(), ["a<b", "c", "d"]), Column::new("value".into(), [1.5, 2.0, 3.0])],
        )
        .unwrap();
        let t = table(&df, 2);
        assert!(t.html.contains("<td>a&lt;b</td><td>1.5</td>"));
        assert!(!t.html.contains("<td>d</td>"));
        assert!(t.text.starts_with("3 rows x 2 columns (first 2 shown)\nname  value\na<b   1.5"));
    }
}
