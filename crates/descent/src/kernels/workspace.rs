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
    use super::{Buffer, MIN_LEN};

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
