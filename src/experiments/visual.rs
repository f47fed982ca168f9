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

use super::frame::{first_f64, first_str, partition, points, rows_where};
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

/// A learning rate as a label (`0.01`, `1e-4`).
fn lr_label(lr: f64) -> String {
    format!("{lr}")
}

/// The rows of `df` that `rows` keeps.
fn kept(df: &DataFrame, rows: &Rows) -> Result<DataFrame> {
    let df = match rows.optimizer {
        Some(o) => rows_where(df, "optimizer", |v| v == o)?,
        None => df.clone(),
    };
    match rows.setting {
        Some(prefix) => rows_where(&df, "setting", |v| v.starts_with(prefix)),
        None => Ok(df),
    }
}

/// The outcome's frame `name`, or an error naming those the run returned.
fn frame<'a>(outcome: &'a Outcome, name: &str, experiment: &str) -> Result<&'a DataFrame> {
    outcome.frames.iter().find(|(n, _)| n == name).map(|(_, df)| df).ok_or_else(|| {
        let have: Vec<&str> = outcome.frames.iter().map(|(n, _)| n.as_str()).collect();
        Error::invalid(
            "visuals",
            "frame",
            format!("{experiment}: a chart or table reads frame {name:?}, the run returned {have:?}"),
        )
    })
}

/// The charts of one spec (one per facet value) from its frame; empty when
/// none of its rows is in the frame.
pub fn draw_chart(spec: &ChartSpec, df: &DataFrame) -> Result<Vec<ChartView>> {
    let rows = kept(df, &spec.rows)?;
    // Facet values, in order of first appearance, each with its rows.
    let facets: Vec<(String, DataFrame)> = match spec.facet {
        Facet::Single => vec![(String::new(), rows)],
        Facet::Setting => partition(&rows, &["setting"])?
            .into_iter()
            .map(|d| Ok((first_str(&d, "setting")?, d)))
            .collect::<Result<_>>()?,
        Facet::Lr => partition(&rows, &["lr"])?
            .into_iter()
            .map(|d| Ok((lr_label(first_f64(&d, "lr")?), d)))
            .collect::<Result<_>>()?,
    };
    let mut charts = Vec::new();
    for (facet, rows) in facets {
        let fill = |s: &str| s.replace("{facet}", &facet);
        let mut axes = Axes::new(fill(spec.title), spec.x, spec.y);
        axes.log_x = spec.log_x;
        axes.log_y = spec.log_y;
        // One group per (optimizer, setting), in order of first appearance.
        let mut groups = Vec::new();
        for group in partition(&rows, &["optimizer", "setting"])? {
            groups.push((first_str(&group, "optimizer")?, first_str(&group, "setting")?, group));
        }
        let metric_points = |group: &DataFrame, metric: &str| points(&rows_where(group, "metric", |m| m == metric)?);
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
                for (opt, set, group) in &groups {
                    for metric in metrics {
                        let label = name(opt, set, metric);
                        if let Some(raw) = faint {
                            let mut under = Line::new(label.clone(), label.clone(), metric_points(group, raw)?);
                            under.faint = true;
                            if !under.points.is_empty() {
                                lines.push(under);
                            }
                        }
                        let pts = metric_points(group, metric)?;
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
                for (opt, set, group) in &groups {
                    let (xs, ys) = (metric_points(group, x)?, metric_points(group, y)?);
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
    Ok(charts)
}

/// The table of one spec from its frame; `None` when none of its rows is
/// in the frame. Each key combination's cell for a metric is the value of
/// its last row with that metric.
pub fn draw_table(spec: &TableSpec, df: &DataFrame) -> Result<Option<TableView>> {
    let rows = kept(df, &spec.rows)?;
    let columns: Vec<&str> = spec
        .keys
        .iter()
        .map(|k| match k {
            Key::Lr => "lr",
            Key::Optimizer => "optimizer",
            Key::Setting => "setting",
        })
        .collect();
    let mut table_rows = Vec::new();
    for group in partition(&rows, &columns)? {
        let mut row = Vec::new();
        for key in spec.keys {
            row.push(match key {
                Key::Lr => lr_label(first_f64(&group, "lr")?),
                Key::Optimizer => first_str(&group, "optimizer")?,
                Key::Setting => first_str(&group, "setting")?,
            });
        }
        for (_, metric) in spec.columns {
            let last = points(&rows_where(&group, "metric", |m| m == *metric)?)?.last().map(|p| p.1);
            row.push(last.map_or("–".into(), |v| format!("{v:.4}")));
        }
        table_rows.push(row);
    }
    if table_rows.is_empty() {
        return Ok(None);
    }
    let mut header: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    header.extend(spec.columns.iter().map(|(h, _)| h.to_string()));
    Ok(Some(TableView { caption: spec.caption.into(), header, rows: table_rows }))
}

/// Everything a section shows, from its specs and the run's outcome: the
/// formulas, each chart spec drawn, each table, and the run's notes.
pub fn visuals(experiment: &super::Experiment, outcome: &Outcome) -> Result<Visuals> {
    let mut v = Visuals::default();
    for key in experiment.formulas {
        let (label, mathml) = mathml(key)?;
        v.math.push(MathView { label, mathml });
    }
    for spec in experiment.charts {
        let charts = draw_chart(spec, frame(outcome, spec.frame, experiment.name)?)?;
        if charts.is_empty() {
            v.empty.push(spec.title.replace("{facet}", "").trim().to_string());
        }
        v.charts.extend(charts);
    }
    for spec in experiment.tables {
        match draw_table(spec, frame(outcome, spec.frame, experiment.name)?)? {
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
