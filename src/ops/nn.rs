//! Kernels behind `nn.functional`'s convolution and pooling: im2col (`F.unfold`), its
//! adjoint col2im (`F.fold`), and the arg-max of max pooling. Convolution is im2col
//! followed by one matmul; each of im2col/col2im is the other's backward, so gradients of
//! any order flow through them.

use super::copy::contiguous;
use crate::autograd::{needs_grad, record1};
use crate::dtype::{DType, Element, FloatElement};
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use rayon::prelude::*;

/// Window geometry over two spatial dims: kernel, dilation, padding, stride.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window2d {
    pub kernel: [usize; 2],
    pub dilation: [usize; 2],
    pub padding: [usize; 2],
    pub stride: [usize; 2],
}

impl Window2d {
    fn check(&self, name: &str) -> Result<()> {
        let all = [self.kernel, self.dilation, self.stride];
        if all.iter().flatten().any(|&v| v == 0) {
            return Err(Error::runtime(format!(
                "{name}: kernel size, dilation and stride must be greater than zero, but got \
                 kernel_size={:?} dilation={:?} stride={:?}",
                self.kernel, self.dilation, self.stride
            )));
        }
        Ok(())
    }

    /// Number of window positions along `d` for an input extent `size`.
    fn blocks(&self, d: usize, size: usize) -> Option<usize> {
        let span = self.dilation[d] * (self.kernel[d] - 1) + 1;
        let padded = size + 2 * self.padding[d];
        (padded >= span).then(|| (padded - span) / self.stride[d] + 1)
    }

    fn out_size(&self, h: usize, w: usize, name: &str) -> Result<[usize; 2]> {
        match (self.blocks(0, h), self.blocks(1, w)) {
            (Some(a), Some(b)) if a > 0 && b > 0 => Ok([a, b]),
            _ => Err(Error::runtime(format!(
                "{name}: Given input with spatial size ({h}, {w}), kernel_size={:?}, dilation={:?}, \
                 padding={:?}, calculated shape of the array of sliding blocks is non-positive.",
                self.kernel, self.dilation, self.padding
            ))),
        }
    }

    /// The input row (or column) a kernel tap reads for an output position, if inside.
    #[inline(always)]
    fn source(&self, d: usize, out: usize, tap: usize, size: usize) -> Option<usize> {
        let pos =
            (out * self.stride[d] + tap * self.dilation[d]) as isize - self.padding[d] as isize;
        (pos >= 0 && (pos as usize) < size).then_some(pos as usize)
    }
}

fn check_float(x: &Tensor, name: &str) -> Result<()> {
    if x.dtype().is_float() {
        Ok(())
    } else {
        Err(Error::not_implemented(format!(
            "\"{name}\" not implemented for '{}'",
            super::capitalized(x.dtype())
        )))
    }
}

/// `(N, C, H, W)` -> `(N, C*kh*kw, L)`: each column holds one window (PyTorch's `F.unfold`).
pub fn im2col(x: &Tensor, win: Window2d) -> Result<Tensor> {
    win.check("im2col")?;
    check_float(x, "im2col")?;
    if x.ndim() != 4 || x.sizes()[1] == 0 {
        return Err(Error::runtime(format!(
            "Expected 4D input tensor with non-zero channels, but got input of size {:?}",
            x.sizes()
        )));
    }
    let [n, c, h, w] = [x.sizes()[0], x.sizes()[1], x.sizes()[2], x.sizes()[3]];
    let [oh, ow] = win.out_size(h, w, "im2col")?;
    let taps = win.kernel[0] * win.kernel[1];
    let src = contiguous(&x.detach());
    let out = Tensor::try_empty(&[n, c * taps, oh * ow], x.dtype())?;
    crate::dispatch_all!(x.dtype(), T => im2col_kernel::<T>(&src, &out, [h, w], [oh, ow], win));
    if needs_grad(&[x]) {
        return Ok(record1(
            "Im2ColBackward0",
            &[x],
            out,
            false,
            Box::new(move |g| Ok(vec![Some(col2im(&g[0], [h, w], win)?)])),
        ));
    }
    Ok(out)
}

fn im2col_kernel<T: Element>(
    src: &Tensor,
    out: &Tensor,
    hw: [usize; 2],
    ohw: [usize; 2],
    win: Window2d,
) {
    let [h, w] = hw;
    let [oh, ow] = ohw;
    let plane = h * w;
    let block = win.kernel[0] * win.kernel[1] * oh * ow;
    if block == 0 || out.numel() == 0 {
        return;
    }
    // Safety: both tensors are contiguous and sized for these shapes; each task writes
    // its own block of `out`.
    let input = unsafe { std::slice::from_raw_parts(src.data_ptr::<T>(), src.numel()) };
    let output = unsafe { std::slice::from_raw_parts_mut(out.data_ptr_mut::<T>(), out.numel()) };
    output
        .par_chunks_mut(block)
        .enumerate()
        .for_each(|(nc, cols)| {
            let x = &input[nc * plane..(nc + 1) * plane];
            let mut k = 0;
            for ki in 0..win.kernel[0] {
                for kj in 0..win.kernel[1] {
                    for i in 0..oh {
                        let row = win.source(0, i, ki, h);
                        for j in 0..ow {
                            cols[k] = match (row, win.source(1, j, kj, w)) {
                                (Some(r), Some(col)) => x[r * w + col],
                                _ => T::zero(),
                            };
                            k += 1;
                        }
                    }
                }
            }
        });
}

/// The adjoint of `im2col`: sums each column back onto the `(N, C, H, W)` positions it
/// was read from (PyTorch's `F.fold`).
pub fn col2im(cols: &Tensor, output_size: [usize; 2], win: Window2d) -> Result<Tensor> {
    win.check("col2im")?;
    check_float(cols, "col2im")?;
    let taps = win.kernel[0] * win.kernel[1];
    if cols.ndim() != 3 || cols.sizes()[1] % taps != 0 {
        return Err(Error::runtime(format!(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, \
             but got input.size(1)={} and kernel_size={:?}",
            cols.sizes().get(1).copied().unwrap_or(0),
            win.kernel
        )));
    }
    let [h, w] = output_size;
    let [oh, ow] = win.out_size(h, w, "col2im")?;
    if cols.sizes()[2] != oh * ow {
        return Err(Error::runtime(format!(
            "Given output_size=({h}, {w}), kernel_size={:?}, dilation={:?}, padding={:?}, stride={:?}, \
             expected size of input's dimension 2 to match the calculated number of sliding blocks \
             {oh} * {ow} = {}, but got input.size(2)={}.",
            win.kernel,
            win.dilation,
            win.padding,
            win.stride,
            oh * ow,
            cols.sizes()[2]
        )));
    }
    let (n, c) = (cols.sizes()[0], cols.sizes()[1] / taps);
    let src = contiguous(&cols.detach());
    let out = Tensor::try_zeros(&[n, c, h, w], cols.dtype())?;
    crate::dispatch_float!(cols.dtype(), T => col2im_kernel::<T>(&src, &out, [h, w], [oh, ow], win), _ => unreachable!("checked float"));
    if needs_grad(&[cols]) {
        return Ok(record1(
            "Col2ImBackward0",
            &[cols],
            out,
            false,
            Box::new(move |g| Ok(vec![Some(im2col(&g[0], win)?)])),
        ));
    }
    Ok(out)
}

fn col2im_kernel<T: FloatElement>(
    src: &Tensor,
    out: &Tensor,
    hw: [usize; 2],
    ohw: [usize; 2],
    win: Window2d,
) {
    let [h, w] = hw;
    let [oh, ow] = ohw;
    let plane = h * w;
    let block = win.kernel[0] * win.kernel[1] * oh * ow;
    if plane == 0 || out.numel() == 0 {
        return;
    }
    // Safety: contiguous buffers sized for these shapes; each task owns one output plane.
    let input = unsafe { std::slice::from_raw_parts(src.data_ptr::<T>(), src.numel()) };
    let output = unsafe { std::slice::from_raw_parts_mut(out.data_ptr_mut::<T>(), out.numel()) };
    output
        .par_chunks_mut(plane)
        .enumerate()
        .for_each(|(nc, x)| {
            let cols = &input[nc * block..(nc + 1) * block];
            let mut acc = vec![T::Acc::default(); plane];
            let mut k = 0;
            for ki in 0..win.kernel[0] {
                for kj in 0..win.kernel[1] {
                    for i in 0..oh {
                        let row = win.source(0, i, ki, h);
                        for j in 0..ow {
                            if let (Some(r), Some(col)) = (row, win.source(1, j, kj, w)) {
                                acc[r * w + col] = acc[r * w + col] + cols[k].to_acc();
                            }
                            k += 1;
                        }
                    }
                }
            }
            for (dst, v) in x.iter_mut().zip(acc) {
                *dst = T::from_acc(v);
            }
        });
}

/// For max pooling of `(N, C, H, W)`: the flat `h * W + w` index of each window's maximum
/// (NaN wins, first maximum on ties, as PyTorch). `output` is the pooled `[OH, OW]`, which
/// the caller computes (ceil_mode decides it). Integer result: no gradient of its own; the
/// values are gathered through it so that they differentiate.
pub fn max_pool2d_indices(x: &Tensor, win: Window2d, output: [usize; 2]) -> Result<Tensor> {
    win.check("max_pool2d")?;
    if x.ndim() != 4 {
        return Err(Error::runtime(format!(
            "max_pool2d: Expected 4D input, but got {:?}",
            x.sizes()
        )));
    }
    if x.dtype() == DType::Bool {
        return Err(Error::not_implemented(
            "\"max_pool2d\" not implemented for 'Bool'",
        ));
    }
    let [n, c, h, w] = [x.sizes()[0], x.sizes()[1], x.sizes()[2], x.sizes()[3]];
    let src = contiguous(&x.detach());
    let out = Tensor::try_empty(&[n, c, output[0], output[1]], DType::I64)?;
    crate::dispatch_all!(x.dtype(), T => argmax_windows::<T>(&src, &out, [h, w], output, win));
    Ok(out)
}

fn argmax_windows<T: Element>(
    src: &Tensor,
    out: &Tensor,
    hw: [usize; 2],
    ohw: [usize; 2],
    win: Window2d,
) {
    let [h, w] = hw;
    let [oh, ow] = ohw;
    let (plane, out_plane) = (h * w, oh * ow);
    if plane == 0 || out_plane == 0 || out.numel() == 0 {
        return;
    }
    // Safety: contiguous buffers sized for these shapes; each task owns one output plane.
    let input = unsafe { std::slice::from_raw_parts(src.data_ptr::<T>(), src.numel()) };
    let output = unsafe { std::slice::from_raw_parts_mut(out.data_ptr_mut::<i64>(), out.numel()) };
    output
        .par_chunks_mut(out_plane)
        .enumerate()
        .for_each(|(nc, idx)| {
            let x = &input[nc * plane..(nc + 1) * plane];
            for i in 0..oh {
                for j in 0..ow {
                    let mut best: Option<(usize, T)> = None;
                    for ki in 0..win.kernel[0] {
                        let Some(r) = win.source(0, i, ki, h) else {
                            continue;
                        };
                        for kj in 0..win.kernel[1] {
                            let Some(col) = win.source(1, j, kj, w) else {
                                continue;
                            };
                            let v = x[r * w + col];
                            let take = match best {
                                None => true,
                                // NaN always wins (and then stays), as in PyTorch.
                                Some((_, b)) => !is_nan(b) && (is_nan(v) || v > b),
                            };
                            if take {
                                best = Some((r * w + col, v));
                            }
                        }
                    }
                    idx[i * ow + j] = best.map_or(0, |(k, _)| k as i64);
                }
            }
        });
}

/// NaN is the only value unequal to itself; this works for every element type.
#[allow(clippy::eq_op)]
#[inline(always)]
fn is_nan<T: PartialEq>(v: T) -> bool {
    v != v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(k: usize, s: usize, p: usize, d: usize) -> Window2d {
        Window2d {
            kernel: [k, k],
            dilation: [d, d],
            padding: [p, p],
            stride: [s, s],
        }
    }

    fn arange(n: usize, shape: &[usize]) -> Tensor {
        let data: Vec<f64> = (0..n).map(|v| v as f64).collect();
        Tensor::from_vec(data, shape).unwrap()
    }

    #[test]
    fn im2col_reads_windows_with_zero_padding() {
        let x = arange(9, &[1, 1, 3, 3]);
        let cols = im2col(&x, win(2, 1, 0, 1)).unwrap();
        assert_eq!(cols.sizes(), &[1, 4, 4]);
        // Tap (0, 0) of the four windows, then tap (0, 1), ...
        let expected = [
            0., 1., 3., 4., 1., 2., 4., 5., 3., 4., 6., 7., 4., 5., 7., 8.,
        ];
        assert_eq!(cols.to_vec::<f64>(), expected);
        let padded = im2col(&x, win(3, 2, 1, 1)).unwrap();
        assert_eq!(padded.sizes(), &[1, 9, 4]);
        assert_eq!(padded.to_vec::<f64>()[..4], [0., 0., 0., 4.]);
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // <im2col(x), y> == <x, col2im(y)> for any x, y.
        let g = win(2, 1, 1, 2);
        let x = arange(2 * 3 * 4 * 5, &[2, 3, 4, 5]);
        let cols = im2col(&x, g).unwrap();
        let y_data: Vec<f64> = (0..cols.numel())
            .map(|v| ((v * 7) % 11) as f64 - 5.0)
            .collect();
        let y = Tensor::from_vec(y_data.clone(), cols.sizes()).unwrap();
        let back = col2im(&y, [4, 5], g).unwrap();
        let lhs: f64 = cols
            .to_vec::<f64>()
            .iter()
            .zip(&y_data)
            .map(|(a, b)| a * b)
            .sum();
        let rhs: f64 = x
            .to_vec::<f64>()
            .iter()
            .zip(back.to_vec::<f64>())
            .map(|(a, b)| a * b)
            .sum();
        assert_eq!(lhs, rhs);
    }

    #[test]
    fn pooling_indices_pick_the_first_maximum() {
        let x = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, 0.0], &[1, 1, 2, 2]).unwrap();
        let idx = max_pool2d_indices(&x, win(2, 2, 0, 1), [1, 1]).unwrap();
        assert_eq!(idx.to_vec::<i64>(), [1]);
    }

    #[test]
    fn bad_geometry_is_an_error() {
        let x = arange(4, &[1, 1, 2, 2]);
        assert!(im2col(&x, win(3, 1, 0, 1)).is_err());
        assert!(im2col(&x, win(0, 1, 0, 1)).is_err());
        let cols = crate::ops::shape::reshape(&x, &[1, 4, 1]).unwrap();
        assert!(col2im(&cols, [2, 2], win(2, 1, 0, 1)).is_ok());
        assert!(col2im(&cols, [3, 3], win(2, 1, 0, 1)).is_err());
    }
}
