//! How a tensor's elements sit in its storage: sizes, strides and offset, and every view
//! transform. Only metadata changes here, never data.

use crate::error::{Error, Result};
use crate::shape::{contiguous_strides, numel, wrap_dim, Dims, Strides};
use smallvec::SmallVec;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub sizes: Dims,
    pub strides: Strides,
    /// In elements from the start of the storage.
    pub offset: usize,
}

impl Layout {
    pub fn contiguous(sizes: &[usize]) -> Layout {
        Layout {
            sizes: SmallVec::from_slice(sizes),
            strides: contiguous_strides(sizes),
            offset: 0,
        }
    }

    pub fn ndim(&self) -> usize {
        self.sizes.len()
    }

    pub fn numel(&self) -> usize {
        numel(&self.sizes)
    }

    /// PyTorch's rule: row-major with strides of size-1 dimensions ignored.
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1isize;
        for i in (0..self.ndim()).rev() {
            let s = self.sizes[i];
            if s == 0 {
                return true;
            }
            if s != 1 {
                if self.strides[i] != expected {
                    return false;
                }
                expected *= s as isize;
            }
        }
        true
    }

    /// The range of storage elements `[lo, hi)` this layout can touch (empty for 0 elements).
    pub fn storage_span(&self) -> (usize, usize) {
        if self.numel() == 0 {
            return (self.offset, self.offset);
        }
        let mut lo = self.offset as isize;
        let mut hi = self.offset as isize;
        for (&s, &st) in self.sizes.iter().zip(self.strides.iter()) {
            let reach = (s as isize - 1) * st;
            if reach < 0 {
                lo += reach;
            } else {
                hi += reach;
            }
        }
        (lo as usize, hi as usize + 1)
    }

    /// True when distinct indices can map to the same element (an expanded dimension, say).
    pub fn has_internal_overlap(&self) -> bool {
        if self
            .sizes
            .iter()
            .zip(self.strides.iter())
            .any(|(&s, &st)| s > 1 && st == 0)
        {
            return true;
        }
        // Sort dims by stride; each stride must clear the extent of the smaller ones.
        let mut dims: SmallVec<[(usize, isize); 6]> = self
            .sizes
            .iter()
            .zip(self.strides.iter())
            .filter(|(&s, _)| s > 1)
            .map(|(&s, &st)| (s, st.abs()))
            .collect();
        dims.sort_by_key(|&(_, st)| st);
        let mut extent = 0isize;
        for (s, st) in dims {
            if st <= extent {
                return true;
            }
            extent += (s as isize - 1) * st;
        }
        false
    }

    pub fn transpose(&self, d0: usize, d1: usize) -> Layout {
        let mut l = self.clone();
        l.sizes.swap(d0, d1);
        l.strides.swap(d0, d1);
        l
    }

    pub fn permute(&self, dims: &[usize]) -> Result<Layout> {
        let n = self.ndim();
        if dims.len() != n {
            return Err(Error::runtime(format!(
                "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal to len(dims) = {}",
                dims.len()
            )));
        }
        let mut seen: SmallVec<[bool; 6]> = SmallVec::from_elem(false, n);
        for &d in dims {
            if seen[d] {
                return Err(Error::runtime("permute(): duplicate dims are not allowed."));
            }
            seen[d] = true;
        }
        Ok(Layout {
            sizes: dims.iter().map(|&d| self.sizes[d]).collect(),
            strides: dims.iter().map(|&d| self.strides[d]).collect(),
            offset: self.offset,
        })
    }

    pub fn narrow(&self, dim: usize, start: usize, length: usize) -> Result<Layout> {
        let size = self.sizes[dim];
        if start > size || length > size - start {
            return Err(Error::runtime(format!(
                "start ({start}) + length ({length}) exceeds dimension size ({size})."
            )));
        }
        let mut l = self.clone();
        l.offset = (l.offset as isize + start as isize * l.strides[dim]) as usize;
        l.sizes[dim] = length;
        Ok(l)
    }

    /// Basic slicing with Python's clamping of start/end; `step` must be positive.
    pub fn slice(&self, dim: usize, start: i64, end: i64, step: i64) -> Result<Layout> {
        if step <= 0 {
            return Err(Error::value("step must be greater than zero"));
        }
        let size = self.sizes[dim] as i64;
        let clamp = |v: i64| {
            let v = if v < 0 { v + size } else { v };
            v.clamp(0, size)
        };
        let (s, e) = (clamp(start), clamp(end));
        let len = if e > s { (e - s + step - 1) / step } else { 0 };
        let mut l = self.clone();
        if len > 0 {
            l.offset = (l.offset as isize + s as isize * l.strides[dim]) as usize;
        }
        l.sizes[dim] = len as usize;
        l.strides[dim] *= step as isize;
        Ok(l)
    }

    pub fn select(&self, dim: usize, index: i64) -> Result<Layout> {
        let size = self.sizes[dim] as i64;
        if index < -size || index >= size {
            return Err(Error::index(format!(
                "index {index} is out of bounds for dimension {dim} with size {size}"
            )));
        }
        let i = if index < 0 { index + size } else { index };
        let mut l = self.clone();
        l.offset = (l.offset as isize + i as isize * l.strides[dim]) as usize;
        l.sizes.remove(dim);
        l.strides.remove(dim);
        Ok(l)
    }

    pub fn unsqueeze(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        let stride = if dim < self.ndim() {
            self.strides[dim] * self.sizes[dim].max(1) as isize
        } else {
            1
        };
        l.sizes.insert(dim, 1);
        l.strides.insert(dim, stride);
        l
    }

    /// Remove the given size-1 dims (all of them when `dims` is None); other dims stay.
    pub fn squeeze(&self, dims: Option<&[usize]>) -> Layout {
        let mut l = Layout {
            sizes: SmallVec::new(),
            strides: SmallVec::new(),
            offset: self.offset,
        };
        for i in 0..self.ndim() {
            let drop = self.sizes[i] == 1 && dims.is_none_or(|ds| ds.contains(&i));
            if !drop {
                l.sizes.push(self.sizes[i]);
                l.strides.push(self.strides[i]);
            }
        }
        l
    }

    /// `expand`: sizes of -1 keep the dim; new leading dims and size-1 dims get stride 0.
    pub fn expand(&self, sizes: &[i64]) -> Result<Layout> {
        let n = sizes.len();
        let m = self.ndim();
        if n < m {
            return Err(Error::runtime(format!(
                "expand(size=[{}] of a tensor of shape [{}]): the number of sizes provided ({n}) must be greater or equal to the number of dimensions in the tensor ({m})",
                sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
                self.sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
            )));
        }
        let mut out = Layout {
            sizes: SmallVec::from_elem(0, n),
            strides: SmallVec::from_elem(0, n),
            offset: self.offset,
        };
        for i in (0..n).rev() {
            let target = sizes[i];
            if i + m >= n {
                let j = i + m - n;
                let (cur, st) = (self.sizes[j], self.strides[j]);
                if target == -1 || target as usize == cur {
                    out.sizes[i] = cur;
                    out.strides[i] = st;
                } else if cur == 1 && target >= 0 {
                    out.sizes[i] = target as usize;
                    out.strides[i] = 0;
                } else {
                    return Err(Error::runtime(format!(
                        "The expanded size of the tensor ({target}) must match the existing size ({cur}) at non-singleton dimension {i}.  Target sizes: [{}].  Tensor sizes: [{}]",
                        sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
                        self.sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
                    )));
                }
            } else {
                if target < 0 {
                    return Err(Error::runtime(format!(
                        "The expanded size of the tensor ({target}) isn't allowed in a leading, non-existing dimension {i}"
                    )));
                }
                out.sizes[i] = target as usize;
                out.strides[i] = 0;
            }
        }
        if out
            .sizes
            .iter()
            .try_fold(1i64, |acc, &s| acc.checked_mul(s as i64))
            .is_none()
        {
            return Err(Error::runtime("numel: integer multiplication overflow"));
        }
        Ok(out)
    }

    /// A view with new sizes over the same elements, if the strides allow one
    /// (PyTorch's `view` rule); None when a copy would be needed.
    pub fn view(&self, new_sizes: &[usize]) -> Option<Layout> {
        if self.is_contiguous() {
            return Some(Layout {
                sizes: SmallVec::from_slice(new_sizes),
                strides: contiguous_strides(new_sizes),
                offset: self.offset,
            });
        }
        let n = self.numel();
        if n == 0 {
            return Some(Layout {
                sizes: SmallVec::from_slice(new_sizes),
                strides: contiguous_strides(new_sizes),
                offset: self.offset,
            });
        }
        // Walk old dims from the back, grouping runs that are contiguous with each other;
        // each group must be produced exactly by a run of new dims.
        let mut new_strides: Strides = SmallVec::from_elem(0, new_sizes.len());
        let mut view_d = new_sizes.len() as isize - 1;
        let mut chunk_base_stride = *self.strides.last().unwrap_or(&1);
        let mut tensor_numel = 1usize;
        let mut view_numel = 1usize;
        for d in (0..self.ndim()).rev() {
            tensor_numel *= self.sizes[d];
            let chunk_ends = d == 0
                || (self.sizes[d - 1] != 1
                    && self.strides[d - 1] != tensor_numel as isize * chunk_base_stride);
            if chunk_ends {
                while view_d >= 0 && (view_numel < tensor_numel || new_sizes[view_d as usize] == 1)
                {
                    new_strides[view_d as usize] = view_numel as isize * chunk_base_stride;
                    view_numel *= new_sizes[view_d as usize];
                    view_d -= 1;
                }
                if view_numel != tensor_numel {
                    return None;
                }
                if d > 0 {
                    chunk_base_stride = self.strides[d - 1];
                    tensor_numel = 1;
                    view_numel = 1;
                }
            }
        }
        if view_d != -1 {
            return None;
        }
        Some(Layout {
            sizes: SmallVec::from_slice(new_sizes),
            strides: new_strides,
            offset: self.offset,
        })
    }

    /// `unfold(dim, size, step)`: a new last dim of windows.
    pub fn unfold(&self, dim: usize, size: usize, step: usize) -> Result<Layout> {
        let cur = if self.ndim() == 0 { 1 } else { self.sizes[dim] };
        if size > cur {
            return Err(Error::runtime(format!(
                "maximum size for tensor at dimension {dim} is {cur} but size is {size}"
            )));
        }
        if step == 0 {
            return Err(Error::runtime("step is 0 but must be > 0"));
        }
        let mut l = self.clone();
        if self.ndim() == 0 {
            l.sizes.push(size);
            l.strides.push(1);
            return Ok(l);
        }
        let st = self.strides[dim];
        l.sizes[dim] = (cur - size) / step + 1;
        l.strides[dim] = st * step as isize;
        l.sizes.push(size);
        l.strides.push(st);
        Ok(l)
    }

    /// The diagonal of two dims as a new last dim.
    pub fn diagonal(&self, offset: i64, d1: usize, d2: usize) -> Result<Layout> {
        if d1 == d2 {
            return Err(Error::runtime(format!(
                "diagonal dimensions cannot be identical {d1}, {d2}"
            )));
        }
        let (s1, s2) = (self.sizes[d1] as i64, self.sizes[d2] as i64);
        let (len, start) = if offset >= 0 {
            (
                (s1).min(s2 - offset).max(0),
                offset * self.strides[d2] as i64,
            )
        } else {
            (
                (s1 + offset).min(s2).max(0),
                -offset * self.strides[d1] as i64,
            )
        };
        let mut l = self.clone();
        if len > 0 {
            l.offset = (l.offset as i64 + start) as usize;
        }
        let stride = self.strides[d1] + self.strides[d2];
        let (a, b) = if d1 > d2 { (d1, d2) } else { (d2, d1) };
        l.sizes.remove(a);
        l.strides.remove(a);
        l.sizes.remove(b);
        l.strides.remove(b);
        l.sizes.push(len as usize);
        l.strides.push(stride);
        Ok(l)
    }
}

/// Wrap a list of possibly negative dims, rejecting repeats.
pub fn wrap_dims(dims: &[i64], ndim: usize) -> Result<SmallVec<[usize; 6]>> {
    let mut out: SmallVec<[usize; 6]> = SmallVec::new();
    for &d in dims {
        let w = wrap_dim(d, ndim)?;
        if out.contains(&w) {
            return Err(Error::runtime(format!(
                "dim {w} appears multiple times in the list of dims"
            )));
        }
        out.push(w);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguity() {
        let l = Layout::contiguous(&[2, 3]);
        assert!(l.is_contiguous());
        assert!(!l.transpose(0, 1).is_contiguous());
        let one = Layout {
            sizes: SmallVec::from_slice(&[1, 3]),
            strides: SmallVec::from_slice(&[99, 1]),
            offset: 0,
        };
        assert!(one.is_contiguous());
    }

    #[test]
    fn views_of_non_contiguous() {
        // A (4, 6) slice [:, :3] of width-6 rows: merging the two dims is impossible...
        let l = Layout::contiguous(&[4, 6]).slice(1, 0, 3, 1).unwrap();
        assert!(l.view(&[12]).is_none());
        // ...but splitting a dim is fine.
        let v = l.view(&[2, 2, 3]).unwrap();
        assert_eq!(v.strides.as_slice(), &[12, 6, 1]);
        // The transpose of a matrix cannot be flattened without a copy.
        assert!(Layout::contiguous(&[3, 4])
            .transpose(0, 1)
            .view(&[12])
            .is_none());
        let t = Layout::contiguous(&[3, 4]).transpose(0, 1);
        let u = t.view(&[4, 3, 1]).unwrap();
        assert_eq!(&u.strides[..2], &[1, 4]);
    }

    #[test]
    fn slicing_and_select() {
        let l = Layout::contiguous(&[10]);
        let s = l.slice(0, 1, 8, 3).unwrap();
        assert_eq!((s.sizes[0], s.strides[0], s.offset), (3, 3, 1));
        let e = l.slice(0, 5, 2, 1).unwrap();
        assert_eq!(e.sizes[0], 0);
        assert!(l.select(0, 10).is_err());
        assert_eq!(l.select(0, -1).unwrap().offset, 9);
    }

    #[test]
    fn overlap_detection() {
        let l = Layout::contiguous(&[3]).expand(&[2, 3]).unwrap();
        assert!(l.has_internal_overlap());
        assert!(!Layout::contiguous(&[2, 3])
            .transpose(0, 1)
            .has_internal_overlap());
        let win = Layout::contiguous(&[5]).unfold(0, 3, 1).unwrap();
        assert!(win.has_internal_overlap());
    }

    #[test]
    fn diagonal_views() {
        let l = Layout::contiguous(&[3, 4]);
        let d = l.diagonal(1, 0, 1).unwrap();
        assert_eq!((d.sizes[0], d.strides[0], d.offset), (3, 5, 1));
        let d = l.diagonal(-1, 0, 1).unwrap();
        assert_eq!((d.sizes[0], d.strides[0], d.offset), (2, 5, 4));
    }
}
