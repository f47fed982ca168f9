//! A trainable parameter: a named array, shared with the tape without copies.

use crate::Element;
use ndarray::ArrayD;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A named array that a model trains.
///
/// The value sits behind an `Arc`, so [`Tape::param`](crate::autodiff::Tape::param)
/// shares it instead of copying. Take the gradients, drop the tape, then
/// update through [`Param::value_mut`]: with the tape gone the update is in
/// place (while a tape still holds the value, the update copies it first,
/// which is correct but slower).
#[derive(Debug)]
pub struct Param<T: Element> {
    /// Identity of this parameter for the tape (fresh for every clone).
    id: u64,
    /// Local name within its layer (`"weight"`, `"bias"`).
    name: String,
    value: Arc<ArrayD<T>>,
}

impl<T: Element> Param<T> {
    /// A parameter called `name` holding `value`.
    pub fn new(name: impl Into<String>, value: ArrayD<T>) -> Self {
        Param { id: NEXT_ID.fetch_add(1, Ordering::Relaxed), name: name.into(), value: Arc::new(value) }
    }

    /// Unique identity, used to find this parameter's gradient.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The local name (`"weight"`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value.
    pub fn value(&self) -> &ArrayD<T> {
        &self.value
    }

    /// The value for an in-place update (copy-on-write if a tape shares it).
    pub fn value_mut(&mut self) -> &mut ArrayD<T> {
        Arc::make_mut(&mut self.value)
    }

    /// Replaces the value; the shape must stay the same for the model to work.
    pub fn set(&mut self, value: ArrayD<T>) {
        self.value = Arc::new(value);
    }

    /// Replaces the value and returns the old one (without a copy unless a
    /// tape still shares it).
    pub fn replace(&mut self, value: ArrayD<T>) -> ArrayD<T> {
        let old = std::mem::replace(&mut self.value, Arc::new(value));
        Arc::try_unwrap(old).unwrap_or_else(|shared| shared.as_ref().clone())
    }

    pub(crate) fn shared(&self) -> &Arc<ArrayD<T>> {
        &self.value
    }
}

impl<T: Element> Clone for Param<T> {
    /// A deep copy with a fresh identity, so that an original and its clone
    /// used on one tape get separate gradients.
    fn clone(&self) -> Self {
        Param::new(self.name.clone(), self.value.as_ref().clone())
    }
}
