//! The report: runs the experiments, draws their sections (from each
//! experiment's own specifications, with `descent_plot`), renders the HTML
//! write-up from the Tera templates in `templates/`, and writes it with its
//! data (`data/*.csv`, `summary.json`) atomically.
//!
//! `render.rs` runs it in steps (select, load MNIST, run or keep each
//! section, render, write); `section.rs` holds a section as rendered and
//! saved, and its status.

pub mod cli;
mod render;
mod results;
mod section;

pub use render::{generate, Metadata, ReportOptions, ReportSummary, Summary, SummaryClaim, SummarySection};
pub use results::{markdown, markdown_across};
pub use section::{Section, SectionStatus, SectionSummary, SummaryStatus};
