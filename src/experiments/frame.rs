//! The long-format frame every experiment returns, and its CSV output.

use descent::files::write_atomically;
use descent::{Error, Result};
use polars::prelude::*;
use std::path::Path;

/// Builder of a long-format DataFrame: one row per measurement.
#[derive(Debug, Clone, Default)]
pub struct Long {
    experiment: String,
    optimizer: Vec<String>,
    lr: Vec<f64>,
    seed: Vec<u64>,
    step: Vec<f64>,
    metric: Vec<String>,
    value: Vec<f64>,
    setting: Vec<String>,
}

/// The labels of a run: everything in a row but the step, metric and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Run<'a> {
    /// Optimizer name (registry name).
    pub optimizer: &'a str,
    /// Learning rate (NaN where none applies).
    pub lr: f64,
    /// Seed of the run.
    pub seed: u64,
    /// Free label(s): `"bgd"`, `"saddle"`, `"eps=1e-6"`.
    pub setting: &'a str,
}

impl Long {
    /// An empty frame for `experiment`.
    pub fn new(experiment: &str) -> Self {
        Long { experiment: experiment.into(), ..Long::default() }
    }

    /// Adds one measurement.
    pub fn push(&mut self, run: &Run, step: f64, metric: &str, value: f64) {
        self.optimizer.push(run.optimizer.into());
        self.lr.push(run.lr);
        self.seed.push(run.seed);
        self.step.push(step);
        self.metric.push(metric.into());
        self.value.push(value);
        self.setting.push(run.setting.into());
    }

    /// Adds a series of `(step, value)` for one metric.
    pub fn extend(&mut self, run: &Run, metric: &str, points: impl IntoIterator<Item = (f64, f64)>) {
        for (step, value) in points {
            self.push(run, step, metric, value);
        }
    }

    /// Rows so far.
    pub fn len(&self) -> usize {
        self.value.len()
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// The polars DataFrame.
    pub fn finish(self) -> Result<DataFrame> {
        let n = self.value.len();
        let columns = vec![
            Column::new("experiment".into(), vec![self.experiment; n]),
            Column::new("optimizer".into(), self.optimizer),
            Column::new("lr".into(), self.lr),
            Column::new("seed".into(), self.seed),
            Column::new("step_or_epoch".into(), self.step),
            Column::new("metric".into(), self.metric),
            Column::new("value".into(), self.value),
            Column::new("setting".into(), self.setting),
        ];
        DataFrame::new(n, columns).map_err(|e| Error::invalid("frame", "columns", e.to_string()))
    }
}

/// `df` as CSV bytes (header, then one line per row); `name` labels errors.
pub fn csv_bytes(df: &DataFrame, name: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    CsvWriter::new(&mut bytes)
        .finish(&mut df.clone())
        .map_err(|e| Error::Io { path: name.to_string(), message: e.to_string() })?;
    Ok(bytes)
}

/// Writes `df` as CSV to `path` atomically (temp file + rename).
pub fn write_csv(df: &DataFrame, path: &Path) -> Result<()> {
    write_atomically(path, &csv_bytes(df, &path.display().to_string())?)
}

/// The column called `name`, found by comparing names one by one.
///
/// Polars' own `DataFrame::column` looks a name up in a hash map once the
/// frame's schema is cached, and the hash's seed lives in a static: code
/// compiled into another shared object (each evcxr notebook cell is one)
/// hashes differently and misses a column that is there. A long-format frame
/// has eight columns, so a scan costs nothing and works from any cell.
pub fn column<'a>(df: &'a DataFrame, name: &str) -> Result<&'a Column> {
    df.columns().iter().find(|c| c.name().as_str() == name).ok_or_else(|| {
        let names: Vec<String> = df.columns().iter().map(|c| c.name().to_string()).collect();
        Error::invalid("frame", "columns", format!("no column {name:?}; the frame has {}", names.join(", ")))
    })
}

/// The distinct values of the string column `name`, in order of first
/// appearance (the optimizers, settings or metrics of a long frame).
pub fn labels(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    partition(df, &[name])?.iter().map(|part| first_str(part, name)).collect()
}

/// The rows of `df` whose string column `name` satisfies `keep` (a polars
/// mask and filter).
pub fn rows_where(df: &DataFrame, name: &str, keep: impl Fn(&str) -> bool) -> Result<DataFrame> {
    let mask: BooleanChunked =
        column(df, name)?.str().map_err(column_error)?.iter().map(|v| v.is_some_and(&keep)).collect();
    df.filter(&mask).map_err(column_error)
}

/// `df` split by the values of the columns `by`, one frame per distinct
/// combination, in order of first appearance (polars' stable group-by on
/// the columns themselves, so no name is looked up in a hashed schema).
pub fn partition(df: &DataFrame, by: &[&str]) -> Result<Vec<DataFrame>> {
    if df.height() == 0 {
        return Ok(Vec::new());
    }
    let keys = by.iter().map(|name| column(df, name).cloned()).collect::<Result<Vec<Column>>>()?;
    let groups = df.group_by_with_series(keys, false, true).map_err(column_error)?;
    groups
        .get_groups()
        .iter()
        .map(|g| match g {
            GroupsIndicator::Idx((_, rows)) => {
                let rows: Vec<IdxSize> = rows.iter().copied().collect();
                df.take(&IdxCa::from_vec("rows".into(), rows))
            }
            GroupsIndicator::Slice([first, len]) => Ok(df.slice(first as i64, len as usize)),
        })
        .collect::<PolarsResult<Vec<_>>>()
        .map_err(column_error)
}

/// The first row's value of the string column `name` (a partition's key).
pub fn first_str(df: &DataFrame, name: &str) -> Result<String> {
    Ok(column(df, name)?.str().map_err(column_error)?.get(0).unwrap_or("").to_string())
}

/// The first row's value of the float column `name`.
pub fn first_f64(df: &DataFrame, name: &str) -> Result<f64> {
    Ok(column(df, name)?.f64().map_err(column_error)?.get(0).unwrap_or(f64::NAN))
}

/// `(step_or_epoch, value)` of every row, in order (NaN for a missing one).
pub fn points(df: &DataFrame) -> Result<Vec<(f64, f64)>> {
    let step = column(df, "step_or_epoch")?.f64().map_err(column_error)?;
    let value = column(df, "value")?.f64().map_err(column_error)?;
    Ok(step.iter().zip(value.iter()).map(|(s, v)| (s.unwrap_or(f64::NAN), v.unwrap_or(f64::NAN))).collect())
}

/// The `(step, value)` series of `metric` in `df` for rows whose
/// `optimizer` and `setting` match (for charts and checks).
pub fn series(df: &DataFrame, optimizer: &str, setting: &str, metric: &str) -> Result<Vec<(f64, f64)>> {
    let rows = rows_where(df, "optimizer", |o| o == optimizer)?;
    let rows = rows_where(&rows, "setting", |s| s == setting)?;
    points(&rows_where(&rows, "metric", |m| m == metric)?)
}

/// Like [`series`], for the rows of one learning rate (grids).
pub fn frame_rows(df: &DataFrame, optimizer: &str, setting: &str, metric: &str, lr: f64) -> Result<Vec<(f64, f64)>> {
    let lrs = column(df, "lr")?.f64().map_err(column_error)?;
    let mask: BooleanChunked = lrs.iter().map(|v| v == Some(lr)).collect();
    series(&df.filter(&mask).map_err(column_error)?, optimizer, setting, metric)
}

/// A column of the wrong type, as descent's error.
pub(super) fn column_error(e: PolarsError) -> Error {
    Error::invalid("frame", "columns", e.to_string())
}
