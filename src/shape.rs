//! Sizes, strides, broadcasting and dimension wrapping.

use crate::error::{Error, Result};
use smallvec::SmallVec;

/// Sizes of a tensor; six dimensions live inline, more spill to the heap.
pub type Dims = SmallVec<[usize; 6]>;
/// Strides in elements (may be 0 for expanded dimensions).
pub type Strides = SmallVec<[isize; 6]>;

pub fn numel(sizes: &[usize]) -> usize {
    sizes.iter().product()
}

/// Row-major strides of a contiguous tensor with these sizes.
pub fn contiguous_strides(sizes: &[usize]) -> Strides {
    let mut strides: Strides = SmallVec::from_elem(0, sizes.len());
    let mut acc = 1isize;
    for i in (0..sizes.len()).rev() {
        strides[i] = acc;
        acc *= sizes[i].max(1) as isize;
    }
    strides
}

/// `[2, 3]` formatting used in PyTorch's messages.
pub fn fmt_sizes(sizes: &[usize]) -> String {
    let parts: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Broadcast two shapes (numpy rules) with PyTorch's error message.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Dims> {
    let n = a.len().max(b.len());
    let mut out: Dims = SmallVec::from_elem(0, n);
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::runtime(format!(
                "The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {i}"
            )));
        };
    }
    Ok(out)
}

/// Broadcast any number of shapes.
pub fn broadcast_all(shapes: &[&[usize]]) -> Result<Dims> {
    let mut out: Dims = SmallVec::new();
    for s in shapes {
        out = broadcast_shapes(&out, s)?;
    }
    Ok(out)
}

/// Wrap a possibly negative dim into `0..ndim` (a 0-dim tensor accepts -1 and 0).
pub fn wrap_dim(dim: i64, ndim: usize) -> Result<usize> {
    let n = ndim.max(1) as i64;
    if dim < -n || dim >= n {
        return Err(Error::index(format!(
            "Dimension out of range (expected to be in range of [{}, {}], but got {})",
            -n,
            n - 1,
            dim
        )));
    }
    Ok(if dim < 0 {
        (dim + n) as usize
    } else {
        dim as usize
    })
}

/// Resolve a requested shape with at most one `-1` against a number of elements.
pub fn infer_size(shape: &[i64], numel: usize) -> Result<Dims> {
    let mut out: Dims = SmallVec::with_capacity(shape.len());
    let mut infer_at = None;
    let mut known = 1usize;
    for (i, &s) in shape.iter().enumerate() {
        if s == -1 {
            if infer_at.is_some() {
                return Err(Error::runtime("only one dimension can be inferred"));
            }
            infer_at = Some(i);
            out.push(1);
        } else if s < 0 {
            return Err(Error::runtime(format!("invalid shape dimension {s}")));
        } else {
            known = known.saturating_mul(s as usize);
            out.push(s as usize);
        }
    }
    let bad = || {
        let parts: Vec<String> = shape.iter().map(|s| s.to_string()).collect();
        Error::runtime(format!(
            "shape '[{}]' is invalid for input of size {}",
            parts.join(", "),
            numel
        ))
    };
    match infer_at {
        Some(i) => {
            if known == 0 || numel % known != 0 {
                return Err(bad());
            }
            out[i] = numel / known;
        }
        None => {
            if known != numel {
                return Err(bad());
            }
        }
    }
    Ok(out)
}

/// Check user-given sizes (no negatives) and convert them.
pub fn check_sizes(sizes: &[i64]) -> Result<Dims> {
    // Bytes must stay addressable for the widest dtype (8 bytes), as PyTorch checks.
    let fits = sizes
        .iter()
        .try_fold(8i64, |acc, &s| acc.checked_mul(s.max(0)))
        .is_some();
    if !fits {
        return Err(Error::runtime(format!(
            "Storage size calculation overflowed with sizes={sizes:?}"
        )));
    }
    sizes
        .iter()
        .map(|&s| {
            if s < 0 {
                Err(Error::runtime(format!(
                    "Trying to create tensor with negative dimension {s}: {:?}",
                    sizes
                )))
            } else {
                Ok(s as usize)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting() {
        assert_eq!(broadcast_shapes(&[3, 1], &[4]).unwrap().as_slice(), &[3, 4]);
        assert_eq!(broadcast_shapes(&[], &[2, 3]).unwrap().as_slice(), &[2, 3]);
        let e = broadcast_shapes(&[2, 3], &[2, 4]).unwrap_err();
        assert_eq!(
            e.message,
            "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"
        );
    }

    #[test]
    fn dims_wrap_and_fail() {
        assert_eq!(wrap_dim(-1, 3).unwrap(), 2);
        assert_eq!(wrap_dim(0, 0).unwrap(), 0);
        assert!(wrap_dim(3, 3).is_err());
        assert!(wrap_dim(-4, 3).is_err());
    }

    #[test]
    fn inferred_sizes() {
        assert_eq!(infer_size(&[-1, 5], 10).unwrap().as_slice(), &[2, 5]);
        assert!(infer_size(&[-1, -1], 10).is_err());
        assert!(infer_size(&[3, -1], 10).is_err());
        assert!(infer_size(&[2, 4], 10).is_err());
        assert_eq!(infer_size(&[0, -1], 0).is_err(), true);
    }

    #[test]
    fn strides() {
        assert_eq!(contiguous_strides(&[2, 3, 4]).as_slice(), &[12, 4, 1]);
        assert_eq!(contiguous_strides(&[]).as_slice(), &[] as &[isize]);
    }
}
