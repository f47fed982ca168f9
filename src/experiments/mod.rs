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
//! ## Layout
//! One file per experiment, in the order of the issue (and of the seeds'
//! ideas): `batch_modes`, `linear_regression`, `surfaces`, `toy_function`,
//! `mnist_mlp`, `cnn_grid`, `wilson`, `amsgrad`, `adadelta_eps`,
//! `adagrad_sparse`, `seed004`. Shared machinery: `frame.rs` (the long frame
//! builder and CSV output), `minimize.rs` (any optimizer on a function of a
//! few variables, with its trajectory).

pub mod adadelta_eps;
pub mod adagrad_sparse;
pub mod amsgrad;
pub mod batch_modes;
pub mod cnn_grid;
mod frame;
pub mod linear_regression;
mod minimize;
pub mod mnist_mlp;
pub mod seed004;
pub mod surfaces;
pub mod toy_function;
pub mod wilson;

pub use frame::{column, csv_bytes, frame_rows, labels, series, write_csv, Long, Run};
pub use minimize::{minimize, minimize_traced, Trajectory};

use crate::data::Mnist;
use crate::{Error, Result};
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

/// What a run says about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The run's numbers meet the criterion.
    Supported,
    /// They do not.
    NotSupported,
    /// This profile cannot decide it; run `--profile full`.
    FullProfileOnly,
}

impl Verdict {
    /// Supported if `ok`, else not supported.
    pub fn of(ok: bool) -> Verdict {
        if ok {
            Verdict::Supported
        } else {
            Verdict::NotSupported
        }
    }
}

/// A claim of a seed or paper and what our run says about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Stable identifier, `<experiment>.<short name>`.
    pub id: String,
    /// Where it comes from: "seed 003", "Reddi et al. 2018, section 3"...
    pub source: String,
    /// The claim, in the source's words where possible.
    pub statement: String,
    /// How the run decides it, written before the run.
    pub criterion: String,
    /// The number the criterion looks at (NaN when not run).
    pub value: f64,
    /// The outcome.
    pub verdict: Verdict,
    /// The numbers behind the verdict, in a sentence.
    pub detail: String,
}

impl Claim {
    /// A claim decided by this run.
    pub fn decided(
        id: &str,
        source: &str,
        statement: &str,
        criterion: &str,
        value: f64,
        ok: bool,
        detail: String,
    ) -> Claim {
        Claim {
            id: id.into(),
            source: source.into(),
            statement: statement.into(),
            criterion: criterion.into(),
            value,
            verdict: Verdict::of(ok),
            detail,
        }
    }

    /// A claim this profile cannot decide.
    pub fn full_only(id: &str, source: &str, statement: &str, criterion: &str, why: &str) -> Claim {
        Claim {
            id: id.into(),
            source: source.into(),
            statement: statement.into(),
            criterion: criterion.into(),
            value: f64::NAN,
            verdict: Verdict::FullProfileOnly,
            detail: why.into(),
        }
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
            fix: "run `cargo run --release --bin fetch-data`, or set MNIST_DIR (README, section MNIST)".into(),
        })
    }
}

/// An experiment: name, title, whether it needs MNIST, and its run.
pub struct Experiment {
    /// Section name (`--only` takes these).
    pub name: &'static str,
    /// Human title.
    pub title: &'static str,
    /// Seeds and papers it reproduces.
    pub sources: &'static str,
    /// Needs the MNIST files for everything it does.
    pub needs_mnist: bool,
    /// Uses MNIST for a part, and runs the rest without it (saying so in a
    /// note).
    pub uses_mnist: bool,
    /// Runs it.
    pub run: fn(&Context) -> Result<Outcome>,
}

impl Experiment {
    /// Runs it on its own (notebooks, scripts): MNIST is looked up
    /// (`MNIST_DIR`, then `data/mnist`) when the experiment uses it; an
    /// experiment that needs it fails with the lookup's error, one that only
    /// uses it for a part runs the rest and says so in a note.
    pub fn run_alone(&self, profile: Profile, seed: u64) -> Result<Outcome> {
        let mnist = if self.needs_mnist || self.uses_mnist {
            Mnist::load(None)
        } else {
            Err(Error::NotFound {
                what: "MNIST".into(),
                looked: vec![],
                fix: format!("{} does not use MNIST", self.name),
            })
        };
        let ctx = Context { profile, seed, mnist: mnist.as_ref(), progress: false };
        if self.needs_mnist {
            ctx.mnist()?;
        }
        (self.run)(&ctx)
    }
}

/// Every experiment, in the report's order.
pub const EXPERIMENTS: &[Experiment] = &[
    Experiment {
        name: "batch_modes",
        title: "Batch, stochastic and mini-batch gradient descent",
        sources: "seed 000 (convergence steps), seed 004",
        needs_mnist: false,
        uses_mnist: false,
        run: batch_modes::run,
    },
    Experiment {
        name: "linear_regression",
        title: "Optimizers on linear regression",
        sources: "seed 000, figure 7",
        needs_mnist: false,
        uses_mnist: false,
        run: linear_regression::run,
    },
    Experiment {
        name: "surfaces",
        title: "Trajectories on 2-D surfaces",
        sources: "seed 000, figures 2 and 4; d2l; Rosenbrock",
        needs_mnist: false,
        uses_mnist: false,
        run: surfaces::run,
    },
    Experiment {
        name: "toy_function",
        title: "Seed 003's toy function and its wrong gradient",
        sources: "seed 003",
        needs_mnist: false,
        uses_mnist: false,
        run: toy_function::run,
    },
    Experiment {
        name: "mnist_mlp",
        title: "MNIST MLP: the optimizers compared",
        sources: "seed 000, figure 6",
        needs_mnist: true,
        uses_mnist: true,
        run: mnist_mlp::run,
    },
    Experiment {
        name: "cnn_grid",
        title: "MNIST CNN: optimizers x learning rates",
        sources: "seed 003, figure 1",
        needs_mnist: true,
        uses_mnist: true,
        run: cnn_grid::run,
    },
    Experiment {
        name: "wilson",
        title: "Wilson et al.: adaptive methods and generalization",
        sources: "seed 002; Wilson et al. 2017 (arXiv:1705.08292)",
        needs_mnist: false,
        uses_mnist: true,
        run: wilson::run,
    },
    Experiment {
        name: "amsgrad",
        title: "Reddi et al.: Adam's non-convergence and AMSGrad",
        sources: "seed 003; Reddi, Kale, Kumar, ICLR 2018",
        needs_mnist: false,
        uses_mnist: false,
        run: amsgrad::run,
    },
    Experiment {
        name: "adadelta_eps",
        title: "Adadelta: epsilon acts as a learning rate",
        sources: "seed 002",
        needs_mnist: false,
        uses_mnist: true,
        run: adadelta_eps::run,
    },
    Experiment {
        name: "adagrad_sparse",
        title: "Adagrad: the vanishing step and sparse features",
        sources: "seeds 000 and 002",
        needs_mnist: false,
        uses_mnist: false,
        run: adagrad_sparse::run,
    },
    Experiment {
        name: "seed004",
        title: "Momentum's effective rate, He initialization, schedules",
        sources: "seed 004",
        needs_mnist: false,
        uses_mnist: true,
        run: seed004::run,
    },
];

/// The experiment called `name`, or an error listing the valid names.
pub fn by_name(name: &str) -> Result<&'static Experiment> {
    EXPERIMENTS.iter().find(|e| e.name == name).ok_or_else(|| {
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
