//! Storage: one buffer plus a version counter, shared (through `Arc`) by every view of it.

pub mod cpu;

use crate::device::Device;
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};

/// Who frees the buffer.
enum Owner {
    /// Allocated here; freed with this alignment and size.
    Rust(std::alloc::Layout),
    /// Memory owned by someone else (a numpy array, a DLPack producer), kept alive by this box.
    Foreign(#[allow(dead_code)] Box<dyn Any + Send + Sync>),
    /// No allocation (zero bytes).
    Empty,
}

pub struct Storage {
    ptr: *mut u8,
    nbytes: usize,
    owner: Owner,
    version: AtomicU64,
    device: Device,
    writable: bool,
}

// Safety: the buffer is plain memory; concurrent writes through overlapping tensors are the
// user's responsibility exactly as in PyTorch. Owners are Send + Sync.
unsafe impl Send for Storage {}
unsafe impl Sync for Storage {}

impl Storage {
    /// Like `try_new_cpu`, for internal buffers sized by existing tensors (out of memory
    /// there panics; user-sized allocations go through `try_new_cpu`).
    pub fn new_cpu(nbytes: usize, zeroed: bool) -> Storage {
        Self::try_new_cpu(nbytes, zeroed).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A new CPU buffer of `nbytes`, 64-byte aligned when large; zeroed when asked.
    pub fn try_new_cpu(nbytes: usize, zeroed: bool) -> crate::error::Result<Storage> {
        Ok(match cpu::alloc(nbytes, zeroed)? {
            Some((ptr, layout)) => Storage {
                ptr,
                nbytes,
                owner: Owner::Rust(layout),
                version: AtomicU64::new(0),
                device: Device::Cpu,
                writable: true,
            },
            None => Storage {
                ptr: cpu::dangling(),
                nbytes: 0,
                owner: Owner::Empty,
                version: AtomicU64::new(0),
                device: Device::Cpu,
                writable: true,
            },
        })
    }

    /// Wrap memory that `owner` keeps alive (zero-copy import).
    ///
    /// # Safety
    /// `ptr` must be valid for `nbytes` for as long as `owner` lives.
    pub unsafe fn from_foreign(
        ptr: *mut u8,
        nbytes: usize,
        owner: Box<dyn Any + Send + Sync>,
        writable: bool,
    ) -> Storage {
        Storage {
            ptr: if ptr.is_null() { cpu::dangling() } else { ptr },
            nbytes,
            owner: Owner::Foreign(owner),
            version: AtomicU64::new(0),
            device: Device::Cpu,
            writable,
        }
    }

    pub fn ptr(&self) -> *mut u8 {
        self.ptr
    }
    pub fn nbytes(&self) -> usize {
        self.nbytes
    }
    pub fn device(&self) -> Device {
        self.device
    }
    pub fn is_writable(&self) -> bool {
        self.writable
    }
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }
    /// Record an in-place write (saved tensors compare against this).
    pub fn bump_version(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        if let Owner::Rust(layout) = self.owner {
            // Safety: allocated by cpu::alloc with exactly this layout.
            unsafe { std::alloc::dealloc(self.ptr, layout) }
        }
    }
}
