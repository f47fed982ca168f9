//! The machinery every optimizer shares: [`Optim`] wraps an update [`Rule`]
//! (a `Config` of hyperparameters) with its state, its step counter, the
//! input checks and checkpoints, and implements [`Optimizer`] once for all;
//! `rule_common!` writes the parts of a rule that every optimizer writes
//! alike (its state type, its learning rate, its buffers by name).

use super::common::{check_lr, check_step};
use super::Optimizer;
use crate::{Element, Error, Result};
use ndarray::ArrayD;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The parts of a [`Rule`] every optimizer writes alike, from the state
/// struct and its buffers: `State`, `STATE_NAMES` (the buffers' field
/// names, PyTorch's), `lr` and `set_lr` (the config's `lr` field), and
/// `buffer` (a buffer by name; one followed by `if |c: &Self| ...` only when
/// the configuration keeps it).
///
/// ```ignore
/// rule_common!(AdamState { exp_avg, exp_avg_sq, max_exp_avg_sq if |c: &Self| c.amsgrad });
/// ```
macro_rules! rule_common {
    ($state:ident { $($buffer:ident $(if $kept:expr)?),+ $(,)? }) => {
        type State = $state<T>;
        const STATE_NAMES: &'static [&'static str] = &[$(stringify!($buffer)),+];

        fn lr(&self) -> f64 {
            self.lr
        }

        fn set_lr(&mut self, lr: f64) {
            self.lr = lr;
        }

        fn buffer<'s>(&self, state: &'s $state<T>, name: &str) -> Option<&'s [ndarray::ArrayD<T>]> {
            $(
                if name == stringify!($buffer) $(&& ($kept)(self))? {
                    return Some(&state.$buffer);
                }
            )+
            None
        }
    };
}

/// An update rule: the part of an optimizer that differs from the others.
pub trait Rule<T: Element>: Clone + Send + Serialize + DeserializeOwned {
    /// The state the rule keeps between steps (moment estimates, buffers...).
    type State: Clone + Send + Serialize + DeserializeOwned;
    /// The optimizer's name, as torch spells its class (`"Adam"`).
    const NAME: &'static str;
    /// Names of the per-parameter buffers [`Rule::buffer`] exposes.
    const STATE_NAMES: &'static [&'static str];

    /// Rejects hyperparameters outside their domain, naming the parameter
    /// (the learning rate is checked for every rule, before this).
    fn validate(&self) -> Result<()>;
    /// The learning rate (the multiplier of the update).
    fn lr(&self) -> f64;
    /// Sets the learning rate (already validated).
    fn set_lr(&mut self, lr: f64);
    /// Fresh state for these parameters, before the first step.
    fn init(&self, params: &[&mut ArrayD<T>]) -> Self::State;
    /// One buffer per parameter, by name; `None` for names this rule (or
    /// this configuration of it) does not keep.
    fn buffer<'s>(&self, state: &'s Self::State, name: &str) -> Option<&'s [ArrayD<T>]>;
    /// Updates `params` in place: step `t` (1 for the first step), inputs
    /// already checked (counts, shapes, finite gradients).
    fn update(&self, state: &mut Self::State, t: u64, params: &mut [&mut ArrayD<T>], grads: &[ArrayD<T>]);
    /// Where the gradient must be evaluated for the next step, when that is
    /// not the parameters themselves (Nesterov's look-ahead form).
    fn gradient_point(&self, _state: Option<&Self::State>, _params: &[&ArrayD<T>]) -> Option<Vec<ArrayD<T>>> {
        None
    }
}

/// An optimizer: an update rule, its state and its step counter.
#[derive(Debug, Clone)]
pub struct Optim<C, T: Element>
where
    C: Rule<T>,
{
    config: C,
    state: Option<C::State>,
    step: u64,
}

/// What a checkpoint holds: enough to resume the exact same trajectory.
#[derive(Serialize, Deserialize)]
struct Checkpoint<C, S> {
    optimizer: String,
    dtype: String,
    step: u64,
    config: C,
    state: Option<S>,
}

impl<C: Rule<T>, T: Element> Optim<C, T> {
    /// An optimizer with these hyperparameters; an error names any that is
    /// out of its domain.
    pub fn new(config: C) -> Result<Self> {
        check_config::<C, T>(&config)?;
        Ok(Optim { config, state: None, step: 0 })
    }

    /// The hyperparameters.
    pub fn config(&self) -> &C {
        &self.config
    }

    /// The state, `None` before the first step.
    pub fn state(&self) -> Option<&C::State> {
        self.state.as_ref()
    }
}

impl<C: Rule<T> + 'static, T: Element> Optimizer<T> for Optim<C, T> {
    fn name(&self) -> &'static str {
        C::NAME
    }

    fn lr(&self) -> f64 {
        self.config.lr()
    }

    fn set_lr(&mut self, lr: f64) -> Result<()> {
        check_lr(C::NAME, lr)?;
        self.config.set_lr(lr);
        Ok(())
    }

    fn steps(&self) -> u64 {
        self.step
    }

    fn step(&mut self, params: &mut [&mut ArrayD<T>], grads: &[ArrayD<T>]) -> Result<()> {
        let shapes = self.state.as_ref().and_then(|s| C::STATE_NAMES.iter().find_map(|n| self.config.buffer(s, n)));
        check_step(C::NAME, params, grads, shapes)?;
        let state = self.state.get_or_insert_with(|| self.config.init(params));
        self.step += 1;
        self.config.update(state, self.step, params, grads);
        Ok(())
    }

    fn state_names(&self) -> Vec<&'static str> {
        match &self.state {
            Some(s) => C::STATE_NAMES.iter().copied().filter(|n| self.config.buffer(s, n).is_some()).collect(),
            None => Vec::new(),
        }
    }

    fn buffer(&self, name: &str) -> Option<&[ArrayD<T>]> {
        self.config.buffer(self.state.as_ref()?, name)
    }

    fn gradient_point(&self, params: &[&ArrayD<T>]) -> Option<Vec<ArrayD<T>>> {
        self.config.gradient_point(self.state.as_ref(), params)
    }

    fn save(&self) -> Result<serde_json::Value> {
        let checkpoint = Checkpoint {
            optimizer: C::NAME.to_string(),
            dtype: T::DTYPE.to_string(),
            step: self.step,
            config: &self.config,
            state: self.state.as_ref(),
        };
        serde_json::to_value(checkpoint).map_err(|e| Error::invalid(C::NAME, "checkpoint", e.to_string()))
    }

    fn load(&mut self, checkpoint: &serde_json::Value) -> Result<()> {
        let bad = |reason: String| Error::invalid(C::NAME, "checkpoint", reason);
        let c: Checkpoint<C, C::State> = serde_json::from_value(checkpoint.clone())
            .map_err(|e| bad(format!("not a {} checkpoint: {e}", C::NAME)))?;
        if c.optimizer != C::NAME || c.dtype != T::DTYPE {
            return Err(bad(format!(
                "written by {} ({}), cannot load into {} ({})",
                c.optimizer,
                c.dtype,
                C::NAME,
                T::DTYPE
            )));
        }
        check_config::<C, T>(&c.config)?;
        if c.step > MAX_STEPS {
            return Err(bad(format!("step count {} is beyond any run (at most 2^53)", c.step)));
        }
        if (c.step == 0) != c.state.is_none() {
            return Err(bad(format!(
                "step count {} does not fit a {} state (an optimizer has state exactly after its first step)",
                c.step,
                if c.state.is_some() { "present" } else { "missing" }
            )));
        }
        if let Some(state) = &c.state {
            check_state::<C, T>(&c.config, state).map_err(bad)?;
        }
        *self = Optim { config: c.config, state: c.state, step: c.step };
        Ok(())
    }
}

/// A configuration's learning rate (finite, `>= 0`), then its own checks.
fn check_config<C: Rule<T>, T: Element>(config: &C) -> Result<()> {
    check_lr(C::NAME, config.lr())?;
    config.validate()
}

/// Most steps a checkpoint may claim: past 2^53 a step count no longer
/// converts to `f64` exactly (bias corrections use it), and no run gets near.
const MAX_STEPS: u64 = 1 << 53;

/// Whether a loaded `state` fits its `config`: every buffer the
/// configuration keeps is there (`amsgrad: true` needs `max_exp_avg_sq`),
/// and all buffers hold the same number of arrays with the same shapes, so
/// that `step` can never index past a buffer. The shapes are taken from the
/// first non-empty buffer; whether they fit the parameters is checked by
/// each `step`, which refuses a mismatch with an error.
fn check_state<C: Rule<T>, T: Element>(config: &C, state: &C::State) -> std::result::Result<(), String> {
    let shapes: Vec<Vec<usize>> = C::STATE_NAMES
        .iter()
        .find_map(|name| config.buffer(state, name).filter(|b| !b.is_empty()))
        .map(|b| b.iter().map(|a| a.shape().to_vec()).collect())
        .unwrap_or_default();
    let mut like: Vec<ArrayD<T>> = shapes.iter().map(|s| ArrayD::zeros(ndarray::IxDyn(s))).collect();
    let like: Vec<&mut ArrayD<T>> = like.iter_mut().collect();
    let reference = config.init(&like);
    for name in C::STATE_NAMES {
        match (config.buffer(&reference, name), config.buffer(state, name)) {
            (Some(want), Some(got)) => {
                if want.len() != got.len() {
                    return Err(format!(
                        "state buffer `{name}` holds {} arrays where the configuration and the other buffers need {}",
                        got.len(),
                        want.len()
                    ));
                }
                for (i, (w, g)) in want.iter().zip(got).enumerate() {
                    if w.shape() != g.shape() {
                        return Err(format!(
                            "state buffer `{name}`[{i}] has shape {:?} where the other buffers have {:?}",
                            g.shape(),
                            w.shape()
                        ));
                    }
                }
            }
            (Some(want), None) if !want.is_empty() => {
                return Err(format!("the configuration keeps state buffer `{name}`, the checkpoint has none"));
            }
            (None, Some(got)) if !got.is_empty() => {
                return Err(format!(
                    "the checkpoint has state buffer `{name}`, which this configuration does not keep"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}
