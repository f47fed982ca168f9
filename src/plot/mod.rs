//! Charts and formulas, drawn for the report and the notebooks alike: data
//! in, SVG (or MathML) out, no knowledge of experiments.
//!
//! ## Layout
//! One chart kind per file: `line.rs` (line charts, log axes), `contour.rs`
//! (iso-lines of a 2-D function with paths over them), `bar.rs` (bars per
//! category). Shared pieces:
//! `style.rs` (sizes, fonts, the colour-blind-safe palette and dash
//! patterns, one style per optimizer), `ticks.rs` (tick positions and
//! labels), `svg.rs` (series as thinned polylines, legends). `math.rs`
//! holds the update rules as LaTeX and converts them to MathML.

mod bar;
mod contour;
mod line;
pub mod math;
pub mod style;
mod svg;
pub mod ticks;

pub use bar::bar_chart;
pub use contour::{contour_chart, Field};
pub use line::{line_chart, Axes, Line};
pub use style::{fixed_style, styles_for, Dash, Style};
