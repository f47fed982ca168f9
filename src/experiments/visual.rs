//! What a section shows, as data: chart and table specifications that an
//! experiment declares beside its run, and the one function that draws any
//! of them from the experiment's long-format frames.
//!
//! A [`ChartSpec`] names a frame, which of its rows to read, the metric(s)
//! to draw against `step_or_epoch` (or two metrics as a path in the
//! plane), what names a series (the optimizer, the setting or the metric),
//! whether to draw one chart per setting or per learning rate, the axes and
//! the caption. A [`TableSpec`] lists the final value of metrics per
//! optimizer, setting or learning rate. The report and the notebooks draw
//! the same specs, so they show the same figures.

use super::frame::{column, column_error};
use super::Outcome;
use crate::math::mathml;
use descent::{Error, Result};
use descent_plot::{contour_chart, line_chart, Axes, Field, Line};
use descent_plot::{ChartView, TableView};
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

/// Which rows of a frame a chart or table reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rows {
    /// Only this optimizer.
    pub optimizer: Option<&'static str>,
    /// Only settings that start with this.
    pub setting: Option<&'static str>,
}

impl Rows {
    /// Every row.
    pub const ALL: Rows = Rows { optimizer: None, setting: None };

    /// Rows whose setting starts with `prefix`.
    pub const fn setting(prefix: &'static str) -> Rows {
        Rows { optimizer: None, setting: Some(prefix) }
    }

    /// Rows of one optimizer and settings starting with `prefix`.
    pub const fn of(optimizer: &'static str, prefix: &'static str) -> Rows {
        Rows { optimizer: Some(optimizer), setting: Some(prefix) }
    }

    fn keeps(&self, optimizer: &str, setting: &str) -> bool {
        self.optimizer.is_none_or(|o| o == optimizer) && self.setting.is_none_or(|p| setting.starts_with(p))
    }
}

/// What names (and styles) the series of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesBy {
    /// The optimizer (one style per optimizer across the report).
    Optimizer,
    /// The setting (batching mode, epsilon, schedule...).
    Setting,
    /// The metric (several metrics of one run).
    Metric,
}

/// Whether a spec draws one chart or one per value of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    /// One chart.
    Single,
    /// One chart per setting; `{facet}` in title and caption is the setting.
    Setting,
    /// One chart per learning rate; `{facet}` is the rate.
    Lr,
}

/// What a chart draws.
#[derive(Debug, Clone, Copy)]
pub enum ChartKind {
    /// Each metric against `step_or_epoch`; `faint`, when given, is drawn
    /// thin under each series (a raw curve under its smoothed version).
    Lines {
        /// Metrics drawn.
        metrics: &'static [&'static str],
        /// A metric drawn faintly under each series.
        faint: Option<&'static str>,
    },
    /// The path `(x, y)` of each series over the iso-lines of the field
    /// that `field` gives for the facet's setting.
    Paths {
        /// Metric of the horizontal coordinate.
        x: &'static str,
        /// Metric of the vertical coordinate.
        y: &'static str,
        /// The function drawn under the paths, by setting.
        field: fn(&str) -> Option<Field<'static>>,
    },
}

/// One chart of a section (or one per facet), as data.
#[derive(Debug, Clone, Copy)]
pub struct ChartSpec {
    /// The outcome's frame it reads.
    pub frame: &'static str,
    /// What it draws.
    pub kind: ChartKind,
    /// Which rows.
    pub rows: Rows,
    /// What names a series.
    pub series: SeriesBy,
    /// One chart, or one per setting or learning rate.
    pub facet: Facet,
    /// Title (`{facet}` replaced).
    pub title: &'static str,
    /// x-axis label.
    pub x: &'static str,
    /// y-axis label.
    pub y: &'static str,
    /// log10 x axis.
    pub log_x: bool,
    /// log10 y axis.
    pub log_y: bool,
    /// Caption under the chart (`{facet}` replaced).
    pub caption: &'static str,
}

impl ChartSpec {
    /// `metric` against `step_or_epoch`, one series per optimizer, all rows,
    /// linear axes.
    pub const fn lines(frame: &'static str, metric: &'static [&'static str]) -> ChartSpec {
        ChartSpec {
            frame,
            kind: ChartKind::Lines { metrics: metric, faint: None },
            rows: Rows::ALL,
            series: SeriesBy::Optimizer,
            facet: Facet::Single,
            title: "",
            x: "",
            y: "",
            log_x: false,
            log_y: false,
            caption: "",
        }
    }

    /// Paths in the plane over a field, one chart per setting.
    pub const fn paths(
        frame: &'static str,
        x: &'static str,
        y: &'static str,
        field: fn(&str) -> Option<Field<'static>>,
    ) -> ChartSpec {
        ChartSpec { kind: ChartKind::Paths { x, y, field }, facet: Facet::Setting, ..ChartSpec::lines(frame, &[]) }
    }

    /// With title and axis labels.
    pub const fn titled(self, title: &'static str, x: &'static str, y: &'static str) -> ChartSpec {
        ChartSpec { title, x, y, ..self }
    }

    /// With a caption.
    pub const fn caption(self, caption: &'static str) -> ChartSpec {
        ChartSpec { caption, ..self }
    }

    /// Log y axis.
    pub const fn log_y(self) -> ChartSpec {
        ChartSpec { log_y: true, ..self }
    }

    /// Log x axis.
    pub const fn log_x(self) -> ChartSpec {
        ChartSpec { log_x: true, ..self }
    }

    /// Series named by `by`.
    pub const fn by(self, series: SeriesBy) -> ChartSpec {
        ChartSpec { series, ..self }
    }

    /// Only these rows.
    pub const fn rows(self, rows: Rows) -> ChartSpec {
        ChartSpec { rows, ..self }
    }

    /// One chart per setting or learning rate.
    pub const fn facet(self, facet: Facet) -> ChartSpec {
        ChartSpec { facet, ..self }
    }

    /// `metric` drawn faintly under each series (lines only).
    pub const fn faint(self, metric: &'static str) -> ChartSpec {
        match self.kind {
            ChartKind::Lines { metrics, .. } => {
                ChartSpec { kind: ChartKind::Lines { metrics, faint: Some(metric) }, ..self }
            }
            ChartKind::Paths { .. } => self,
        }
    }
}

/// A label column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The learning rate.
    Lr,
    /// The optimizer.
    Optimizer,
    /// The setting.
    Setting,
}

/// A table of final values: one row per distinct key combination (in order
/// of appearance), one column per metric holding its last value.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// The outcome's frame it reads.
    pub frame: &'static str,
    /// Caption.
    pub caption: &'static str,
    /// Which rows.
    pub rows: Rows,
    /// Label columns.
    pub keys: &'static [Key],
    /// `(header, metric)` of each value column.
    pub columns: &'static [(&'static str, &'static str)],
}

/// A formula in the page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MathView {
    /// What it is.
    pub label: String,
    /// MathML.
    pub mathml: String,
}

/// Charts, tables and formulas of a section.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Visuals {
    /// Charts.
    pub charts: Vec<ChartView>,
    /// Tables.
    pub tables: Vec<TableView>,
    /// Formulas.
    pub math: Vec<MathView>,
    /// Specs that drew nothing (their rows were not in this run, e.g. an
    /// MNIST part without MNIST), by title.
    #[serde(default)]
    pub empty: Vec<String>,
}

/// The columns of a long frame, read once per frame however many charts
/// and tables draw from it.
pub struct Columns {
    optimizer: Vec<String>,
    lr: Vec<f64>,
    setting: Vec<String>,
    metric: Vec<String>,
    step: Vec<f64>,
    value: Vec<f64>,
}

impl Columns {
    /// Reads the columns of `df`.
    pub fn of(df: &DataFrame) -> Result<Columns> {
        let strings = |name: &str| -> Result<Vec<String>> {
            let c = column(df, name)?.str().map_err(column_error)?;
            Ok(c.iter().map(|v| v.unwrap_or("").to_string()).collect())
        };
        let floats = |name: &str| -> Result<Vec<f64>> {
            let c = column(df, name)?.f64().map_err(column_error)?;
            Ok(c.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
        };
        Ok(Columns {
            optimizer: strings("optimizer")?,
            lr: floats("lr")?,
            setting: strings("setting")?,
            metric: strings("metric")?,
            step: floats("step_or_epoch")?,
            value: floats("value")?,
        })
    }

    fn rows<'a>(&'a self, rows: &'a Rows) -> impl Iterator<Item = usize> + 'a {
        (0..self.value.len()).filter(move |&i| rows.keeps(&self.optimizer[i], &self.setting[i]))
    }
}

/// Distinct values in order of first appearance.
fn distinct<T: PartialEq + Clone>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// A learning rate as a label (`0.01`, `1e-4`).
fn lr_label(lr: f64) -> String {
    format!("{lr}")
}

/// The columns of the outcome's frame `name`, read once for all the specs
/// that draw from it (`read` holds those already read).
fn columns_of<'a>(
    read: &'a mut Vec<(&'static str, Columns)>,
    outcome: &Outcome,
    name: &'static str,
    experiment: &str,
) -> Result<&'a Columns> {
    if let Some(i) = read.iter().position(|(n, _)| *n == name) {
        return Ok(&read[i].1);
    }
    let df = outcome.frames.iter().find(|(n, _)| n == name).map(|(_, df)| df).ok_or_else(|| {
        let have: Vec<&str> = outcome.frames.iter().map(|(n, _)| n.as_str()).collect();
        Error::invalid(
            "visuals",
            "frame",
            format!("{experiment}: a chart or table reads frame {name:?}, the run returned {have:?}"),
        )
    })?;
    read.push((name, Columns::of(df)?));
    Ok(&read[read.len() - 1].1)
}

/// The charts of one spec (one per facet value) from its frame's columns;
/// empty when none of its rows is in the frame.
pub fn draw_chart(spec: &ChartSpec, cols: &Columns) -> Vec<ChartView> {
    let rows: Vec<usize> = cols.rows(&spec.rows).collect();
    // Facet values: each with the rows that belong to it.
    let facets: Vec<(String, Vec<usize>)> = match spec.facet {
        Facet::Single => vec![(String::new(), rows)],
        Facet::Setting => distinct(rows.iter().map(|&i| cols.setting[i].clone()))
            .into_iter()
            .map(|s| {
                let r = rows.iter().copied().filter(|&i| cols.setting[i] == s).collect();
                (s, r)
            })
            .collect(),
        Facet::Lr => distinct(rows.iter().map(|&i| cols.lr[i].to_bits()))
            .into_iter()
            .map(|bits| {
                let r = rows.iter().copied().filter(|&i| cols.lr[i].to_bits() == bits).collect();
                (lr_label(f64::from_bits(bits)), r)
            })
            .collect(),
    };
    let mut charts = Vec::new();
    for (facet, rows) in facets {
        let fill = |s: &str| s.replace("{facet}", &facet);
        let mut axes = Axes::new(fill(spec.title), spec.x, spec.y);
        axes.log_x = spec.log_x;
        axes.log_y = spec.log_y;
        let groups = distinct(rows.iter().map(|&i| (cols.optimizer[i].as_str(), cols.setting[i].as_str())));
        let points = |opt: &str, set: &str, metric: &str| -> Vec<(f64, f64)> {
            rows.iter()
                .filter(|&&i| cols.optimizer[i] == opt && cols.setting[i] == set && cols.metric[i] == metric)
                .map(|&i| (cols.step[i], cols.value[i]))
                .collect()
        };
        let name = |opt: &str, set: &str, metric: &str| -> String {
            match spec.series {
                SeriesBy::Optimizer => opt.to_string(),
                SeriesBy::Setting => set.to_string(),
                SeriesBy::Metric => metric.to_string(),
            }
        };
        let svg = match spec.kind {
            ChartKind::Lines { metrics, faint } => {
                let mut lines = Vec::new();
                for &(opt, set) in &groups {
                    for metric in metrics {
                        let label = name(opt, set, metric);
                        if let Some(raw) = faint {
                            let mut under = Line::new(label.clone(), label.clone(), points(opt, set, raw));
                            under.faint = true;
                            if !under.points.is_empty() {
                                lines.push(under);
                            }
                        }
                        let pts = points(opt, set, metric);
                        if !pts.is_empty() {
                            lines.push(Line::new(label.clone(), label, pts));
                        }
                    }
                }
                line_chart(&axes, &lines)
            }
            ChartKind::Paths { x, y, field } => {
                let Some(field) = field(&facet) else { continue };
                let mut lines = Vec::new();
                for &(opt, set) in &groups {
                    let (xs, ys) = (points(opt, set, x), points(opt, set, y));
                    if xs.is_empty() {
                        continue;
                    }
                    let label = name(opt, set, x);
                    lines.push(Line::new(label.clone(), label, xs.iter().zip(&ys).map(|(a, b)| (a.1, b.1)).collect()));
                }
                if lines.is_empty() {
                    None
                } else {
                    contour_chart(&axes, &field, &lines)
                }
            }
        };
        if let Some(svg) = svg {
            charts.push(ChartView { caption: fill(spec.caption), svg });
        }
    }
    charts
}

/// The table of one spec from its frame's columns; `None` when none of its
/// rows is in the frame.
pub fn draw_table(spec: &TableSpec, cols: &Columns) -> Option<TableView> {
    let rows: Vec<usize> = cols.rows(&spec.rows).collect();
    let key_of = |i: usize| -> Vec<String> {
        spec.keys
            .iter()
            .map(|k| match k {
                Key::Lr => lr_label(cols.lr[i]),
                Key::Optimizer => cols.optimizer[i].clone(),
                Key::Setting => cols.setting[i].clone(),
            })
            .collect()
    };
    let row_keys: Vec<Vec<String>> = rows.iter().map(|&i| key_of(i)).collect();
    let keys = distinct(row_keys.iter().cloned());
    if keys.is_empty() {
        return None;
    }
    let mut table_rows = Vec::new();
    for key in keys {
        let mut row = key.clone();
        for (_, metric) in spec.columns {
            let last = (0..rows.len()).rev().find(|&r| cols.metric[rows[r]] == *metric && row_keys[r] == key);
            row.push(last.map_or("–".into(), |r| format!("{:.4}", cols.value[rows[r]])));
        }
        table_rows.push(row);
    }
    let mut header: Vec<String> = spec
        .keys
        .iter()
        .map(|k| match k {
            Key::Lr => "lr",
            Key::Optimizer => "optimizer",
            Key::Setting => "setting",
        })
        .map(String::from)
        .collect();
    header.extend(spec.columns.iter().map(|(h, _)| h.to_string()));
    Some(TableView { caption: spec.caption.into(), header, rows: table_rows })
}

/// Everything a section shows, from its specs and the run's outcome: the
/// formulas, each chart spec drawn, each table, and the run's notes.
pub fn visuals(experiment: &super::Experiment, outcome: &Outcome) -> Result<Visuals> {
    let mut v = Visuals::default();
    for key in experiment.formulas {
        let (label, mathml) = mathml(key)?;
        v.math.push(MathView { label, mathml });
    }
    let mut read = Vec::new();
    for spec in experiment.charts {
        let charts = draw_chart(spec, columns_of(&mut read, outcome, spec.frame, experiment.name)?);
        if charts.is_empty() {
            v.empty.push(spec.title.replace("{facet}", "").trim().to_string());
        }
        v.charts.extend(charts);
    }
    for spec in experiment.tables {
        match draw_table(spec, columns_of(&mut read, outcome, spec.frame, experiment.name)?) {
            Some(t) => v.tables.push(t),
            None => v.empty.push(spec.caption.to_string()),
        }
    }
    if !outcome.notes.is_empty() {
        v.tables.push(TableView {
            caption: "Notes from the run".into(),
            header: vec!["note".into()],
            rows: outcome.notes.iter().map(|n| vec![n.clone()]).collect(),
        });
    }
    Ok(v)
}
