//! Copies between layouts and dtypes.

use super::elementwise::map1;
use crate::dtype::CastTo;
use crate::tensor::Tensor;

/// `dst[i] = src[i] as dst dtype`; `src` already has `dst`'s shape. The buffers must not
/// partially overlap (callers clone the source first when they do).
pub fn copy_cast(dst: &Tensor, src: &Tensor) {
    if dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous() {
        let n = dst.numel() * dst.dtype().size();
        if n > 0 && dst.data_ptr_raw() != src.data_ptr_raw() {
            // Safety: both contiguous with n bytes; non-overlap is the caller's contract.
            unsafe { std::ptr::copy(src.data_ptr_raw(), dst.data_ptr_raw(), n) };
        }
        return;
    }
    crate::dispatch_all!(dst.dtype(), D => {
        crate::dispatch_all!(src.dtype(), S => map1::<S, D>(dst, src, CastTo::<D>::cast))
    })
}
