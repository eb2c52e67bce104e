"""embertorch.linalg against numpy.linalg, closed forms and finite differences."""

import embertorch as torch
import numpy as np
import pytest
from embertorch.autograd import gradcheck, gradgradcheck

FLOATS = [torch.float32, torch.float64]
NPF = {torch.float32: np.float32, torch.float64: np.float64}
TOL = {torch.float32: {"rtol": 1e-4, "atol": 1e-4}, torch.float64: {"rtol": 1e-10, "atol": 1e-10}}


def rng(seed=0):
    return np.random.default_rng(seed)


def well_conditioned(shape, seed=0):
    """Random square matrices with a strong diagonal (far from singular)."""
    a = rng(seed).standard_normal(shape)
    n = shape[-1]
    return a + n * np.eye(n)


def spd(shape, seed=0):
    a = rng(seed).standard_normal(shape)
    n = shape[-1]
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def T(a, dtype=torch.float64, requires_grad=False):
    return torch.tensor(np.asarray(a).tolist(), dtype=dtype, requires_grad=requires_grad)


def close(t, expected, dtype=torch.float64, **kw):
    tol = dict(TOL[dtype])
    tol.update(kw)
    np.testing.assert_allclose(t.detach().numpy().astype(np.float64), expected, **tol)


# --- inv -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 5, 5), (1, 1)])
def test_inv_matches_numpy(dtype, shape):
    a = well_conditioned(shape).astype(NPF[dtype])
    r = torch.linalg.inv(T(a, dtype))
    assert r.dtype == dtype and tuple(r.shape) == shape
    close(r, np.linalg.inv(a.astype(np.float64)), dtype)
    close(torch.inverse(T(a, dtype)), np.linalg.inv(a.astype(np.float64)), dtype)
    close(T(a, dtype).inverse(), np.linalg.inv(a.astype(np.float64)), dtype)


def test_inv_non_contiguous_and_empty():
    a = well_conditioned((3, 4, 4))
    t = T(a).transpose(-2, -1)
    assert not t.is_contiguous()
    close(torch.linalg.inv(t), np.linalg.inv(np.swapaxes(a, -1, -2)))
    strided = T(well_conditioned((6, 6)))[::2, ::2]
    close(torch.linalg.inv(strided), np.linalg.inv(strided.numpy()))
    assert tuple(torch.linalg.inv(torch.zeros(0, 3, 3)).shape) == (0, 3, 3)
    assert tuple(torch.linalg.inv(torch.zeros(2, 0, 0)).shape) == (2, 0, 0)


def test_inv_errors():
    singular = torch.tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(torch.linalg.LinAlgError, match="The diagonal element 2 is zero"):
        torch.linalg.inv(singular)
    assert issubclass(torch.linalg.LinAlgError, RuntimeError)
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\): The diagonal element"):
        torch.linalg.inv(torch.stack([torch.eye(2), singular]))
    with pytest.raises(RuntimeError, match="must be batches of square matrices, but they are 2 by 3"):
        torch.linalg.inv(torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="must have at least 2 dimensions"):
        torch.linalg.inv(torch.ones(3))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        torch.linalg.inv(torch.ones(2, 2, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="Low precision dtypes not supported. Got Half"):
        torch.linalg.inv(torch.ones(2, 2, dtype=torch.float16))
    with pytest.raises(TypeError):
        torch.linalg.inv([[1.0]])


def test_inv_ex_reports_info():
    singular = torch.tensor([[1.0, 2.0], [2.0, 4.0]])
    r = torch.linalg.inv_ex(torch.stack([torch.eye(2), singular]))
    assert r.info.tolist() == [0, 2]
    assert r.info.dtype == torch.int32
    close(r.inverse[0], np.eye(2), torch.float32)


def test_inv_gradient():
    a = T(well_conditioned((3, 3), 1), requires_grad=True)
    assert gradcheck(torch.linalg.inv, (a,))
    assert gradgradcheck(torch.linalg.inv, (a,))
    b = T(well_conditioned((2, 3, 3), 2), requires_grad=True)
    assert gradcheck(torch.linalg.inv, (b,))
    # Closed form: d sum(inv(A)) / dA = -inv(A)^T 1 inv(A)^T.
    a.grad = None
    torch.linalg.inv(a).sum().backward()
    ia = np.linalg.inv(a.detach().numpy())
    close(a.grad, -(ia.T @ np.ones((3, 3)) @ ia.T))


# --- det / slogdet / logdet ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_det_matches_numpy(dtype):
    a = rng(3).standard_normal((4, 3, 3))
    t = T(a, dtype)
    close(torch.linalg.det(t), np.linalg.det(a), dtype)
    close(torch.det(t.transpose(-2, -1)), np.linalg.det(a), dtype)
    sign, logabs = torch.linalg.slogdet(t)
    ns, nl = np.linalg.slogdet(a)
    close(sign, ns, dtype)
    close(logabs, nl, dtype)
    assert tuple(torch.linalg.det(torch.zeros(0, 2, 2)).shape) == (0,)
    close(torch.linalg.det(torch.zeros(0, 0, dtype=dtype)), np.array(1.0), dtype)


def test_det_singular_and_logdet():
    s = torch.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=torch.float64)
    assert torch.linalg.det(s).item() == 0.0
    sign, logabs = torch.linalg.slogdet(s)
    assert sign.item() == 0.0 and logabs.item() == float("-inf")
    neg = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    assert torch.linalg.det(neg).item() == pytest.approx(-1.0)
    assert np.isnan(torch.logdet(neg).item())
    p = spd((3, 3))
    assert torch.logdet(T(p)).item() == pytest.approx(np.log(np.linalg.det(p)))
    r = torch.slogdet(T(p))
    assert "torch.return_types.slogdet(" in repr(r) and r.sign.item() == 1.0


def test_det_gradient_closed_form():
    a = T(well_conditioned((3, 3), 4), requires_grad=True)
    torch.linalg.det(a).backward()
    an = a.detach().numpy()
    close(a.grad, np.linalg.det(an) * np.linalg.inv(an).T)
    assert gradcheck(torch.linalg.det, (a,))
    assert gradgradcheck(torch.linalg.det, (a,))
    # Singular matrices: the gradient is the adjugate's transpose.
    s = T([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], requires_grad=True)
    torch.linalg.det(s).backward()
    sn = s.detach().numpy()
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(sn, i, 0), j, 1))
                     for j in range(3)] for i in range(3)])
    close(s.grad, cof, atol=1e-9)
    b = T(rng(5).standard_normal((2, 3, 3)), requires_grad=True)
    assert gradcheck(lambda x: torch.linalg.slogdet(x)[1], (b,))
    assert gradcheck(torch.logdet, (T(spd((3, 3)), requires_grad=True),))


# --- solve -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_solve_matches_numpy(dtype):
    a = well_conditioned((2, 3, 3), 6)
    b = rng(7).standard_normal((2, 3, 2))
    close(torch.linalg.solve(T(a, dtype), T(b, dtype)), np.linalg.solve(a, b), dtype)
    v = rng(8).standard_normal(3)
    close(torch.linalg.solve(T(a[0], dtype), T(v, dtype)), np.linalg.solve(a[0], v), dtype)
    # A batch of vectors, and broadcasting of batch dims.
    vb = rng(9).standard_normal((2, 3))
    close(torch.linalg.solve(T(a, dtype), T(vb, dtype)), np.linalg.solve(a, vb[..., None])[..., 0], dtype)
    close(torch.linalg.solve(T(a[0], dtype), T(b, dtype)), np.linalg.solve(a[0], b), dtype)
    # left=False: X A = B.
    bl = rng(10).standard_normal((2, 2, 3))
    expect = np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(bl, -1, -2)), -1, -2)
    close(torch.linalg.solve(T(a, dtype), T(bl, dtype), left=False), expect, dtype)


def test_solve_errors():
    with pytest.raises(torch.linalg.LinAlgError, match="input matrix is singular"):
        torch.linalg.solve(torch.tensor([[1.0, 2.0], [2.0, 4.0]]), torch.ones(2))
    with pytest.raises(RuntimeError, match="Incompatible shapes of A and B"):
        torch.linalg.solve(torch.eye(3), torch.ones(2, 1))
    with pytest.raises(RuntimeError, match="Expected A and B to have the same dtype"):
        torch.linalg.solve(torch.eye(2), torch.ones(2, dtype=torch.float64))


def test_solve_gradient():
    a = T(well_conditioned((3, 3), 11), requires_grad=True)
    b = T(rng(12).standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(torch.linalg.solve, (a, b))
    assert gradgradcheck(torch.linalg.solve, (a, b))
    v = T(rng(13).standard_normal(3), requires_grad=True)
    assert gradcheck(torch.linalg.solve, (a, v))
    assert gradcheck(lambda x, y: torch.linalg.solve(x, y, left=False), (a, b.detach().t().clone().requires_grad_()))


# --- cholesky --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_cholesky_matches_numpy(dtype):
    p = spd((2, 4, 4), 14)
    L = torch.linalg.cholesky(T(p, dtype))
    close(L, np.linalg.cholesky(p), dtype)
    U = torch.linalg.cholesky(T(p, dtype), upper=True)
    close(U, np.swapaxes(np.linalg.cholesky(p), -1, -2), dtype)
    close(torch.cholesky(T(p[0], dtype)), np.linalg.cholesky(p[0]), dtype)


def test_cholesky_errors():
    with pytest.raises(torch.linalg.LinAlgError, match=r"leading minor of order 2 is not positive-definite"):
        torch.linalg.cholesky(torch.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(torch.linalg.LinAlgError, match=r"\(Batch element 1\)"):
        torch.linalg.cholesky(torch.stack([torch.eye(2), -torch.eye(2)]))
    with pytest.raises(RuntimeError, match="^cholesky: "):
        torch.cholesky(-torch.eye(2))
    ex = torch.linalg.cholesky_ex(torch.stack([torch.eye(2), -torch.eye(2)]))
    assert ex.info.tolist() == [0, 1]


def test_cholesky_gradient():
    x = T(rng(15).standard_normal((3, 3)), requires_grad=True)

    def f(x):
        return torch.linalg.cholesky(x @ x.t() + 3 * torch.eye(3, dtype=torch.float64))

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))
    assert gradcheck(lambda x: torch.linalg.cholesky(x @ x.t() + torch.eye(3, dtype=torch.float64), upper=True), (x,))


# --- qr --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4)])
def test_qr_reconstructs(dtype, shape):
    a = rng(16).standard_normal(shape)
    k = min(shape[-2:])
    Q, R = torch.linalg.qr(T(a, dtype))
    q, r = Q.numpy().astype(np.float64), R.numpy().astype(np.float64)
    assert q.shape == shape[:-2] + (shape[-2], k) and r.shape == shape[:-2] + (k, shape[-1])
    np.testing.assert_allclose(q @ r, a, **TOL[dtype])
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(k), q.shape[:-2] + (k, k)), **TOL[dtype])
    assert np.allclose(np.tril(r, -1), 0)
    # R is unique up to the signs of its rows.
    np.testing.assert_allclose(np.abs(r), np.abs(np.linalg.qr(a)[1]), **TOL[dtype])


def test_qr_modes():
    a = rng(17).standard_normal((5, 3))
    Q, R = torch.linalg.qr(T(a), mode="complete")
    assert tuple(Q.shape) == (5, 5) and tuple(R.shape) == (5, 3)
    np.testing.assert_allclose(Q.numpy() @ R.numpy(), a, atol=1e-10)
    Q, R = torch.linalg.qr(T(a), mode="r")
    assert tuple(Q.shape) == (0,) and tuple(R.shape) == (3, 3)
    with pytest.raises(RuntimeError, match="qr received unrecognized mode 'foo'"):
        torch.linalg.qr(T(a), mode="foo")
    r = torch.qr(T(a))
    assert "torch.return_types.qr(" in repr(r)


def test_qr_gradient():
    a = T(rng(18).standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda x: torch.linalg.qr(x), (a,))
    sq = T(rng(19).standard_normal((3, 3)), requires_grad=True)
    assert gradcheck(lambda x: torch.linalg.qr(x, mode="complete"), (sq,))
    assert gradgradcheck(lambda x: torch.linalg.qr(x)[1], (a,))


# --- eigh ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_eigh_matches_numpy(dtype):
    p = spd((2, 4, 4), 20)
    w, V = torch.linalg.eigh(T(p, dtype))
    nw, nV = np.linalg.eigh(p)
    close(w, nw, dtype)
    # Eigenvectors up to sign.
    v = V.numpy().astype(np.float64)
    np.testing.assert_allclose(np.abs(np.sum(v * nV, axis=-2)), 1.0, **TOL[dtype])
    close(torch.linalg.eigvalsh(T(p, dtype)), nw, dtype)
    # Only one triangle is read.
    lower = np.tril(p[0])
    close(torch.linalg.eigvalsh(T(lower, dtype)), np.linalg.eigvalsh(p[0]), dtype)
    upper = np.triu(p[0])
    close(torch.linalg.eigvalsh(T(upper, dtype), UPLO="U"), np.linalg.eigvalsh(p[0]), dtype)
    with pytest.raises(RuntimeError, match="Expected UPLO argument to be 'L' or 'U'"):
        torch.linalg.eigh(T(p[0]), UPLO="X")


def test_eigh_gradient():
    x = T(rng(21).standard_normal((3, 3)), requires_grad=True)

    def vals(x):
        return torch.linalg.eigvalsh(x + x.t())

    def vecs(x):
        w, v = torch.linalg.eigh(x + x.t())
        return w, v * v[0:1, :].sign()  # fix each vector's sign

    assert gradcheck(vals, (x,))
    assert gradcheck(vecs, (x,))
    assert gradgradcheck(vals, (x,))
    # The gradient through the eigenvectors is symmetric (only the symmetric part of a
    # perturbation moves a symmetric matrix's eigenvectors).
    p = T(spd((3, 3), 23), requires_grad=True)
    _, v = torch.linalg.eigh(p)
    (v * T(rng(24).standard_normal((3, 3)))).sum().backward()
    close(p.grad, p.grad.t().detach().numpy(), atol=1e-12)
    # Closed form: d lambda_i = v_i^T dA v_i.
    p = T(spd((3, 3), 22), requires_grad=True)
    torch.linalg.eigvalsh(p)[2].backward()
    v = np.linalg.eigh(p.detach().numpy())[1][:, 2]
    close(p.grad, np.outer(v, v), atol=1e-8)


def test_eig_not_supported():
    with pytest.raises(NotImplementedError, match="complex"):
        torch.linalg.eig(torch.eye(2))
    with pytest.raises(NotImplementedError, match="complex"):
        torch.linalg.eigvals(torch.eye(2))


# --- svd -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4), (3, 1, 2, 3)])
def test_svd_matches_numpy(dtype, shape):
    a = rng(23).standard_normal(shape)
    U, S, Vh = torch.linalg.svd(T(a, dtype), full_matrices=False)
    u, s, vh = (x.numpy().astype(np.float64) for x in (U, S, Vh))
    close(S, np.linalg.svd(a, compute_uv=False), dtype)
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, a, **TOL[dtype])
    k = min(shape[-2:])
    eye = np.broadcast_to(np.eye(k), shape[:-2] + (k, k))
    np.testing.assert_allclose(np.swapaxes(u, -1, -2) @ u, eye, **TOL[dtype])
    np.testing.assert_allclose(vh @ np.swapaxes(vh, -1, -2), eye, **TOL[dtype])
    close(torch.linalg.svdvals(T(a, dtype)), np.linalg.svd(a, compute_uv=False), dtype)


def test_svd_full_and_top_level():
    a = rng(24).standard_normal((5, 3))
    U, _S, Vh = torch.linalg.svd(T(a))
    assert tuple(U.shape) == (5, 5) and tuple(Vh.shape) == (3, 3)
    np.testing.assert_allclose(U.numpy().T @ U.numpy(), np.eye(5), atol=1e-10)
    r = torch.svd(T(a))
    assert "torch.return_types.svd(" in repr(r) and r._fields == ("U", "S", "V")
    assert tuple(r.U.shape) == (5, 3) and tuple(r.V.shape) == (3, 3)
    np.testing.assert_allclose((r.U.numpy() * r.S.numpy()) @ r.V.numpy().T, a, atol=1e-10)
    r = torch.svd(T(a), compute_uv=False)
    assert tuple(r.U.shape) == (5, 5) and float(r.U.abs().sum()) == 0.0
    assert "torch.return_types.linalg_svd(" in repr(torch.linalg.svd(T(a)))
    e = torch.linalg.svd(torch.zeros(0, 3, 2))
    assert [tuple(x.shape) for x in e] == [(0, 3, 3), (0, 2), (0, 2, 2)]
    with pytest.raises(RuntimeError, match="Expected a floating point"):
        torch.linalg.svd(torch.ones(3, 3, dtype=torch.int64))


def test_svd_gradient():
    a = T(rng(25).standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(torch.linalg.svdvals, (a,))
    assert gradgradcheck(torch.linalg.svdvals, (a,))

    def gauge_free(x):
        U, S, Vh = torch.linalg.svd(x, full_matrices=False)
        return U @ Vh, (U * S) @ U.t(), Vh.t() @ Vh

    assert gradcheck(gauge_free, (a,))
    assert gradcheck(gauge_free, (a.detach().t().clone().requires_grad_(),))

    def sign_fixed(x):
        U, S, _Vh = torch.linalg.svd(x, full_matrices=True)
        return S, U[:, :3] * U[0:1, :3].sign()

    assert gradcheck(sign_fixed, (a,))
    # Closed form: d s_max / dA = u_1 v_1^T.
    a.grad = None
    torch.linalg.svdvals(a)[0].backward()
    u, _s, vh = np.linalg.svd(a.detach().numpy())
    close(a.grad, np.outer(u[:, 0], vh[0]), atol=1e-8)


# --- compositions ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_pinv_lstsq_rank(dtype):
    a = rng(26).standard_normal((2, 5, 3))
    close(torch.linalg.pinv(T(a, dtype)), np.linalg.pinv(a), dtype, rtol=1e-3)
    close(torch.pinverse(T(a[0], dtype)), np.linalg.pinv(a[0]), dtype, rtol=1e-3)
    deficient = a[0] @ np.diag([1.0, 1.0, 0.0])
    close(torch.linalg.pinv(T(deficient, dtype)), np.linalg.pinv(deficient), dtype, rtol=1e-3)
    assert torch.linalg.matrix_rank(T(deficient, dtype)).item() == 2
    assert torch.linalg.matrix_rank(T(a, dtype)).tolist() == [3, 3]
    sym = spd((3, 3))
    close(torch.linalg.pinv(T(sym, dtype), hermitian=True), np.linalg.inv(sym), dtype, rtol=1e-3)
    b = rng(27).standard_normal((2, 5, 2))
    r = torch.linalg.lstsq(T(a, dtype), T(b, dtype))
    expect = np.stack([np.linalg.lstsq(a[i], b[i], rcond=None)[0] for i in range(2)])
    close(r.solution, expect, dtype, rtol=1e-3)
    res = np.stack([np.linalg.lstsq(a[i], b[i], rcond=None)[1] for i in range(2)])
    close(r.residuals, res, dtype, rtol=1e-3)
    assert r.rank.tolist() == [3, 3]
    v = torch.linalg.lstsq(T(a[0], dtype), T(b[0, :, 0], dtype)).solution
    close(v, np.linalg.lstsq(a[0], b[0, :, 0], rcond=None)[0], dtype, rtol=1e-3)


def test_lstsq_errors():
    with pytest.raises(RuntimeError, match="parameter `driver` should be one of"):
        torch.linalg.lstsq(torch.eye(2), torch.ones(2, 1), driver="foo")
    with pytest.raises(RuntimeError, match="input's dtype Float and other's dtype Double"):
        torch.linalg.lstsq(torch.eye(2), torch.ones(2, 1, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"input.size\(-2\) should match other.size\(-2\)"):
        torch.linalg.lstsq(torch.eye(2), torch.ones(3, 1))
    r = torch.linalg.lstsq(torch.eye(2), torch.ones(2, 1), driver="gelsd")
    assert r.singular_values.tolist() == [1.0, 1.0]
    assert "torch.return_types.linalg_lstsq(" in repr(r)


def test_pinv_gradient():
    a = T(rng(28).standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(torch.linalg.pinv, (a,))


@pytest.mark.parametrize("dtype", FLOATS)
def test_matrix_power(dtype):
    a = well_conditioned((2, 3, 3), 29) / 3
    for n in (0, 1, 2, 3, 5, -1, -2):
        close(torch.linalg.matrix_power(T(a, dtype), n), np.linalg.matrix_power(a, n), dtype, rtol=1e-3)
    ai = torch.tensor([[1, 1], [1, 0]])
    assert torch.matrix_power(ai, 10).tolist() == np.linalg.matrix_power(np.array([[1, 1], [1, 0]]), 10).tolist()
    with pytest.raises(RuntimeError, match="A must be batches of square matrices"):
        torch.linalg.matrix_power(torch.ones(3, 2), 2)
    x = T(a[0], requires_grad=True)
    assert gradcheck(lambda x: torch.linalg.matrix_power(x, 3), (x,))
    assert gradcheck(lambda x: torch.linalg.matrix_power(x, -2), (x,))


@pytest.mark.parametrize("dtype", FLOATS)
def test_norms(dtype):
    a = rng(30).standard_normal((2, 4, 3))
    t = T(a, dtype)
    for ord in ("fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")):
        expect = np.linalg.norm(a, ord=ord, axis=(-2, -1))
        close(torch.linalg.matrix_norm(t, ord), expect, dtype, rtol=1e-4)
        close(torch.linalg.norm(t, ord, dim=(-2, -1)), expect, dtype, rtol=1e-4)
    close(torch.linalg.matrix_norm(t, 1, dim=(0, 2)), np.linalg.norm(a, 1, axis=(0, 2)), dtype)
    kd = torch.linalg.matrix_norm(t, "nuc", keepdim=True)
    assert tuple(kd.shape) == (2, 1, 1)
    for ord in (1, 2, 3, float("inf"), 0):
        close(torch.linalg.vector_norm(t, ord), np.linalg.norm(a.ravel(), ord), dtype)
        close(torch.linalg.norm(t[0, 0], ord), np.linalg.norm(a[0, 0], ord), dtype)
    close(torch.linalg.norm(t), np.linalg.norm(a.ravel()), dtype)
    close(torch.linalg.norm(t[0], 2), np.linalg.norm(a[0], 2), dtype)
    close(torch.norm(t, "nuc"), np.linalg.norm(a, "nuc", axis=(-2, -1)), dtype, rtol=1e-4)
    with pytest.raises(RuntimeError, match="must be 1D or 2D"):
        torch.linalg.norm(t, 2)
    x = T(a[0], requires_grad=True)
    for ord in ("fro", "nuc", 2, 1, float("inf")):
        assert gradcheck(lambda x, ord=ord: torch.linalg.matrix_norm(x, ord), (x,))
    close(torch.linalg.cond(T(a[0, :3], dtype)), np.linalg.cond(a[0, :3]), dtype, rtol=1e-4)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross(dtype):
    a = rng(31).standard_normal((4, 3))
    b = rng(32).standard_normal((4, 3))
    close(torch.linalg.cross(T(a, dtype), T(b, dtype)), np.cross(a, b), dtype)
    close(torch.cross(T(a.T, dtype), T(b.T, dtype), dim=0), np.cross(a.T, b.T, axis=0), dtype)
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        r = torch.cross(T(a.T, dtype), T(b.T, dtype))  # first dim of size 3
    close(r, np.cross(a.T, b.T, axis=0), dtype)
    close(torch.linalg.cross(T(a, dtype), T(b[:1], dtype)), np.cross(a, b[:1]), dtype)
    with pytest.raises(RuntimeError, match="must have length 3"):
        torch.linalg.cross(torch.ones(3, 2), torch.ones(3, 2))
    x, y = T(a, requires_grad=True), T(b, requires_grad=True)
    assert gradcheck(torch.linalg.cross, (x, y))


def test_multi_dot_and_vecdot():
    a, b, c = (rng(i).standard_normal(s) for i, s in ((33, (2, 3)), (34, (3, 4)), (35, (4,))))
    close(torch.linalg.multi_dot([T(a), T(b), T(c)]), np.linalg.multi_dot([a, b, c]))
    close(torch.linalg.vecdot(T(a), T(a)), np.sum(a * a, -1))


def test_tensor_methods_and_broadcast_gradients():
    a = well_conditioned((3, 3), 36)
    t = T(a)
    close(t.det(), np.linalg.det(a))
    close(t.inverse(), np.linalg.inv(a))
    close(t.svd().S, np.linalg.svd(a, compute_uv=False))
    close(t.matrix_power(2), a @ a)
    close(t.slogdet().logabsdet, np.linalg.slogdet(a)[1])
    # One A against a batch of right-hand sides: A's gradient sums over the batch.
    A = T(a, requires_grad=True)
    B = T(rng(37).standard_normal((4, 3, 2)), requires_grad=True)
    assert gradcheck(torch.linalg.solve, (A, B))


def test_float32_gradients_match_float64():
    a = well_conditioned((3, 3), 38)
    grads = []
    for dtype in FLOATS:
        x = T(a, dtype, requires_grad=True)
        (torch.linalg.det(x) + torch.linalg.inv(x).sum() + torch.linalg.svdvals(x).sum()).backward()
        grads.append(x.grad.double().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-4)


def test_double_backward_through_decompositions():
    x = T(rng(39).standard_normal((3, 3)), requires_grad=True)
    a = T(rng(40).standard_normal((4, 3)), requires_grad=True)

    def svd_gauge_free(m):
        U, S, Vh = torch.linalg.svd(m, full_matrices=False)
        return U @ Vh, (U * S) @ U.t()

    def eigh_gauge_free(m):
        w, v = torch.linalg.eigh(m + m.t())
        return (v * w) @ v.t(), (v * w.exp()) @ v.t()

    assert gradgradcheck(svd_gauge_free, (a,))
    assert gradgradcheck(eigh_gauge_free, (x,))
    assert gradgradcheck(torch.linalg.pinv, (a,))
    assert gradgradcheck(lambda m: torch.linalg.slogdet(m)[1], (x,))


_SQUARE_OPS = {
    "inv": torch.linalg.inv,
    "det": torch.linalg.det,
    "slogdet": lambda a: torch.linalg.slogdet(a)[1],
    "solve": lambda a: torch.linalg.solve(a, a[..., :1] * 2),
    "cholesky": lambda a: torch.linalg.cholesky(a @ a.transpose(-2, -1) + torch.eye(a.shape[-1], dtype=a.dtype)),
    "eigvalsh": lambda a: torch.linalg.eigvalsh(a + a.transpose(-2, -1)),
    "qr_r": lambda a: torch.linalg.qr(a)[1].abs(),
    "svdvals": torch.linalg.svdvals,
    "pinv": torch.linalg.pinv,
    "matrix_power": lambda a: torch.linalg.matrix_power(a, 3),
}


@pytest.mark.parametrize("name", sorted(_SQUARE_OPS))
def test_non_contiguous_and_expanded_inputs(name):
    op = _SQUARE_OPS[name]
    a = well_conditioned((2, 4, 4), 41)
    base = T(np.swapaxes(a, -1, -2).copy())
    transposed = T(a).transpose(-2, -1)
    assert not transposed.is_contiguous()
    close(op(transposed), op(base).numpy(), atol=1e-9)
    wide = T(well_conditioned((2, 8, 8), 42))[:, ::2, ::2]
    close(op(wide), op(wide.contiguous()).numpy(), atol=1e-9)
    expanded = T(a[0]).expand(3, 4, 4)
    r = op(expanded).numpy()
    np.testing.assert_allclose(r, np.broadcast_to(op(T(a[0])).numpy(), r.shape), atol=1e-9)


@pytest.mark.parametrize("name", sorted(_SQUARE_OPS))
def test_empty_batch(name):
    r = _SQUARE_OPS[name](torch.zeros(0, 3, 3, dtype=torch.float64))
    assert r.shape[0] == 0
