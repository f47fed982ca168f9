//! Large buffers reused across training steps.
//!
//! A CNN step on a batch of 512 makes a dozen arrays of 5 to 50 MB (the
//! convolution's unrolled inputs, activations, their gradients). Allocated
//! afresh each step, such blocks come from fresh mmapped pages, and faulting
//! them in cost a third of the CNN's time before this pool existed. Large
//! arrays are instead taken from a small per-thread free list ([`take`],
//! [`Buffer`]) and given back when their tape is dropped ([`give`]), so the
//! pages stay mapped from one step to the next. Small arrays (below
//! [`MIN_LEN`] elements, 32 KiB of `f32`) bypass the pool: malloc serves
//! them well. The MNIST MLP's activations and their gradients (128 × 256
//! values, 128 KiB) are pooled too: allocated each step, they were filled
//! serially before every product overwrote them (a fifteenth of a training
//! step's forward and backward at two threads on the Intel Xeon).
//!
//! Per thread, so that independent runs on rayon workers never contend or
//! share; bounded, so that an idle thread holds at most [`KEEP`] buffers.
//! Reuse never changes a result: every taken buffer is fully overwritten.

use crate::Element;
use ndarray::ArrayD;
use std::any::Any;
use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

/// Most buffers kept per thread; past this the smallest is freed.
const KEEP: usize = 24;

/// Vectors shorter than this are neither taken from nor given to the pool.
pub(crate) const MIN_LEN: usize = 1 << 13;

thread_local! {
    static FREE: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// A `Vec<T>` of fixed length, borrowed from this thread's free list.
pub(crate) struct Buffer<T: Copy + 'static> {
    data: Vec<T>,
}

impl<T: Copy + 'static> Buffer<T> {
    /// A buffer of `len` elements with unspecified (but initialised) contents:
    /// for callers that overwrite every element.
    pub(crate) fn uninit(len: usize, fill: T) -> Self {
        Buffer { data: stale(len, fill) }
    }

    /// A buffer of `len` copies of `value`.
    pub(crate) fn filled(len: usize, value: T) -> Self {
        let mut data = take::<T>(len);
        data.resize(len, value);
        Buffer { data }
    }
}

/// An empty `Vec<T>` with capacity for `len`: the smallest free one that
/// fits, or a new one.
pub(crate) fn take<T: Copy + 'static>(len: usize) -> Vec<T> {
    let mut v = take_raw(len);
    v.clear();
    v
}

/// Like [`take`], but the vector keeps its previous contents.
fn take_raw<T: Copy + 'static>(len: usize) -> Vec<T> {
    if len < MIN_LEN {
        return Vec::with_capacity(len);
    }
    FREE.with(|free| {
        let mut free = free.borrow_mut();
        let best = free
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.downcast_ref::<Vec<T>>().map(|v| (i, v.capacity())))
            .filter(|&(_, cap)| cap >= len)
            .min_by_key(|&(_, cap)| cap)
            .map(|(i, _)| i);
        match best {
            Some(i) => *free.swap_remove(i).downcast::<Vec<T>>().expect("checked type"),
            None => Vec::with_capacity(len),
        }
    })
}

/// A vector of `len` elements from the pool with unspecified (but
/// initialised) contents: whatever a previous user left, or `fill` where the
/// storage is new. For callers that overwrite every element, in parallel
/// where they can, instead of paying for a serial fill first.
pub(crate) fn stale<T: Copy + 'static>(len: usize, fill: T) -> Vec<T> {
    let mut data = take_raw::<T>(len);
    if data.len() > len {
        data.truncate(len);
    } else {
        data.resize(len, fill);
    }
    data
}

/// Bytes of a cache line.
const LINE: usize = 64;

/// A `(rows, cols)` matrix on `data` (at least `rows * cols` values and a
/// cache line's worth more) whose first value starts a cache line: where a
/// product's parallel blocks split `C`'s rows of a multiple of 16 `f32` (the
/// MLP's 256) into halves of columns, each block's columns then start a
/// line, so the two cores never write one line, and each 16-value store
/// stays within a line. From `malloc`, a matrix started 16 or 32 bytes into
/// a line about two times in three. Intel Xeon, MNIST MLP at 2 threads,
/// products' and linear layers' outputs aligned or not, alternated epoch by
/// epoch in one binary, six runs of 21 epochs: epoch -1, -16, -18, -9, -10
/// and -4 ms (se 2-3.5 ms); at one thread -1 ms (se 2.4).
pub(crate) fn line_aligned<T: Element>(data: Vec<T>, rows: usize, cols: usize) -> ndarray::Array2<T> {
    let len = rows * cols;
    assert!(data.len() >= with_room::<T>(len), "room to align");
    let data = ndarray::Array1::from_vec(data);
    // A `Vec<T>` starts on a multiple of `T`'s size, which divides a line.
    let skip = (LINE - data.as_ptr() as usize % LINE) % LINE / std::mem::size_of::<T>();
    data.slice_move(ndarray::s![skip..skip + len]).into_shape_with_order((rows, cols)).expect("contiguous")
}

/// `len` values and a cache line's worth more: the room [`line_aligned`]
/// needs.
fn with_room<T>(len: usize) -> usize {
    len + LINE / std::mem::size_of::<T>()
}

/// A [`line_aligned`] matrix of stale values from this thread's pool (as
/// [`stale`]).
pub(crate) fn stale_matrix<T: Element>(rows: usize, cols: usize) -> ndarray::Array2<T> {
    line_aligned(stale(with_room::<T>(rows * cols), T::zero()), rows, cols)
}

/// A [`line_aligned`] matrix of zeros, newly allocated.
pub(crate) fn zeroed_matrix<T: Element>(rows: usize, cols: usize) -> ndarray::Array2<T> {
    line_aligned(vec![T::zero(); with_room::<T>(rows * cols)], rows, cols)
}

/// Gives an array's storage back to the pool (large ones only).
pub(crate) fn give_array<T: Element>(a: ArrayD<T>) {
    if a.len() >= MIN_LEN {
        give(a.into_raw_vec_and_offset().0);
    }
}

impl<T: Copy + 'static> Drop for Buffer<T> {
    fn drop(&mut self) {
        give(std::mem::take(&mut self.data));
    }
}

/// Puts a vector on this thread's free list (if it is large enough to be
/// worth keeping), freeing the smallest entry when the list is full.
pub(crate) fn give<T: Copy + 'static>(data: Vec<T>) {
    if data.capacity() < MIN_LEN {
        return;
    }
    // During thread teardown the list may already be gone: then just free.
    let _ = FREE.try_with(|free| {
        let mut free = free.borrow_mut();
        free.push(Box::new(data));
        if free.len() > KEEP {
            let smallest = free
                .iter()
                .enumerate()
                .min_by_key(|(_, b)| capacity_bytes(b.as_ref()))
                .map(|(i, _)| i)
                .expect("non-empty");
            free.swap_remove(smallest);
        }
    });
}

/// Bytes held by a free-list entry (f32, f64 and u32 vectors are what it
/// holds).
fn capacity_bytes(b: &dyn Any) -> usize {
    if let Some(v) = b.downcast_ref::<Vec<u32>>() {
        v.capacity() * 4
    } else if let Some(v) = b.downcast_ref::<Vec<f32>>() {
        v.capacity() * 4
    } else if let Some(v) = b.downcast_ref::<Vec<f64>>() {
        v.capacity() * 8
    } else {
        0
    }
}

impl<T: Copy + 'static> Deref for Buffer<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.data
    }
}

impl<T: Copy + 'static> DerefMut for Buffer<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.data
    }
}

#[cfg(test)]
mod tests {
    use super::{give, give_array, line_aligned, stale_matrix, zeroed_matrix, Buffer, LINE, MIN_LEN};

    #[test]
    fn matrices_start_a_cache_line() {
        // Storage from `malloc` starts at various offsets into a line; keep
        // all the buffers alive so that each comes from a new place.
        let mut offsets = std::collections::BTreeSet::new();
        let mut kept = Vec::new();
        for rows in 1..200 {
            let data = vec![7.0f32; rows * 3 + LINE / 4];
            offsets.insert(data.as_ptr() as usize % LINE);
            let m = line_aligned(data, rows, 3);
            assert_eq!(m.as_ptr() as usize % LINE, 0, "f32, {rows} rows");
            assert!(m.dim() == (rows, 3) && m.is_standard_layout() && m.iter().all(|&x| x == 7.0));
            let z = zeroed_matrix::<f64>(rows, 5);
            assert!((z.as_ptr() as usize).is_multiple_of(LINE) && z.dim() == (rows, 5) && z.iter().all(|&x| x == 0.0));
            kept.push((m, z));
        }
        assert!(offsets.len() > 1, "only storage already aligned was seen: {offsets:?}");
        // From the pool, and back to it.
        give(vec![f32::NAN; 300 * 70 + 16]);
        let m = stale_matrix::<f32>(300, 70);
        assert!((m.as_ptr() as usize).is_multiple_of(LINE) && m.dim() == (300, 70) && m.as_slice().is_some());
        give_array(m.into_dyn());
        assert_eq!(stale_matrix::<f32>(300, 70).as_ptr() as usize % LINE, 0);
    }

    #[test]
    fn a_dropped_buffer_is_reused_and_refilled() {
        let ptr = {
            let mut a = Buffer::<f32>::filled(2 * MIN_LEN, 0.0);
            a[3] = 7.0;
            a.as_ptr()
        };
        let b = Buffer::<f32>::filled(MIN_LEN, 1.0);
        assert_eq!(b.as_ptr(), ptr, "storage comes back from the free list");
        assert!(b.iter().all(|&x| x == 1.0) && b.len() == MIN_LEN);
        let c = Buffer::<f64>::uninit(MIN_LEN, 0.0);
        assert_ne!(c.as_ptr() as usize, ptr as usize, "another element type gets its own storage");
        assert_eq!(c.len(), MIN_LEN);
    }
}
