//! CPU allocation: 64-byte aligned so kernels and numpy see SIMD-friendly buffers.

use crate::error::{Error, Result};
use std::alloc::{alloc_zeroed, Layout};

pub const ALIGN: usize = 64;
/// Small buffers take malloc's natural alignment: a 64-byte aligned allocation costs more
/// than the tiny op it serves.
const SMALL: usize = 1024;
const SMALL_ALIGN: usize = 16;

/// Allocate `nbytes` (None for zero bytes); out-of-memory is an error, not an abort.
pub fn alloc(nbytes: usize, zeroed: bool) -> Result<Option<(*mut u8, Layout)>> {
    if nbytes == 0 {
        return Ok(None);
    }
    let align = if nbytes < SMALL { SMALL_ALIGN } else { ALIGN };
    let layout = Layout::from_size_align(nbytes, align).map_err(|_| oom(nbytes))?;
    // Safety: layout has non-zero size.
    let ptr = unsafe {
        if zeroed {
            alloc_zeroed(layout)
        } else {
            std::alloc::alloc(layout)
        }
    };
    if ptr.is_null() {
        return Err(oom(nbytes));
    }
    Ok(Some((ptr, layout)))
}

fn oom(nbytes: usize) -> Error {
    Error::runtime(format!(
        "DefaultCPUAllocator: can't allocate memory: you tried to allocate {nbytes} bytes."
    ))
}

/// A well-aligned non-null pointer for empty buffers.
pub fn dangling() -> *mut u8 {
    std::ptr::NonNull::<u8>::dangling()
        .as_ptr()
        .wrapping_add(ALIGN - 1)
}
