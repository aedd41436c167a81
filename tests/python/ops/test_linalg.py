"""linalg family: dot, batch_dot, linalg_gemm2, linalg_gemm, khatri_rao."""

import numpy as np
import pytest

from harness import check_grad, check_op, expect_error, run_op

rng = np.random.default_rng(0)


def r(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def np_dot(a, b, ta=False, tb=False):
    """MXNet dot semantics on N-d arrays."""
    if a.ndim == 1 and b.ndim == 1:
        return np.array([np.dot(a, b)], dtype=a.dtype)
    p = lambda s: int(np.prod(s))  # noqa: E731
    if ta:
        A = a.reshape(a.shape[0], p(a.shape[1:])).T
        lrest = a.shape[1:]
    else:
        A = a.reshape(p(a.shape[:-1]), a.shape[-1])
        lrest = a.shape[:-1]
    if tb:
        B = b.reshape(p(b.shape[:-1]), b.shape[-1]).T
        rrest = b.shape[:-1]
    else:
        B = b.reshape(b.shape[0], p(b.shape[1:]))
        rrest = b.shape[1:]
    return (A @ B).reshape(tuple(lrest) + tuple(rrest)).astype(a.dtype)


DOT_CASES = [
    ((3, 4), (4, 5), False, False),
    ((4, 3), (4, 5), True, False),
    ((3, 4), (5, 4), False, True),
    ((4, 3), (5, 4), True, True),
    ((2, 3, 4), (4, 5), False, False),
    ((2, 3, 4), (4, 2, 3), False, False),
    ((4, 2, 3), (4, 5), True, False),
    ((3, 4), (2, 5, 4), False, True),
    ((4,), (4, 5), False, False),
    ((3, 4), (4,), False, False),
    ((4,), (4,), False, False),
    ((0, 4), (4, 5), False, False),
    ((3, 0), (0, 5), False, False),
    ((3, 4), (4, 0), False, False),
]


@pytest.mark.parametrize("ls,rs,ta,tb", DOT_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dot_forward(ls, rs, ta, tb, dtype):
    a, b = r(*ls, dtype=dtype), r(*rs, dtype=dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    out = check_op("dot", [a, b], {"transpose_a": ta, "transpose_b": tb},
                   lambda x, y: np_dot(x, y, ta, tb), rtol=tol, atol=tol)
    assert out[0].dtype == dtype


# Mid-size products that the CPU GEMM cuts into many panels (rows or columns,
# every transpose), including extents that do not divide evenly.
@pytest.mark.parametrize("ls,rs,ta,tb", [
    ((32, 784), (100, 784), False, True),   # an MLP layer forward at batch 32
    ((32, 100), (32, 784), True, False),    # its weight gradient
    ((32, 100), (100, 784), False, False),  # its data gradient
    ((784, 33), (101, 784), True, True),
    ((61, 517), (517, 97), False, False),
    # tall reductions (small C, long K): the GEMM splits K into chunks
    ((20, 36864), (25, 36864), False, True),   # LeNet conv1's weight gradient
    ((4096, 20), (4096, 25), True, False),
    ((7, 9000), (9000, 3), False, False),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dot_mid_size_panels(ls, rs, ta, tb, dtype):
    a, b = r(*ls, dtype=dtype), r(*rs, dtype=dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    check_op("dot", [a, b], {"transpose_a": ta, "transpose_b": tb},
             lambda x, y: np_dot(x.astype(np.float64), y.astype(np.float64), ta, tb), rtol=tol, atol=tol)


def test_dot_other_dtypes():
    a = rng.integers(-3, 4, (3, 4)).astype(np.int32)
    b = rng.integers(-3, 4, (4, 2)).astype(np.int32)
    out = check_op("dot", [a, b], {}, lambda x, y: x @ y)
    assert out[0].dtype == np.int32
    a16, b16 = r(3, 4, dtype=np.float16), r(4, 2, dtype=np.float16)
    out = check_op("dot", [a16, b16], {}, lambda x, y: x.astype(np.float32) @ y.astype(np.float32),
                   rtol=1e-2, atol=1e-2)
    assert out[0].dtype == np.float16


def test_dot_forward_stype_ignored():
    a, b = r(2, 3), r(3, 2)
    check_op("dot", [a, b], {"forward_stype": "default"}, lambda x, y: x @ y)


@pytest.mark.parametrize("ls,rs,ta,tb", [c for c in DOT_CASES if 0 not in c[0] + c[1]])
def test_dot_grad(ls, rs, ta, tb):
    check_grad("dot", [r(*ls), r(*rs)], {"transpose_a": ta, "transpose_b": tb})


def test_dot_errors():
    msg = expect_error("dot", [r(3, 4), r(5, 6)], {}, contains=("dot", "(3,4)", "(5,6)"))
    assert "dot" in msg
    expect_error("dot", [r(3), r(4)], {}, contains=("dot", "(3,)", "(4,)"))
    expect_error("dot", [r(3, 4), r(3, 4)], {"transpose_a": True, "transpose_b": True}, contains=("dot",))
    expect_error("dot", [r(3, 4), r(4, 2)], {"transpose_c": True}, contains=("dot", "transpose_c"))
    expect_error("dot", [r(3, 4), r(4, 2).astype(np.float32)], {}, contains=("dot",))


def bmm(a, b, ta, tb):
    A = np.swapaxes(a, -1, -2) if ta else a
    B = np.swapaxes(b, -1, -2) if tb else b
    return A @ B


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_dot(ta, tb, dtype):
    B, M, K, N = 3, 4, 5, 2
    a = r(*((B, K, M) if ta else (B, M, K)), dtype=dtype)
    b = r(*((B, N, K) if tb else (B, K, N)), dtype=dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    check_op("batch_dot", [a, b], {"transpose_a": ta, "transpose_b": tb}, lambda x, y: bmm(x, y, ta, tb),
             rtol=tol, atol=tol)
    if dtype == np.float64:
        check_grad("batch_dot", [a, b], {"transpose_a": ta, "transpose_b": tb})


def test_batch_dot_edge():
    check_op("batch_dot", [r(0, 2, 3), r(0, 3, 4)], {}, lambda x, y: x @ y)
    check_op("batch_dot", [r(2, 2, 0), r(2, 0, 4)], {}, lambda x, y: x @ y)
    # many small matrices (parallel over batches)
    a, b = r(600, 4, 5, dtype=np.float32), r(600, 5, 3, dtype=np.float32)
    check_op("batch_dot", [a, b], {}, lambda x, y: x @ y, rtol=1e-5, atol=1e-5)
    expect_error("batch_dot", [r(2, 3), r(3, 2)], {}, contains=("batch_dot", "(2,3)", "(3,2)"))
    expect_error("batch_dot", [r(2, 3, 4), r(3, 4, 2)], {}, contains=("batch_dot", "(2,3,4)", "(3,4,2)"))
    expect_error("batch_dot", [r(2, 3, 4), r(2, 3, 2)], {}, contains=("batch_dot", "(2,3,4)", "(2,3,2)"))


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("name", ["linalg_gemm2", "_linalg_gemm2"])
def test_gemm2(ta, tb, name):
    for lead in [(), (2,), (2, 3)]:
        a = r(*(lead + ((5, 4) if ta else (4, 5))))
        b = r(*(lead + ((3, 5) if tb else (5, 3))))
        check_op(name, [a, b], {"transpose_a": ta, "transpose_b": tb, "alpha": 0.5},
                 lambda x, y: 0.5 * bmm(x, y, ta, tb), rtol=1e-10, atol=1e-10)
    a = r(2, *((5, 4) if ta else (4, 5)))
    b = r(2, *((3, 5) if tb else (5, 3)))
    check_grad(name, [a, b], {"transpose_a": ta, "transpose_b": tb, "alpha": 1.5})


def test_gemm2_float32_and_errors():
    a, b = r(4, 5, dtype=np.float32), r(5, 3, dtype=np.float32)
    check_op("linalg_gemm2", [a, b], {}, lambda x, y: x @ y, rtol=1e-5, atol=1e-5)
    expect_error("linalg_gemm2", [r(4, 5), r(4, 3)], {}, contains=("linalg_gemm2", "(4,5)", "(4,3)"))
    expect_error("linalg_gemm2", [r(4), r(4)], {}, contains=("linalg_gemm2", "(4,)"))
    expect_error("linalg_gemm2", [r(2, 4, 5), r(2, 5, 3)], {"axis": 2}, contains=("linalg_gemm2", "axis=2"))


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_gemm(ta, tb):
    attrs = {"transpose_a": ta, "transpose_b": tb, "alpha": 2.0, "beta": -0.5}
    for lead in [(), (3,)]:
        a = r(*(lead + ((5, 4) if ta else (4, 5))))
        b = r(*(lead + ((3, 5) if tb else (5, 3))))
        c = r(*(lead + (4, 3)))
        check_op("linalg_gemm", [a, b, c], attrs, lambda x, y, z: 2.0 * bmm(x, y, ta, tb) - 0.5 * z,
                 rtol=1e-10, atol=1e-10)
    check_grad("linalg_gemm", [a, b, c], attrs)


def test_gemm_defaults_and_errors():
    a, b, c = r(4, 5, dtype=np.float32), r(5, 3, dtype=np.float32), r(4, 3, dtype=np.float32)
    check_op("_linalg_gemm", [a, b, c], {}, lambda x, y, z: x @ y + z, rtol=1e-5, atol=1e-5)
    expect_error("linalg_gemm", [a, b, r(3, 4, dtype=np.float32)], {}, contains=("linalg_gemm", "(3,4)", "(4,3)"))


def np_khatri_rao(*ms):
    out = ms[0]
    for m in ms[1:]:
        out = (out[:, None, :] * m[None, :, :]).reshape(-1, m.shape[1])
    return out


@pytest.mark.parametrize("shapes", [[(3, 4)], [(2, 4), (3, 4)], [(2, 3), (1, 3), (4, 3)], [(0, 2), (3, 2)]])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_khatri_rao(shapes, dtype):
    ms = [r(*s, dtype=dtype) for s in shapes]
    check_op("khatri_rao", ms, {"num_args": len(ms)}, np_khatri_rao, rtol=1e-5, atol=1e-6)
    if dtype == np.float64 and all(s[0] for s in shapes):
        check_grad("khatri_rao", ms, {"num_args": len(ms)})


def test_khatri_rao_errors():
    expect_error("khatri_rao", [r(2, 3), r(2, 4)], {"num_args": 2}, contains=("khatri_rao", "(2,3)", "(2,4)"))
    expect_error("khatri_rao", [r(2, 3), r(2, 3, 1)], {"num_args": 2}, contains=("khatri_rao",))
    expect_error("khatri_rao", [r(2, 3)], {"num_args": 2}, contains=("khatri_rao",))
