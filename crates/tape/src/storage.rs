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

    /// Moves this thread's two packing buffers (for A and for B) out, leaving empty ones.
    pub(crate) fn take_pack_space(&mut self) -> (Vec<T>, Vec<T>) {
        (
            std::mem::take(&mut self.packed_a),
            std::mem::take(&mut self.packed_b),
        )
    }

    /// Puts the packing buffers back, keeping the larger of each pair.
    pub(crate) fn return_pack_space(&mut self, a: Vec<T>, b: Vec<T>) {
        if a.capacity() > self.packed_a.capacity() {
            self.packed_a = a;
        }
        if b.capacity() > self.packed_b.capacity() {
            self.packed_b = b;
        }
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
///
/// The elements start at a 64-byte boundary, `start` elements into the vector: the allocator
/// aligns to 16 bytes, and a 32-byte vector load from an address 16 bytes off straddles two
/// cache lines every other time, which costs Zen 3 load bandwidth (a load-bound loop ran a
/// third slower). The vector holds the `start` unused elements first.
pub(crate) struct Buffer<T: Float> {
    vec: ManuallyDrop<Arc<Vec<T>>>,
    start: usize,
}

/// Room for the alignment offset: at most this many elements precede a buffer's first.
pub(crate) const fn alignment_room<T>() -> usize {
    64 / size_of::<T>()
}

/// How many elements into `v` its first 64-byte boundary lies (below `alignment_room`).
pub(crate) fn aligned_start<T>(v: &[T]) -> usize {
    v.as_ptr().align_offset(64).min(alignment_room::<T>())
}

impl<T: Float> Buffer<T> {
    /// A buffer with room for `len` elements and none yet (the vector holds only the
    /// alignment offset), from the pool when possible.
    pub(crate) fn with_capacity(len: usize) -> Self {
        Self::recycled(len, |v, start| {
            v.clear();
            v.resize(start, T::ZERO);
        })
    }

    /// A uniquely owned vector with room for `len` elements after its alignment offset, from
    /// the pool when possible, prepared by `prepare(vec, start)`.
    fn recycled(len: usize, prepare: impl FnOnce(&mut Vec<T>, usize)) -> Self {
        let room = len + alignment_room::<T>();
        let pooled = T::pool()
            .try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.take(room)))
            .ok()
            .flatten();
        let mut arc = pooled.unwrap_or_else(|| Arc::new(Vec::with_capacity(room)));
        let v = Arc::get_mut(&mut arc).expect("pooled buffers are uniquely owned");
        let start = aligned_start(v);
        prepare(v, start);
        Buffer {
            vec: ManuallyDrop::new(arc),
            start,
        }
    }

    /// A buffer of exactly `len` elements whose values are unspecified: whatever a recycled
    /// buffer held (zeros past its old length). For kernels that overwrite every element, so
    /// they skip a fill pass over memory they are about to write anyway.
    pub(crate) fn stale(len: usize) -> Self {
        Self::recycled(len, |v, start| {
            v.truncate(start + len);
            v.resize(start + len, T::ZERO);
        })
    }

    pub(crate) fn from_vec(v: Vec<T>) -> Self {
        Buffer {
            vec: ManuallyDrop::new(Arc::new(v)),
            start: 0,
        }
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        &self.vec[self.start..]
    }

    /// The vector itself (alignment offset first), when this is its only owner.
    pub(crate) fn unique_vec(&mut self) -> Option<&mut Vec<T>> {
        Arc::get_mut(&mut self.vec)
    }

    /// The elements, when this is the vector's only owner.
    fn unique_slice(&mut self) -> Option<&mut [T]> {
        let start = self.start;
        Arc::get_mut(&mut self.vec).map(|v| &mut v[start..])
    }

    /// How many elements precede the first in [`Buffer::unique_vec`].
    pub(crate) fn start(&self) -> usize {
        self.start
    }

    pub(crate) fn is_unique(&self) -> bool {
        Arc::strong_count(&self.vec) == 1
    }
}

impl<T: Float> Clone for Buffer<T> {
    fn clone(&self) -> Self {
        Buffer {
            vec: ManuallyDrop::new(Arc::clone(&self.vec)),
            start: self.start,
        }
    }
}

impl<T: Float> Drop for Buffer<T> {
    fn drop(&mut self) {
        // SAFETY: `self.vec` is never used again after this take.
        let arc = unsafe { ManuallyDrop::take(&mut self.vec) };
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
            let start = buf.start();
            let v = buf.unique_vec().expect("fresh buffers are unique");
            v.extend(iter);
            debug_assert_eq!(v.len(), start + len);
            Storage::Heap(buf)
        }
    }

    /// Heap storage of `len > INLINE` elements pushed by `fill` onto a pooled vector, after
    /// the alignment offset it already holds (`fill` must not remove it).
    pub(crate) fn build(len: usize, fill: impl FnOnce(&mut Vec<T>)) -> Self {
        debug_assert!(len > INLINE);
        let mut buf = Buffer::with_capacity(len);
        let start = buf.start();
        let v = buf.unique_vec().expect("fresh buffers are unique");
        fill(v);
        assert_eq!(
            v.len(),
            start + len,
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
            Storage::Heap(b) => b.unique_slice().expect("made unique above"),
        }
    }

    pub(crate) fn is_shared(&self) -> bool {
        matches!(self, Storage::Heap(b) if !b.is_unique())
    }
}
