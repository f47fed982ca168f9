//! The experiments of the seed documents, each a module with a `quick` and a
//! `full` profile, returning long-format polars DataFrames and the claims
//! its run decides.
//!
//! A [`Claim`] is a sentence from a seed or paper, a criterion written in
//! the code before the run (a threshold, a comparison), the number the run
//! produced and the verdict that number gives. Nothing here is tuned until a
//! claim passes: a claim that fails is reported as failing, with its
//! numbers. A claim that the quick profile cannot decide (too few epochs, a
//! subset of MNIST) says [`Verdict::FullProfileOnly`].
//!
//! Every frame has the columns `experiment, optimizer, lr, seed,
//! step_or_epoch, metric, value, setting` (the last one holds whatever
//! labels an experiment needs: batching mode, surface, epsilon...).
//!
//! ## An experiment owns its section
//! One [`Experiment`] value describes an experiment completely: its name
//! (what `--only` takes), title, question, sources, how it uses MNIST
//! ([`MnistUse`]), its run, the formulas it shows, and its charts and
//! tables as data ([`ChartSpec`], [`TableSpec`]). The report renders every
//! section with one template and draws every spec with one function
//! ([`visual::draw_chart`]); the notebooks draw the same specs.
//!
//! ## Adding an experiment
//! 1. Write `src/experiments/my_experiment.rs` with
//!    - the metric names it records, as `pub const` strings (its run pushes
//!      rows with them and its chart specs read them: one place);
//!    - `pub fn run(ctx: &Context) -> Result<Outcome>` (frames built with
//!      `EXPERIMENT.frame()`, claims, notes);
//!    - `pub const EXPERIMENT: Experiment = Experiment { name: "my_experiment", .. }`
//!      with its specs.
//! 2. Add `my_experiment` to the `registry!` list below, where it should
//!    appear in the report.
//!
//! That is all: the report, `--only`, `summary.json`, the CSVs and
//! `notebook::section_charts` pick it up, and `tests/experiments.rs` runs its
//! quick profile and checks that every one of its specs draws.
//!
//! ## Layout
//! One file per experiment, in the report's order (the `registry!` list).
//! Shared machinery: `frame.rs` (the long frame builder and CSV output),
//! `visual.rs` (chart and table specs, drawn), `metric.rs` (metric names
//! several experiments share), `minimize.rs` (any optimizer on a function
//! of a few variables, with its trajectory).

pub mod claim;
mod frame;
pub mod least_squares;
pub mod metric;
pub mod multiplicity;
pub mod protocol;
pub mod runs;
pub mod seed_claims;
pub mod visual;

pub use claim::{Claim, ClaimSpec, Decided, Kind, Tested, Verdict};
pub use descent::optim::{minimize, minimize_traced, Trajectory};
pub use descent_plot::{ChartView, TableView};
pub use frame::{column, csv_bytes, frame_rows, labels, series, write_csv, Long, Run};
pub use multiplicity::Check;
pub use protocol::{tune_lr, Estimate, Protocol, Seeds, Tuned};
pub use visual::{ChartKind, ChartSpec, Facet, Key, MathView, Rows, SeriesBy, TableSpec, Visuals};

use descent::data::Mnist;
use descent::{Error, Result};
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How much to run: `quick` (minutes in total on 2 cores, MNIST subsets) or
/// `full` (the real reproduction, within an hour on 2 cores).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// A few minutes in total; some claims are left to `full`.
    Quick,
    /// Whole MNIST, the seeds' epochs, several seeds.
    Full,
}

impl Profile {
    /// Every profile's name.
    pub const NAMES: [&'static str; 2] = ["quick", "full"];

    /// `quick` or `full` value, by profile.
    pub fn pick<V>(self, quick: V, full: V) -> V {
        match self {
            Profile::Quick => quick,
            Profile::Full => full,
        }
    }
}

impl FromStr for Profile {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "quick" => Ok(Profile::Quick),
            "full" => Ok(Profile::Full),
            _ => Err(Error::invalid(
                "profile",
                "name",
                format!("unknown profile {s:?}; valid profiles: {}", Profile::NAMES.join(", ")),
            )),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.pick("quick", "full"))
    }
}

/// What an experiment returns.
pub struct Outcome {
    /// Named long-format frames (`<experiment>_<name>.csv` when written).
    pub frames: Vec<(String, DataFrame)>,
    /// The claims it decided (or could not).
    pub claims: Vec<Claim>,
    /// Observations worth a sentence in the report (with numbers).
    pub notes: Vec<String>,
}

/// What an experiment may use.
pub struct Context<'a> {
    /// quick or full.
    pub profile: Profile,
    /// Base seed; runs derive theirs from it.
    pub seed: u64,
    /// MNIST, when found (experiments that need it fail with the lookup's
    /// error otherwise).
    pub mnist: std::result::Result<&'a Mnist, &'a Error>,
    /// Draw progress bars (on a terminal only).
    pub progress: bool,
}

impl<'a> Context<'a> {
    /// MNIST or the error that explains where it was looked for.
    pub fn mnist(&self) -> Result<&'a Mnist> {
        self.mnist.map_err(|e| Error::NotFound {
            what: "MNIST".into(),
            looked: vec![e.to_string()],
            fix: "run `cargo run --bin fetch-data`, or set MNIST_DIR (README, \"Set up\")".into(),
        })
    }
}

/// How an experiment uses MNIST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MnistUse {
    /// Not at all: it runs anywhere.
    NotAtAll,
    /// For a part: without MNIST it runs the rest and says so in a note.
    InPart,
    /// For everything: without MNIST it does not run.
    Entirely,
}

impl MnistUse {
    /// Whether MNIST should be loaded for it.
    pub fn loads(self) -> bool {
        self != MnistUse::NotAtAll
    }

    /// Whether it cannot run without MNIST.
    pub fn requires(self) -> bool {
        self == MnistUse::Entirely
    }
}

/// An experiment, completely: what it asks, where from, what it needs, how
/// it runs and what its section shows.
pub struct Experiment {
    /// Section name (`--only` takes these; the frames' `experiment` column).
    pub name: &'static str,
    /// Human title.
    pub title: &'static str,
    /// The question the section answers, one or two sentences.
    pub question: &'static str,
    /// Seeds and papers it reproduces.
    pub sources: &'static str,
    /// How it uses MNIST.
    pub mnist: MnistUse,
    /// Runs it.
    pub run: fn(&Context) -> Result<Outcome>,
    /// Keys of the formulas shown (see [`crate::math::FORMULAS`]).
    pub formulas: &'static [&'static str],
    /// Its charts.
    pub charts: &'static [ChartSpec],
    /// Its tables of final values (the run's notes are always shown too).
    pub tables: &'static [TableSpec],
    /// The claims its run decides, declared here once (the registry of
    /// seed claims, [`seed_claims`], is built from them).
    pub claims: &'static [ClaimSpec],
}

impl Experiment {
    /// An empty long frame for this experiment's rows.
    pub fn frame(&self) -> Long {
        Long::new(self.name)
    }

    /// The section's formulas, charts and tables drawn from `outcome`.
    pub fn visuals(&self, outcome: &Outcome) -> Result<Visuals> {
        visual::visuals(self, outcome)
    }

    /// Runs it on its own (notebooks, scripts): MNIST is looked up
    /// (`MNIST_DIR`, then `data/mnist`) when the experiment uses it; an
    /// experiment that needs it fails with the lookup's error, one that only
    /// uses it for a part runs the rest and says so in a note.
    pub fn run_alone(&self, profile: Profile, seed: u64) -> Result<Outcome> {
        let mnist = if self.mnist.loads() {
            Mnist::load(None)
        } else {
            Err(Error::NotFound {
                what: "MNIST".into(),
                looked: vec![],
                fix: format!("{} does not use MNIST", self.name),
            })
        };
        let ctx = Context { profile, seed, mnist: mnist.as_ref(), progress: false };
        if self.mnist.requires() {
            ctx.mnist()?;
        }
        (self.run)(&ctx)
    }
}

/// Declares the experiment modules and [`EXPERIMENTS`] in one list, so
/// that adding an experiment is one file and one name here.
macro_rules! registry {
    ($($module:ident),+ $(,)?) => {
        $(pub mod $module;)+
        /// Every experiment, in the report's order.
        pub const EXPERIMENTS: &[&Experiment] = &[$(&$module::EXPERIMENT),+];
    };
}

registry!(
    batch_modes,
    linear_regression,
    surfaces,
    toy_function,
    mnist_mlp,
    cnn_grid,
    wilson,
    amsgrad,
    adadelta_eps,
    adagrad_sparse,
    seed004,
    normalization,
);

/// The experiment called `name`, or an error listing the valid names.
pub fn by_name(name: &str) -> Result<&'static Experiment> {
    EXPERIMENTS.iter().copied().find(|e| e.name == name).ok_or_else(|| {
        let names: Vec<&str> = EXPERIMENTS.iter().map(|e| e.name).collect();
        Error::invalid("experiment", "name", format!("unknown experiment {name:?}; valid: {}", names.join(", ")))
    })
}

/// Mean and (population) standard deviation.
pub(crate) fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}
