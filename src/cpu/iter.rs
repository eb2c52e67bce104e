//! Strided iteration over N operands of one shape: dimensions ordered by memory and
//! coalesced, so most loops run as one long inner run; split across threads when large.

use crate::shape::Dims;
use rayon::prelude::*;
use smallvec::SmallVec;

/// Elements per task below which a loop stays on one thread.
pub const GRAIN: usize = 32 * 1024;

/// A raw pointer that may cross threads; each task touches disjoint output elements.
#[derive(Clone, Copy)]
pub struct SendPtr<T>(pub *mut T);
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

impl<T> SendPtr<T> {
    /// # Safety
    /// The offset must stay inside the allocation.
    #[inline(always)]
    pub unsafe fn at(self, off: isize) -> *mut T {
        self.0.offset(off)
    }
}

type StrideRow = SmallVec<[isize; 6]>;

pub struct StridedIter<const N: usize> {
    /// Coalesced sizes, innermost last.
    sizes: Dims,
    strides: [StrideRow; N],
}

impl<const N: usize> StridedIter<N> {
    /// Operand 0 leads the dimension order (the output, for kernels that write one).
    pub fn new(sizes: &[usize], strides: [&[isize]; N]) -> Self {
        let nd = sizes.len();
        // Innermost first; the natural order has the last dim innermost.
        let mut perm: SmallVec<[usize; 6]> = (0..nd).rev().collect();
        // Stable insertion sort: a dim moves inward when the first operand that tells them
        // apart has a smaller stride for it (stride-0 broadcasts tell nothing).
        for i in 1..nd {
            let mut j = i;
            while j > 0 && Self::inner_first(&strides, perm[j], perm[j - 1]) {
                perm.swap(j, j - 1);
                j -= 1;
            }
        }
        // perm lists dims innermost first; build outer-to-inner rows, dropping size-1 dims.
        let mut out_sizes: Dims = SmallVec::new();
        let mut out_strides: [StrideRow; N] = std::array::from_fn(|_| SmallVec::new());
        for &d in perm.iter().rev() {
            if sizes[d] == 1 {
                continue;
            }
            out_sizes.push(sizes[d]);
            for k in 0..N {
                out_strides[k].push(strides[k][d]);
            }
        }
        let mut it = StridedIter {
            sizes: out_sizes,
            strides: out_strides,
        };
        it.coalesce();
        it
    }

    /// Whether dim `a` should iterate inside dim `b`.
    fn inner_first(strides: &[&[isize]; N], a: usize, b: usize) -> bool {
        for s in strides.iter() {
            let (sa, sb) = (s[a].abs(), s[b].abs());
            if sa == 0 || sb == 0 || sa == sb {
                continue;
            }
            return sa < sb;
        }
        false
    }

    /// Merge neighbouring dims that every operand walks as one.
    fn coalesce(&mut self) {
        let mut i = self.sizes.len();
        while i > 1 {
            i -= 1;
            let (outer, inner) = (i - 1, i);
            let mergeable = (0..N).all(|k| {
                self.strides[k][outer] == self.strides[k][inner] * self.sizes[inner] as isize
            });
            if mergeable {
                self.sizes[outer] *= self.sizes[inner];
                for k in 0..N {
                    self.strides[k][outer] = self.strides[k][inner];
                }
                self.sizes.remove(inner);
                for k in 0..N {
                    self.strides[k].remove(inner);
                }
            }
        }
    }

    pub fn numel(&self) -> usize {
        self.sizes.iter().product()
    }

    /// Strides of the innermost dim (1-element runs when the shape is empty).
    pub fn inner_strides(&self) -> [isize; N] {
        std::array::from_fn(|k| self.strides[k].last().copied().unwrap_or(0))
    }

    /// Calls `f(offsets, len)` for each inner run covering linear positions `[start, end)`.
    pub fn for_each_run(&self, start: usize, end: usize, mut f: impl FnMut([isize; N], usize)) {
        if start >= end {
            return;
        }
        let nd = self.sizes.len();
        if nd == 0 {
            f([0; N], 1);
            return;
        }
        let inner = self.sizes[nd - 1];
        // Coordinates of `start`.
        let mut idx: SmallVec<[usize; 6]> = SmallVec::from_elem(0, nd);
        let mut rem = start;
        for d in (0..nd).rev() {
            idx[d] = rem % self.sizes[d];
            rem /= self.sizes[d];
        }
        let mut pos = start;
        while pos < end {
            let mut offs = [0isize; N];
            for (k, off) in offs.iter_mut().enumerate() {
                *off = idx
                    .iter()
                    .zip(self.strides[k].iter())
                    .map(|(&i, &s)| i as isize * s)
                    .sum();
            }
            let len = (inner - idx[nd - 1]).min(end - pos);
            f(offs, len);
            pos += len;
            idx[nd - 1] += len;
            // Carry.
            let mut d = nd - 1;
            while idx[d] >= self.sizes[d] && d > 0 {
                idx[d] = 0;
                d -= 1;
                idx[d] += 1;
            }
        }
    }

    /// `for_each_run` over everything, in parallel chunks when large.
    pub fn par_runs(&self, f: impl Fn([isize; N], usize) + Sync) {
        let n = self.numel();
        let threads = rayon::current_num_threads();
        if n < 2 * GRAIN || threads < 2 {
            self.for_each_run(0, n, f);
            return;
        }
        let chunks = (n / GRAIN).min(threads * 4).max(1);
        let per = n.div_ceil(chunks);
        (0..chunks).into_par_iter().for_each(|c| {
            let start = c * per;
            let end = ((c + 1) * per).min(n);
            self.for_each_run(start, end, &f);
        });
    }
}

/// Strides for a new output of `sizes` that follows the memory order of `like`
/// (PyTorch keeps a transposed input's layout in elementwise results). Contiguous when
/// `like` has overlapping or non-dense strides.
pub fn strides_like(sizes: &[usize], like: &[isize]) -> Option<SmallVec<[isize; 6]>> {
    let nd = sizes.len();
    let mut perm: SmallVec<[usize; 6]> = (0..nd).collect();
    // Outermost first: larger stride first; ties keep the natural order.
    perm.sort_by(|&a, &b| like[b].abs().cmp(&like[a].abs()));
    if perm.iter().enumerate().all(|(i, &p)| i == p) {
        return None;
    }
    // Only worth it for a dense, non-overlapping `like`.
    let mut expected = 1isize;
    for &d in perm.iter().rev() {
        if sizes[d] == 1 {
            continue;
        }
        if like[d] != expected {
            return None;
        }
        expected *= sizes[d] as isize;
    }
    let mut strides: SmallVec<[isize; 6]> = SmallVec::from_elem(0, nd);
    let mut acc = 1isize;
    for &d in perm.iter().rev() {
        strides[d] = acc;
        acc *= sizes[d].max(1) as isize;
    }
    Some(strides)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs<const N: usize>(it: &StridedIter<N>, s: usize, e: usize) -> Vec<([isize; N], usize)> {
        let mut v = Vec::new();
        it.for_each_run(s, e, |o, l| v.push((o, l)));
        v
    }

    #[test]
    fn contiguous_coalesces_to_one_run() {
        let it = StridedIter::new(&[2, 3, 4], [&[12, 4, 1], &[12, 4, 1]]);
        assert_eq!(runs(&it, 0, 24), vec![([0, 0], 24)]);
    }

    #[test]
    fn transposed_input_iterates_output_order() {
        // out contiguous (3, 2), input is a (2, 3) tensor transposed: strides (1, 3)
        let it = StridedIter::new(&[3, 2], [&[2, 1], &[1, 3]]);
        let r = runs(&it, 0, 6);
        assert_eq!(r.len(), 3);
        assert_eq!(r[1], ([2, 1], 2));
        assert_eq!(it.inner_strides(), [1, 3]);
    }

    #[test]
    fn partial_ranges_cover_exactly() {
        let it = StridedIter::new(&[3, 5], [&[10, 2]]);
        let mut seen = Vec::new();
        for (s, e) in [(0, 4), (4, 11), (11, 15)] {
            it.for_each_run(s, e, |o, l| {
                for i in 0..l as isize {
                    seen.push(o[0] + i * 2);
                }
            });
        }
        let want: Vec<isize> = (0..3)
            .flat_map(|r| (0..5).map(move |c| r * 10 + c * 2))
            .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn output_layout_follows_transposed_input() {
        assert_eq!(strides_like(&[3, 2], &[1, 3]).unwrap().as_slice(), &[1, 3]);
        assert!(strides_like(&[3, 2], &[2, 1]).is_none());
        assert!(strides_like(&[3, 2], &[0, 1]).is_none());
    }
}
