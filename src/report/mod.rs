//! The report: runs the experiments, draws their charts, renders the HTML
//! write-up from the Tera templates in `templates/`, and writes it with its
//! data (`data/*.csv`, `summary.json`) atomically.

pub mod charts;
pub mod math;
mod render;
mod sections;

pub use render::{generate, ReportOptions, ReportSummary, SectionSummary};
pub use sections::{visuals, ChartView, MathView, TableView, Visuals};
