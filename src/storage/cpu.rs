//! CPU allocation: 64-byte aligned so kernels and numpy see SIMD-friendly buffers.

use std::alloc::{alloc_zeroed, Layout};

pub const ALIGN: usize = 64;
/// Small buffers take malloc's natural alignment: a 64-byte aligned allocation costs more
/// than the tiny op it serves.
const SMALL: usize = 1024;
const SMALL_ALIGN: usize = 16;

/// Allocate `nbytes` (None for zero bytes). Aborts like `Vec` on out-of-memory.
pub fn alloc(nbytes: usize, zeroed: bool) -> Option<(*mut u8, Layout)> {
    if nbytes == 0 {
        return None;
    }
    let align = if nbytes < SMALL { SMALL_ALIGN } else { ALIGN };
    let layout = Layout::from_size_align(nbytes, align).expect("tensor size overflows isize");
    // Safety: layout has non-zero size.
    let ptr = unsafe {
        if zeroed {
            alloc_zeroed(layout)
        } else {
            std::alloc::alloc(layout)
        }
    };
    if ptr.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    Some((ptr, layout))
}

/// A well-aligned non-null pointer for empty buffers.
pub fn dangling() -> *mut u8 {
    std::ptr::NonNull::<u8>::dangling()
        .as_ptr()
        .wrapping_add(ALIGN - 1)
}
