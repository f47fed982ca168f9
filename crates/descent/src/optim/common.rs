//! Pieces every optimizer shares: hyperparameter checks, the gradient
//! transform (`maximize`, L2 or decoupled weight decay), `lerp` with torch's
//! rounding, bias correction, state buffers, and the checks on a step's inputs.

use crate::kernels::avx512;
use crate::kernels::join::join_busy;
use crate::kernels::subnormal::GradientF32;
use crate::{Element, Error, Result};
use ndarray::{ArrayD, Zip};
use rayon::prelude::*;

/// Elements per parallel task of an update. Adam's step on the MNIST MLP
/// (269,322 values) took 9 % less time in chunks of 8,192 than of 32,768
/// (thirteen uneven tasks for two threads).
const UPDATE_CHUNK: usize = 1 << 13;

/// Updates of fewer elements in all run on the caller's thread.
const PARALLEL_UPDATE: usize = 1 << 15;

/// One chunk of a parameter, its gradient and its two state buffers.
type Chunk<'s, T> = (((&'s mut [T], &'s [T]), &'s mut [T]), &'s mut [T]);

/// Applies `f(p, g, a, b)` to every element of every parameter `p`, its
/// gradient `g` and its two state buffers `a`, `b` (all of the same shape).
///
/// All the parameters' elements are cut into fixed chunks that rayon's
/// workers share in one parallel call per step (one hand-off per step, not
/// one per parameter): Adam's update was a sixth of an MLP epoch on one thread
/// while the other waited. It is bound by the memory traffic (seven values
/// read or written per element, 7.5 MB per MLP step, more than a core's L2),
/// so two threads gain about a quarter, not half. The chunks come in two
/// lists, the first and the second half of every parameter ([`run_halves`]).
/// Each element is updated alone, so the split never changes a result.
pub(crate) fn update_with_two_buffers<T: Element>(
    params: &mut [&mut ArrayD<T>],
    grads: &[ArrayD<T>],
    a: &mut [ArrayD<T>],
    b: &mut [ArrayD<T>],
    f: impl Fn(&mut T, T, &mut T, &mut T) + Sync,
) {
    let (mut halves, mut elements) = ([Vec::new(), Vec::new()], 0);
    for (((p, g), a), b) in params.iter_mut().zip(grads).zip(a.iter_mut()).zip(b.iter_mut()) {
        let standard = [p.is_standard_layout(), g.is_standard_layout(), a.is_standard_layout(), b.is_standard_layout()];
        if standard.contains(&false) {
            Zip::from(&mut **p).and(g).and(a).and(b).for_each(|p, &g, a, b| f(p, g, a, b));
            continue;
        }
        elements += p.len();
        let slice = "standard layout";
        let (p, g) = (p.as_slice_mut().expect(slice), g.as_slice().expect(slice));
        let (a, b) = (a.as_slice_mut().expect(slice), b.as_slice_mut().expect(slice));
        let half = half_of(p.len());
        let parts = p.chunks_mut(half).zip(g.chunks(half)).zip(a.chunks_mut(half)).zip(b.chunks_mut(half));
        for ((((p, g), a), b), chunks) in parts.zip(&mut halves) {
            let pieces = p.chunks_mut(UPDATE_CHUNK).zip(g.chunks(UPDATE_CHUNK));
            chunks.extend(pieces.zip(a.chunks_mut(UPDATE_CHUNK)).zip(b.chunks_mut(UPDATE_CHUNK)));
        }
    }
    // Compiled for AVX2 too, where the CPU has it (`crate::cpu`).
    run_halves(halves, elements, |chunk: Chunk<'_, T>| crate::kernels::cpu::run(UpdateChunk { chunk, f: &f }));
}

/// An update by one of the `f32` AVX-512 kernels (`kernels::adam`,
/// `kernels::momentum`, `kernels::adadelta`), which compute the general
/// update's bits with subnormal state at full speed: where `T` is `f32`, the
/// CPU has AVX-512 and every parameter, gradient and state buffer is in
/// standard layout, `kernel(p, g, state)` runs on every chunk of them (in
/// the chunks of [`update_with_two_buffers`], in parallel alike) and this
/// returns true; elsewhere it does nothing and returns false, and the
/// caller runs its general update.
pub(crate) fn update_on_avx512<T: Element, const N: usize>(
    params: &mut [&mut ArrayD<T>],
    grads: &[ArrayD<T>],
    state: [&mut [ArrayD<T>]; N],
    kernel: impl Fn(&mut [f32], &[f32], [&mut [f32]; N]) + Sync,
) -> bool {
    let arrays = params.iter().map(|p| &**p).chain(grads).chain(state.iter().flat_map(|s| s.iter()));
    if !avx512::takes::<T>() || !arrays.into_iter().all(ArrayD::is_standard_layout) {
        return false;
    }
    let elements = params.iter().map(|p| p.len()).sum();
    let mut buffers = state.map(|s| s.iter_mut());
    let mut halves = [Vec::new(), Vec::new()];
    for (p, g) in params.iter_mut().zip(grads) {
        let g = avx512::as_f32(g.as_slice().expect("standard layout"));
        let half = half_of(p.len());
        let mut parts =
            buffers.each_mut().map(|b| f32_values(b.next().expect("a buffer per parameter")).chunks_mut(half));
        for ((p, g), chunks) in f32_values(p).chunks_mut(half).zip(g.chunks(half)).zip(&mut halves) {
            let mut pieces = parts
                .each_mut()
                .map(|b| b.next().expect("a buffer's half per parameter half").chunks_mut(UPDATE_CHUNK));
            for (p, g) in p.chunks_mut(UPDATE_CHUNK).zip(g.chunks(UPDATE_CHUNK)) {
                chunks.push((p, g, pieces.each_mut().map(|b| b.next().expect("a buffer's chunk per parameter chunk"))));
            }
        }
    }
    run_halves(halves, elements, |(p, g, state)| kernel(p, g, state));
    true
}

/// A standard-layout array's values as `f32` (`T` must be `f32`).
fn f32_values<T: Element>(a: &mut ArrayD<T>) -> &mut [f32] {
    avx512::as_f32_mut(a.as_slice_mut().expect("standard layout"))
}

/// The length of the first half of a buffer of `len` values (at least 1, as
/// `chunks` needs).
fn half_of(len: usize) -> usize {
    len.div_ceil(2).max(1)
}

/// Runs `f` on every chunk of an update of `elements` values in all, given
/// as the chunks of the first halves of the parameters and those of the
/// second halves: in parallel above [`PARALLEL_UPDATE`], the first halves
/// started by the caller's thread and the second by another worker (which
/// helps the caller's half when done; the caller, done first, waits for the
/// other half by spinning: [`join_busy`]), on the caller's thread below.
///
/// Why halves: the products that make a weight's gradient (`G^T X`, in two
/// blocks of its rows) and read the weight forward (`X W^T`, in two blocks
/// of its rows) each run their first block on the caller's thread and the
/// second on the other worker, so a weight's first half, its gradient's and
/// its state's stay in the caches of the core that uses them. One list of
/// chunks that both workers took from as they came moved halves between
/// cores at every step. Intel Xeon, MNIST MLP at 2 threads, the two
/// alternated epoch by epoch in one run (three runs of 21 epochs): the
/// optimizer's step 0.093-0.099 -> 0.074-0.080 s an epoch, the epoch 18-20 ms
/// shorter.
fn run_halves<C: Send>(halves: [Vec<C>; 2], elements: usize, f: impl Fn(C) + Sync) {
    let [first, second] = halves;
    if elements > PARALLEL_UPDATE {
        join_busy(|| first.into_par_iter().for_each(&f), || second.into_par_iter().for_each(&f));
    } else {
        first.into_iter().chain(second).for_each(&f);
    }
}

/// One chunk's update, as a loop that `crate::cpu` compiles for AVX2 too.
struct UpdateChunk<'s, T, F> {
    chunk: Chunk<'s, T>,
    f: &'s F,
}

impl<T: Element, F: Fn(&mut T, T, &mut T, &mut T)> crate::kernels::cpu::Kernel for UpdateChunk<'_, T, F> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let (((p, g), a), b) = self.chunk;
        for (((p, &g), a), b) in p.iter_mut().zip(g).zip(a.iter_mut()).zip(b.iter_mut()) {
            (self.f)(p, g, a, b);
        }
    }
}

/// `lr` must be finite and non-negative.
pub(crate) fn check_lr(op: &'static str, lr: f64) -> Result<()> {
    if lr.is_finite() && lr >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(op, "lr", format!("the learning rate must be finite and >= 0, got {lr}")))
    }
}

/// A coefficient in `[0, 1)`: betas, momentum of the EMA form.
pub(crate) fn check_unit_open(op: &'static str, name: &'static str, value: f64) -> Result<()> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(op, name, format!("must be in [0, 1), got {value}")))
    }
}

/// A coefficient in `[0, 1]`: rho, alpha, dampening.
pub(crate) fn check_unit_closed(op: &'static str, name: &'static str, value: f64) -> Result<()> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(op, name, format!("must be in [0, 1], got {value}")))
    }
}

/// A strictly positive, finite value: eps.
pub(crate) fn check_positive(op: &'static str, name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(op, name, format!("must be finite and > 0, got {value}")))
    }
}

/// A finite value `>= 0`: weight decay, momentum, lr_decay, accumulators.
pub(crate) fn check_non_negative(op: &'static str, name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(op, name, format!("must be finite and >= 0, got {value}")))
    }
}

/// What every optimizer does to a raw gradient before its own update:
/// `g <- -g` when maximizing, then `g <- g + weight_decay * theta` (L2, the
/// "coupled" decay of torch's `weight_decay`). Decoupled decay (AdamW) is
/// applied to the parameter instead, by [`decay_parameters`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct GradTransform<T> {
    maximize: bool,
    /// `lambda` of the L2 term; zero when decay is off or decoupled.
    l2: T,
}

impl<T: Element> GradTransform<T> {
    pub(crate) fn new(maximize: bool, weight_decay: f64, decoupled: bool) -> Self {
        GradTransform { maximize, l2: T::of(if decoupled { 0.0 } else { weight_decay }) }
    }

    /// The same transform in `f32`, for the AVX-512 kernels' constants.
    pub(crate) fn in_f32(&self) -> GradientF32 {
        GradientF32 { maximize: self.maximize, l2: self.l2.as_f64() as f32 }
    }

    /// The gradient the update uses, in torch's order of operations.
    #[inline(always)]
    pub(crate) fn apply(&self, grad: T, param: T) -> T {
        let g = if self.maximize { -grad } else { grad };
        if self.l2 == T::zero() {
            g
        } else {
            g + self.l2 * param
        }
    }
}

/// Decoupled weight decay (Loshchilov & Hutter): `theta <- theta (1 - lr lambda)`.
pub(crate) fn decay_parameters<T: Element>(params: &mut [&mut ArrayD<T>], lr: f64, weight_decay: f64) {
    if weight_decay != 0.0 {
        let factor = T::of(1.0 - lr * weight_decay);
        for p in params.iter_mut() {
            p.map_inplace(|x| *x *= factor);
        }
    }
}

/// `torch.lerp(start, end, weight)` with torch's two-sided formula, so an
/// EMA `m <- beta m + (1 - beta) g` rounds exactly as torch's `exp_avg.lerp_`.
#[inline(always)]
pub(crate) fn lerp<T: Element>(start: T, end: T, weight: T) -> T {
    if weight.abs() < T::of(0.5) {
        start + weight * (end - start)
    } else {
        end - (end - start) * (T::one() - weight)
    }
}

/// Where `eps` goes in a root-mean-square denominator: torch adds it to the
/// root, the seeds (000's RMSprop, Zeiler's Adadelta) inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpsPlacement {
    /// `sqrt(v) + eps` (torch's RMSprop, Adam).
    #[default]
    OutsideRoot,
    /// `sqrt(v + eps)` (seed 000's RMSprop; Adadelta everywhere).
    InsideRoot,
}

impl EpsPlacement {
    /// The denominator `sqrt(v) + eps` or `sqrt(v + eps)`.
    #[inline(always)]
    pub(crate) fn denom<T: Element>(self, v: T, eps: T) -> T {
        match self {
            EpsPlacement::OutsideRoot => v.sqrt() + eps,
            EpsPlacement::InsideRoot => (v + eps).sqrt(),
        }
    }
}

/// `1 - beta^t`: the bias correction of an EMA started at zero (Adam, section 3).
pub(crate) fn bias_correction(beta: f64, step: u64) -> f64 {
    1.0 - beta.powf(step as f64)
}

/// Buffers shaped like the parameters, filled with `value`.
pub(crate) fn buffers_like<T: Element>(params: &[&mut ArrayD<T>], value: f64) -> Vec<ArrayD<T>> {
    params.iter().map(|p| ArrayD::from_elem(p.raw_dim(), T::of(value))).collect()
}

/// Checks a step's inputs before anything is touched: as many gradients as
/// parameters, equal shapes, shapes equal to the state's (when there is
/// state), and finite gradients. On error nothing has been updated.
///
/// Policy on non-finite gradients: the step is refused with an error naming
/// the parameter, and parameters and state stay as they were, so a NaN never
/// spreads silently into the optimizer's state; the training loop records
/// the run as diverged.
pub(crate) fn check_step<T: Element>(
    op: &'static str,
    params: &[&mut ArrayD<T>],
    grads: &[ArrayD<T>],
    state: Option<&[ArrayD<T>]>,
) -> Result<()> {
    if params.len() != grads.len() {
        return Err(Error::invalid(op, "grads", format!("{} parameters but {} gradients", params.len(), grads.len())));
    }
    if let Some(state) = state {
        if state.len() != params.len() {
            return Err(Error::invalid(
                op,
                "params",
                format!("the optimizer's state holds {} parameters, this step passes {}", state.len(), params.len()),
            ));
        }
    }
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        if p.shape() != g.shape() {
            return Err(Error::shape(op, p.shape(), g.shape(), format!("parameter {i} and its gradient differ")));
        }
        if let Some(s) = state.map(|s| &s[i]) {
            if s.shape() != p.shape() {
                return Err(Error::shape(
                    op,
                    p.shape(),
                    s.shape(),
                    format!("parameter {i} and its optimizer state differ"),
                ));
            }
        }
        if !all_finite(g) {
            return Err(Error::NonFiniteGradient { op, index: i });
        }
    }
    Ok(())
}

/// True when every element is finite; a buffer of more than
/// [`PARALLEL_UPDATE`] values, as [`run_halves`] decides, in two halves in
/// parallel, as the update takes them ([`join_busy`]; the check reads every
/// gradient before the update reads it again, and on one core it was a
/// fortieth of an MLP step at two threads).
fn all_finite<T: Element>(a: &ArrayD<T>) -> bool {
    let Some(slice) = a.as_slice_memory_order() else {
        return a.iter().all(|x| x.is_finite());
    };
    if slice.len() > PARALLEL_UPDATE {
        let (first, second) = slice.split_at(half_of(slice.len()));
        let (first, second) = join_busy(|| finite_values(first), || finite_values(second));
        first && second
    } else {
        finite_values(slice)
    }
}

/// True when every value is finite. `x - x` is 0 for finite `x` and NaN for
/// NaN or inf, so summing it checks a whole buffer without a branch; 32
/// independent sums (four AVX2 vectors of `f32`) let the loop run at the
/// rate the values arrive instead of waiting on each addition: with eight,
/// on one SSE vector, the check took a twentieth of an MLP step at two
/// threads. Compiled for AVX2 too, where the CPU has it (`crate::cpu`).
fn finite_values<T: Element>(slice: &[T]) -> bool {
    crate::kernels::cpu::run(FiniteValues(slice))
}

/// [`finite_values`]' loop.
struct FiniteValues<'s, T>(&'s [T]);

impl<T: Element> crate::kernels::cpu::Kernel for FiniteValues<'_, T> {
    type Output = bool;
    #[inline(always)]
    fn run(self) -> bool {
        #[allow(clippy::eq_op)] // x - x is the point: 0, or NaN for a non-finite x
        fn residue<T: Element>(x: T) -> T {
            x - x
        }
        let mut lanes = [T::zero(); 32];
        let chunks = self.0.chunks_exact(32);
        let tail = chunks.remainder().iter().fold(T::zero(), |acc, &x| acc + residue(x));
        for chunk in chunks {
            for (lane, &x) in lanes.iter_mut().zip(chunk) {
                *lane += residue(x);
            }
        }
        lanes.iter().fold(tail, |acc, &lane| acc + lane) == T::zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr1, IxDyn};

    /// Large parameters go in parallel chunks, small ones and a transposed
    /// (non-standard) one on this thread: every element gets exactly what a
    /// plain loop over each parameter gives it. The chunks run the AVX2 copy
    /// of the loop where the CPU has it (`crate::cpu`), the plain loop
    /// (ndarray's `Zip`) is baseline code: so this also checks that the two
    /// copies agree bit for bit.
    #[test]
    fn two_buffer_updates_equal_a_plain_loop_bit_for_bit() {
        let f = |p: &mut f32, g: f32, a: &mut f32, b: &mut f32| {
            *a = *a * 0.9 + g;
            *b = *b * 0.999 + g * g;
            *p -= 1e-3 * *a / (b.sqrt() + 1e-8);
        };
        let filled = |shape: &[usize], seed: usize| {
            let n = shape.iter().product::<usize>();
            let values = (0..n).map(|k| ((k * 7919 + seed * 104_729) % 1000) as f32 * 1e-3 - 0.5).collect();
            ArrayD::from_shape_vec(IxDyn(shape), values).expect("sizes agree")
        };
        let shapes: [&[usize]; 4] = [&[256, 784], &[256], &[3], &[70_000]];
        let mut params: Vec<ArrayD<f32>> = shapes.iter().map(|s| filled(s, 1)).collect();
        params.push(filled(&[40, 30], 2).reversed_axes()); // column-major
        let grads: Vec<ArrayD<f32>> = params.iter().map(|p| filled(p.shape(), 3)).collect();
        let (mut a, mut b): (Vec<_>, Vec<_>) =
            params.iter().map(|p| (filled(p.shape(), 4), filled(p.shape(), 5))).unzip();
        let (mut want, mut want_a, mut want_b) = (params.clone(), a.clone(), b.clone());
        for step in 0..3 {
            let mut refs: Vec<&mut ArrayD<f32>> = params.iter_mut().collect();
            update_with_two_buffers(&mut refs, &grads, &mut a, &mut b, f);
            for (((p, g), a), b) in want.iter_mut().zip(&grads).zip(&mut want_a).zip(&mut want_b) {
                Zip::from(p).and(g).and(a).and(b).for_each(|p, &g, a, b| f(p, g, a, b));
            }
            for (got, want) in [(&params, &want), (&a, &want_a), (&b, &want_b)] {
                for (got, want) in got.iter().zip(want.iter()) {
                    assert!(got.iter().zip(want.iter()).all(|(x, y)| x.to_bits() == y.to_bits()), "step {step}");
                }
            }
        }
    }

    /// Every optimizer whose update is compiled for AVX2 too takes the same
    /// steps, bit for bit, with the baseline copy forced.
    #[test]
    fn avx2_and_baseline_updates_take_the_same_steps() {
        let _switch = crate::kernels::cpu::baseline_switch();
        let n = 100_000;
        let start = ArrayD::from_shape_vec(IxDyn(&[n]), (0..n).map(|k| ((k * 31) % 997) as f32 * 1e-3 - 0.4).collect())
            .expect("size");
        let grad = start.mapv(|v| (v * 7.0).sin() * 1e-2 + 1e-4);
        for name in ["adam", "adamw", "nadam", "radam", "adamax", "adadelta"] {
            let run = |baseline: bool| {
                crate::kernels::cpu::force_baseline(baseline);
                let mut optimizer = crate::optim::by_name::<f32>(name, None).expect("known optimizer");
                let mut param = start.clone();
                for _ in 0..5 {
                    optimizer.step(&mut [&mut param], std::slice::from_ref(&grad)).expect("finite step");
                }
                crate::kernels::cpu::force_baseline(false);
                param
            };
            let (fast, baseline) = (run(false), run(true));
            assert!(fast.iter().zip(&baseline).all(|(a, b)| a.to_bits() == b.to_bits()), "{name}");
            assert!(fast.iter().zip(&start).any(|(a, b)| a != b), "{name} moved");
        }
    }

    #[test]
    fn lerp_matches_both_branches_of_torch() {
        assert_eq!(lerp(1.0_f64, 3.0, 0.25), 1.0 + 0.25 * 2.0);
        assert_eq!(lerp(1.0_f64, 3.0, 0.75), 3.0 - 2.0 * 0.25);
    }

    #[test]
    fn non_finite_values_are_found_anywhere() {
        // Both copies of the loop, the AVX2 one and the baseline one.
        let _switch = crate::kernels::cpu::baseline_switch();
        for baseline in [false, true] {
            crate::kernels::cpu::force_baseline(baseline);
            non_finite_values_are_found_anywhere_by_this_copy();
        }
        crate::kernels::cpu::force_baseline(false);
    }

    fn non_finite_values_are_found_anywhere_by_this_copy() {
        assert!(all_finite(&arr1(&[1.0_f32, -2.0, 3e38]).into_dyn()));
        assert!(all_finite(&ArrayD::<f64>::from_elem(ndarray::IxDyn(&[100]), f64::MAX)));
        let mut a = ArrayD::<f64>::zeros(ndarray::IxDyn(&[100]));
        a[[70]] = f64::NAN;
        assert!(!all_finite(&a));
        // Small buffers on this thread, large ones in two halves in
        // parallel: at the start, at the halves' boundary, at the end.
        for len in [1000, PARALLEL_UPDATE + 77] {
            assert!(all_finite(&ArrayD::<f32>::ones(ndarray::IxDyn(&[len]))));
            for at in [0, 737, len / 2, len - 1] {
                for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                    let mut a = ArrayD::<f32>::zeros(ndarray::IxDyn(&[len]));
                    a[[at]] = bad;
                    assert!(!all_finite(&a), "{bad} at {at} of {len} not found");
                }
            }
        }
    }
}
