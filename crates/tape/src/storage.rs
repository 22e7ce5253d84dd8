//! Tensor storage: tiny tensors live inline, larger ones in pooled, shared heap buffers.
//!
//! Why a pool: a training step creates and drops the same set of buffers every time. Returning
//! each dropped buffer to a per-thread pool (bucketed by capacity) means that after one warm-up
//! step the engine stops calling the allocator altogether.

use std::mem::ManuallyDrop;
use std::sync::Arc;

use crate::Float;

/// Tensors with at most this many elements are stored inline: the scalar path never allocates.
pub(crate) const INLINE: usize = 4;

/// Buffers pooled per capacity bucket, beyond which dropped buffers are freed.
const MAX_PER_BUCKET: usize = 64;

/// A per-thread free list of heap buffers, bucketed by `floor(log2(capacity))`.
#[doc(hidden)]
pub struct Pool<T> {
    buckets: Vec<Vec<Arc<Vec<T>>>>,
    /// Scratch for the matrix product's packed panels of A and B: kept across calls.
    packed_a: Vec<T>,
    packed_b: Vec<T>,
}

impl<T: Float> Pool<T> {
    pub(crate) const fn new() -> Self {
        Pool {
            buckets: Vec::new(),
            packed_a: Vec::new(),
            packed_b: Vec::new(),
        }
    }

    /// This thread's two packing buffers, for the matrix product.
    pub(crate) fn pack_space(&mut self) -> (&mut Vec<T>, &mut Vec<T>) {
        (&mut self.packed_a, &mut self.packed_b)
    }

    /// A uniquely owned, empty buffer with capacity for at least `len` elements.
    fn take(&mut self, len: usize) -> Option<Arc<Vec<T>>> {
        let lo = bucket(len);
        // The bucket of `len` itself holds buffers on both sides of `len`: take the smallest
        // that fits. One bucket up, every buffer fits; going further would waste memory.
        if let Some(b) = self.buckets.get_mut(lo) {
            let best = b
                .iter()
                .enumerate()
                .filter(|(_, a)| a.capacity() >= len)
                .min_by_key(|(_, a)| a.capacity())
                .map(|(i, _)| i);
            if let Some(i) = best {
                return Some(b.swap_remove(i));
            }
        }
        self.buckets.get_mut(lo + 1).and_then(|b| b.pop())
    }

    fn give(&mut self, buf: Arc<Vec<T>>) -> Option<Arc<Vec<T>>> {
        let k = bucket(buf.capacity());
        if self.buckets.len() <= k {
            self.buckets.resize_with(k + 1, Vec::new);
        }
        let b = &mut self.buckets[k];
        if b.len() >= MAX_PER_BUCKET {
            return Some(buf);
        }
        if b.capacity() == b.len() {
            // Growing the free list itself would allocate; reserve generously once.
            b.reserve(MAX_PER_BUCKET);
        }
        b.push(buf);
        None
    }
}

fn bucket(n: usize) -> usize {
    (usize::BITS - 1 - n.max(1).leading_zeros()) as usize
}

/// Drops every pooled buffer of this thread for element type `T`, returning memory to the system.
pub fn clear_pool<T: Float>() {
    let _ = T::pool().try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            p.buckets.clear();
            p.packed_a = Vec::new();
            p.packed_b = Vec::new();
        }
    });
}

/// A shared heap buffer that returns itself to the pool when its last owner drops it.
pub(crate) struct Buffer<T: Float>(ManuallyDrop<Arc<Vec<T>>>);

impl<T: Float> Buffer<T> {
    /// An empty buffer with room for `len` elements, from the pool when possible.
    pub(crate) fn with_capacity(len: usize) -> Self {
        Self::recycled(len, |v| v.clear())
    }

    /// A uniquely owned vector with room for `len`, from the pool when possible, prepared
    /// by `prepare`.
    fn recycled(len: usize, prepare: impl FnOnce(&mut Vec<T>)) -> Self {
        let pooled = T::pool()
            .try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.take(len)))
            .ok()
            .flatten();
        let mut arc = pooled.unwrap_or_else(|| Arc::new(Vec::with_capacity(len)));
        prepare(Arc::get_mut(&mut arc).expect("pooled buffers are uniquely owned"));
        Buffer(ManuallyDrop::new(arc))
    }

    /// A buffer of exactly `len` elements whose values are unspecified: whatever a recycled
    /// buffer held (zeros past its old length). For kernels that overwrite every element, so
    /// they skip a fill pass over memory they are about to write anyway.
    pub(crate) fn stale(len: usize) -> Self {
        Self::recycled(len, |v| {
            v.truncate(len);
            v.resize(len, T::ZERO);
        })
    }

    pub(crate) fn from_vec(v: Vec<T>) -> Self {
        Buffer(ManuallyDrop::new(Arc::new(v)))
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        self.0.as_slice()
    }

    /// The vector itself, when this is its only owner.
    pub(crate) fn unique_vec(&mut self) -> Option<&mut Vec<T>> {
        Arc::get_mut(&mut self.0)
    }

    pub(crate) fn is_unique(&self) -> bool {
        Arc::strong_count(&self.0) == 1
    }
}

impl<T: Float> Clone for Buffer<T> {
    fn clone(&self) -> Self {
        Buffer(ManuallyDrop::new(Arc::clone(&self.0)))
    }
}

impl<T: Float> Drop for Buffer<T> {
    fn drop(&mut self) {
        // SAFETY: `self.0` is never used again after this take.
        let arc = unsafe { ManuallyDrop::take(&mut self.0) };
        if Arc::strong_count(&arc) != 1 || arc.capacity() == 0 {
            return;
        }
        let mut slot = Some(arc);
        let _ = T::pool().try_with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                slot = p.give(slot.take().expect("filled above"));
            }
        });
        // Whatever the pool refused (or could not take during thread teardown) is freed here.
        drop(slot);
    }
}

/// Where a tensor's elements live.
#[derive(Clone)]
pub(crate) enum Storage<T: Float> {
    Inline { len: u8, data: [T; INLINE] },
    Heap(Buffer<T>),
}

impl<T: Float> Storage<T> {
    /// Storage of `len` elements filled from `iter`, which must yield exactly `len` items.
    #[inline]
    pub(crate) fn collect(len: usize, iter: impl Iterator<Item = T>) -> Self {
        if len <= INLINE {
            let mut data = [T::ZERO; INLINE];
            let mut n = 0;
            for (d, x) in data.iter_mut().zip(iter) {
                *d = x;
                n += 1;
            }
            debug_assert_eq!(n, len);
            Storage::Inline {
                len: len as u8,
                data,
            }
        } else {
            let mut buf = Buffer::with_capacity(len);
            let v = buf.unique_vec().expect("fresh buffers are unique");
            v.extend(iter);
            debug_assert_eq!(v.len(), len);
            Storage::Heap(buf)
        }
    }

    /// Heap storage of `len > INLINE` elements pushed by `fill` into an empty pooled buffer.
    pub(crate) fn build(len: usize, fill: impl FnOnce(&mut Vec<T>)) -> Self {
        debug_assert!(len > INLINE);
        let mut buf = Buffer::with_capacity(len);
        let v = buf.unique_vec().expect("fresh buffers are unique");
        fill(v);
        assert_eq!(
            v.len(),
            len,
            "a kernel produced the wrong number of elements"
        );
        Storage::Heap(buf)
    }

    /// `len` elements of unspecified value, for a kernel that overwrites them all.
    pub(crate) fn stale(len: usize) -> Self {
        if len <= INLINE {
            return Self::filled(len, T::ZERO);
        }
        Storage::Heap(Buffer::stale(len))
    }

    /// `len` copies of `value`.
    #[inline]
    pub(crate) fn filled(len: usize, value: T) -> Self {
        if len <= INLINE {
            return Storage::Inline {
                len: len as u8,
                data: [value; INLINE],
            };
        }
        Self::collect(len, std::iter::repeat_n(value, len))
    }

    pub(crate) fn from_vec(v: Vec<T>) -> Self {
        if v.len() <= INLINE {
            let len = v.len();
            Self::collect(len, v.into_iter())
        } else {
            Storage::Heap(Buffer::from_vec(v))
        }
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        match self {
            Storage::Inline { len, data } => &data[..*len as usize],
            Storage::Heap(b) => b.as_slice(),
        }
    }

    /// Mutable access, copying the elements first if the buffer is shared (copy on write).
    pub(crate) fn make_mut(&mut self) -> &mut [T] {
        if let Storage::Heap(b) = self
            && !b.is_unique()
        {
            let copy = Self::collect(b.as_slice().len(), b.as_slice().iter().copied());
            *self = copy;
        }
        match self {
            Storage::Inline { len, data } => &mut data[..*len as usize],
            Storage::Heap(b) => b.unique_vec().expect("made unique above").as_mut_slice(),
        }
    }

    pub(crate) fn is_shared(&self) -> bool {
        matches!(self, Storage::Heap(b) if !b.is_unique())
    }
}
