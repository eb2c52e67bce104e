//! The tensor handle: storage + layout + dtype + autograd meta, behind one `Arc`.
//!
//! A `Tensor`'s storage, layout and dtype never change; an op that changes a tensor's layout
//! (`t_()`) builds a new handle over the same storage and the Python object swaps to it.
//! Autograd meta is its own `Arc`, attached at most once (lazily, in place, so every holder
//! of the handle sees it), and shared by such swaps so `grad`, `grad_fn` and hooks stay.

use crate::autograd::meta::AutogradMeta;
use crate::autograd::node::Node;
use crate::device::Device;
use crate::dtype::{DType, Element, Scalar};
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::shape::{Dims, Strides};
use crate::storage::Storage;
use std::sync::{Arc, OnceLock};

#[derive(Clone)]
pub struct Tensor(Arc<TensorImpl>);

pub struct TensorImpl {
    storage: Arc<Storage>,
    layout: Layout,
    dtype: DType,
    meta: OnceLock<Arc<AutogradMeta>>,
    /// A Python number turned into a 0-dim tensor: promotes by category only.
    wrapped: bool,
    /// For a view: the tensor whose storage it views (never itself a view).
    base: Option<Tensor>,
}

impl Tensor {
    pub fn from_parts(storage: Arc<Storage>, layout: Layout, dtype: DType) -> Tensor {
        Tensor(Arc::new(TensorImpl {
            storage,
            layout,
            dtype,
            meta: OnceLock::new(),
            wrapped: false,
            base: None,
        }))
    }

    /// A Python number as an operand (PyTorch's "wrapped number").
    pub fn wrapped_scalar(s: Scalar) -> Tensor {
        let dtype = match s {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => DType::F64,
        };
        let storage = Arc::new(Storage::new_cpu(dtype.size(), false));
        crate::dispatch_all!(dtype, T => unsafe { *(storage.ptr() as *mut T) = T::from_scalar(s) });
        Tensor(Arc::new(TensorImpl {
            storage,
            layout: Layout::contiguous(&[]),
            dtype,
            meta: OnceLock::new(),
            wrapped: true,
            base: None,
        }))
    }

    pub fn is_wrapped_number(&self) -> bool {
        self.0.wrapped
    }

    /// An uninitialised contiguous CPU tensor.
    pub fn empty(sizes: &[usize], dtype: DType) -> Tensor {
        Self::alloc(sizes, dtype, false)
    }

    pub fn zeros(sizes: &[usize], dtype: DType) -> Tensor {
        Self::alloc(sizes, dtype, true)
    }

    fn alloc(sizes: &[usize], dtype: DType, zeroed: bool) -> Tensor {
        Self::try_alloc(sizes, dtype, zeroed).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `empty` that reports out-of-memory (and impossible sizes) as an error.
    pub fn try_empty(sizes: &[usize], dtype: DType) -> Result<Tensor> {
        Self::try_alloc(sizes, dtype, dtype == DType::Bool)
    }

    /// `zeros` that reports out-of-memory (and impossible sizes) as an error.
    pub fn try_zeros(sizes: &[usize], dtype: DType) -> Result<Tensor> {
        Self::try_alloc(sizes, dtype, true)
    }

    fn try_alloc(sizes: &[usize], dtype: DType, zeroed: bool) -> Result<Tensor> {
        let nbytes = sizes
            .iter()
            .try_fold(dtype.size(), |acc, &s| acc.checked_mul(s))
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or_else(|| {
                Error::runtime(format!(
                    "Storage size calculation overflowed with sizes={sizes:?}"
                ))
            })?;
        let storage = Arc::new(Storage::try_new_cpu(nbytes, zeroed)?);
        Ok(Self::from_parts(storage, Layout::contiguous(sizes), dtype))
    }

    /// A contiguous tensor holding `data`.
    pub fn from_vec<T: Element>(data: Vec<T>, sizes: &[usize]) -> Result<Tensor> {
        let n: usize = sizes.iter().product();
        if n != data.len() {
            return Err(Error::runtime(format!(
                "from_vec: {} values for shape {:?}",
                data.len(),
                sizes
            )));
        }
        let t = Tensor::empty(sizes, T::DTYPE);
        // Safety: fresh contiguous buffer of exactly n elements of T.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), t.data_ptr_mut::<T>(), n) };
        Ok(t)
    }

    /// A 0-dim tensor holding `s` converted to `dtype`.
    pub fn scalar(s: Scalar, dtype: DType) -> Tensor {
        let t = Tensor::empty(&[], dtype);
        crate::dispatch_all!(dtype, T => unsafe { *t.data_ptr_mut::<T>() = T::from_scalar(s) });
        t
    }

    pub fn storage(&self) -> &Arc<Storage> {
        &self.0.storage
    }
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }
    pub fn sizes(&self) -> &[usize] {
        &self.0.layout.sizes
    }
    pub fn strides(&self) -> &[isize] {
        &self.0.layout.strides
    }
    pub fn offset(&self) -> usize {
        self.0.layout.offset
    }
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }
    pub fn device(&self) -> Device {
        self.0.storage.device()
    }
    pub fn ndim(&self) -> usize {
        self.0.layout.ndim()
    }
    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }
    pub fn dims(&self) -> Dims {
        self.0.layout.sizes.clone()
    }
    pub fn strides_vec(&self) -> Strides {
        self.0.layout.strides.clone()
    }
    pub fn meta(&self) -> Option<&Arc<AutogradMeta>> {
        self.0.meta.get()
    }

    /// The autograd meta, created (as a leaf not requiring grad) if this handle has none.
    pub fn ensure_meta(&self) -> &Arc<AutogradMeta> {
        self.0.meta.get_or_init(|| AutogradMeta::leaf(false))
    }

    /// Same handle (not just same storage).
    pub fn is_same(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    pub fn shares_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.storage, &other.0.storage)
    }

    /// Whether this handle and its storage are referenced only from here, so a consumer may
    /// keep the buffer instead of copying it.
    pub fn is_uniquely_owned(&self) -> bool {
        Arc::strong_count(&self.0) == 1 && Arc::strong_count(&self.0.storage) == 1
    }

    /// Address of the first element.
    pub fn data_ptr_raw(&self) -> *mut u8 {
        self.0
            .storage
            .ptr()
            .wrapping_add(self.0.layout.offset * self.0.dtype.size())
    }

    /// Typed pointer to the first element. The caller must use `T` matching the dtype.
    pub fn data_ptr<T: Element>(&self) -> *const T {
        debug_assert_eq!(T::DTYPE, self.0.dtype);
        self.data_ptr_raw() as *const T
    }

    /// Mutable typed pointer to the first element (writes go through shared storage).
    pub fn data_ptr_mut<T: Element>(&self) -> *mut T {
        debug_assert_eq!(T::DTYPE, self.0.dtype);
        self.data_ptr_raw() as *mut T
    }

    /// A new handle over the same storage with another layout, without autograd meta.
    pub fn with_layout(&self, layout: Layout) -> Tensor {
        Tensor::from_parts(self.0.storage.clone(), layout, self.0.dtype)
    }

    /// A view of this tensor's storage with `layout` (records the base, no autograd meta).
    pub fn view_of(&self, layout: Layout) -> Tensor {
        let base = self.0.base.clone().unwrap_or_else(|| self.clone());
        Tensor(Arc::new(TensorImpl {
            storage: self.0.storage.clone(),
            layout,
            dtype: self.0.dtype,
            meta: OnceLock::new(),
            wrapped: false,
            base: Some(base),
        }))
    }

    /// The tensor this one is a view of (`._base`).
    pub fn base(&self) -> Option<&Tensor> {
        self.0.base.as_ref()
    }

    /// The same data with no autograd history (`detach()`, `.data`).
    pub fn detach(&self) -> Tensor {
        self.with_layout(self.0.layout.clone())
    }

    /// The same data carrying `meta`.
    pub fn with_meta(&self, meta: Option<Arc<AutogradMeta>>) -> Tensor {
        Tensor(Arc::new(TensorImpl {
            storage: self.0.storage.clone(),
            layout: self.0.layout.clone(),
            dtype: self.0.dtype,
            meta: meta.map(OnceLock::from).unwrap_or_default(),
            wrapped: false,
            base: self.0.base.clone(),
        }))
    }

    /// This tensor's identity with a new layout (keeps the autograd meta): `t_()` and friends.
    pub fn relayout_in_place(&self, layout: Layout) -> Tensor {
        Tensor(Arc::new(TensorImpl {
            storage: self.0.storage.clone(),
            layout,
            dtype: self.0.dtype,
            meta: self.0.meta.clone(),
            wrapped: false,
            base: self.0.base.clone(),
        }))
    }

    /// Replace data, keeping identity (`x.data = y`): y's storage, layout and dtype, x's meta.
    pub fn with_data_of(&self, other: &Tensor) -> Tensor {
        Tensor(Arc::new(TensorImpl {
            storage: other.0.storage.clone(),
            layout: other.0.layout.clone(),
            dtype: other.0.dtype,
            meta: self.0.meta.clone(),
            wrapped: false,
            base: other.0.base.clone(),
        }))
    }

    pub fn requires_grad(&self) -> bool {
        self.0.meta.get().is_some_and(|m| m.requires_grad())
    }

    pub fn grad_fn(&self) -> Option<Arc<Node>> {
        crate::autograd::refresh_view_history(self);
        self.0.meta.get().and_then(|m| m.grad_fn())
    }

    pub fn is_leaf(&self) -> bool {
        self.grad_fn().is_none()
    }

    pub fn version(&self) -> u64 {
        self.0.storage.version()
    }

    /// Read element `i` (row-major index) of any layout, as a Scalar.
    pub fn get_flat(&self, i: usize) -> Scalar {
        let mut rem = i;
        let mut off = 0isize;
        for d in (0..self.ndim()).rev() {
            let s = self.sizes()[d];
            off += (rem % s) as isize * self.strides()[d];
            rem /= s;
        }
        crate::dispatch_all!(self.dtype(), T => unsafe {
            (*(self.data_ptr::<T>().offset(off))).to_scalar()
        })
    }

    /// The value of a one-element tensor (`item()`).
    pub fn item(&self) -> Result<Scalar> {
        let n = self.numel();
        if n != 1 {
            return Err(Error::runtime(format!(
                "a Tensor with {n} elements cannot be converted to Scalar"
            )));
        }
        Ok(self.get_flat(0))
    }

    /// All elements in row-major order as `T` (dtype must be `T`).
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        assert_eq!(T::DTYPE, self.dtype(), "to_vec: dtype mismatch");
        let c = crate::ops::copy::contiguous(self);
        let n = c.numel();
        let mut v = Vec::with_capacity(n);
        // Safety: c is contiguous with n elements of T.
        unsafe {
            std::ptr::copy_nonoverlapping(c.data_ptr::<T>(), v.as_mut_ptr(), n);
            v.set_len(n);
        }
        v
    }

    /// All elements as f64, row-major (test and debugging convenience).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        (0..self.numel())
            .map(|i| self.get_flat(i).to_f64())
            .collect()
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Tensor(sizes={:?}, dtype={}, values={:?})",
            self.sizes(),
            self.dtype(),
            if self.numel() <= 16 {
                self.to_f64_vec()
            } else {
                vec![]
            }
        )
    }
}
