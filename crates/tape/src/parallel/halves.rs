//! Elementwise work on large arrays in two halves, on the calling thread and a helper.

use super::join;

/// Equal-length slices cut together at one element index, for [`join_halves`]: a slice
/// (`&mut [T]` or `&[T]`), or an array, pair or triple of such, whose parts must all have the
/// same length.
pub trait Halves: Send + Sized {
    /// The number of elements (of each slice).
    fn elements(&self) -> usize;
    /// The elements before `mid`, and those from `mid` on.
    fn cut(self, mid: usize) -> (Self, Self);
}

impl<T: Send> Halves for &mut [T] {
    fn elements(&self) -> usize {
        self.len()
    }
    fn cut(self, mid: usize) -> (Self, Self) {
        self.split_at_mut(mid)
    }
}

impl<T: Sync> Halves for &[T] {
    fn elements(&self) -> usize {
        self.len()
    }
    fn cut(self, mid: usize) -> (Self, Self) {
        <[T]>::split_at(self, mid)
    }
}

/// An array of slices, all of the same length (an optimiser's state tensors of a parameter).
impl<H: Halves, const N: usize> Halves for [H; N] {
    fn elements(&self) -> usize {
        let n = self.first().map_or(0, H::elements);
        let same = self.iter().all(|h| h.elements() == n);
        assert!(same, "join_halves: the slices of an array differ in length");
        n
    }
    fn cut(self, mid: usize) -> (Self, Self) {
        // Arrays have no `unzip`: the second halves wait in `rest` while the first are taken.
        let mut rest = [const { None }; N];
        let mut parts = self.into_iter().map(|h| h.cut(mid));
        let first = std::array::from_fn(|i| {
            let (a, b) = parts.next().expect("N parts");
            rest[i] = Some(b);
            a
        });
        (first, rest.map(|b| b.expect("set with its first half")))
    }
}

/// Checks that the parts of a pair or triple have the same length, and returns it.
fn same_length(lengths: &[usize]) -> usize {
    let n = lengths[0];
    assert!(
        lengths.iter().all(|&m| m == n),
        "join_halves: slices of different lengths {lengths:?}"
    );
    n
}

impl<A: Halves, B: Halves> Halves for (A, B) {
    fn elements(&self) -> usize {
        same_length(&[self.0.elements(), self.1.elements()])
    }
    fn cut(self, mid: usize) -> (Self, Self) {
        let ((a0, a1), (b0, b1)) = (self.0.cut(mid), self.1.cut(mid));
        ((a0, b0), (a1, b1))
    }
}

impl<A: Halves, B: Halves, C: Halves> Halves for (A, B, C) {
    fn elements(&self) -> usize {
        same_length(&[self.0.elements(), self.1.elements(), self.2.elements()])
    }
    fn cut(self, mid: usize) -> (Self, Self) {
        let ((a0, a1), (b0, b1), (c0, c1)) = (self.0.cut(mid), self.1.cut(mid), self.2.cut(mid));
        ((a0, b0, c0), (a1, b1, c1))
    }
}

/// Runs `run` on `data`, or, when it has at least `min_elements` elements, on its two halves:
/// the first on the calling thread and the second on a helper thread (see [`join`]).
///
/// For elementwise work outside the tape on large arrays, such as an optimiser's update of a
/// large parameter: `run` must give each element the same result whichever half it is in, so
/// that the split changes no result. Below `min_elements`, waking a helper costs more than it
/// saves.
///
/// ```
/// // w <- w - 0.5 g, on two threads once there are 1000 elements or more.
/// let mut w = vec![1.0f32; 100_001];
/// let g = vec![2.0f32; 100_001];
/// tape::join_halves((&mut w[..], &g[..]), 1000, |(w, g)| {
///     w.iter_mut().zip(g).for_each(|(w, g)| *w -= 0.5 * g);
/// });
/// assert!(w.iter().all(|&x| x == 0.0));
/// ```
///
/// # Panics
/// If the slices in `data` differ in length.
pub fn join_halves<H: Halves>(data: H, min_elements: usize, run: impl Fn(H) + Sync) {
    let n = data.elements();
    if n < min_elements.max(2) {
        return run(data);
    }
    let (first, second) = data.cut(n / 2);
    let run = &run;
    join(move || run(first), move || run(second));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn join_halves_cuts_every_slice_at_the_same_index() {
        let mut w: Vec<u32> = (0..11).collect();
        let mut state = [vec![0u32; 11], vec![0u32; 11]];
        let g: Vec<u32> = (100..111).collect();
        let [s0, s1] = &mut state;
        let seen = Mutex::new(Vec::new());
        join_halves(
            (&mut w[..], &g[..], [&mut s0[..], &mut s1[..]]),
            4,
            |(w, g, [a, b])| {
                seen.lock().unwrap().push(w.len());
                for (((w, g), a), b) in w.iter_mut().zip(g).zip(a).zip(b) {
                    (*a, *b) = (*w, *g);
                    *w += g;
                }
            },
        );
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen, [5, 6], "two halves, the second with the odd element");
        assert_eq!(state[0], (0..11).collect::<Vec<_>>());
        assert_eq!(state[1], g);
        assert!(
            w.iter()
                .zip(&g)
                .enumerate()
                .all(|(i, (&w, &g))| w == i as u32 + g)
        );
        // Below the threshold, one call on the whole.
        let calls = AtomicUsize::new(0);
        join_halves(&mut w[..], 12, |w| {
            assert_eq!(w.len(), 11);
            calls.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(calls.into_inner(), 1);
    }

    #[test]
    #[should_panic(expected = "slices of different lengths")]
    fn join_halves_refuses_slices_of_different_lengths() {
        let (mut w, g) = (vec![0.0f32; 8], vec![0.0f32; 7]);
        join_halves((&mut w[..], &g[..]), 1, |_| {});
    }
}
