"""linalg family over LAPACK (core/ops/linalg_lapack.c): potrf, potri, trmm,
trsm, sumlogdiag, syrk, gelqf, syevd, inverse, det, slogdet, extractdiag,
makediag, extracttrian, maketrian.

Forward against numpy, gradients against finite differences (float64), error
cases, and values printed by MXNet 1.9.1 for its conventions (signs of gelqf
and syevd, output orders, triangle packing, the symmetric gradients of potrf
and syevd)."""
import numpy as np
import pytest
from harness import autograd_grads, check_grad, check_op, expect_error, run_op

rng = np.random.default_rng(0)
LEADS = [(), (2,), (2, 3)]
DTYPES = [np.float32, np.float64]


def r(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def spd(lead, n, dtype=np.float64):
    x = rng.standard_normal(lead + (n, n))
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype)


def lower_tri(lead, n, dtype=np.float64):
    """Well-conditioned lower-triangular matrices (diagonal in [1.5, 2.5])."""
    x = np.tril(rng.standard_normal(lead + (n, n)) * 0.5, -1)
    return (x + np.eye(n) * rng.uniform(1.5, 2.5, lead + (n,))[..., None, :]).astype(dtype)


def tol(dtype):
    return (1e-4, 1e-5) if dtype == np.float32 else (1e-10, 1e-11)


def T(x):
    return np.swapaxes(x, -1, -2)


def scalar_shape(a):
    """MXNet: one value per matrix, (1,) for a single matrix."""
    return a.shape[:-2] or (1,)


# ---------------------------------------------------------------- forward ----
@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_potrf_potri(lead, dtype):
    a = spd(lead, 4, dtype)
    rt, at = tol(dtype)
    L = check_op("linalg_potrf", [a], {}, lambda x: np.linalg.cholesky(x.astype(np.float64)), rtol=rt, atol=at)[0]
    assert L.dtype == dtype
    # only the lower triangle is read
    junk = a + np.triu(np.full((4, 4), 7.0, dtype), 1)
    np.testing.assert_allclose(run_op("_linalg_potrf", [junk])[0], L, rtol=rt, atol=at)
    check_op("linalg_potri", [L], {}, lambda x: np.linalg.inv(x.astype(np.float64) @ T(x.astype(np.float64))),
             rtol=100 * rt, atol=100 * at)
    junkL = L + np.triu(np.full((4, 4), 3.0, dtype), 1)
    np.testing.assert_allclose(run_op("_linalg_potri", [junkL])[0], run_op("linalg_potri", [L])[0])


def trmm_ref(A, B, transpose, rightside, lower, alpha):
    A = np.tril(A) if lower else np.triu(A)
    opA = T(A) if transpose else A
    return alpha * (B @ opA if rightside else opA @ B)


def trsm_ref(A, B, transpose, rightside, lower, alpha):
    A = np.tril(A) if lower else np.triu(A)
    opA = T(A) if transpose else A
    if rightside:  # X opA = alpha B  ->  opA^T X^T = alpha B^T
        return T(np.linalg.solve(T(opA), alpha * T(B)))
    return np.linalg.solve(opA, alpha * B)


TR_FLAGS = [(t, rs, lo) for t in (False, True) for rs in (False, True) for lo in (False, True)]


@pytest.mark.parametrize("transpose,rightside,lower", TR_FLAGS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_trmm_trsm(transpose, rightside, lower, dtype):
    attrs = {"transpose": transpose, "rightside": rightside, "lower": lower, "alpha": 1.5}
    rt, at = tol(dtype)
    for lead in LEADS:
        A = lower_tri(lead, 3)
        if not lower:
            A = T(A).copy()
        A = A + (np.triu(np.ones((3, 3)), 1) if lower else np.tril(np.ones((3, 3)), -1)) * 5  # ignored triangle
        B = r(*(lead + ((4, 3) if rightside else (3, 4))))
        A, B = A.astype(dtype), B.astype(dtype)
        check_op("linalg_trmm", [A, B], attrs,
                 lambda a, b: trmm_ref(a.astype(np.float64), b.astype(np.float64), transpose, rightside, lower, 1.5),
                 rtol=rt, atol=at)
        check_op("_linalg_trsm", [A, B], attrs,
                 lambda a, b: trsm_ref(a.astype(np.float64), b.astype(np.float64), transpose, rightside, lower, 1.5),
                 rtol=10 * rt, atol=10 * at)


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_sumlogdiag_syrk(lead, dtype):
    a = spd(lead, 3, dtype)
    rt, at = tol(dtype)
    out = check_op("linalg_sumlogdiag", [a], {},
                   lambda x: np.log(np.diagonal(x.astype(np.float64), axis1=-2, axis2=-1)).sum(-1).reshape(
                       scalar_shape(x)), rtol=rt, atol=at)
    assert out[0].dtype == dtype
    m = r(*(lead + (3, 5)), dtype=dtype)
    check_op("linalg_syrk", [m], {}, lambda x: x.astype(np.float64) @ T(x.astype(np.float64)), rtol=rt, atol=at)
    out = check_op("_linalg_syrk", [m], {"transpose": True, "alpha": -0.5},
                   lambda x: -0.5 * T(x.astype(np.float64)) @ x.astype(np.float64), rtol=rt, atol=at)
    assert np.array_equal(out[0], T(out[0]))  # exactly symmetric


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("shape", [(3, 5), (4, 4), (1, 3)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_gelqf(lead, shape, dtype):
    a = r(*(lead + shape), dtype=dtype)
    Q, L = run_op("linalg_gelqf", [a])
    m, n = shape
    assert Q.shape == lead + (m, n) and L.shape == lead + (m, m) and Q.dtype == dtype
    rt, at = tol(dtype)
    np.testing.assert_allclose(L @ Q, a, rtol=10 * rt, atol=10 * at)
    np.testing.assert_allclose(Q @ T(Q), np.broadcast_to(np.eye(m), lead + (m, m)), atol=10 * at)
    assert np.all(np.triu(L, 1) == 0)


def check_eigvec_signs(U):
    rows = U.reshape(-1, U.shape[-1])
    lead = rows[np.arange(len(rows)), np.argmax(np.abs(rows), axis=1)]
    assert np.all(lead > 0), "each eigenvector's largest-magnitude entry must be positive (MXNet)"


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_syevd(lead, dtype):
    x = r(*(lead + (4, 4)))
    a = (x + T(x)).astype(dtype)
    U, lam = run_op("linalg_syevd", [a])
    assert U.shape == a.shape and lam.shape == a.shape[:-1] and U.dtype == dtype
    rt, at = tol(dtype)
    np.testing.assert_allclose(lam, np.linalg.eigvalsh(a.astype(np.float64)), rtol=10 * rt, atol=10 * at)
    assert np.all(np.diff(lam, axis=-1) >= 0)
    np.testing.assert_allclose(T(U) @ (lam[..., None] * U), a, rtol=10 * rt, atol=10 * at)
    check_eigvec_signs(U)
    # only the lower triangle is read
    junk = a + np.triu(np.full((4, 4), 9.0, dtype), 1)
    np.testing.assert_allclose(run_op("_linalg_syevd", [junk])[1], lam)


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_inverse_det_slogdet(lead, dtype):
    a = (r(*(lead + (4, 4))) + 3 * np.eye(4)).astype(dtype)
    a[..., 0, :] *= -1  # a mix of signs
    rt, at = tol(dtype)
    f = lambda x: x.astype(np.float64)
    check_op("linalg_inverse", [a], {}, lambda x: np.linalg.inv(f(x)), rtol=10 * rt, atol=10 * at)
    check_op("linalg_det", [a], {}, lambda x: np.linalg.det(f(x)).reshape(scalar_shape(x)), rtol=10 * rt, atol=at)
    check_op("_linalg_slogdet", [a], {},
             lambda x: tuple(v.reshape(scalar_shape(x)) for v in np.linalg.slogdet(f(x))), rtol=10 * rt, atol=at)


def test_det_slogdet_singular():
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 3.0]]])
    np.testing.assert_allclose(run_op("linalg_det", [a])[0], [0.0, 6.0])
    sign, logabs = run_op("linalg_slogdet", [a])
    np.testing.assert_array_equal(sign, [0.0, 1.0])
    assert logabs[0] == -np.inf and np.isclose(logabs[1], np.log(6.0))
    # an empty batch and 0 x 0 matrices
    assert run_op("linalg_det", [np.zeros((0, 2, 2))])[0].shape == (0,)
    assert run_op("linalg_inverse", [np.zeros((2, 0, 0))])[0].shape == (2, 0, 0)


def np_trian(a, offset, lower):
    """MXNet's packing: lower triangles row by row, upper ones column by column."""
    n = a.shape[-1]
    upper = offset > 0 or (offset == 0 and not lower)
    d = abs(offset)
    idx = [(j, i) if upper else (i, j) for i in range(d, n) for j in range(i - d + 1)]
    return np.stack([a[..., p, q] for p, q in idx], axis=-1)


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("offset", [0, 1, -1, 2, -3])
@pytest.mark.parametrize("dtype", DTYPES + [np.int32])
def test_diag_and_trian_copies(lead, offset, dtype):
    a = (r(*(lead + (4, 4))) * 10).astype(dtype)
    check_op("linalg_extractdiag", [a], {"offset": offset},
             lambda x: np.diagonal(x, offset=offset, axis1=-2, axis2=-1), rtol=0, atol=0)
    v = r(*(lead + (3,))).astype(dtype)
    n = 3 + abs(offset)

    def makediag(x):
        out = np.zeros(x.shape[:-1] + (n, n), dtype=x.dtype)
        for k in range(3):
            out[..., k + max(0, -offset), k + max(0, offset)] = x[..., k]
        return out
    check_op("_linalg_makediag", [v], {"offset": offset}, makediag, rtol=0, atol=0)
    for lower in (True, False):
        attrs = {"offset": offset, "lower": lower}
        packed = check_op("linalg_extracttrian", [a], attrs, lambda x, lo=lower: np_trian(x, offset, lo), rtol=0,
                          atol=0)[0]
        mask = np.tril(np.ones((4, 4)), offset) if (offset < 0 or (offset == 0 and lower)) else \
            np.triu(np.ones((4, 4)), offset)
        out = check_op("_linalg_maketrian", [packed], attrs, lambda x, m=mask: a * m.astype(dtype), rtol=0, atol=0)
        assert out[0].dtype == dtype


# ------------------------------------------------- MXNet 1.9.1 reference ----
# Every number below was printed by MXNet 1.9.1 (/tmp/mxvenv) for the same
# inputs (float64); gradient heads are w = 0.1 * arange(1, size + 1) + 0.3
# shaped like the output.
A3 = np.array([[4.0, 2, 1], [2, 5, 3], [1, 3, 6]])
S3 = np.array([[1.0, -2, 0.5], [-2, -1, 3], [0.5, 3, 2]])
M23 = np.array([[1.0, 2, 3], [4, 5, 6]])
T3 = np.array([[2.0, 0, 0], [1, 3, 0], [4, 5, 6]])
B32 = np.array([[1.0, 2], [3, 4], [5, 6]])


def mxnet_head(shape):
    return (np.arange(1, int(np.prod(shape)) + 1).reshape(shape) * 0.1 + 0.3)


def grad_with_head(name, inputs, attrs=None, out_index=0):
    out = run_op(name, inputs, attrs)[out_index]
    return autograd_grads(name, inputs, attrs or {}, list(range(len(inputs))), mxnet_head(out.shape), out_index)


def test_mxnet_forward_values():
    close = lambda got, want: np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    close(run_op("linalg_potrf", [A3])[0], [[2.0, 0, 0], [1.0, 2.0, 0], [0.5, 1.25, 2.0463381929681126]])
    close(run_op("linalg_potri", [np.linalg.cholesky(A3)])[0],
          [[0.31343283582089554, -0.13432835820895522, 0.014925373134328358],
           [-0.13432835820895522, 0.34328358208955223, -0.1492537313432836],
           [0.014925373134328358, -0.1492537313432836, 0.23880597014925373]])
    close(run_op("linalg_sumlogdiag", [A3])[0], [4.787491742782046])
    close(run_op("linalg_det", [A3])[0], [66.99999999999997])
    sign, logabs = run_op("linalg_slogdet", [np.array([[1.0, 2], [3, 4]])])  # (sign, logabsdet)
    close(sign, [-1.0])
    close(logabs, [0.6931471805599453])
    close(run_op("linalg_syrk", [M23])[0], [[14.0, 32.0], [32.0, 77.0]])
    close(run_op("linalg_syrk", [M23], {"transpose": True, "alpha": 2})[0],
          [[34.0, 44.0, 54.0], [44.0, 58.0, 72.0], [54.0, 72.0, 90.0]])
    # gelqf: outputs (Q, L), LAPACK's Householder signs (L's diagonal not normalised)
    Q, L = run_op("linalg_gelqf", [M23])
    close(Q, [[-0.2672612419124243, -0.5345224838248488, -0.8017837257372732],
              [0.8728715609439696, 0.21821789023599236, -0.4364357804719846]])
    close(L, [[-3.7416573867739413, 0.0], [-8.55235974119758, 1.963961012123933]])
    Q, L = run_op("linalg_gelqf", [np.array([[-1.0, 2, 3], [4, -5, 6]])])
    close(Q, [[-0.2672612419124243, 0.5345224838248488, 0.8017837257372732],
              [0.4920678313051228, -0.63968818069666, 0.5904813975661475]])
    close(L, [[3.7416573867739413, 0.0], [1.069044967649699, 8.709600614100674]])
    # syevd: outputs (U, L), rows of U are eigenvectors, eigenvalues ascending
    U, lam = run_op("linalg_syevd", [S3])
    close(U, [[0.3900078660797625, 0.7998299351421224, -0.45625205670381225],
              [0.8871272401028629, -0.1935828477578953, 0.4189641284423055],
              [-0.2467774792467642, 0.5681529335526593, 0.7850497562779831]])
    close(lam, [-3.686535984539197, 1.6725616492936928, 4.0139743352455035])
    # MXNet reads the lower triangle only: changing S3[0, 1] changes nothing
    S3u = S3.copy()
    S3u[0, 1] = 5
    close(run_op("linalg_syevd", [S3u])[0], U)
    close(run_op("linalg_trmm", [T3, B32])[0], [[2.0, 4.0], [10.0, 14.0], [49.0, 64.0]])
    T3u = T3.copy()
    T3u[0, 2] = 9
    close(run_op("linalg_trmm", [T3u, B32], {"lower": False})[0], [[47.0, 58.0], [9.0, 12.0], [30.0, 36.0]])
    close(run_op("linalg_trsm", [T3, B32], {"alpha": 2})[0],
          [[1.0, 2.0], [1.6666666666666665, 2.0], [-0.3888888888888887, -1.0]])
    close(run_op("linalg_trsm", [T3, B32.T.copy()], {"rightside": True, "transpose": True})[0],
          [[0.5, 0.8333333333333333, -0.19444444444444434], [1.0, 1.0, -0.5]])


def test_mxnet_packing_values():
    X = np.arange(1, 10.0).reshape(3, 3)
    want = {(0, True): [1, 4, 5, 7, 8, 9], (0, False): [1, 2, 5, 3, 6, 9], (1, True): [2, 3, 6],
            (1, False): [2, 3, 6], (-1, True): [4, 7, 8], (-1, False): [4, 7, 8]}
    for (off, low), v in want.items():
        np.testing.assert_array_equal(run_op("linalg_extracttrian", [X], {"offset": off, "lower": low})[0], v)
    six = np.arange(1, 7.0)
    np.testing.assert_array_equal(run_op("linalg_maketrian", [six])[0], [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    np.testing.assert_array_equal(run_op("linalg_maketrian", [six], {"offset": 1})[0],
                                  [[0, 1, 2, 4], [0, 0, 3, 5], [0, 0, 0, 6], [0, 0, 0, 0]])
    np.testing.assert_array_equal(run_op("linalg_maketrian", [six], {"offset": -1})[0],
                                  [[0, 0, 0, 0], [1, 0, 0, 0], [2, 3, 0, 0], [4, 5, 6, 0]])
    np.testing.assert_array_equal(run_op("linalg_makediag", [np.array([1.0, 2])], {"offset": 2})[0],
                                  [[0, 0, 1, 0], [0, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(run_op("linalg_extractdiag", [X], {"offset": -1})[0], [4, 8])


def test_mxnet_gradient_values():
    close = lambda got, want: np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-9)
    close(grad_with_head("linalg_potrf", [A3])[0],  # symmetric, as in MXNet
          [[0.0269265885, 0.0807341146, 0.1308254167], [0.0807341146, 0.1426588541, 0.0917458335],
           [0.1308254167, 0.0917458335, 0.2932066665]])
    close(grad_with_head("linalg_potri", [np.linalg.cholesky(A3)])[0],  # lower triangular
          [[-0.0567164179, 0.0, 0.0], [-0.0328358209, -0.028358209, 0.0],
           [-0.1074626866, -0.0746268657, -0.0740310364]])
    close(grad_with_head("linalg_sumlogdiag", [A3])[0], [[0.1, 0, 0], [0, 0.08, 0], [0, 0, 0.0666666667]])
    T3g = np.array([[2.0, 0.5, 0.7], [1, 3, 0.2], [4, 5, 6]])
    gA, gB = grad_with_head("linalg_trmm", [T3g, B32])
    close(gA, [[1.4, 0, 0], [2.0, 4.6, 0], [2.6, 6.0, 9.4]])
    close(gB, [[4.6, 5.3], [5.8, 6.6], [4.8, 5.4]])
    close(grad_with_head("linalg_trmm", [T3g, B32], {"lower": False})[0],
          [[1.4, 3.2, 5.0], [0.0, 4.6, 7.2], [0.0, 0.0, 9.4]])
    gA, gB = grad_with_head("linalg_trsm", [T3g, B32])
    close(gA, [[0.0694444444, 0, 0], [0.0277777778, 0.0351851852, 0], [-0.2166666667, -0.2611111111, 0.1009259259]])
    close(gB, [[-0.0555555556, -0.0416666667], [-0.0222222222, -0.0166666667], [0.1333333333, 0.15]])
    close(grad_with_head("linalg_syevd", [S3], out_index=0)[0],
          [[-0.0189245387, 0.0219038122, 0.0258420016], [0.0219038122, -0.0047620138, 0.0047604445],
           [0.0258420016, 0.0047604445, 0.0236865525]])
    close(grad_with_head("linalg_syevd", [S3], out_index=1)[0],
          [[0.4908792989, -0.0452147315, -0.0015790709], [-0.0452147315, 0.4683069831, 0.0810952375],
           [-0.0015790709, 0.0810952375, 0.5408137181]])
    close(grad_with_head("linalg_gelqf", [M23], out_index=0)[0],
          [[-0.3575560561, -0.089389014, 0.178778028], [0.0, 0.0, 0.0]])
    close(grad_with_head("linalg_gelqf", [M23], out_index=1)[0],
          [[-1.7783962717, -0.6316819373, 0.5150323972], [0.4506533475, -0.1679609671, -0.7865752818]])
    close(grad_with_head("linalg_det", [A3])[0], [[8.4, -3.6, 0.4], [-3.6, 9.2, -4.0], [0.4, -4.0, 6.4]])
    close(grad_with_head("linalg_slogdet", [A3], out_index=1)[0],
          [[0.1253731343, -0.0537313433, 0.0059701493], [-0.0537313433, 0.1373134328, -0.0597014925],
           [0.0059701493, -0.0597014925, 0.0955223881]])
    close(grad_with_head("linalg_inverse", [A3])[0],
          [[-0.006950323, -0.0036310982, -0.0112051682], [-0.0066161729, -0.0024949877, -0.0058587659],
           [-0.0261305413, -0.0088438405, -0.0180886612]])
    close(grad_with_head("linalg_syrk", [M23])[0], [[5.2, 7.1, 9.0], [6.7, 9.2, 11.7]])
    close(grad_with_head("linalg_extracttrian", [np.arange(1, 10.0).reshape(3, 3)], {"offset": 1})[0],
          [[0, 0.4, 0.5], [0, 0, 0.6], [0, 0, 0]])


# -------------------------------------------------------------- gradients ----
@pytest.mark.parametrize("lead", [(), (2,)])
def test_grad_triangular_ops(lead):
    check_grad("linalg_potri", [lower_tri(lead, 3)])
    for transpose, rightside, lower in TR_FLAGS:
        attrs = {"transpose": transpose, "rightside": rightside, "lower": lower, "alpha": 0.7}
        A = lower_tri(lead, 3)
        A = A if lower else T(A).copy()
        B = r(*(lead + ((2, 3) if rightside else (3, 2))))
        check_grad("linalg_trmm", [A, B], attrs)
        check_grad("linalg_trsm", [A, B], attrs)


@pytest.mark.parametrize("lead", [(), (2,)])
def test_grad_general_ops(lead):
    check_grad("linalg_sumlogdiag", [spd(lead, 3)])
    check_grad("linalg_syrk", [r(*(lead + (2, 3)))], {"alpha": 1.5})
    check_grad("linalg_syrk", [r(*(lead + (2, 3)))], {"transpose": True})
    a = r(*(lead + (3, 3))) + 3 * np.eye(3)
    check_grad("linalg_inverse", [a])
    check_grad("linalg_det", [a])
    check_grad("linalg_slogdet", [a], out_index=1)
    g = r(*(lead + (2, 4)))
    check_grad("linalg_gelqf", [g], out_index=0)
    check_grad("linalg_gelqf", [g], out_index=1)
    sq = r(*(lead + (3, 3)))
    check_grad("linalg_gelqf", [sq], out_index=0)
    check_grad("linalg_gelqf", [sq], out_index=1)
    for off in (0, 1, -1):
        check_grad("linalg_extractdiag", [r(*(lead + (3, 3)))], {"offset": off})
        check_grad("linalg_makediag", [r(*(lead + (2,)))], {"offset": off})
        for lower in (True, False):
            check_grad("linalg_extracttrian", [r(*(lead + (3, 3)))], {"offset": off, "lower": lower})
            check_grad("linalg_maketrian", [r(*(lead + (3,)))], {"offset": off, "lower": lower})


def check_symmetric_grad(name, a, out_index=0, n_dirs=6, eps=1e-6):
    """potrf and syevd read one triangle of a symmetric input; like MXNet they
    return the symmetric gradient, checked along symmetric directions V:
    <grad, V> = d/dt f(A + t V)."""
    out = run_op(name, [a])[out_index]
    w = rng.uniform(-1, 1, out.shape)
    g = autograd_grads(name, [a], {}, [0], w, out_index)[0]
    np.testing.assert_allclose(g, T(g), rtol=1e-12, atol=1e-12)
    f = lambda x: float(np.sum(run_op(name, [x])[out_index] * w))
    for _ in range(n_dirs):
        v = rng.standard_normal(a.shape)
        v = v + T(v)
        num = (f(a + eps * v) - f(a - eps * v)) / (2 * eps)
        np.testing.assert_allclose(np.sum(g * v), num, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("lead", [(), (2,)])
def test_grad_symmetric_ops(lead):
    check_symmetric_grad("linalg_potrf", spd(lead, 4))
    x = r(*(lead + (4, 4)))
    s = x + T(x)
    check_symmetric_grad("linalg_syevd", s, out_index=0)
    check_symmetric_grad("linalg_syevd", s, out_index=1)


def test_grad_float32_runs():
    a = spd((2,), 3, np.float32)
    g = autograd_grads("linalg_potrf", [a], {}, [0], np.ones((2, 3, 3), np.float32))[0]
    assert g.dtype == np.float32 and np.all(np.isfinite(g))
    g = autograd_grads("linalg_syevd", [a], {}, [0], np.ones((2, 3), np.float32), 1)[0]
    np.testing.assert_allclose(g, np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-5)  # d trace / dA = I


# ----------------------------------------------------------------- errors ----
def test_errors_not_positive_definite_or_singular():
    bad = np.stack([spd((), 3), np.diag([1.0, -1.0, 1.0])])
    expect_error("linalg_potrf", [bad], contains=("linalg_potrf", "matrix 1 of the batch of 2", "positive definite",
                                                  "(2,3,3)"))
    sing = np.stack([np.eye(2), [[1.0, 2.0], [2.0, 4.0]]])
    expect_error("linalg_inverse", [sing], contains=("linalg_inverse", "matrix 1 of the batch of 2", "singular"))
    expect_error("linalg_potri", [np.diag([1.0, 0.0])], contains=("linalg_potri", "matrix 0", "singular"))
    expect_error("linalg_trsm", [np.diag([1.0, 0.0]), r(2, 2)], contains=("linalg_trsm", "matrix 0", "singular"))


def test_errors_shapes_and_attrs():
    expect_error("linalg_potrf", [r(2, 3)], contains=("linalg_potrf", "square", "(2,3)"))
    expect_error("linalg_det", [r(3)], contains=("linalg_det", "square", "(3,)"))
    expect_error("linalg_gelqf", [r(3, 2)], contains=("linalg_gelqf", "m <= n", "(3,2)"))
    expect_error("linalg_trmm", [r(3, 3), r(2, 4)], contains=("linalg_trmm", "(2,4)", "(3,3)"))
    expect_error("linalg_trsm", [r(2, 3, 3), r(3, 3, 4)], contains=("linalg_trsm", "(3,3,4)"))
    expect_error("linalg_trsm", [r(3, 3), r(3, 4)], {"rightside": True}, contains=("linalg_trsm", "columns"))
    expect_error("linalg_extractdiag", [r(3, 3)], {"offset": 3}, contains=("linalg_extractdiag", "offset=3"))
    expect_error("linalg_extracttrian", [r(2, 3)], contains=("linalg_extracttrian", "square"))
    expect_error("linalg_maketrian", [r(5)], contains=("linalg_maketrian", "triangular number", "5"))
    expect_error("linalg_potrf", [np.eye(2, dtype=np.int32)], contains=("linalg_potrf", "int32", "float"))
    expect_error("linalg_syrk", [r(2, 3)], {"transpose": "maybe"}, contains=("linalg_syrk", "transpose"))
    expect_error("linalg_inverse", [r(2, 2), r(2, 2)], contains=("linalg_inverse",))


# ------------------------------------------------------- Python namespaces ----
def test_python_namespaces():
    mx = pytest.importorskip("mxcore")
    a = spd((), 3)
    L = mx.nd.linalg.potrf(mx.nd.array(a, dtype="float64"))
    np.testing.assert_allclose(L.asnumpy(), np.linalg.cholesky(a), rtol=1e-10)
    np.testing.assert_allclose(mx.nd.linalg_potrf(mx.nd.array(a, dtype="float64")).asnumpy(), L.asnumpy())
    for name in ["potrf", "potri", "trmm", "trsm", "sumlogdiag", "syrk", "gelqf", "syevd", "inverse", "det",
                 "slogdet", "extractdiag", "makediag", "extracttrian", "maketrian"]:
        assert callable(getattr(mx.nd.linalg, name)), name
        assert callable(getattr(mx.sym.linalg, name)), name
    s = mx.sym.linalg.syevd(mx.sym.var("a"))
    assert len(s.list_outputs()) == 2
    _, lam = s.eval(a=mx.nd.array(a, dtype="float64"))
    np.testing.assert_allclose(lam.asnumpy(), np.linalg.eigvalsh(a), rtol=1e-10)
    x = mx.nd.array(a, dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.linalg.slogdet(x)[1]
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), np.linalg.inv(a).T, rtol=1e-10)
