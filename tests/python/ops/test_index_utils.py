"""cumsum, histogram, ravel_multi_index / unravel_index, fill_element_0index,
crop (slice's legacy alias), im2col and col2im. Literal expected values are
what MXNet 1.9.1 printed for the same calls (noted where MXNet could not run
them: its 1-D/3-D im2col and its multi-d unravel_index are broken)."""
import numpy as np
from harness import autograd_grads, check_grad, check_op, expect_error, run_op

A = np.arange(6, dtype="f").reshape(2, 3)
HIST_X = np.array([0.5, 1.5, 2.0, 3.0, 3.0, 4.9, 5.0, -1, 7], "f")


# ---------------- cumsum ----------------
def test_cumsum_forward_and_dtypes():
    # MXNet 1.9.1: cumsum(a) flattens; axis=0 / axis=1
    assert run_op("cumsum", [A])[0].tolist() == [0, 1, 3, 6, 10, 15]
    assert run_op("_np_cumsum", [A], {"axis": 0})[0].tolist() == [[0, 1, 2], [3, 5, 7]]
    check_op("cumsum", [A], {"axis": -1}, lambda a: np.cumsum(a, axis=-1))  # MXNet 1.9.1 rejects -1; numpy's meaning
    r = np.random.default_rng(0).normal(size=(3, 4, 5))
    for ax in (None, 0, 1, 2):
        check_op("cumsum", [r], {"axis": ax}, lambda a, ax=ax: np.cumsum(a, axis=ax), rtol=1e-12)
    # MXNet 1.9.1 dtypes: int8 stays int8, bool becomes int64, dtype= converts
    assert run_op("cumsum", [np.array([1, 2, 3], "int8")])[0].dtype == np.int8
    b = run_op("cumsum", [np.array([True, True, False])])[0]
    assert b.dtype == np.int64 and b.tolist() == [1, 2, 2]
    assert run_op("cumsum", [A], {"axis": 1, "dtype": "float64"})[0].dtype == np.float64
    i = run_op("cumsum", [np.array([[1, 2], [3, 4]], "int32")], {"axis": 0, "dtype": "int64"})[0]
    assert i.dtype == np.int64 and i.tolist() == [[1, 2], [4, 6]]  # MXNet 1.9.1
    big = np.array([2**53, 1, 1], "int64")
    assert run_op("cumsum", [big])[0].tolist() == [2**53, 2**53 + 1, 2**53 + 2]  # exact int64 sums
    h = run_op("cumsum", [np.full(3000, 0.1, "f2")])[0]  # accumulates in float16, like numpy
    assert h.dtype == np.float16 and h[-1] == np.cumsum(np.full(3000, 0.1, "f2"))[-1]
    assert run_op("cumsum", [np.zeros((2, 0), "f")], {"axis": 1})[0].shape == (2, 0)
    expect_error("cumsum", [A], {"axis": 2}, contains=("cumsum", "axis"))


def test_cumsum_gradient_is_reverse_cumsum():
    head = np.array([[1, 2, 3], [4, 5, 6]], "f")
    # MXNet 1.9.1: gradients of cumsum(axis=1) and of cumsum() with head arange(6)
    assert autograd_grads("cumsum", [A], {"axis": 1}, [0], head)[0].tolist() == [[6, 5, 3], [15, 11, 6]]
    g = autograd_grads("cumsum", [A], {}, [0], np.arange(6, dtype="f"))[0]
    assert g.tolist() == [[15, 15, 14], [12, 9, 5]]
    x = np.random.default_rng(1).normal(size=(2, 3, 4))
    for ax in (None, 0, 2, -2):
        check_grad("cumsum", [x], {"axis": ax})
    check_grad("cumsum", [x.astype("f")], {"axis": 1, "dtype": "float64"})


# ---------------- histogram ----------------
def test_histogram_equal_width_bins():
    cnt, edges = run_op("histogram", [HIST_X], {"bins": 5, "range": (0, 5)})
    # MXNet 1.9.1: outside values ignored, upper edge inclusive, counts int64, edges data's dtype
    assert cnt.dtype == np.int64 and cnt.tolist() == [1, 1, 1, 2, 2]
    assert edges.dtype == np.float32 and edges.tolist() == [0, 1, 2, 3, 4, 5]
    cnt, edges = run_op("_histogram", [HIST_X], {"bin_cnt": 5, "range": (0, 5)})
    assert cnt.tolist() == [1, 1, 1, 2, 2] and edges.tolist() == [0, 1, 2, 3, 4, 5]
    cnt, edges = run_op("_histogram", [HIST_X.reshape(3, 3)], {"bin_cnt": 3, "range": (-1, 7)})
    assert cnt.tolist() == [3, 3, 3]
    np.testing.assert_allclose(edges, [-1, 1.6666666, 4.3333335, 7])  # MXNet 1.9.1
    cnt, edges = run_op("_histogram", [np.array([1.0, 2, 2, 3.5, 10], "f")], {"bin_cnt": 3, "range": (1, 4)})
    assert cnt.tolist() == [1, 2, 1] and edges.tolist() == [1, 2, 3, 4]  # MXNet 1.9.1
    # MXNet 1.9.1 at float32 bin boundaries (value == edge goes to the upper bin)
    assert run_op("_histogram", [np.array([0.3, 0.6, 0.9, 0.1], "f")], {"bin_cnt": 3, "range": (0, 0.9)})[0].tolist() \
        == [1, 1, 2]
    assert run_op("_histogram", [np.array([0.999999, 1.0, 0.2], "f")], {"bin_cnt": 3, "range": (0.1, 1.0)})[0].tolist() \
        == [1, 0, 2]
    # MXNet 1.9.1: an empty range widens to +-0.5; int data gets truncated int edges
    cnt, edges = run_op("_histogram", [HIST_X], {"bin_cnt": 3, "range": (1, 1)})
    assert cnt.tolist() == [1, 0, 1]
    np.testing.assert_allclose(edges, [0.5, 0.8333333, 1.1666666, 1.5])
    cnt, edges = run_op("_histogram", [np.array([1, 2, 3], "int32")], {"bin_cnt": 3, "range": (0, 4)})
    assert cnt.tolist() == [0, 1, 2] and edges.dtype == np.int32 and edges.tolist() == [0, 1, 2, 4]
    f64 = run_op("histogram", [np.array([1, 2, 3], "f8")], {"bins": 3, "range": (0, 3)})
    assert f64[0].tolist() == [0, 1, 2] and f64[1].dtype == np.float64
    assert run_op("histogram", [np.zeros(0, "f")], {"bins": 3, "range": (0, 0.9)})[0].tolist() == [0, 0, 0]
    assert run_op("histogram", [np.array([np.nan, 1, np.inf], "f")], {"bins": 2, "range": (0, 2)})[0].tolist() == [0, 1]


def test_histogram_default_range_matches_numpy():
    # MXNet falls back to numpy (float counts) without range; here counts stay int64
    x = np.random.default_rng(2).normal(size=200).astype("f8")
    for bins in (1, 7, 10):
        cnt, edges = run_op("histogram", [x], {"bins": bins})
        ncnt, nedges = np.histogram(x, bins)
        assert cnt.tolist() == ncnt.tolist()
        np.testing.assert_allclose(edges, nedges, rtol=1e-12)
    assert run_op("histogram", [x])[0].shape == (10,)


def test_histogram_bins_array():
    cnt, edges = run_op("_histogram", [HIST_X, np.array([0, 1, 2.5, 5], "f")])
    assert cnt.tolist() == [1, 2, 4] and edges.tolist() == [0, 1, 2.5, 5]  # MXNet 1.9.1
    cnt, _ = run_op("_histogram", [np.arange(11, dtype="f"), np.array([0, 5, 10], "f")])
    assert cnt.tolist() == [5, 6]
    x = np.random.default_rng(3).uniform(-1, 6, size=100)
    b = np.array([0, 0.5, 2, 2, 4.5, 5.5])
    check_op("_histogram", [x, b], {}, lambda x, b: np.histogram(x, b))


def test_histogram_errors():
    expect_error("_histogram", [HIST_X, np.array([1], "f")], contains=("_histogram", "bins", "at least 2"))
    expect_error("_histogram", [HIST_X, np.array([3, 2, 1], "f")], contains=("_histogram", "increase"))
    expect_error("_histogram", [HIST_X, np.array([0, 1], "f8")], contains=("_histogram", "dtype"))
    expect_error("_histogram", [HIST_X], {"bin_cnt": 5, "range": (0, 5, 6)}, contains=("_histogram", "range"))
    expect_error("histogram", [HIST_X], {"bins": 3, "range": (2, 1)}, contains=("histogram", "range", "<="))
    expect_error("histogram", [HIST_X], {"bins": 0}, contains=("histogram", "bins"))
    expect_error("_histogram", [HIST_X], {}, contains=("_histogram", "expected 2 input"))


# ---------------- ravel_multi_index / unravel_index ----------------
IDX = np.array([[3, 6, 6], [4, 5, 1]])


def test_ravel_multi_index():
    # MXNet 1.9.1: flat indices in the input's dtype
    for dt in ("f", "int32", "int64", "f8"):
        r = run_op("ravel_multi_index", [IDX.astype(dt)], {"shape": (7, 6)})[0]
        assert r.dtype == np.dtype(dt) and r.tolist() == [22, 41, 37]
    assert run_op("_ravel_multi_index", [IDX.astype("f")], {"shape": (-1, 6)})[0].tolist() == [22, 41, 37]
    r = run_op("ravel_multi_index", [np.array([[0, 1, 2], [0, 3, 2], [1, 0, 5]], "f")], {"shape": (3, 4, 6)})[0]
    assert r.tolist() == [1, 42, 65]  # MXNet 1.9.1
    assert run_op("ravel_multi_index", [np.array([[1.7], [2.9]], "f")], {"shape": (7, 6)})[0].tolist() == [8]  # truncated
    x = np.random.default_rng(4).integers(0, 5, size=(3, 2, 4))  # more than MXNet's 2-d input
    check_op("ravel_multi_index", [x], {"shape": (5, 5, 5)}, lambda x: np.ravel_multi_index(tuple(x), (5, 5, 5)))
    expect_error("ravel_multi_index", [IDX.astype("f")], {"shape": (7,)}, contains=("ravel_multi_index", "(1, ...)"))
    # MXNet 1.9.1 returns 42 and -6 for these; here they are errors
    expect_error("ravel_multi_index", [np.array([[7], [0]], "f")], {"shape": (7, 6)},
                 contains=("_ravel_multi_index", "index 7", "dim 0", "size 7"))
    expect_error("ravel_multi_index", [np.array([[0], [-1]], "f")], {"shape": (7, 6)}, contains=("index -1", "dim 1"))
    expect_error("ravel_multi_index", [IDX.astype("f")], {"shape": (7, 0)}, contains=("shape", ">= 1"))


def test_unravel_index():
    for dt in ("f", "int32", "int64"):
        r = run_op("unravel_index", [np.array([22, 41, 37], dt)], {"shape": (7, 6)})[0]
        assert r.dtype == np.dtype(dt) and r.tolist() == [[3, 6, 6], [4, 5, 1]]  # MXNet 1.9.1
    r = run_op("_unravel_index", [np.array([22, 41, 50], "f")], {"shape": (-1, 6)})[0]
    assert r.tolist() == [[3, 6, 8], [4, 5, 2]]  # MXNet 1.9.1: the first dim is unbounded
    r = run_op("unravel_index", [np.array([1, 23, 51], "f")], {"shape": (3, 4, 6)})[0]
    assert r.tolist() == [[0, 0, 2], [0, 3, 0], [1, 5, 3]]  # MXNet 1.9.1
    assert run_op("unravel_index", [np.array([1.5, 2.7], "f")], {"shape": (7, 6)})[0].tolist() == [[0, 0], [1, 2]]
    # multi-d input as numpy (MXNet 1.9.1 returns the wrong shape for it)
    x = np.random.default_rng(5).integers(0, 60, size=(2, 3))
    check_op("unravel_index", [x], {"shape": (3, 4, 5)}, lambda x: np.stack(np.unravel_index(x, (3, 4, 5))))
    assert run_op("unravel_index", [np.array(5, "int64")], {"shape": (7, 6)})[0].tolist() == [0, 5]
    expect_error("unravel_index", [np.array([22, 42], "f")], {"shape": (7, 6)},
                 contains=("_unravel_index", "flat index 42", "[0, 42)"))
    expect_error("unravel_index", [np.array([-1], "f")], {"shape": (7, 6)}, contains=("flat index -1",))
    expect_error("unravel_index", [np.array([1], "f")], {}, contains=("unravel_index", "shape must be given"))


# ---------------- fill_element_0index ----------------
L3 = np.arange(12, dtype="f").reshape(3, 4)


def test_fill_element_0index():
    out = run_op("fill_element_0index", [L3, np.array([10, 20, 30], "f"), np.array([0, 3, 1], "f")])[0]
    assert out.tolist() == [[10, 1, 2, 3], [4, 5, 6, 20], [8, 30, 10, 11]]  # MXNet 1.9.1
    out = run_op("fill_element_0index", [L3, np.array([10, 20, 30], "f"), np.array([0.7, 2.9, 1], "f")])[0]
    assert out.tolist() == [[10, 1, 2, 3], [4, 5, 20, 7], [8, 30, 10, 11]]  # MXNet 1.9.1 truncates
    i = run_op("fill_element_0index", [L3.astype("int32"), np.array([7, 8, 9], "int32"), np.array([1, 1, 1], "int64")])
    assert i[0].dtype == np.int32 and i[0][:, 1].tolist() == [7, 8, 9]
    # MXNet 1.9.1 skips an out-of-range column silently; here it is an error
    expect_error("fill_element_0index", [L3, np.array([1, 2, 3], "f"), np.array([0, 4, 1], "f")],
                 contains=("fill_element_0index", "rhs[1] = 4", "[0, 4)"))
    expect_error("fill_element_0index", [L3, np.array([1, 2], "f"), np.array([0, 1, 1], "f")],
                 contains=("fill_element_0index", "lhs (N, M), mhs (N,) and rhs (N,)", "(3,4)"))
    expect_error("fill_element_0index", [L3, np.array([1, 2, 3], "f8"), np.array([0, 1, 1], "f")],
                 contains=("mhs", "dtype"))


def test_fill_element_0index_gradient():
    # not differentiable in MXNet 1.9.1; here d lhs zeroes the written elements, d mhs picks them
    head = np.arange(12, dtype="f").reshape(3, 4) + 1
    rhs = np.array([0, 3, 1], "f")
    dl, dm = autograd_grads("fill_element_0index", [L3, np.array([10, 20, 30], "f"), rhs], {}, [0, 1], head)
    assert dl.tolist() == [[0, 2, 3, 4], [5, 6, 7, 0], [9, 0, 11, 12]] and dm.tolist() == [1, 8, 10]
    check_grad("fill_element_0index", [L3.astype("f8"), np.array([1.0, 2, 3]), rhs.astype("f8")], wrt=[0, 1])


# ---------------- crop ----------------
def test_crop_is_slice():
    assert run_op("crop", [L3], {"begin": (0, 1), "end": (2, 4)})[0].tolist() == [[1, 2, 3], [5, 6, 7]]  # MXNet 1.9.1
    check_grad("crop", [L3.astype("f8")], {"begin": (None, 1), "end": (2, None), "step": (1, 2)})


# ---------------- im2col / col2im ----------------
def np_im2col(x, kernel, stride, dilate, pad):
    nsp = len(kernel)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out = [(xp.shape[2 + i] - dilate[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(nsp)]
    rows = []
    for c in range(x.shape[1]):
        for k in np.ndindex(*kernel):
            sl = tuple(slice(k[i] * dilate[i], k[i] * dilate[i] + stride[i] * (out[i] - 1) + 1, stride[i])
                       for i in range(nsp))
            rows.append(xp[(slice(None), c) + sl].reshape(x.shape[0], -1))
    return np.stack(rows, axis=1)


def geom(kernel, stride=None, dilate=None, pad=None):
    n = len(kernel)
    return {"kernel": kernel, "stride": stride or (1,) * n, "dilate": dilate or (1,) * n, "pad": pad or (0,) * n}


def test_im2col_matches_mxnet_2d():
    x = np.arange(2 * 2 * 4 * 5, dtype="f").reshape(2, 2, 4, 5)
    c = run_op("im2col", [x], {"kernel": (2, 3), "stride": (1, 2), "dilate": (1, 1), "pad": (1, 0)})[0]
    assert c.shape == (2, 12, 10)
    assert c[0, :, :4].tolist() == [  # MXNet 1.9.1
        [0, 0, 0, 2], [0, 0, 1, 3], [0, 0, 2, 4], [0, 2, 5, 7], [1, 3, 6, 8], [2, 4, 7, 9],
        [0, 0, 20, 22], [0, 0, 21, 23], [0, 0, 22, 24], [20, 22, 25, 27], [21, 23, 26, 28], [22, 24, 27, 29]]
    x = np.arange(25, dtype="f").reshape(1, 1, 5, 5)
    c = run_op("im2col", [x], {"kernel": (2, 2), "stride": (2, 1), "dilate": (2, 1), "pad": (1, 1)})[0]
    assert c.tolist() == [[  # MXNet 1.9.1
        [0, 0, 0, 0, 0, 0, 0, 5, 6, 7, 8, 9, 0, 15, 16, 17, 18, 19],
        [0, 0, 0, 0, 0, 0, 5, 6, 7, 8, 9, 0, 15, 16, 17, 18, 19, 0],
        [0, 5, 6, 7, 8, 9, 0, 15, 16, 17, 18, 19, 0, 0, 0, 0, 0, 0],
        [5, 6, 7, 8, 9, 0, 15, 16, 17, 18, 19, 0, 0, 0, 0, 0, 0, 0]]]


def test_col2im_matches_mxnet_2d():
    c = np.arange(32, dtype="f").reshape(1, 8, 4)
    assert run_op("col2im", [c], {"output_size": (3, 3), "kernel": (2, 2)})[0].tolist() == [[  # MXNet 1.9.1
        [[0, 5, 5], [10, 30, 20], [10, 25, 15]], [[16, 37, 21], [42, 94, 52], [26, 57, 31]]]]
    y = run_op("col2im", [np.ones((1, 4, 18), "f")], {"output_size": (5, 5), "kernel": (2, 2), "stride": (2, 1),
                                                     "dilate": (2, 1), "pad": (1, 1)})[0]
    assert y[0, 0].tolist() == [[0] * 5, [4] * 5, [0] * 5, [4] * 5, [0] * 5]  # MXNet 1.9.1
    y = run_op("col2im", [np.ones((1, 8, 25), "f")], {"output_size": (4, 4), "kernel": (2, 2), "pad": (1, 1)})[0]
    assert (y == 4).all() and y.shape == (1, 2, 4, 4)  # MXNet 1.9.1


CASES = [  # (data shape, geometry): 1-D, 2-D and 3-D (MXNet 1.9.1 only runs the 2-D ones)
    ((2, 3, 9), geom((3,), (2,), (2,), (1,))),
    ((1, 2, 5), geom((1,))),
    ((2, 2, 5, 6), geom((2, 3), (2, 1), (1, 2), (1, 0))),
    ((1, 3, 4, 4), geom((4, 4), pad=(2, 1))),
    ((1, 2, 3, 4, 5), geom((2, 2, 3), (1, 2, 1), (1, 1, 2), (0, 1, 1))),
]


def test_im2col_col2im_against_numpy_all_ranks():
    rng = np.random.default_rng(6)
    for shape, g in CASES:
        x = rng.normal(size=shape)
        want = np_im2col(x, g["kernel"], g["stride"], g["dilate"], g["pad"])
        c = check_op("im2col", [x], g, lambda x, want=want: want, rtol=1e-12)[0]
        check_op("im2col", [x.astype("f")], g, lambda x, want=want: want, rtol=1e-5)
        # col2im is the transpose: <im2col(x), c> == <x, col2im(c)>
        w = rng.normal(size=c.shape)
        back = run_op("col2im", [w], dict(g, output_size=shape[2:]))[0]
        assert back.shape == shape
        np.testing.assert_allclose(np.sum(c * w), np.sum(x * back), rtol=1e-10)


def test_im2col_col2im_gradients():
    rng = np.random.default_rng(7)
    for shape, g in CASES[::2]:
        x = rng.normal(size=shape)
        check_grad("im2col", [x], g)
        c = run_op("im2col", [x], g)[0]
        check_grad("col2im", [rng.normal(size=c.shape)], dict(g, output_size=shape[2:]))
    # MXNet 1.9.1: im2col's gradient of ones counts the blocks covering each pixel
    dx = autograd_grads("im2col", [np.ones((1, 2, 4, 4), "f")], geom((2, 2), pad=(1, 1)), [0], np.ones((1, 8, 25), "f"))
    assert (dx[0] == 4).all()
    dc = autograd_grads("col2im", [np.zeros((1, 8, 9), "f")], dict(geom((2, 2)), output_size=(4, 4)), [0],
                        np.arange(32, dtype="f").reshape(1, 2, 4, 4))[0]
    assert dc[0, :2].tolist() == [[0, 1, 2, 4, 5, 6, 8, 9, 10], [1, 2, 3, 5, 6, 7, 9, 10, 11]]  # MXNet 1.9.1


def test_im2col_col2im_errors():
    x = np.zeros((2, 2, 4, 5), "f")
    expect_error("im2col", [x], {"kernel": (5, 3)}, contains=("im2col", "dilated kernel size 5", "padded image size 4"))
    expect_error("im2col", [x], {"kernel": (0, 3)}, contains=("im2col", "kernel entries must be >= 1"))
    expect_error("im2col", [x], {"kernel": (2, 3), "stride": (1,)}, contains=("im2col", "stride must have 2 entries"))
    expect_error("im2col", [x], {"kernel": (2, 2, 2)}, contains=("im2col", "data must be 5-d", "(2,2,4,5)"))
    expect_error("im2col", [x], {"kernel": (1, 2, 2, 2)}, contains=("im2col", "kernel must have 1, 2 or 3 entries"))
    expect_error("col2im", [np.ones((1, 8, 5), "f")], {"output_size": (4, 4), "kernel": (2, 2)},
                 contains=("col2im", "(N, C*4, 9)", "(1,8,5)"))
    expect_error("col2im", [np.ones((1, 7, 9), "f")], {"output_size": (4, 4), "kernel": (2, 2)}, contains=("C*4",))
    expect_error("col2im", [np.ones((1, 8, 9), "f")], {"output_size": (4,), "kernel": (2, 2)},
                 contains=("col2im", "output_size must have 2 entries"))
