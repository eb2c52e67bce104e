//! Operators: each checks shapes and dtypes, dispatches to a kernel and records its
//! backward beside its forward.

pub mod binary;
pub mod copy;
pub mod creation;
pub mod index;
pub mod join;
pub mod linalg;
pub mod matmul;
pub mod nn;
pub mod optim;
pub mod pointwise;
pub mod products;
pub mod random;
pub mod reduce;
pub mod shape;
pub mod sort;
pub mod unary;

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::storage::Storage;
use crate::tensor::Tensor;
use std::sync::Arc;

/// `t` viewed with `sizes` by broadcasting (stride 0 on new and size-1 dims).
pub(crate) fn broadcast_to(t: &Tensor, sizes: &[usize]) -> Result<Tensor> {
    if t.sizes() == sizes {
        return Ok(t.clone());
    }
    let target: Vec<i64> = sizes.iter().map(|&s| s as i64).collect();
    Ok(t.with_layout(t.layout().expand(&target)?))
}

/// A fresh output of `sizes` laid out like the first operand of the same shape (PyTorch
/// keeps a transposed input's memory order in elementwise results).
pub(crate) fn new_output(sizes: &[usize], dtype: DType, like: &[&Tensor]) -> Tensor {
    try_new_output(sizes, dtype, like).unwrap_or_else(|e| panic!("{e}"))
}

/// `new_output` for results whose size the user controls (broadcasting can make them huge):
/// out-of-memory is an error.
pub(crate) fn try_new_output(sizes: &[usize], dtype: DType, like: &[&Tensor]) -> Result<Tensor> {
    for t in like {
        if t.sizes() == sizes && !t.is_contiguous() && !t.is_wrapped_number() {
            if let Some(strides) = crate::cpu::iter::strides_like(sizes, t.strides()) {
                let n: usize = sizes.iter().product();
                let storage = Arc::new(Storage::try_new_cpu(
                    n * dtype.size(),
                    dtype == DType::Bool,
                )?);
                let layout = Layout {
                    sizes: sizes.into(),
                    strides,
                    offset: 0,
                };
                return Ok(Tensor::from_parts(storage, layout, dtype));
            }
            break;
        }
    }
    // try_empty zero-fills bools: never hand out bytes that are not 0 or 1 as bools.
    Tensor::try_empty(sizes, dtype)
}

/// Convert without recording history (kernel inputs that need another dtype).
pub(crate) fn cast(t: &Tensor, dtype: DType) -> Tensor {
    if t.dtype() == dtype {
        return t.clone();
    }
    if t.ndim() == 0 {
        return Tensor::scalar(t.get_flat(0), dtype);
    }
    let out = new_output(t.sizes(), dtype, &[t]);
    crate::cpu::copy::copy_cast(&out, t);
    out
}

/// Errors for writes into memory that cannot take them.
pub(crate) fn check_writable(t: &Tensor) -> Result<()> {
    if !t.storage().is_writable() {
        return Err(Error::runtime(
            "cannot write into a tensor whose memory is read-only (from a non-writeable numpy array)",
        ));
    }
    if t.layout().has_internal_overlap() {
        return Err(Error::runtime(
            "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.",
        ));
    }
    Ok(())
}

/// In-place results must be castable to the destination's dtype.
pub(crate) fn check_inplace_dtype(result: DType, dst: DType) -> Result<()> {
    if !crate::dtype::can_cast(result, dst) {
        return Err(Error::runtime(format!(
            "result type {} can't be cast to the desired output type {}",
            capitalized(result),
            capitalized(dst)
        )));
    }
    Ok(())
}

/// PyTorch's ScalarType names in messages (`Float`, `Long`, ...).
pub(crate) fn capitalized(d: DType) -> &'static str {
    match d {
        DType::Bool => "Bool",
        DType::U8 => "Byte",
        DType::I8 => "Char",
        DType::I16 => "Short",
        DType::I32 => "Int",
        DType::I64 => "Long",
        DType::F16 => "Half",
        DType::BF16 => "BFloat16",
        DType::F32 => "Float",
        DType::F64 => "Double",
    }
}

/// Whether two tensors' storage ranges intersect.
pub(crate) fn may_overlap(a: &Tensor, b: &Tensor) -> bool {
    if !a.shares_storage(b) {
        return false;
    }
    let (sa, sb) = (a.dtype().size(), b.dtype().size());
    let (alo, ahi) = a.layout().storage_span();
    let (blo, bhi) = b.layout().storage_span();
    alo * sa < bhi * sb && blo * sb < ahi * sa
}

/// Whether `a` and `b` are exactly the same elements (an in-place op reading its target).
pub(crate) fn same_elements(a: &Tensor, b: &Tensor) -> bool {
    a.shares_storage(b) && a.layout() == b.layout() && a.dtype() == b.dtype()
}
