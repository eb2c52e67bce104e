//! Random tensors through PyTorch-compatible generators (same seed, same numbers).

use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::random::generator::{round_f32_to_bf16, round_f32_to_f16, CpuGenerator, RandDtype};
use crate::tensor::Tensor;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// A shareable generator (`torch.Generator`); the default one backs `manual_seed`.
pub type GenHandle = Arc<Mutex<CpuGenerator>>;

pub fn default_generator() -> &'static GenHandle {
    static DEFAULT: OnceLock<GenHandle> = OnceLock::new();
    DEFAULT.get_or_init(|| {
        Arc::new(Mutex::new(CpuGenerator::new(
            crate::random::generator::DEFAULT_SEED,
        )))
    })
}

fn lock(g: Option<&GenHandle>) -> MutexGuard<'_, CpuGenerator> {
    g.unwrap_or_else(|| default_generator())
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn rand_dtype(d: DType) -> RandDtype {
    match d {
        DType::Bool => RandDtype::Bool,
        DType::U8 => RandDtype::U8,
        DType::I8 => RandDtype::I8,
        DType::I16 => RandDtype::I16,
        DType::I32 => RandDtype::I32,
        DType::I64 => RandDtype::I64,
        DType::F16 => RandDtype::F16,
        DType::BF16 => RandDtype::BF16,
        DType::F32 => RandDtype::F32,
        DType::F64 => RandDtype::F64,
    }
}

fn float_only(t: &Tensor, kernel: &str) -> Result<()> {
    if !t.dtype().is_float() {
        return Err(Error::not_implemented(format!(
            "\"{kernel}\" not implemented for '{}'",
            super::capitalized(t.dtype())
        )));
    }
    Ok(())
}

/// Write `values` (row-major for contiguous `t`, memory order otherwise: the order in which
/// PyTorch's kernels draw) into `t`.
fn write_in_draw_order<T: Element>(t: &Tensor, values: &[T]) {
    let it = crate::cpu::iter::StridedIter::new(t.sizes(), [t.strides()]);
    let [s] = it.inner_strides();
    let p = t.data_ptr_mut::<T>();
    let mut k = 0usize;
    it.for_each_run(0, it.numel(), |offs, len| {
        for i in 0..len as isize {
            // Safety: offsets come from t's own layout.
            unsafe { *p.offset(offs[0] + i * s) = values[k] };
            k += 1;
        }
    });
}

fn write_f32_as<T: Element>(t: &Tensor, v: &[f32]) {
    let c: Vec<T> = v.iter().map(|&x| T::from_f64(x as f64)).collect();
    write_in_draw_order(t, &c);
}

/// `uniform_(from, to)` in place.
pub fn uniform_(t: &Tensor, from: f64, to: f64, gen: Option<&GenHandle>) -> Result<()> {
    float_only(t, "check_uniform_bounds")?;
    if from > to {
        return Err(Error::runtime(format!(
            "uniform_ expects to return a [from, to) range, but found from={from} > to={to}"
        )));
    }
    let n = t.numel();
    let mut g = lock(gen);
    match t.dtype() {
        DType::F64 => {
            let mut v = vec![0f64; n];
            g.fill_uniform_f64(&mut v, from, to);
            write_in_draw_order(t, &v);
        }
        d => {
            let mut v = vec![0f32; n];
            match d {
                DType::F16 => g.fill_uniform_f16(&mut v, from, to),
                DType::BF16 => g.fill_uniform_bf16(&mut v, from, to),
                _ => g.fill_uniform_f32(&mut v, from, to),
            }
            crate::dispatch_float!(d, T => write_f32_as::<T>(t, &v), _ => unreachable!());
        }
    }
    t.storage().bump_version();
    Ok(())
}

/// `normal_(mean, std)` in place.
pub fn normal_(t: &Tensor, mean: f64, std: f64, gen: Option<&GenHandle>) -> Result<()> {
    float_only(t, "normal_kernel_cpu")?;
    if std < 0.0 {
        return Err(Error::runtime(format!(
            "normal expects std >= 0.0, but found std {std}"
        )));
    }
    let n = t.numel();
    let mut g = lock(gen);
    if !t.is_contiguous() {
        // Element by element in memory order, through the cached-pair path.
        let v: Vec<f64> = (0..n).map(|_| g.next_normal_f64(mean, std)).collect();
        crate::dispatch_float!(t.dtype(), T => {
            let c: Vec<T> = v.iter().map(|&x| T::from_f64(half_path(x, t.dtype()))).collect();
            write_in_draw_order(t, &c)
        }, _ => unreachable!());
    } else if t.dtype() == DType::F64 {
        let mut v = vec![0f64; n];
        g.fill_normal_f64(&mut v, mean, std);
        write_in_draw_order(t, &v);
    } else {
        let mut v = vec![0f32; n];
        match t.dtype() {
            DType::F16 => g.fill_normal_f16(&mut v, mean, std),
            DType::BF16 => g.fill_normal_bf16(&mut v, mean, std),
            _ => g.fill_normal_f32(&mut v, mean, std),
        }
        crate::dispatch_float!(t.dtype(), T => write_f32_as::<T>(t, &v), _ => unreachable!());
    }
    t.storage().bump_version();
    Ok(())
}

/// Doubles reach half types through float, as PyTorch rounds them (twice).
fn half_path(x: f64, d: DType) -> f64 {
    match d {
        DType::F16 => round_f32_to_f16(x as f32) as f64,
        DType::BF16 => round_f32_to_bf16(x as f32) as f64,
        DType::F32 => x as f32 as f64,
        _ => x,
    }
}

pub fn rand(sizes: &[usize], dtype: DType, gen: Option<&GenHandle>) -> Result<Tensor> {
    let t = Tensor::try_empty(sizes, dtype)?;
    uniform_(&t, 0.0, 1.0, gen)?;
    Ok(t)
}

pub fn randn(sizes: &[usize], dtype: DType, gen: Option<&GenHandle>) -> Result<Tensor> {
    let t = Tensor::try_empty(sizes, dtype)?;
    normal_(&t, 0.0, 1.0, gen)?;
    Ok(t)
}

/// `random_(from, to)` in place (`to` None: up to the dtype's maximum).
pub fn random_(t: &Tensor, from: i64, to: Option<i64>, gen: Option<&GenHandle>) -> Result<()> {
    let rd = rand_dtype(t.dtype());
    let (range, base) = rd.random_range(from, to).map_err(Error::runtime)?;
    let mut v = vec![0i64; t.numel()];
    lock(gen).fill_random_from_range(&mut v, range, base, rd.randint_wide(range));
    crate::dispatch_all!(t.dtype(), T => {
        let c: Vec<T> = v.iter().map(|&x| T::from_i64(x)).collect();
        write_in_draw_order(t, &c)
    });
    t.storage().bump_version();
    Ok(())
}

/// `random_()` with no bounds: the dtype's default range.
pub fn random_default_(t: &Tensor, gen: Option<&GenHandle>) -> Result<()> {
    let mut v = vec![0i64; t.numel()];
    lock(gen)
        .fill_random_default(&mut v, rand_dtype(t.dtype()))
        .map_err(Error::runtime)?;
    crate::dispatch_all!(t.dtype(), T => {
        let c: Vec<T> = v.iter().map(|&x| T::from_i64(x)).collect();
        write_in_draw_order(t, &c)
    });
    t.storage().bump_version();
    Ok(())
}

pub fn randint(
    low: i64,
    high: i64,
    sizes: &[usize],
    dtype: DType,
    gen: Option<&GenHandle>,
) -> Result<Tensor> {
    if low >= high {
        return Err(Error::runtime(format!(
            "random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )));
    }
    let t = Tensor::try_empty(sizes, dtype)?;
    random_(&t, low, Some(high), gen)?;
    Ok(t)
}

pub fn randperm(n: usize, dtype: DType, gen: Option<&GenHandle>) -> Result<Tensor> {
    let v = lock(gen).randperm(n);
    let t = Tensor::from_vec(v, &[n])?;
    Ok(super::cast(&t, dtype))
}

/// `bernoulli_(p)` with a float probability.
pub fn bernoulli_p_(t: &Tensor, p: f64, gen: Option<&GenHandle>) -> Result<()> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::runtime(format!(
            "bernoulli_ expects p to be in [0, 1], but got p={p}"
        )));
    }
    let mut v = vec![0f64; t.numel()];
    lock(gen).fill_bernoulli_f64_p(&mut v, p);
    crate::dispatch_all!(t.dtype(), T => {
        let c: Vec<T> = v.iter().map(|&x| T::from_f64(x)).collect();
        write_in_draw_order(t, &c)
    });
    t.storage().bump_version();
    Ok(())
}

/// `bernoulli(p)`: each element 1 with its own probability; the result has `p`'s dtype.
pub fn bernoulli(p: &Tensor, gen: Option<&GenHandle>) -> Result<Tensor> {
    float_only(p, "bernoulli_tensor_cpu_p_")?;
    let probs = super::copy::clone_contiguous(&super::cast(p, DType::F64)).to_vec::<f64>();
    if probs.iter().any(|&q| !(0.0..=1.0).contains(&q)) {
        return Err(Error::runtime(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false.",
        ));
    }
    let mut g = lock(gen);
    let draws: Vec<f64> = probs
        .iter()
        .map(|&q| {
            let hit = if p.dtype() == DType::F64 {
                g.bernoulli_f64_p(q)
            } else {
                g.bernoulli_f32_p(q as f32)
            };
            hit as u8 as f64
        })
        .collect();
    let out = Tensor::from_vec(draws, p.sizes())?;
    Ok(super::cast(&out, p.dtype()))
}

/// `exponential_(lambd)` in place.
pub fn exponential_(t: &Tensor, lambd: f64, gen: Option<&GenHandle>) -> Result<()> {
    float_only(t, "exponential_cpu")?;
    if lambd <= 0.0 {
        return Err(Error::runtime(format!(
            "exponential_ expects lambda > 0.0, but found lambda={lambd}"
        )));
    }
    let n = t.numel();
    let mut g = lock(gen);
    if t.dtype() == DType::F32 && t.is_contiguous() {
        let mut v = vec![0f32; n];
        g.fill_exponential_f32(&mut v, lambd);
        write_in_draw_order(t, &v);
    } else {
        let mut v = vec![0f64; n];
        g.fill_exponential_f64(&mut v, lambd);
        crate::dispatch_float!(t.dtype(), T => {
            let c: Vec<T> = v.iter().map(|&x| T::from_f64(half_path(x, t.dtype()))).collect();
            write_in_draw_order(t, &c)
        }, _ => unreachable!());
    }
    t.storage().bump_version();
    Ok(())
}

/// `multinomial(input, num_samples, replacement)` on 1-d or 2-d probabilities.
pub fn multinomial(
    p: &Tensor,
    num_samples: usize,
    replacement: bool,
    gen: Option<&GenHandle>,
) -> Result<Tensor> {
    if p.ndim() == 0 || p.ndim() > 2 {
        return Err(Error::runtime("prob_dist must be 1 or 2 dim"));
    }
    float_only(p, "multinomial")?;
    let cats = p.sizes()[p.ndim() - 1];
    if !replacement && num_samples > cats {
        return Err(Error::runtime(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement",
        ));
    }
    if num_samples == 0 {
        return Err(Error::runtime("cannot sample n_sample <= 0 samples"));
    }
    let probs = super::copy::clone_contiguous(&super::cast(p, DType::F64)).to_vec::<f64>();
    if probs.iter().any(|&q| q < 0.0 || !q.is_finite()) {
        return Err(Error::runtime(
            "probability tensor contains either `inf`, `nan` or element < 0",
        ));
    }
    for row in probs.chunks(cats.max(1)) {
        if row.iter().sum::<f64>() <= 0.0 {
            return Err(Error::runtime(
                "invalid multinomial distribution (sum of probabilities <= 0)",
            ));
        }
    }
    let v = lock(gen)
        .multinomial(
            &probs,
            cats,
            num_samples,
            replacement,
            rand_dtype(p.dtype()),
        )
        .map_err(Error::runtime)?;
    let mut sizes: Vec<usize> = p.sizes()[..p.ndim() - 1].to_vec();
    sizes.push(num_samples);
    Tensor::from_vec(v, &sizes)
}

/// A fresh nondeterministic seed (`torch.seed()`).
pub fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish() >> 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_randn_matches_pytorch() {
        let g: GenHandle = Arc::new(Mutex::new(CpuGenerator::new(0)));
        let t = randn(&[3], DType::F32, Some(&g)).unwrap();
        let v = t.to_f64_vec();
        let want = [1.5409960746765137, -0.293428897857666, -2.1787893772125244];
        for (a, b) in v.iter().zip(want) {
            assert_eq!(*a, b);
        }
    }

    #[test]
    fn randint_and_bounds() {
        let g: GenHandle = Arc::new(Mutex::new(CpuGenerator::new(0)));
        let t = randint(0, 10, &[5], DType::I64, Some(&g)).unwrap();
        assert_eq!(t.to_f64_vec(), vec![4.0, 9.0, 3.0, 0.0, 3.0]);
        assert!(randint(3, 3, &[1], DType::I64, Some(&g)).is_err());
        let f = Tensor::empty(&[2], DType::I64);
        assert!(normal_(&f, 0.0, 1.0, Some(&g)).is_err());
    }
}
