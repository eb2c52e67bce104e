"""Gradients of every differentiable op, checked against central differences in float64
(`autograd.gradcheck`, and second derivatives with `gradgradcheck`), and for a handful of ops
against closed forms computed with numpy."""

import embertorch as torch
import numpy as np
import pytest
from embertorch.autograd import gradcheck, gradgradcheck

# ---------------------------------------------------------------- inputs


def _rng(seed):
    return np.random.default_rng(seed)


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def uniform(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, shape)


def away_from_zero(*shape):
    """|x| in [0.2, 1.5] with random sign: kinks at 0 stay out of the finite differences."""
    return lambda rng: rng.uniform(0.2, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


def off_integer(*shape):
    """k + [0.2, 0.8]: piecewise-constant ops (floor, round, ...) are smooth there."""
    return lambda rng: rng.integers(-3, 3, shape) + rng.uniform(0.2, 0.8, shape)


def spread(*shape):
    """A permutation of well separated values: no ties for max/sort/median."""

    def make(rng):
        n = int(np.prod(shape)) if shape else 1
        return (rng.permutation(n) * 0.37 - n * 0.15 + 0.05).reshape(shape)

    return make


def with_zeros(values):
    return lambda rng: np.array(values, dtype=np.float64)


class Case:
    def __init__(self, name, fn, *makers):
        self.name = name
        self.fn = fn
        self.makers = makers

    def inputs(self, seed=0):
        rng = _rng(seed)
        return tuple(torch.tensor(m(rng), dtype=torch.float64, requires_grad=True) for m in self.makers)


IDX = torch.tensor([2, 0, 2, 1])  # repeated index: gradients must accumulate
IDX2 = torch.tensor([[0, 2, 2], [1, 0, 1]])
MASK = torch.tensor([[True, False, True, True], [False, True, False, True], [True, True, False, False]])

UNARY = [
    Case("abs", lambda x: x.abs(), away_from_zero(3, 4)),
    Case("neg", lambda x: -x, normal(3, 4)),
    Case("positive", lambda x: x.positive(), normal(3, 4)),
    Case("exp", torch.exp, normal(3, 4)),
    Case("exp2", torch.exp2, normal(3, 4)),
    Case("expm1", torch.expm1, normal(3, 4)),
    Case("log", torch.log, uniform(0.3, 3, 3, 4)),
    Case("log2", torch.log2, uniform(0.3, 3, 3, 4)),
    Case("log10", torch.log10, uniform(0.3, 3, 3, 4)),
    Case("log1p", torch.log1p, uniform(-0.5, 3, 3, 4)),
    Case("sqrt", torch.sqrt, uniform(0.3, 3, 3, 4)),
    Case("rsqrt", torch.rsqrt, uniform(0.3, 3, 3, 4)),
    Case("square", torch.square, normal(3, 4)),
    Case("reciprocal", torch.reciprocal, away_from_zero(3, 4)),
    Case("sin", torch.sin, normal(3, 4)),
    Case("cos", torch.cos, normal(3, 4)),
    Case("tan", torch.tan, uniform(-1.2, 1.2, 3, 4)),
    Case("asin", torch.asin, uniform(-0.9, 0.9, 3, 4)),
    Case("acos", torch.acos, uniform(-0.9, 0.9, 3, 4)),
    Case("atan", torch.atan, normal(3, 4)),
    Case("sinh", torch.sinh, normal(3, 4)),
    Case("cosh", torch.cosh, normal(3, 4)),
    Case("tanh", torch.tanh, normal(3, 4)),
    Case("asinh", torch.asinh, normal(3, 4)),
    Case("acosh", torch.acosh, uniform(1.2, 3, 3, 4)),
    Case("atanh", torch.atanh, uniform(-0.9, 0.9, 3, 4)),
    Case("sigmoid", torch.sigmoid, normal(3, 4)),
    Case("relu", torch.relu, away_from_zero(3, 4)),
    Case("erf", torch.erf, normal(3, 4)),
    Case("erfc", torch.erfc, normal(3, 4)),
    Case("erfinv", torch.erfinv, uniform(-0.9, 0.9, 3, 4)),
    Case("logit", torch.logit, uniform(0.1, 0.9, 3, 4)),
    Case("floor", torch.floor, off_integer(3, 4)),
    Case("ceil", torch.ceil, off_integer(3, 4)),
    Case("trunc", torch.trunc, off_integer(3, 4)),
    Case("round", torch.round, off_integer(3, 4)),
    Case("frac", torch.frac, off_integer(3, 4)),
    Case("sign", torch.sign, away_from_zero(3, 4)),
    Case("nan_to_num", torch.nan_to_num, normal(3, 4)),
    Case("pow_scalar", lambda x: x**3, normal(3, 4)),
    Case("pow_frac", lambda x: x**2.5, uniform(0.3, 2, 3, 4)),
    Case("pow_neg", lambda x: x**-2, away_from_zero(3, 4)),
    Case("rpow", lambda x: 2.0**x, normal(3, 4)),
    Case("torch_pow_number_base", lambda x: torch.pow(3.0, x), normal(3, 4)),
    Case("clamp", lambda x: x.clamp(-0.5, 0.5), away_from_zero(3, 4)),
    Case("clamp_min", lambda x: x.clamp(min=0.1), normal(3, 4)),
    Case("clamp_max", lambda x: torch.clamp_max(x, 0.3), normal(3, 4)),
    Case("add_scalar", lambda x: 2 + x, normal(3, 4)),
    Case("rsub_scalar", lambda x: 2 - x, normal(3, 4)),
    Case("rdiv_scalar", lambda x: 2 / x, away_from_zero(3, 4)),
    Case("mul_scalar", lambda x: x * 1.5, normal(3, 4)),
]

BINARY = [
    Case("add_bcast", torch.add, normal(3, 1), normal(1, 4)),
    Case("add_alpha", lambda a, b: torch.add(a, b, alpha=2.5), normal(3, 4), normal(4)),
    Case("sub_bcast", torch.sub, normal(2, 3, 1), normal(3, 4)),
    Case("sub_alpha", lambda a, b: a.sub(b, alpha=0.5), normal(3, 4), normal(3, 1)),
    Case("mul_bcast", torch.mul, normal(3, 1), normal(1, 4)),
    Case("mul_0dim", torch.mul, normal(), normal(3, 2)),
    Case("div_bcast", torch.div, normal(3, 4), away_from_zero(4)),
    Case("div_floor", lambda a, b: a / b.floor(), normal(3), off_integer(3)),
    Case("pow_tensor", torch.pow, uniform(0.5, 2, 3, 1), normal(1, 4)),
    Case("atan2", torch.atan2, normal(3, 1), away_from_zero(1, 4)),
    Case("maximum", torch.maximum, spread(3, 4), spread(4)),
    Case("minimum", torch.minimum, spread(3, 4), spread(3, 1)),
    Case("fmax", torch.fmax, spread(3, 4), spread(4)),
    Case("fmin", torch.fmin, spread(3, 4), spread(4)),
    Case("hypot", torch.hypot, away_from_zero(3, 4), away_from_zero(4)),
    Case("copysign", torch.copysign, away_from_zero(3, 4), away_from_zero(4)),
    Case("remainder", torch.remainder, uniform(0.1, 0.9, 3, 4), uniform(1.5, 2, 4)),
    Case("fmod", torch.fmod, uniform(0.1, 0.9, 3, 4), uniform(1.5, 2, 4)),
    Case("xlogy", torch.xlogy, normal(3, 4), uniform(0.5, 2, 4)),
    Case("lerp", torch.lerp, normal(3, 4), normal(4), uniform(0, 1, 3, 1)),
    Case("lerp_scalar", lambda a, b: torch.lerp(a, b, 0.3), normal(3, 4), normal(4)),
    Case(
        "addcmul",
        lambda a, b, c: torch.addcmul(a, b, c, value=0.5),
        normal(3, 4),
        normal(4),
        normal(3, 1),
    ),
    Case(
        "addcdiv",
        lambda a, b, c: torch.addcdiv(a, b, c, value=2),
        normal(3, 4),
        normal(4),
        away_from_zero(3, 1),
    ),
    Case("where", lambda a, b: torch.where(a > 0, a, b), away_from_zero(3, 4), normal(4)),
    Case("where_scalar", lambda a: torch.where(a > 0, a, 0.0), away_from_zero(3, 4)),
    Case("self_mul", lambda a: a * a * a, normal(3)),
]

REDUCTIONS = [
    Case("sum", lambda x: x.sum(), normal(2, 3, 4)),
    Case("sum_dim", lambda x: x.sum(1), normal(2, 3, 4)),
    Case("sum_keepdim", lambda x: x.sum(-1, keepdim=True), normal(2, 3, 4)),
    Case("sum_dims", lambda x: x.sum((0, 2)), normal(2, 3, 4)),
    Case("sum_dtype", lambda x: x.sum(dtype=torch.float64), normal(3)),
    Case("nansum", lambda x: x.nansum(1), normal(3, 4)),
    Case("mean", lambda x: x.mean(), normal(2, 3, 4)),
    Case("mean_dim_keepdim", lambda x: x.mean(1, keepdim=True), normal(2, 3, 4)),
    Case("mean_dims", lambda x: x.mean((0, -1)), normal(2, 3, 4)),
    Case("nanmean", lambda x: x.nanmean(0), normal(3, 4)),
    Case("prod", lambda x: x.prod(), normal(2, 3)),
    Case("prod_dim", lambda x: x.prod(1, keepdim=True), normal(3, 4)),
    Case("prod_one_zero", lambda x: x.prod(), with_zeros([1.5, 0.0, -2.0, 0.7])),
    Case("prod_two_zeros", lambda x: x.prod(), with_zeros([1.5, 0.0, -2.0, 0.0])),
    Case("prod_dim_zero", lambda x: x.prod(0), with_zeros([[1.5, 0.0], [0.0, 2.0], [3.0, 0.5]])),
    Case("amax", lambda x: x.amax(), spread(3, 4)),
    Case("amax_dim", lambda x: x.amax(1), spread(3, 4)),
    Case("amin_dims_keepdim", lambda x: x.amin((0, 1), keepdim=True), spread(3, 4, 2)),
    Case("max_all", lambda x: x.max(), spread(3, 4)),
    Case("min_all", lambda x: x.min(), spread(3, 4)),
    Case("max_dim", lambda x: x.max(1), spread(3, 4)),
    Case("min_dim_keepdim", lambda x: x.min(0, keepdim=True), spread(3, 4)),
    Case("max_binary", lambda a, b: torch.max(a, b), spread(3, 4), spread(4)),
    Case("aminmax", lambda x: torch.aminmax(x, dim=1), spread(3, 4)),
    Case("logsumexp", lambda x: x.logsumexp(1), normal(3, 4)),
    Case("logsumexp_keepdim", lambda x: x.logsumexp((0, 1), keepdim=True), normal(3, 4)),
    Case("var", lambda x: x.var(), normal(3, 4)),
    Case("var_dim", lambda x: x.var(1, keepdim=True), normal(3, 4)),
    Case("var_correction0", lambda x: x.var(0, correction=0), normal(3, 4)),
    Case("std", lambda x: x.std(), normal(3, 4)),
    Case("std_dim", lambda x: x.std(0, unbiased=False), normal(3, 4)),
    Case("var_mean", lambda x: torch.var_mean(x, 1), normal(3, 4)),
    Case("norm", lambda x: x.norm(), normal(3, 4)),
    Case("norm_p1", lambda x: x.norm(p=1), away_from_zero(3, 4)),
    Case("norm_p3_dim", lambda x: x.norm(p=3, dim=1), away_from_zero(3, 4)),
    Case("norm_inf", lambda x: x.norm(p=float("inf")), spread(3, 4)),
    Case("median", lambda x: x.median(), spread(3, 5)),
    Case("median_dim", lambda x: x.median(1), spread(3, 5)),
    Case("nanmedian_dim", lambda x: x.nanmedian(0), spread(3, 5)),
    Case("kthvalue", lambda x: x.kthvalue(2, 1), spread(3, 5)),
    Case("mode", lambda x: x.mode(1), spread(3, 5)),
    Case("quantile", lambda x: x.quantile(0.3, dim=1), spread(3, 5)),
    Case("cumsum", lambda x: x.cumsum(1), normal(3, 4)),
    Case("cumsum_dim0", lambda x: x.cumsum(0), normal(3, 4)),
    Case("cumprod", lambda x: x.cumprod(1), normal(3, 4)),
    Case("cumprod_zeros", lambda x: x.cumprod(0), with_zeros([1.5, 0.0, -2.0, 0.0, 0.7])),
    Case("cumprod_one_zero", lambda x: x.cumprod(0), with_zeros([1.5, -0.5, 0.0, 2.0, 0.7])),
    Case("cummax", lambda x: torch.cummax(x, 1), spread(3, 4)),
    Case("cummin", lambda x: torch.cummin(x, 0), spread(3, 4)),
    Case("softmax", lambda x: x.softmax(1), normal(3, 4)),
    Case("softmax_dim0", lambda x: x.softmax(0), normal(3, 4)),
    Case("log_softmax", lambda x: x.log_softmax(-1), normal(3, 4)),
    Case("log_softmax_dim0", lambda x: x.log_softmax(0), normal(2, 3, 2)),
    Case("sort", lambda x: x.sort(1), spread(3, 4)),
    Case("sort_desc_dim0", lambda x: x.sort(0, descending=True), spread(3, 4)),
    Case("msort", torch.msort, spread(3, 4)),
    Case("topk", lambda x: x.topk(2, 1), spread(3, 4)),
    Case("topk_smallest", lambda x: x.topk(3, 0, largest=False), spread(4, 3)),
    Case("trace", lambda x: x.trace(), normal(3, 4)),
]

VIEWS = [
    Case("view", lambda x: x.view(4, 3), normal(3, 4)),
    Case("view_m1", lambda x: x.view(-1), normal(3, 4)),
    Case("reshape_noncontig", lambda x: x.t().reshape(12), normal(3, 4)),
    Case("flatten", lambda x: x.flatten(1), normal(2, 3, 2)),
    Case("unflatten", lambda x: x.unflatten(1, (2, 2)), normal(3, 4)),
    Case("t", lambda x: x.t(), normal(3, 4)),
    Case("transpose", lambda x: x.transpose(0, 2), normal(2, 3, 2)),
    Case("permute", lambda x: x.permute(2, 0, 1), normal(2, 3, 2)),
    Case("movedim", lambda x: x.movedim(0, -1), normal(2, 3, 2)),
    Case("unsqueeze", lambda x: x.unsqueeze(1), normal(3, 4)),
    Case("squeeze", lambda x: x.squeeze(), normal(3, 1, 4)),
    Case("squeeze_dim", lambda x: x.squeeze(1), normal(3, 1, 4)),
    Case("expand", lambda x: x.expand(2, 3, 4), normal(3, 1)),
    Case("expand_as", lambda x: x.expand_as(torch.zeros(2, 3)), normal(3)),
    Case("broadcast_to", lambda x: torch.broadcast_to(x, (2, 3, 4)), normal(1, 4)),
    Case("narrow", lambda x: x.narrow(1, 1, 2), normal(3, 4)),
    Case("select", lambda x: x.select(1, 2), normal(3, 4)),
    Case("select_neg", lambda x: x[-1], normal(3, 4)),
    Case("slice_step", lambda x: x[::2, 1::2], normal(3, 4)),
    Case("index_ellipsis_none", lambda x: x[None, ..., 1], normal(2, 3, 4)),
    Case("diagonal", lambda x: x.diagonal(), normal(3, 4)),
    Case("diagonal_offset", lambda x: x.diagonal(1, 1, 2), normal(2, 3, 4)),
    Case("unfold", lambda x: x.unfold(1, 2, 1), normal(3, 4)),
    Case("as_strided", lambda x: x.as_strided((2, 2), (1, 2), 1), normal(6)),
    Case("flip", lambda x: x.flip(0, 1), normal(3, 4)),
    Case("fliplr", torch.fliplr, normal(3, 4)),
    Case("roll", lambda x: x.roll(1, 1), normal(3, 4)),
    Case("roll_flat", lambda x: x.roll(5), normal(3, 4)),
    Case("rot90", lambda x: x.rot90(1, (0, 1)), normal(3, 4)),
    Case("tril", lambda x: x.tril(), normal(3, 4)),
    Case("triu_offset", lambda x: x.triu(1), normal(3, 4)),
    Case("diag_of_vector", lambda x: x.diag(), normal(3)),
    Case("diag_of_matrix", lambda x: x.diag(-1), normal(3, 4)),
    Case("diag_embed", lambda x: x.diag_embed(), normal(2, 3)),
    Case("repeat", lambda x: x.repeat(2, 1, 2), normal(3, 2)),
    Case("tile", lambda x: x.tile((2,)), normal(3, 2)),
    Case("repeat_interleave", lambda x: x.repeat_interleave(2, dim=0), normal(3, 2)),
    Case("contiguous", lambda x: x.t().contiguous(), normal(3, 4)),
    Case("clone", lambda x: x.clone(), normal(3, 4)),
    Case("narrow_copy", lambda x: x.narrow_copy(0, 1, 2), normal(3, 4)),
]

INDEXING = [
    Case("index_list", lambda x: x[[0, 2, 2]], normal(3, 4)),
    Case("index_tensor_repeated", lambda x: x[IDX], normal(3, 4)),
    Case("index_second_dim", lambda x: x[:, IDX], normal(2, 3)),
    Case("index_two_tensors", lambda x: x[IDX2[0], IDX2[1]], normal(3, 3)),
    Case("index_mask", lambda x: x[MASK], normal(3, 4)),
    Case("index_bool_rows", lambda x: x[torch.tensor([True, False, True])], normal(3, 4)),
    Case("masked_select", lambda x: x.masked_select(MASK), normal(3, 4)),
    Case("masked_fill", lambda x: x.masked_fill(MASK, 2.0), normal(3, 4)),
    Case("masked_scatter", lambda x, s: x.masked_scatter(MASK, s), normal(3, 4), normal(12)),
    Case("index_select", lambda x: x.index_select(0, IDX), normal(3, 4)),
    Case("index_select_dim1", lambda x: x.index_select(1, IDX[:3]), normal(2, 3)),
    Case("gather", lambda x: x.gather(1, IDX2), normal(2, 3)),
    Case("take", lambda x: x.take(torch.tensor([0, 5, 5, 11])), normal(3, 4)),
    Case("take_along_dim", lambda x: torch.take_along_dim(x, IDX2, 1), normal(2, 3)),
    Case("scatter", lambda x, s: x.scatter(1, torch.tensor([[0, 2], [1, 0]]), s), normal(2, 3), normal(2, 2)),
    Case("scatter_value", lambda x: x.scatter(1, torch.tensor([[0, 2], [1, 0]]), 1.5), normal(2, 3)),
    Case("scatter_add", lambda x, s: x.scatter_add(1, IDX2, s), normal(2, 3), normal(2, 3)),
    Case("scatter_reduce_sum", lambda x, s: x.scatter_reduce(1, IDX2, s, "sum"), normal(2, 3), normal(2, 3)),
    Case(
        "scatter_reduce_prod", lambda x, s: x.scatter_reduce(1, IDX2, s, "prod"), normal(2, 3), normal(2, 3)
    ),
    Case(
        "scatter_reduce_mean", lambda x, s: x.scatter_reduce(1, IDX2, s, "mean"), normal(2, 3), normal(2, 3)
    ),
    Case(
        "scatter_reduce_amax", lambda x, s: x.scatter_reduce(1, IDX2, s, "amax"), spread(2, 3), spread(2, 3)
    ),
    Case("index_add", lambda x, s: x.index_add(0, IDX, s, alpha=2), normal(3, 2), normal(4, 2)),
    Case("index_copy", lambda x, s: x.index_copy(0, torch.tensor([2, 0]), s), normal(3, 2), normal(2, 2)),
    Case("index_fill", lambda x: x.index_fill(1, torch.tensor([0, 2]), -1.0), normal(2, 3)),
    Case("index_put", lambda x, v: x.index_put((torch.tensor([0, 2]),), v), normal(3, 2), normal(2, 2)),
    Case("index_put_acc", lambda x, v: x.index_put((IDX,), v, accumulate=True), normal(3, 2), normal(4, 2)),
    Case("put", lambda x, v: x.put(torch.tensor([1, 4]), v), normal(2, 3), normal(2)),
    Case("setitem_on_clone", lambda x, v: _setitem(x, v), normal(3, 4), normal(4)),
]


def _setitem(x, v):
    y = x.clone()
    y[1] = v * 2
    y[:, 0] *= 3
    return y


JOINS = [
    Case("cat", lambda a, b: torch.cat([a, b], 1), normal(2, 3), normal(2, 1)),
    Case("cat_dim0", lambda a, b: torch.cat([a, b, a]), normal(1, 3), normal(2, 3)),
    Case("stack", lambda a, b: torch.stack([a, b], 1), normal(2, 3), normal(2, 3)),
    Case("hstack", lambda a, b: torch.hstack([a, b]), normal(2, 3), normal(2, 1)),
    Case("vstack", lambda a, b: torch.vstack([a, b]), normal(3), normal(2, 3)),
    Case("dstack", lambda a, b: torch.dstack([a, b]), normal(2, 3), normal(2, 3)),
    Case("split_int", lambda x: x.split(2, 1), normal(3, 5)),
    Case("split_sizes", lambda x: x.split([1, 3, 1], 1), normal(3, 5)),
    Case("split_partial_use", lambda x: x.split(2)[1] * 2, normal(5, 2)),
    Case("unbind", lambda x: x.unbind(1), normal(3, 4)),
    Case("unbind_partial_use", lambda x: x.unbind()[0].exp(), normal(3, 4)),
    Case("chunk", lambda x: x.chunk(3, 0), normal(5, 2)),
    Case("tensor_split", lambda x: x.tensor_split([1, 3], 1), normal(2, 5)),
    Case("broadcast_tensors", lambda a, b: torch.broadcast_tensors(a, b), normal(3, 1), normal(4)),
    Case("meshgrid", lambda a, b: torch.meshgrid(a, b, indexing="ij"), normal(3), normal(2)),
    Case("einsum", lambda a, b: torch.einsum("ij,jk->ik", a, b), normal(2, 3), normal(3, 2)),
    Case("einsum_trace_bcast", lambda a, b: torch.einsum("bii,j->bj", a, b), normal(2, 3, 3), normal(2)),
    Case(
        "tensordot",
        lambda a, b: torch.tensordot(a, b, dims=([1, 2], [0, 1])),
        normal(2, 3, 2),
        normal(3, 2, 2),
    ),
    Case("kron", torch.kron, normal(2, 2), normal(2, 3)),
    Case("cartesian_prod", lambda a, b: torch.cartesian_prod(a, b), normal(3), normal(2)),
]

MATMUL = [
    Case("mm", torch.mm, normal(2, 3), normal(3, 4)),
    Case("mm_transposed", lambda a, b: a.t() @ b.t(), normal(3, 2), normal(4, 3)),
    Case("bmm", torch.bmm, normal(2, 2, 3), normal(2, 3, 2)),
    Case("mv", torch.mv, normal(2, 3), normal(3)),
    Case("dot", torch.dot, normal(4), normal(4)),
    Case("vdot", torch.vdot, normal(4), normal(4)),
    Case("outer", torch.outer, normal(3), normal(2)),
    Case("matmul_batched_bcast", torch.matmul, normal(2, 1, 2, 3), normal(3, 3, 2)),
    Case("matmul_vec_mat", torch.matmul, normal(3), normal(2, 3, 2)),
    Case("matmul_mat_vec", torch.matmul, normal(2, 2, 3), normal(3)),
    Case(
        "addmm",
        lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2),
        normal(2, 1),
        normal(2, 3),
        normal(3, 2),
    ),
    Case("addmv", lambda c, a, b: torch.addmv(c, a, b, alpha=1.5), normal(2), normal(2, 3), normal(3)),
    Case("addr", lambda c, a, b: torch.addr(c, a, b, beta=2), normal(3, 2), normal(3), normal(2)),
    Case(
        "baddbmm",
        lambda c, a, b: torch.baddbmm(c, a, b, alpha=0.5),
        normal(2, 2),
        normal(3, 2, 3),
        normal(3, 3, 2),
    ),
    Case("addbmm", lambda c, a, b: torch.addbmm(c, a, b), normal(2, 2), normal(3, 2, 3), normal(3, 3, 2)),
]

ALL = UNARY + BINARY + REDUCTIONS + VIEWS + INDEXING + JOINS + MATMUL
# Second derivatives: every op's backward must itself be differentiable (create_graph).
# For piecewise ops the check runs away from kinks, where the first derivative is smooth.
SECOND_ORDER = ALL


def test_case_names_are_unique():
    names = [c.name for c in ALL]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_gradcheck(case):
    inputs = case.inputs()
    assert gradcheck(case.fn, inputs)


@pytest.mark.parametrize("case", SECOND_ORDER, ids=[c.name for c in SECOND_ORDER])
def test_gradgradcheck(case):
    inputs = case.inputs(seed=1)
    torch.manual_seed(0)
    assert gradgradcheck(case.fn, inputs)


@pytest.mark.parametrize(
    "case",
    [c for c in ALL if c.name in ("mul_bcast", "sum_dim", "softmax", "index_tensor_repeated", "cat", "mm")],
    ids=lambda c: c.name,
)
def test_float32_gradients_match_float64(case):
    inputs64 = case.inputs()
    inputs32 = tuple(t.detach().float().requires_grad_() for t in inputs64)
    out64 = case.fn(*inputs64)
    out32 = case.fn(*inputs32)
    g = torch.tensor(np.random.default_rng(9).standard_normal(tuple(out64.shape)))
    out64.backward(g)
    out32.backward(g.float())
    for a, b in zip(inputs64, inputs32):
        assert b.grad.dtype == torch.float32
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- closed forms


def vjp(fn, inputs, seed=7):
    """Run fn, backpropagate a random cotangent; returns (output, cotangent, grads) as numpy."""
    out = fn(*inputs)
    g = np.random.default_rng(seed).standard_normal(tuple(out.shape))
    grads = torch.autograd.grad(out, inputs, grad_outputs=torch.tensor(g))
    return out.detach().numpy(), g, [t.numpy() for t in grads]


def leaf(a):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def test_closed_form_softmax_and_log_softmax():
    xn = _rng(1).standard_normal((3, 5))
    x = leaf(xn)
    s, g, (gx,) = vjp(lambda t: t.softmax(1), (x,))
    np.testing.assert_allclose(gx, s * (g - (g * s).sum(1, keepdims=True)), rtol=1e-12, atol=1e-12)
    ls, g, (gx,) = vjp(lambda t: t.log_softmax(1), (x,))
    np.testing.assert_allclose(gx, g - np.exp(ls) * g.sum(1, keepdims=True), rtol=1e-12, atol=1e-12)


def test_closed_form_matmul():
    an = _rng(2).standard_normal((2, 4, 3))
    bn = _rng(3).standard_normal((3, 5))
    a, b = leaf(an), leaf(bn)
    _, g, (ga, gb) = vjp(torch.matmul, (a, b))
    np.testing.assert_allclose(ga, g @ bn.T, rtol=1e-12)
    np.testing.assert_allclose(gb, np.einsum("bij,bik->jk", an, g), rtol=1e-12)


def test_closed_form_cumsum_and_cumprod():
    xn = np.array([1.5, -0.5, 0.0, 2.0, 0.7, 0.0, 3.0])
    x = leaf(xn)
    _, g, (gx,) = vjp(lambda t: t.cumsum(0), (x,))
    np.testing.assert_allclose(gx, np.cumsum(g[::-1])[::-1])
    _, g, (gx,) = vjp(lambda t: t.cumprod(0), (x,))
    n = len(xn)
    expected = np.zeros(n)
    for i in range(n):
        for k in range(i, n):
            expected[i] += g[k] * np.prod([xn[j] for j in range(k + 1) if j != i])
    np.testing.assert_allclose(gx, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("values", [[1.5, -2.0, 0.7, 3.0], [1.5, 0.0, -2.0, 0.7], [0.0, 1.5, 0.0, 2.0]])
def test_closed_form_prod(values):
    xn = np.array(values)
    x = leaf(xn)
    x.prod().backward()
    expected = [np.prod(np.delete(xn, i)) for i in range(len(xn))]
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_closed_form_repeated_index_accumulates():
    xn = _rng(4).standard_normal((4, 3))
    x = leaf(xn)
    idx = np.array([3, 0, 3, 3, 1])
    _, g, (gx,) = vjp(lambda t: t[torch.tensor(idx)], (x,))
    expected = np.zeros_like(xn)
    np.add.at(expected, idx, g)
    np.testing.assert_allclose(gx, expected)


def test_closed_form_max_dim_and_sort():
    xn = spread(3, 5)(_rng(5))
    x = leaf(xn)
    _, g, (gx,) = vjp(lambda t: t.max(1).values, (x,))
    expected = np.zeros_like(xn)
    expected[np.arange(3), xn.argmax(1)] = g
    np.testing.assert_allclose(gx, expected)
    _, g, (gx,) = vjp(lambda t: t.sort(1, descending=True).values, (x,))
    order = np.argsort(-xn, axis=1)
    expected = np.zeros_like(xn)
    np.put_along_axis(expected, order, g, axis=1)
    np.testing.assert_allclose(gx, expected)


def test_closed_form_norm_and_var():
    xn = _rng(6).standard_normal((3, 4))
    x = leaf(xn)
    x.norm().backward()
    np.testing.assert_allclose(x.grad.numpy(), xn / np.linalg.norm(xn), rtol=1e-12)
    x = leaf(xn)
    _, g, (gx,) = vjp(lambda t: t.var(1), (x,))
    centred = xn - xn.mean(1, keepdims=True)
    np.testing.assert_allclose(gx, 2 * centred / (4 - 1) * g[:, None], rtol=1e-12)


def test_closed_form_split_and_unbind_multi_output():
    xn = _rng(7).standard_normal((4, 3))
    x = leaf(xn)
    a, b = x.split([1, 3])
    c = x.unbind(1)
    (a.sum() * 2 + (b * b).sum() + (c[2] * 5).sum()).backward()
    expected = np.zeros_like(xn)
    expected[0] += 2
    expected[1:] += 2 * xn[1:]
    expected[:, 2] += 5
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_closed_form_broadcast_reduction_to_shape():
    an = _rng(8).standard_normal((2, 1, 3))
    bn = _rng(9).standard_normal((4, 1))
    a, b = leaf(an), leaf(bn)
    _, g, (ga, gb) = vjp(lambda p, q: p * q, (a, b))
    np.testing.assert_allclose(ga, (g * bn).sum(1, keepdims=True))
    np.testing.assert_allclose(gb, (g * an).sum((0, 2))[:, None])


def test_closed_form_scatter_gather():
    xn = _rng(10).standard_normal((2, 3))
    x = leaf(xn)
    idx = np.array([[0, 2, 2], [1, 0, 1]])
    _, g, (gx,) = vjp(lambda t: t.gather(1, torch.tensor(idx)), (x,))
    expected = np.zeros_like(xn)
    for i in range(2):
        np.add.at(expected[i], idx[i], g[i])
    np.testing.assert_allclose(gx, expected)
    src = leaf(_rng(11).standard_normal((2, 3)))
    base = leaf(xn)
    _, g, (gb, gs) = vjp(lambda b, s: b.scatter_add(1, torch.tensor(idx), s), (base, src))
    np.testing.assert_allclose(gb, g)
    np.testing.assert_allclose(gs, np.take_along_axis(g, idx, 1))


def test_closed_form_where_and_clamp():
    xn = away_from_zero(3, 4)(_rng(12))
    yn = _rng(13).standard_normal(4)
    x, y = leaf(xn), leaf(yn)
    _, g, (gx, gy) = vjp(lambda a, b: torch.where(a > 0, a, b), (x, y))
    np.testing.assert_allclose(gx, np.where(xn > 0, g, 0))
    np.testing.assert_allclose(gy, np.where(xn > 0, 0, g).sum(0))
    _, g, (gx,) = vjp(lambda a: a.clamp(-0.5, 0.5), (x,))
    np.testing.assert_allclose(gx, np.where(np.abs(xn) < 0.5, g, 0))
