//! What the training loop trains on: a [`Dataset`] gives the inputs and the
//! targets of any set of examples.

use super::models::InputLayout;
use crate::data::MnistSplit;
use crate::Element;
use ndarray::{Array2, ArrayD, Axis, IxDyn};
use rayon::prelude::*;
use std::borrow::Cow;

/// The targets of a batch.
#[derive(Debug, Clone)]
pub enum Targets<T> {
    /// Class indices (softmax cross-entropy; accuracy is reported).
    Classes(Vec<usize>),
    /// Real values shaped like the model's output (mean squared error).
    Values(ArrayD<T>),
}

/// A set of examples the training loop can batch.
pub trait Dataset<T: Element>: Sync {
    /// Number of examples.
    fn len(&self) -> usize;
    /// True when there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The inputs of the examples `indices`, batch first.
    fn inputs(&self, indices: &[usize]) -> ArrayD<T>;
    /// Their targets.
    fn targets(&self, indices: &[usize]) -> Targets<T>;
    /// The inputs of `indices` as [`inputs`](Dataset::inputs) gives them,
    /// written a few examples at a time by whoever calls
    /// [`InputParts::write`], so that the training loop can have an idle
    /// thread build the next batch's; `None` (the default) where a dataset
    /// builds its inputs only whole (only the crate's own datasets write
    /// parts).
    fn inputs_in_parts(&self, indices: &[usize]) -> Option<InputParts<'_, T>> {
        let _ = indices;
        None
    }
}

/// Writes the input of one example as a row of a batch. Crate-private:
/// [`InputParts`] takes the rows `write_row` wrote as initialised, which
/// an implementation outside the crate could not be trusted with.
pub(crate) trait InputRows<T>: Sync {
    /// Values per example.
    fn row_len(&self) -> usize;
    /// The shape of a batch of `n` examples.
    fn batch_shape(&self, n: usize) -> Vec<usize>;
    /// Writes every one of the `row_len` values of `out`: example `i`'s
    /// input, after asking the CPU for example `ahead`'s, to be written soon.
    fn write_row(&self, i: usize, ahead: Option<usize>, out: &mut [std::mem::MaybeUninit<T>]);
}

/// A batch's inputs being written a few examples at a time, in order
/// ([`Dataset::inputs_in_parts`]).
pub struct InputParts<'d, T> {
    rows: &'d dyn InputRows<T>,
    indices: Vec<usize>,
    /// Room for every example's row; the first `done` rows are written.
    data: Vec<T>,
    done: usize,
}

impl<'d, T> InputParts<'d, T> {
    /// The inputs of `indices`, nothing written yet.
    pub(crate) fn new(rows: &'d dyn InputRows<T>, indices: &[usize]) -> Self {
        let data = Vec::with_capacity(indices.len() * rows.row_len());
        InputParts { rows, indices: indices.to_vec(), data, done: 0 }
    }

    /// The examples these are the inputs of.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// Writes up to `examples` more rows; false once every row is written.
    pub fn write(&mut self, examples: usize) -> bool {
        let len = self.rows.row_len();
        let end = (self.done + examples).min(self.indices.len());
        if self.done == end {
            return false;
        }
        let spare = &mut self.data.spare_capacity_mut()[..(end - self.done) * len];
        for (k, out) in (self.done..end).zip(spare.chunks_exact_mut(len)) {
            let ahead = self.indices.get(k + PREFETCH_ROWS).copied();
            self.rows.write_row(self.indices[k], ahead, out);
        }
        self.done = end;
        // SAFETY: rows 0 .. end are written, `len` values each: this call's
        // from `done` on, the earlier ones before; within the capacity
        // (`indices.len() * len`).
        unsafe { self.data.set_len(end * len) };
        true
    }

    /// The batch, its remaining rows written first.
    pub fn finish(mut self) -> ArrayD<T> {
        while self.write(self.indices.len()) {}
        let shape = self.rows.batch_shape(self.indices.len());
        ArrayD::from_shape_vec(IxDyn(&shape), self.data).expect("sizes agree")
    }
}

/// MNIST images scaled to [0, 1], in the layout a model expects.
pub struct MnistData<'a> {
    split: &'a MnistSplit,
    layout: InputLayout,
}

impl<'a> MnistData<'a> {
    /// Wraps a split for a model with `layout`.
    pub fn new(split: &'a MnistSplit, layout: InputLayout) -> Self {
        MnistData { split, layout }
    }
}

impl<T: Element> Dataset<T> for MnistData<'_> {
    fn len(&self) -> usize {
        self.split.len()
    }

    fn inputs(&self, indices: &[usize]) -> ArrayD<T> {
        let pixels = InputRows::<T>::row_len(self);
        // Written once each: no zero-fill first. Bands of rows go in
        // parallel (a batch of the MLP's took 60 µs on one core, the other
        // idle).
        let len = indices.len() * pixels;
        let mut data = Vec::with_capacity(len);
        let spare = &mut data.spare_capacity_mut()[..len];
        spare.par_chunks_mut(BAND_ROWS * pixels).zip(indices.par_chunks(BAND_ROWS)).for_each(|(band, indices)| {
            for (k, (out, &i)) in band.chunks_exact_mut(pixels).zip(indices).enumerate() {
                self.write_row(i, indices.get(k + PREFETCH_ROWS).copied(), out);
            }
        });
        // SAFETY: the bands cover the first `len` elements, each band's rows
        // (`pixels` values each, one per index) wrote every one of them.
        unsafe { data.set_len(len) };
        let shape = InputRows::<T>::batch_shape(self, indices.len());
        ArrayD::from_shape_vec(IxDyn(&shape), data).expect("sizes agree")
    }

    fn inputs_in_parts(&self, indices: &[usize]) -> Option<InputParts<'_, T>> {
        Some(InputParts::new(self, indices))
    }

    fn targets(&self, indices: &[usize]) -> Targets<T> {
        Targets::Classes(indices.iter().map(|&i| self.split.labels[i] as usize).collect())
    }
}

impl<T: Element> InputRows<T> for MnistData<'_> {
    fn row_len(&self) -> usize {
        self.split.rows * self.split.cols
    }

    fn batch_shape(&self, n: usize) -> Vec<usize> {
        match self.layout {
            InputLayout::Flat => vec![n, self.split.rows * self.split.cols],
            InputLayout::Image => vec![n, 1, self.split.rows, self.split.cols],
        }
    }

    /// Each grey level's value is `T::of(p) * T::of(1/255)`, from the
    /// image's contiguous row (a loaded split is row-major; a row of any
    /// other layout is copied out first).
    fn write_row(&self, i: usize, ahead: Option<usize>, out: &mut [std::mem::MaybeUninit<T>]) {
        if let Some(ahead) = ahead {
            prefetch_row(&self.split.images.row(ahead));
        }
        let row = self.split.images.row(i);
        let row = row.as_slice().map_or_else(|| Cow::Owned(row.to_vec()), Cow::Borrowed);
        crate::kernels::cpu::run(GreyLevels { out, row: &row, scale: T::of(1.0 / 255.0) });
    }
}

/// A row of grey levels `p` as `T::of(p) * scale` into `out`, as a loop that
/// `crate::cpu` compiles for AVX2 too (a level is exact in `T`, so each value
/// is one rounding of the product, whichever copy runs).
struct GreyLevels<'s, T> {
    out: &'s mut [std::mem::MaybeUninit<T>],
    row: &'s [u8],
    scale: T,
}

impl<T: Element> crate::kernels::cpu::Kernel for GreyLevels<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        for (o, &p) in self.out.iter_mut().zip(self.row) {
            o.write(T::of(f64::from(p)) * self.scale);
        }
    }
}

/// Rows of a batch copied by one rayon task.
const BAND_ROWS: usize = 32;

/// Rows ahead of the one being copied whose image is fetched meanwhile.
/// A shuffled batch reads rows from all over the split (47 MB for MNIST's
/// training images), so each row's first bytes come from memory; copying a
/// batch of MNIST's MLP waited on them for about 100 µs, a tenth of a
/// training step at two threads. Prefetched, several rows are on their way
/// at once.
const PREFETCH_ROWS: usize = 4;

/// Asks the CPU to bring `row` into its caches (a hint: no values change).
fn prefetch_row(row: &ndarray::ArrayView1<'_, u8>) {
    #[cfg(target_arch = "x86_64")]
    if let Some(bytes) = row.as_slice() {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        for line in bytes.chunks(64) {
            // SAFETY: `line` points into a live slice; prefetching never
            // faults and SSE is part of every x86-64 CPU.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// A regression set: rows of `x`, targets `y` as a column.
pub struct RegressionData<T> {
    x: Array2<T>,
    y: Array2<T>,
}

impl<T: Element> RegressionData<T> {
    /// From f64 data (converted to `T`).
    pub fn new(x: &Array2<f64>, y: &ndarray::Array1<f64>) -> Self {
        RegressionData { x: x.mapv(T::of), y: y.mapv(T::of).insert_axis(Axis(1)) }
    }
}

impl<T: Element> Dataset<T> for RegressionData<T> {
    fn len(&self) -> usize {
        self.x.nrows()
    }

    fn inputs(&self, indices: &[usize]) -> ArrayD<T> {
        self.x.select(Axis(0), indices).into_dyn()
    }

    fn targets(&self, indices: &[usize]) -> Targets<T> {
        Targets::Values(self.y.select(Axis(0), indices).into_dyn())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn a_dataset_without_parts_says_so_and_parts_end() {
        let x = Array2::from_shape_fn((4, 3), |(i, j)| (i * 3 + j) as f64);
        let data = RegressionData::<f32>::new(&x, &ndarray::Array1::zeros(4));
        assert!(data.inputs_in_parts(&[0, 1]).is_none(), "RegressionData builds its inputs whole");
        let split = MnistSplit { images: Array2::zeros((3, 4)), labels: vec![0; 3], rows: 2, cols: 2 };
        let mnist = MnistData::new(&split, InputLayout::Flat);
        let mut parts = Dataset::<f32>::inputs_in_parts(&mnist, &[2, 0]).expect("parts");
        assert!(parts.write(1) && parts.write(5), "one example, then the other");
        assert!(!parts.write(1), "nothing left to write");
        assert_eq!(parts.finish().shape(), &[2, 4]);
        let empty = Dataset::<f32>::inputs_in_parts(&mnist, &[]).expect("parts");
        assert_eq!(empty.finish().shape(), &[0, 4]);
    }

    /// Each pixel is `T::of(p) * T::of(1/255)`, bit for bit, in both input
    /// layouts and from images stored row-major or column-major: every grey
    /// level, in rows of 4 and of 40 pixels (longer than a vector of the
    /// AVX2 copy, with a partial last one), through both copies of the
    /// conversion's loop.
    #[test]
    fn mnist_inputs_are_the_scaled_grey_levels_bit_for_bit() {
        let _switch = crate::kernels::cpu::baseline_switch();
        for baseline in [false, true] {
            crate::kernels::cpu::force_baseline(baseline);
            for (rows, cols) in [(2, 2), (5, 8)] {
                scaled_grey_levels(rows, cols);
            }
        }
        crate::kernels::cpu::force_baseline(false);
    }

    fn scaled_grey_levels(rows: usize, cols: usize) {
        let pixels = rows * cols;
        let images = Array2::from_shape_fn((256, pixels), |(i, j)| ((i + 61 * j) % 256) as u8);
        // The same images stored column-major: rows that are not contiguous.
        let column_major = images.t().as_standard_layout().into_owned().reversed_axes();
        assert!(column_major.row(0).as_slice().is_none());
        // Repeats, and more rows than two bands of BAND_ROWS (the last partial).
        let indices: Vec<usize> = [255, 0, 17, 17, 128].into_iter().chain((0..70).map(|k| k * 37 % 256)).collect();
        for stored in [images.clone(), column_major] {
            let split = MnistSplit { images: stored, labels: vec![0; 256], rows, cols };
            for layout in [InputLayout::Flat, InputLayout::Image] {
                let data = MnistData::new(&split, layout);
                let x32: ArrayD<f32> = data.inputs(&indices);
                let x64: ArrayD<f64> = data.inputs(&indices);
                // Written a few examples at a time, in parts of any size (as
                // the training loop's helper does), the same values.
                for part in [1, 3, 4, 32, 1000] {
                    let mut parts = Dataset::<f32>::inputs_in_parts(&data, &indices).expect("MNIST writes parts");
                    assert_eq!(parts.indices(), &indices[..]);
                    for _ in 0..5 {
                        assert!(parts.write(part) || part * 5 > indices.len());
                    }
                    let whole = parts.finish();
                    assert_eq!(whole.shape(), x32.shape(), "parts of {part}");
                    let bits = |x: &ArrayD<f32>| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&whole), bits(&x32), "parts of {part}");
                }
                let n = indices.len();
                let want_shape: &[usize] = if layout == InputLayout::Flat { &[n, pixels] } else { &[n, 1, rows, cols] };
                assert_eq!(x32.shape(), want_shape);
                for (k, &i) in indices.iter().enumerate() {
                    for j in 0..pixels {
                        let p = images[[i, j]] as f64;
                        assert_eq!(
                            x32.as_slice().unwrap()[k * pixels + j].to_bits(),
                            (f32::of(p) * f32::of(1.0 / 255.0)).to_bits()
                        );
                        assert_eq!(x64.as_slice().unwrap()[k * pixels + j].to_bits(), (p * (1.0 / 255.0)).to_bits());
                    }
                }
            }
        }
    }
}
