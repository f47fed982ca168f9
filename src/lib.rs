//! # descent-lab
//!
//! descent's laboratory: the experiments that reproduce the seed documents
//! and decide their claims ([`experiments`]), the HTML report that one
//! command regenerates ([`report`], `cargo run --bin report`), and what the
//! notebooks show of them ([`notebook`]). Results are long-format polars
//! DataFrames; charts are drawn with `descent-plot`; everything the
//! experiments train is the core crate's, `descent`.
//!
//! ```no_run
//! use descent_lab::experiments::{self, Profile};
//!
//! let outcome = experiments::by_name("surfaces")?.run_alone(Profile::Quick, 0)?;
//! for claim in &outcome.claims {
//!     println!("{}: {}", claim.id, claim.label());
//! }
//! # Ok::<(), descent::Error>(())
//! ```

pub mod experiments;
pub mod math;
pub mod notebook;
pub mod report;

// The notebooks use the lab's own polars, so that their types are the ones
// the experiments return (no second version to pin).
pub use polars;
