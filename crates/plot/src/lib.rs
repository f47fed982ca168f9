//! # descent-plot
//!
//! descent's charts, drawn for the report, the notebooks and the grader's
//! feedback pages alike: data in, self-contained SVG out (inline styles, no
//! scripts, no fonts fetched), no knowledge of experiments or grading. Both
//! the lab (`descent-lab`) and the grader (`descent-grader`) draw with it,
//! so neither needs the other, and a notebook that draws needs only this
//! crate and the core.
//!
//! ```
//! use descent_plot::{line_chart, Axes, Line};
//!
//! let axes = Axes::new("f along the path", "step", "f").log_y();
//! let line = Line::new("adam", "adam", vec![(0.0, 1.0), (1.0, 0.1), (2.0, 0.01)]);
//! let svg = line_chart(&axes, &[line]).expect("a drawable line");
//! assert!(svg.starts_with("<svg") && svg.contains("<polyline"));
//! ```
//!
//! ## Layout
//! One chart kind per file: `line.rs` (line charts, log axes), `contour.rs`
//! (iso-lines of a 2-D function with paths over them), `bar.rs` (bars per
//! category). Shared pieces: `style.rs` (sizes, fonts, the colour-blind-safe
//! palette and dash patterns, one style per optimizer), `ticks.rs` (tick
//! positions and labels), `svg.rs` (series as thinned polylines, legends).
//! `display.rs` shows charts, figures of several charts and tables in an
//! evcxr notebook.

mod bar;
mod contour;
pub mod display;
mod line;
pub mod style;
mod svg;
pub mod ticks;

pub use bar::bar_chart;
pub use contour::{contour_chart, Field};
pub use display::{chart, figure, ChartView, Html, Svg, TableView};
pub use line::{line_chart, Axes, Line};
pub use style::{fixed_style, styles_for, Dash, Style};

/// Why a chart, figure or table could not be made: nothing drawable, or
/// an SVG without a size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What was being drawn (`chart`, `figure`).
    pub what: &'static str,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.reason)
    }
}

impl std::error::Error for Error {}
