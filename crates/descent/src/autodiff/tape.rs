//! The tape: nodes, handles to them, and the backward pass.

use super::Param;
use crate::kernels::workspace;
use crate::{Element, Error, Result};
use ndarray::ArrayD;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static NEXT_TAPE: AtomicU64 = AtomicU64::new(0);

/// How an op sends the gradient of its output back to its inputs.
///
/// `inputs` are the op's input values in the order they were recorded,
/// `output` its value, `grad` the gradient of the loss with respect to
/// `output` (same shape). Returns one entry per input: the gradient with
/// respect to that input (same shape as it), or `None` where `wants[i]` is
/// false and the op chose not to compute it.
pub(crate) trait Backward<T: Element>: Send {
    fn backward(
        &self,
        inputs: &[&ArrayD<T>],
        output: &ArrayD<T>,
        grad: ArrayD<T>,
        wants: &[bool],
    ) -> Vec<Option<ArrayD<T>>>;
}

struct Node<T: Element> {
    /// The node's value; shared (not copied) with parameters and callers.
    value: Arc<ArrayD<T>>,
    /// Ids of the op's inputs, in the order its `Backward` expects them.
    parents: Vec<usize>,
    /// `None` for leaves and for nodes no gradient flows through.
    op: Option<Box<dyn Backward<T>>>,
    /// Whether a gradient with respect to this node is wanted.
    requires_grad: bool,
}

/// A recording of a computation, differentiable in reverse mode.
///
/// Create one per forward pass; values enter it as [`Tape::leaf`] (wants a
/// gradient), [`Tape::constant`] (does not) or [`Tape::param`] (a model
/// parameter, shared without copying). For a forward pass whose gradient is
/// never wanted (evaluation, prediction), [`Tape::no_grad`] records nothing
/// to differentiate.
pub struct Tape<T: Element> {
    /// Identity of this tape, so that [`Gradients`] can refuse a `Var` of
    /// another tape (node indices alone would silently match).
    id: u64,
    /// Whether leaves and parameters want gradients (false for
    /// [`Tape::no_grad`]).
    grad: bool,
    nodes: RefCell<Vec<Node<T>>>,
    /// (parameter id, node id) of every parameter registered on this tape.
    params: RefCell<Vec<(u64, usize)>>,
}

impl<T: Element> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A handle to a value on a [`Tape`]. Cheap to copy.
pub struct Var<'t, T: Element> {
    pub(crate) tape: &'t Tape<T>,
    pub(crate) id: usize,
}

impl<T: Element> Clone for Var<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Element> Copy for Var<'_, T> {}

impl<T: Element> std::fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Var(#{}, shape {:?})", self.id, self.shape())
    }
}

impl<T: Element> Tape<T> {
    /// An empty tape.
    pub fn new() -> Self {
        Self::with_grad(true)
    }

    /// An empty tape on which nothing wants a gradient, as under PyTorch's
    /// `torch.no_grad()`: leaves and parameters enter it as constants, so no
    /// op keeps its inputs' bookkeeping, and ops skip what only their
    /// gradient needs (max pooling's arg-max). Values are the same bits as
    /// on [`Tape::new`]; [`Tape::backward`] is an error.
    pub fn no_grad() -> Self {
        Self::with_grad(false)
    }

    fn with_grad(grad: bool) -> Self {
        Tape {
            id: NEXT_TAPE.fetch_add(1, Ordering::Relaxed),
            grad,
            nodes: RefCell::new(Vec::new()),
            params: RefCell::new(Vec::new()),
        }
    }

    /// Whether leaves and parameters want gradients: false only for a
    /// [`Tape::no_grad`] tape.
    pub fn records_gradients(&self) -> bool {
        self.grad
    }

    /// Number of nodes recorded so far.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// Whether nothing has been recorded yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A leaf whose gradient [`Tape::backward`] will compute (a constant on
    /// a [`Tape::no_grad`] tape).
    pub fn leaf(&self, value: ArrayD<T>) -> Var<'_, T> {
        self.insert(Arc::new(standard(value)), Vec::new(), None, self.grad)
    }

    /// A leaf treated as a constant: no gradient flows into it.
    pub fn constant(&self, value: ArrayD<T>) -> Var<'_, T> {
        self.insert(Arc::new(standard(value)), Vec::new(), None, false)
    }

    /// The leaf for a model parameter. The value is shared with the
    /// parameter, not copied; registering the same parameter twice returns
    /// the same leaf, so a shared weight gets the sum of its gradients.
    pub fn param(&self, param: &Param<T>) -> Var<'_, T> {
        if let Some(&(_, id)) = self.params.borrow().iter().find(|(pid, _)| *pid == param.id()) {
            return Var { tape: self, id };
        }
        let value = Arc::clone(param.shared());
        let var = self.insert(value, Vec::new(), None, self.grad);
        self.params.borrow_mut().push((param.id(), var.id));
        var
    }

    /// Records an op's output. Gradient bookkeeping is kept only when some
    /// input wants a gradient.
    pub(crate) fn push<B: Backward<T> + 'static>(&self, value: ArrayD<T>, parents: &[usize], op: B) -> Var<'_, T> {
        let requires_grad = {
            let nodes = self.nodes.borrow();
            parents.iter().any(|&p| nodes[p].requires_grad)
        };
        let (parents, op): (Vec<usize>, Option<Box<dyn Backward<T>>>) =
            if requires_grad { (parents.to_vec(), Some(Box::new(op))) } else { (Vec::new(), None) };
        self.insert(Arc::new(standard(value)), parents, op, requires_grad)
    }

    fn insert(
        &self,
        value: Arc<ArrayD<T>>,
        parents: Vec<usize>,
        op: Option<Box<dyn Backward<T>>>,
        requires_grad: bool,
    ) -> Var<'_, T> {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node { value, parents, op, requires_grad });
        Var { tape: self, id: nodes.len() - 1 }
    }

    pub(crate) fn value_of(&self, id: usize) -> Arc<ArrayD<T>> {
        Arc::clone(&self.nodes.borrow()[id].value)
    }

    /// Gradients of the scalar `loss` with respect to every leaf that wants
    /// one (leaves and parameters), by reverse-mode accumulation.
    ///
    /// Fails if `loss` is not a single element, belongs to another tape, or
    /// this tape is a [`Tape::no_grad`] one.
    pub fn backward(&self, loss: &Var<'_, T>) -> Result<Gradients<T>> {
        if !std::ptr::eq(loss.tape, self) {
            return Err(Error::Graph("backward: the loss belongs to another tape".into()));
        }
        if !self.grad {
            return Err(Error::Graph(
                "backward: this tape was made with Tape::no_grad and records no gradients; use Tape::new".into(),
            ));
        }
        let nodes = self.nodes.borrow();
        let root = &nodes[loss.id];
        if root.value.len() != 1 {
            return Err(Error::shape(
                "backward",
                root.value.shape(),
                &[],
                "backward() starts from a scalar loss (one element); reduce it first with sum() or mean()",
            ));
        }
        let mut grads: Vec<Option<ArrayD<T>>> = Vec::with_capacity(loss.id + 1);
        grads.resize_with(loss.id + 1, || None);
        grads[loss.id] = Some(ArrayD::from_elem(root.value.raw_dim(), T::one()));
        // Reverse creation order is a topological order: every consumer of
        // node i was created after it, so its gradient is complete here.
        for i in (0..=loss.id).rev() {
            let node = &nodes[i];
            let Some(op) = &node.op else { continue };
            let Some(grad) = grads[i].take() else { continue };
            let inputs: Vec<&ArrayD<T>> = node.parents.iter().map(|&p| &*nodes[p].value).collect();
            let wants: Vec<bool> = node.parents.iter().map(|&p| nodes[p].requires_grad).collect();
            let input_grads = op.backward(&inputs, &node.value, grad, &wants);
            debug_assert_eq!(input_grads.len(), node.parents.len());
            for ((&p, g), &want) in node.parents.iter().zip(input_grads).zip(&wants) {
                if let (Some(g), true) = (g, want) {
                    debug_assert_eq!(g.shape(), nodes[p].value.shape(), "gradient shape of input {p} of node {i}");
                    accumulate(&mut grads[p], g);
                }
            }
        }
        // Keep only the gradients of leaves that asked for one.
        for (i, g) in grads.iter_mut().enumerate() {
            if !(nodes[i].op.is_none() && nodes[i].requires_grad) {
                if let Some(g) = g.take() {
                    workspace::give_array(g);
                }
            }
        }
        Ok(Gradients { tape: self.id, grads, params: self.params.borrow().clone() })
    }
}

/// Gives the storage of arrays the caller is done with (a step's gradients,
/// once the optimizer has used them) back to this thread's pool of buffers,
/// from which the next step's products and activations are drawn: without
/// it, each step allocates its weight gradients anew and fills them before
/// the product overwrites them. Values are never read again; only the
/// memory is reused.
pub fn recycle<T: Element>(arrays: impl IntoIterator<Item = ArrayD<T>>) {
    arrays.into_iter().for_each(workspace::give_array);
}

/// `slot += g`, moving `g` in when the slot is empty.
fn accumulate<T: Element>(slot: &mut Option<ArrayD<T>>, g: ArrayD<T>) {
    match slot {
        Some(acc) => {
            *acc += &g;
            workspace::give_array(g);
        }
        None => *slot = Some(g),
    }
}

impl<T: Element> Drop for Tape<T> {
    /// Gives the storage of the values only this tape holds back to the
    /// thread's pool, for the next step's tape.
    fn drop(&mut self) {
        for node in self.nodes.get_mut().drain(..) {
            if let Ok(value) = Arc::try_unwrap(node.value) {
                workspace::give_array(value);
            }
        }
    }
}

/// The array in standard layout, copying only if it is not already.
pub(crate) fn standard<T: Element>(a: ArrayD<T>) -> ArrayD<T> {
    if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    }
}

/// The result of [`Tape::backward`]: a gradient per leaf.
///
/// Independent of the tape: drop the tape (releasing its shares of the
/// parameters) and keep the gradients for the optimizer.
pub struct Gradients<T: Element> {
    /// The tape they were computed on.
    tape: u64,
    grads: Vec<Option<ArrayD<T>>>,
    params: Vec<(u64, usize)>,
}

impl<T: Element> Gradients<T> {
    /// The gradient with respect to `var`, if the loss depends on it and it
    /// is a leaf that wants one (a leaf created after the loss has none).
    ///
    /// An error if `var` lives on another tape than the one these gradients
    /// were computed on.
    pub fn wrt(&self, var: &Var<'_, T>) -> Result<Option<&ArrayD<T>>> {
        self.check_tape("wrt", var)?;
        Ok(self.grads.get(var.id).and_then(Option::as_ref))
    }

    /// Moves the gradient with respect to `var` out (an error for a `Var` of
    /// another tape, as [`Gradients::wrt`]).
    pub fn take(&mut self, var: &Var<'_, T>) -> Result<Option<ArrayD<T>>> {
        self.check_tape("take", var)?;
        Ok(self.grads.get_mut(var.id).and_then(Option::take))
    }

    fn check_tape(&self, op: &str, var: &Var<'_, T>) -> Result<()> {
        if var.tape.id == self.tape {
            Ok(())
        } else {
            Err(Error::Graph(format!(
                "{op}: {var:?} belongs to another tape than the one these gradients were computed on"
            )))
        }
    }

    /// The gradient with respect to a parameter registered with
    /// [`Tape::param`].
    pub fn param(&self, param: &Param<T>) -> Option<&ArrayD<T>> {
        let id = self.param_node(param)?;
        self.grads.get(id).and_then(Option::as_ref)
    }

    /// Moves the gradient with respect to a parameter out. A parameter that
    /// was registered but did not influence the loss gets zeros, so that an
    /// optimizer always sees one gradient per parameter.
    pub fn take_param(&mut self, param: &Param<T>) -> Option<ArrayD<T>> {
        let id = self.param_node(param)?;
        let g = self.grads.get_mut(id).and_then(Option::take);
        Some(g.unwrap_or_else(|| ArrayD::zeros(param.value().raw_dim())))
    }

    fn param_node(&self, param: &Param<T>) -> Option<usize> {
        self.params.iter().find(|(pid, _)| *pid == param.id()).map(|&(_, id)| id)
    }
}

impl<'t, T: Element> Var<'t, T> {
    /// The value (shared, not copied).
    pub fn value(&self) -> Arc<ArrayD<T>> {
        self.tape.value_of(self.id)
    }

    /// The shape of the value.
    pub fn shape(&self) -> Vec<usize> {
        self.tape.nodes.borrow()[self.id].value.shape().to_vec()
    }

    /// Whether a gradient with respect to this value is wanted: it is a leaf
    /// that wants one, or an op's output that depends on such a leaf.
    /// Ops skip what only their gradient needs when their input wants none.
    pub fn requires_grad(&self) -> bool {
        self.tape.nodes.borrow()[self.id].requires_grad
    }

    /// The tape this value lives on.
    pub fn tape(&self) -> &'t Tape<T> {
        self.tape
    }

    /// The node's index on its tape.
    pub fn id(&self) -> usize {
        self.id
    }

    /// The single element of a one-element value (a loss), else `None`.
    pub fn item(&self) -> Option<T> {
        let v = self.value();
        (v.len() == 1).then(|| *v.iter().next().expect("one element"))
    }

    /// Checks that `other` lives on the same tape, for binary ops.
    pub(crate) fn same_tape(&self, op: &'static str, other: &Var<'_, T>) -> Result<()> {
        if std::ptr::eq(self.tape, other.tape) {
            Ok(())
        } else {
            Err(Error::Graph(format!("{op}: operands belong to different tapes")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_no_grad_tape_records_nothing_to_differentiate() {
        let param = Param::new("w", array![[1.0, -2.0]].into_dyn());
        for (tape, grad) in [(Tape::<f64>::new(), true), (Tape::no_grad(), false)] {
            assert_eq!(tape.records_gradients(), grad);
            let (w, x) = (tape.param(&param), tape.leaf(array![[3.0, 4.0]].into_dyn()));
            let y = w.mul(&x).unwrap().sum();
            assert_eq!((w.requires_grad(), x.requires_grad(), y.requires_grad()), (grad, grad, grad));
            assert_eq!(y.item(), Some(-5.0));
            assert_eq!(tape.backward(&y).is_ok(), grad);
        }
        assert!(!Tape::<f64>::new().constant(array![1.0].into_dyn()).requires_grad());
    }

    #[test]
    fn gradients_refuse_a_var_of_another_tape() {
        // Both tapes have a node 0: by index alone, `b`'s gradient would be `a`'s.
        let (first, second) = (Tape::<f64>::new(), Tape::<f64>::new());
        let a = first.leaf(array![1.0, 2.0].into_dyn());
        let b = second.leaf(array![5.0, 6.0].into_dyn());
        let mut grads = first.backward(&a.mul(&a).unwrap().sum()).unwrap();
        assert_eq!(grads.wrt(&a).unwrap().unwrap(), &array![2.0, 4.0].into_dyn());
        let err = grads.wrt(&b).unwrap_err();
        assert!(matches!(err, Error::Graph(_)) && err.to_string().contains("another tape"), "{err}");
        assert!(grads.take(&b).is_err());
        assert!(grads.take(&a).unwrap().is_some());
    }
}
