"""Tests for the conv family: "Convolution", "Deconvolution", "Pooling",
"UpSampling", "BilinearResize2D" — forward vs numpy references, gradients
vs finite differences, bad-input errors."""
import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

from harness import autograd_grads, check_grad, check_op, expect_error, run_op

RNG = np.random.default_rng(42)


def rnd(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _tup(v, n, d):
    return tuple(v) if v else (d,) * n


def ref_conv(x, w, b=None, stride=(), dilate=(), pad=(), num_group=1):
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    nsp = x.ndim - 2
    s, d, p = _tup(stride, nsp, 1), _tup(dilate, nsp, 1), _tup(pad, nsp, 0)
    k = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pi, pi) for pi in p])
    out_sp = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nsp)]
    N, C = x.shape[:2]
    F = w.shape[0]
    G = num_group
    Cg, Fg = C // G, F // G
    y = np.zeros((N, F) + tuple(out_sp))
    for off in itertools.product(*[range(ki) for ki in k]):
        sl = tuple(slice(off[i] * d[i], off[i] * d[i] + (out_sp[i] - 1) * s[i] + 1, s[i]) for i in range(nsp))
        patch = xp[(slice(None), slice(None)) + sl]  # N, C, out...
        for g in range(G):
            wg = w[(slice(g * Fg, (g + 1) * Fg), slice(None)) + off]  # Fg, Cg
            pg = patch[:, g * Cg:(g + 1) * Cg]
            y[:, g * Fg:(g + 1) * Fg] += np.einsum("fc,nc...->nf...", wg, pg)
    if b is not None:
        y += b.astype(np.float64).reshape((1, F) + (1,) * nsp)
    return y


def ref_deconv(x, w, b=None, stride=(), dilate=(), pad=(), adj=(), num_group=1):
    """Scatter formulation: y[n, g*Fo+o, i*s - p + k*d] += x[n, c, i] * w[c, o, k]."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    nsp = x.ndim - 2
    s, d, p, a = _tup(stride, nsp, 1), _tup(dilate, nsp, 1), _tup(pad, nsp, 0), _tup(adj, nsp, 0)
    k = w.shape[2:]
    N, C = x.shape[:2]
    G = num_group
    Fo = w.shape[1]
    Cg = C // G
    full = [s[i] * (x.shape[2 + i] - 1) + d[i] * (k[i] - 1) + 1 + a[i] for i in range(nsp)]
    y = np.zeros((N, Fo * G) + tuple(f + 2 * 0 for f in full))
    yfull = np.zeros((N, Fo * G) + tuple(full[i] for i in range(nsp)))
    for off in itertools.product(*[range(ki) for ki in k]):
        sl = tuple(slice(off[i] * d[i], off[i] * d[i] + (x.shape[2 + i] - 1) * s[i] + 1, s[i]) for i in range(nsp))
        for g in range(G):
            wg = w[(slice(g * Cg, (g + 1) * Cg), slice(None)) + off]  # Cg, Fo
            contrib = np.einsum("co,nc...->no...", wg, x[:, g * Cg:(g + 1) * Cg])
            yfull[(slice(None), slice(g * Fo, (g + 1) * Fo)) + sl] += contrib
    out = [full[i] - 2 * p[i] for i in range(nsp)]
    y = yfull[(slice(None), slice(None)) + tuple(slice(p[i], p[i] + out[i]) for i in range(nsp))]
    if b is not None:
        y = y + b.astype(np.float64).reshape((1, -1) + (1,) * nsp)
    return y


CONV_CASES = [
    # (data shape, num_filter, kernel, attrs)
    ((2, 3, 7), 4, (3,), {}),
    ((2, 3, 9), 4, (3,), {"stride": (2,), "pad": (1,), "dilate": (2,)}),
    ((2, 3, 6, 5), 4, (3, 3), {}),
    ((1, 4, 7, 8), 6, (3, 2), {"stride": (2, 1), "pad": (1, 0)}),
    ((2, 4, 8, 8), 4, (3, 3), {"num_group": 2, "dilate": (2, 2), "pad": (2, 2)}),
    ((2, 4, 5, 5), 6, (1, 1), {}),
    ((2, 4, 5, 5), 6, (1, 1), {"num_group": 2}),
    ((1, 2, 4, 5, 6), 3, (2, 3, 2), {"stride": (1, 2, 2), "pad": (1, 0, 1)}),
    ((3, 1, 12, 12), 5, (5, 5), {"stride": (1, 1), "layout": "NCHW"}),
]

# The direct kernels (core/ops/conv_direct.h chooses). Row tiles: unit width
# stride, rows at least one 64-byte tile wide (16 floats, 8 doubles), few
# filters, at most 640 taps (channels per group x kernel elements): no padding,
# padding (a zero-bordered copy), rows of one tile (paired across rows, odd row
# counts), rows not a multiple of the tile, filter blocks cut short, groups,
# 1-D and 3-D, dilation, 360 and 640 taps. Filter vectors take the rest up to
# 640 taps but strided 1x1 layers: the small CONV_CASES above, and below
# narrow rows, filter counts around the vector width, width strides, many
# filters on wide rows and depthwise layers (MobileNet's: one channel per
# group, with multiplier 2 and stride 2); 900 and 2304 taps go through
# im2col + GEMM.
DIRECT_CASES = [
    ((2, 1, 6, 28), 5, (3, 5), {}),
    ((2, 3, 7, 20), 6, (3, 3), {"stride": (2, 1), "pad": (1, 2), "dilate": (1, 2)}),
    ((2, 2, 40), 3, (5,), {"pad": (2,)}),
    ((1, 2, 3, 4, 18), 4, (2, 2, 3), {"stride": (1, 2, 1), "pad": (1, 0, 1)}),
    ((2, 4, 5, 19), 6, (3, 3), {"num_group": 2}),
    ((1, 1, 3, 16), 7, (1, 1), {}),
    ((1, 1, 4, 35), 9, (2, 3), {"pad": (1, 1)}),
    ((1, 4, 5, 20), 3, (4, 4), {"pad": (0, 3)}),
    ((1, 1, 6, 33), 2, (3, 3), {"pad": (1, 1), "stride": (2, 1)}),
    ((1, 1, 5, 16), 3, (3, 3), {"pad": (1, 1)}),
    ((2, 40, 4, 16), 5, (3, 3), {"pad": (1, 1), "dilate": (1, 2)}),
    ((1, 40, 4, 18), 2, (4, 4), {}),
    ((2, 20, 12, 12), 50, (5, 5), {}),
    ((1, 3, 9, 9), 33, (3, 3), {"pad": (1, 1)}),
    ((1, 3, 9, 9), 17, (3, 3), {"num_group": 1, "stride": (1, 2)}),
    ((1, 3, 23, 23), 9, (7, 7), {"stride": (2, 2), "pad": (3, 3)}),
    ((1, 2, 6, 20), 40, (3, 3), {"pad": (1, 1)}),
    ((1, 4, 5, 7), 6, (3, 3), {"num_group": 2, "stride": (1, 3), "dilate": (1, 2), "pad": (1, 2)}),
    ((1, 100, 5, 6), 5, (3, 3), {"pad": (1, 1)}),
    ((1, 256, 4, 4), 3, (3, 3), {"pad": (1, 1)}),
    ((2, 5, 6, 20), 5, (3, 3), {"num_group": 5, "pad": (1, 1)}),
    ((2, 4, 9, 9), 8, (3, 3), {"num_group": 4, "pad": (1, 1), "stride": (2, 2)}),
]


@pytest.mark.parametrize("shape,nf,kernel,attrs", CONV_CASES + DIRECT_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_convolution_forward(shape, nf, kernel, attrs, dtype):
    G = attrs.get("num_group", 1)
    x = rnd(*shape, dtype=dtype)
    w = rnd(nf, shape[1] // G, *kernel, dtype=dtype)
    b = rnd(nf, dtype=dtype)
    a = dict(attrs, kernel=kernel, num_filter=nf)
    ra = {k: v for k, v in attrs.items() if k in ("stride", "dilate", "pad", "num_group")}
    check_op("Convolution", [x, w, b], a, lambda x, w, b: ref_conv(x, w, b, **ra), rtol=1e-4, atol=1e-4)
    a["no_bias"] = True
    out = check_op("Convolution", [x, w], a, lambda x, w: ref_conv(x, w, **ra), rtol=1e-4, atol=1e-4)
    assert out[0].dtype == dtype


def test_convolution_float16_and_zero_batch():
    x = rnd(2, 3, 5, 5).astype(np.float16)
    w = rnd(4, 3, 3, 3).astype(np.float16)
    out = run_op("Convolution", [x, w], {"kernel": (3, 3), "num_filter": 4, "no_bias": True})[0]
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, ref_conv(x, w), rtol=2e-2, atol=5e-2)
    x0 = np.zeros((0, 3, 5, 5), np.float32)
    out = run_op("Convolution", [x0, w.astype(np.float32)], {"kernel": (3, 3), "num_filter": 4, "no_bias": True})[0]
    assert out.shape == (0, 4, 3, 3)


@pytest.mark.parametrize("xshape,nf,k,stride", [
    ((24, 32, 16, 16), 16, 5, (1, 2)),  # im2col + GEMM (800 taps, strided) over ~4 MB chunks: 10 items each
    ((37, 8, 60, 60), 6, 3, (1, 1)),    # direct kernel: zero-bordered copies per ~4 MB chunk, 34 + 3 items
])
def test_convolution_large_batch_chunks(xshape, nf, k, stride):
    x = rnd(*xshape)
    w = rnd(nf, xshape[1], k, k)
    b = rnd(nf)
    p = k // 2
    check_op("Convolution", [x, w, b], {"kernel": (k, k), "num_filter": nf, "pad": (p, p), "stride": stride},
             lambda x, w, b: ref_conv(x, w, b, pad=(p, p), stride=stride), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("shape,nf,kernel,attrs", [CONV_CASES[i] for i in (0, 1, 3, 4, 6, 7)])
def test_convolution_grad(shape, nf, kernel, attrs):
    G = attrs.get("num_group", 1)
    shape = (min(shape[0], 2), shape[1]) + tuple(min(s, 6) for s in shape[2:])
    x = rnd(*shape, dtype=np.float64)
    w = rnd(nf, shape[1] // G, *kernel, dtype=np.float64)
    b = rnd(nf, dtype=np.float64)
    a = dict(attrs, kernel=kernel, num_filter=nf)
    check_grad("Convolution", [x, w, b], a, rtol=1e-4, atol=1e-6)
    a["no_bias"] = True
    check_grad("Convolution", [x, w], a, rtol=1e-4, atol=1e-6)


def test_convolution_errors():
    x = rnd(2, 3, 5, 5)
    w = rnd(4, 3, 3, 3)
    b = rnd(4)
    expect_error("Convolution", [x, rnd(4, 2, 3, 3), b], {"kernel": (3, 3), "num_filter": 4},
                 contains=("Convolution", "weight", "(2,3,5,5)"))
    expect_error("Convolution", [x, w, rnd(5)], {"kernel": (3, 3), "num_filter": 4}, contains=("Convolution", "bias"))
    expect_error("Convolution", [rnd(2, 3, 5), w, b], {"kernel": (3, 3), "num_filter": 4},
                 contains=("Convolution", "(2,3,5)"))
    expect_error("Convolution", [x, w, b], {"kernel": (7, 7), "num_filter": 4}, contains=("Convolution", "exceeds"))
    expect_error("Convolution", [x, w, b], {"kernel": (3, 3), "num_filter": 4, "stride": (1, 1, 1)},
                 contains=("Convolution", "stride"))
    expect_error("Convolution", [x, w, b], {"kernel": (3, 3), "num_filter": 4, "num_group": 2},
                 contains=("Convolution", "num_group"))
    expect_error("Convolution", [x, w, b], {"kernel": (3, 3), "num_filter": 4, "layout": "NDHWC"},
                 contains=("Convolution", "layout"))
    expect_error("Convolution", [x, w], {"kernel": (3, 3), "num_filter": 4}, contains=("Convolution", "input"))


@pytest.mark.parametrize("case", [DIRECT_CASES[i] for i in (0, 1, 4, 13, 15)])
def test_convolution_direct_kernel_grad(case):
    shape, nf, kernel, attrs = case
    G = attrs.get("num_group", 1)
    x = rnd(*shape, dtype=np.float64)
    w = rnd(nf, shape[1] // G, *kernel, dtype=np.float64)
    b = rnd(nf, dtype=np.float64)
    check_grad("Convolution", [x, w, b], dict(attrs, kernel=kernel, num_filter=nf), rtol=1e-4, atol=1e-6)


def ref_conv_wgrad(x, dy, kshape, stride=(), dilate=(), pad=(), num_group=1):
    """d(sum(dy * conv(x, w)))/dw: for each kernel offset, the output gradient
    against the input patch under it (the patches of ref_conv)."""
    x, dy = x.astype(np.float64), dy.astype(np.float64)
    nsp = x.ndim - 2
    s, d, p = _tup(stride, nsp, 1), _tup(dilate, nsp, 1), _tup(pad, nsp, 0)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pi, pi) for pi in p])
    out_sp = dy.shape[2:]
    G, F = num_group, dy.shape[1]
    Cg, Fg = x.shape[1] // G, F // G
    dw = np.zeros((F, Cg) + tuple(kshape))
    for off in itertools.product(*[range(ki) for ki in kshape]):
        sl = tuple(slice(off[i] * d[i], off[i] * d[i] + (out_sp[i] - 1) * s[i] + 1, s[i]) for i in range(nsp))
        patch = xp[(slice(None), slice(None)) + sl]
        for g in range(G):
            axes = [0] + list(range(2, 2 + nsp))  # items and positions
            dw[(slice(g * Fg, (g + 1) * Fg), slice(None)) + off] = np.tensordot(
                dy[:, g * Fg:(g + 1) * Fg], patch[:, g * Cg:(g + 1) * Cg], axes=(axes, axes))
    return dw


# Weight gradients: the direct kernel (core/ops/conv_direct_wgrad.h: up to 640
# taps, not 1x1, filter vectors at most a quarter idle: 50, 32 and 64 float32 filters,
# 20 and 33 float64 ones) with padding, strides, dilation, groups, 1-D/3-D,
# several items per task and padded chunks; depthwise layers (their own
# kernel, conv_direct_dwgrad.h: multiplier 2, height stride, 5x5 in passes
# of 9 taps, rows a multiple of the tile); im2col + GEMM for 20 float32
# filters and for 1250 taps.
WGRAD_CASES = [
    ((4, 20, 12, 12), 50, (5, 5), {}),
    ((2, 3, 11, 13), 32, (3, 3), {"pad": (1, 1), "stride": (2, 1)}),
    ((2, 4, 9, 9), 64, (3, 3), {"num_group": 2, "dilate": (2, 1), "pad": (2, 1)}),
    ((3, 2, 30), 48, (5,), {"pad": (2,), "stride": (3,)}),
    ((1, 2, 3, 5, 6), 32, (2, 3, 2), {"pad": (1, 0, 1)}),
    ((40, 1, 10, 10), 20, (5, 5), {}),
    ((2, 50, 6, 6), 33, (5, 5), {"pad": (2, 2)}),
    ((37, 8, 60, 60), 32, (3, 3), {"pad": (1, 1)}),
    ((2, 6, 9, 20), 6, (3, 3), {"num_group": 6, "pad": (1, 1)}),
    ((1, 4, 8, 19), 8, (3, 3), {"num_group": 4}),
    ((2, 3, 11, 18), 3, (3, 3), {"num_group": 3, "stride": (2, 1), "pad": (1, 1)}),
    ((1, 2, 7, 24), 2, (5, 5), {"num_group": 2, "pad": (2, 2)}),
    ((1, 2, 4, 32), 2, (3, 3), {"num_group": 2, "pad": (1, 1), "dilate": (1, 2)}),
]


@pytest.mark.parametrize("shape,nf,kernel,attrs", WGRAD_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_convolution_weight_and_bias_gradient(shape, nf, kernel, attrs, dtype):
    G = attrs.get("num_group", 1)
    x = rnd(*shape, dtype=dtype)
    w = rnd(nf, shape[1] // G, *kernel, dtype=dtype)
    a = dict(attrs, kernel=kernel, num_filter=nf)
    b = rnd(nf, dtype=dtype)
    y = run_op("Convolution", [x, w, b], a)[0]
    dy = rnd(*y.shape, dtype=dtype)
    ra = {k: v for k, v in attrs.items() if k in ("stride", "dilate", "pad", "num_group")}
    for wrt in ([1, 2], [0, 1, 2]):  # weight and bias; and the data gradient too (the im2col pass then)
        dw, db = autograd_grads("Convolution", [x, w, b], a, wrt, dy)[-2:]
        tol = 1e-4 if dtype == np.float32 else 1e-10
        np.testing.assert_allclose(dw, ref_conv_wgrad(x, dy, kernel, **ra), rtol=tol, atol=tol * 10)
        np.testing.assert_allclose(db, dy.astype(np.float64).sum(axis=tuple(i for i in range(dy.ndim) if i != 1)),
                                   rtol=tol, atol=tol * 10)


# Data gradients: as a direct convolution of dy with flipped weights
# (conv_direct.h: unit strides, at most twice the multiply-adds) for 'same'
# layers, wide and narrow rows, dilation, groups, 1-D and 3-D, and a 3x3
# 'valid' layer; im2col + col2im for LeNet's 'valid' 5x5 on 12x12 and strides.
DGRAD_CASES = [
    ((2, 3, 9, 20), 8, (3, 3), {"pad": (1, 1)}),
    ((2, 6, 7, 9), 40, (3, 3), {"pad": (1, 1), "num_group": 2}),
    ((1, 4, 6, 18), 5, (3, 5), {"pad": (2, 4), "dilate": (2, 2)}),
    ((2, 3, 30), 6, (5,), {"pad": (2,)}),
    ((1, 2, 4, 5, 17), 3, (3, 3, 3), {"pad": (1, 1, 1)}),
    ((2, 4, 10, 24), 6, (3, 3), {}),
    ((2, 20, 12, 12), 50, (5, 5), {}),
    ((2, 3, 9, 11), 4, (3, 3), {"pad": (1, 1), "stride": (2, 2)}),
    ((2, 6, 7, 19), 6, (3, 3), {"pad": (1, 1), "num_group": 6}),
]


@pytest.mark.parametrize("shape,nf,kernel,attrs", DGRAD_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_convolution_data_gradient(shape, nf, kernel, attrs, dtype):
    G = attrs.get("num_group", 1)
    x, w, b = rnd(*shape, dtype=dtype), rnd(nf, shape[1] // G, *kernel, dtype=dtype), rnd(nf, dtype=dtype)
    a = dict(attrs, kernel=kernel, num_filter=nf)
    dy = rnd(*run_op("Convolution", [x, w, b], a)[0].shape, dtype=dtype)
    dx = autograd_grads("Convolution", [x, w, b], a, [0], dy)[0]
    # the adjoint: a transposed convolution of dy, adj restoring the input size
    ra = {k: v for k, v in attrs.items() if k in ("stride", "dilate", "pad", "num_group")}
    nsp = len(kernel)
    s_, d_, p_ = _tup(attrs.get("stride"), nsp, 1), _tup(attrs.get("dilate"), nsp, 1), _tup(attrs.get("pad"), nsp, 0)
    adj = tuple(shape[2 + i] - (s_[i] * (dy.shape[2 + i] - 1) + d_[i] * (kernel[i] - 1) + 1 - 2 * p_[i])
                for i in range(nsp))
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(dx, ref_deconv(dy, w, adj=adj, **ra), rtol=tol, atol=tol * 10)


_ISA_SCRIPT = """
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from harness import autograd_grads, run_op
d = np.load(sys.argv[2], allow_pickle=True)
outs = {}
for i, (shape, nf, kernel, attrs) in enumerate(d["cases"]):
    x, w, b, dy = d["x%d" % i], d["w%d" % i], d["b%d" % i], d["dy%d" % i]
    a = dict(attrs, kernel=kernel, num_filter=nf)
    outs["y%d" % i] = run_op("Convolution", [x, w, b], a)[0]
    for k, g in enumerate(autograd_grads("Convolution", [x, w, b], a, [0, 1, 2], dy)):
        outs["g%d_%d" % (i, k)] = g
np.savez(sys.argv[3], **outs)
"""


@pytest.mark.parametrize("isa", ["avx2", "none"])
def test_convolution_paths_per_cpu_give_the_same_results(tmp_path, isa):
    # MXCORE_CPU_ISA=avx2 runs the direct kernels' 32-byte build (CPUs without
    # AVX-512), none runs im2col + GEMM (CPUs without AVX2); both agree with
    # this CPU's path, on cases each direct kernel takes here
    cases = [DIRECT_CASES[0], DIRECT_CASES[1], DIRECT_CASES[12], WGRAD_CASES[0], WGRAD_CASES[2], WGRAD_CASES[8],
             WGRAD_CASES[11], DGRAD_CASES[1], DGRAD_CASES[4]]
    data = {"cases": np.array(cases, dtype=object)}
    here = []
    for i, (shape, nf, kernel, attrs) in enumerate(cases):
        G = attrs.get("num_group", 1)
        x, w, b = rnd(*shape), rnd(nf, shape[1] // G, *kernel), rnd(nf)
        a = dict(attrs, kernel=kernel, num_filter=nf)
        y = run_op("Convolution", [x, w, b], a)[0]
        dy = rnd(*y.shape)
        data.update({"x%d" % i: x, "w%d" % i: w, "b%d" % i: b, "dy%d" % i: dy})
        here.append([y] + autograd_grads("Convolution", [x, w, b], a, [0, 1, 2], dy))
    np.savez(tmp_path / "in.npz", **data)
    (tmp_path / "run.py").write_text(_ISA_SCRIPT)
    env = dict(os.environ, MXCORE_CPU_ISA=isa)
    subprocess.run([sys.executable, str(tmp_path / "run.py"), os.path.dirname(__file__), str(tmp_path / "in.npz"),
                    str(tmp_path / "out.npz")], env=env, check=True, timeout=120)
    there = np.load(tmp_path / "out.npz")
    for i, (y, *grads) in enumerate(here):
        np.testing.assert_allclose(there["y%d" % i], y, rtol=1e-4, atol=1e-4, err_msg=f"case {i} output")
        for k, g in enumerate(grads):
            np.testing.assert_allclose(there["g%d_%d" % (i, k)], g, rtol=1e-4, atol=1e-4, err_msg=f"case {i} grad {k}")


def test_deconvolution_grad_wide_rows():
    # the data gradient of a deconvolution is a convolution: wide rows take the direct kernel
    x = rnd(1, 2, 3, 20, dtype=np.float64)
    w = rnd(2, 3, 2, 3, dtype=np.float64)
    check_grad("Deconvolution", [x, w], {"kernel": (2, 3), "num_filter": 3, "pad": (0, 1)}, rtol=1e-4, atol=1e-6)


DECONV_CASES = [
    ((2, 3, 5), 4, (3,), {}),
    ((2, 3, 5), 4, (3,), {"stride": (2,), "pad": (1,), "adj": (1,)}),
    ((2, 3, 4, 5), 2, (3, 3), {"stride": (2, 2), "pad": (1, 1)}),
    ((1, 4, 3, 4), 6, (2, 3), {"stride": (2, 1), "dilate": (1, 2), "num_group": 2}),
    ((1, 2, 3, 3, 2), 2, (2, 2, 2), {"stride": (2, 2, 1)}),
]


@pytest.mark.parametrize("shape,nf,kernel,attrs", DECONV_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_deconvolution_forward(shape, nf, kernel, attrs, dtype):
    G = attrs.get("num_group", 1)
    x = rnd(*shape, dtype=dtype)
    w = rnd(shape[1], nf // G, *kernel, dtype=dtype)
    b = rnd(nf, dtype=dtype)
    ra = {k: v for k, v in attrs.items() if k in ("stride", "dilate", "pad", "num_group", "adj")}
    a = dict(attrs, kernel=kernel, num_filter=nf)
    check_op("Deconvolution", [x, w], a, lambda x, w: ref_deconv(x, w, **ra), rtol=1e-4, atol=1e-4)
    a["no_bias"] = False
    check_op("Deconvolution", [x, w, b], a, lambda x, w, b: ref_deconv(x, w, b, **ra), rtol=1e-4, atol=1e-4)


def test_deconvolution_target_shape():
    x = rnd(1, 2, 4, 4)
    w = rnd(2, 3, 4, 4)
    out = run_op("Deconvolution", [x, w], {"kernel": (4, 4), "stride": (2, 2), "num_filter": 3,
                                           "target_shape": (8, 8)})[0]
    assert out.shape == (1, 3, 8, 8)
    np.testing.assert_allclose(out, ref_deconv(x, w, stride=(2, 2), pad=(1, 1)), rtol=1e-4, atol=1e-4)
    out = run_op("Deconvolution", [x, w], {"kernel": (4, 4), "stride": (2, 2), "num_filter": 3,
                                           "target_shape": (9, 9)})[0]
    assert out.shape == (1, 3, 9, 9)
    np.testing.assert_allclose(out, ref_deconv(x, w, stride=(2, 2), pad=(1, 1), adj=(1, 1)), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape,nf,kernel,attrs", DECONV_CASES[:4])
def test_deconvolution_grad(shape, nf, kernel, attrs):
    G = attrs.get("num_group", 1)
    x = rnd(*shape, dtype=np.float64)
    w = rnd(shape[1], nf // G, *kernel, dtype=np.float64)
    b = rnd(nf, dtype=np.float64)
    a = dict(attrs, kernel=kernel, num_filter=nf, no_bias=False)
    check_grad("Deconvolution", [x, w, b], a, rtol=1e-4, atol=1e-6)


def test_deconvolution_errors():
    x = rnd(2, 3, 5, 5)
    expect_error("Deconvolution", [x, rnd(4, 2, 3, 3)], {"kernel": (3, 3), "num_filter": 2},
                 contains=("Deconvolution", "weight", "(2,3,5,5)"))
    expect_error("Deconvolution", [x, rnd(3, 2, 3, 3)], {"kernel": (3, 3), "num_filter": 2, "target_shape": (20, 20)},
                 contains=("Deconvolution", "target_shape"))


# ---------------- Pooling ----------------
def ref_pool(x, kernel, pool_type="max", stride=(), pad=(), global_pool=False, convention="valid",
             count_include_pad=True, p_value=2):
    x = x.astype(np.float64)
    nsp = x.ndim - 2
    if global_pool:
        kernel, stride, pad = x.shape[2:], (1,) * nsp, (0,) * nsp
    s, p = _tup(stride, nsp, 1), _tup(pad, nsp, 0)
    insp = x.shape[2:]
    if convention == "valid":
        out = [(insp[i] + 2 * p[i] - kernel[i]) // s[i] + 1 for i in range(nsp)]
    elif convention == "full":
        out = [-(-(insp[i] + 2 * p[i] - kernel[i]) // s[i]) + 1 for i in range(nsp)]
    else:
        out = [-(-insp[i] // s[i]) for i in range(nsp)]
        p = [max((out[i] - 1) * s[i] + kernel[i] - insp[i], 0) // 2 for i in range(nsp)]
    y = np.zeros(x.shape[:2] + tuple(out))
    for o in itertools.product(*[range(n) for n in out]):
        lo = [o[i] * s[i] - p[i] for i in range(nsp)]
        hi = [min(lo[i] + kernel[i], insp[i] + p[i]) for i in range(nsp)]
        padded = np.prod([hi[i] - lo[i] for i in range(nsp)])
        lo = [max(v, 0) for v in lo]
        hi = [min(hi[i], insp[i]) for i in range(nsp)]
        win = x[(slice(None), slice(None)) + tuple(slice(lo[i], hi[i]) for i in range(nsp))]
        win = win.reshape(x.shape[:2] + (-1,))
        if pool_type == "max":
            v = win.max(-1)
        elif pool_type == "sum":
            v = win.sum(-1)
        elif pool_type == "avg":
            v = win.sum(-1) / (padded if count_include_pad else win.shape[-1])
        else:
            v = (np.abs(win) ** p_value).sum(-1) ** (1.0 / p_value)
        y[(slice(None), slice(None)) + o] = v
    return y


POOL_CASES = [
    ((2, 3, 8), (2,), {"stride": (2,)}),
    ((2, 3, 7), (3,), {"stride": (2,), "pad": (1,)}),
    ((2, 3, 6, 6), (2, 2), {"stride": (2, 2)}),
    ((2, 2, 7, 5), (3, 2), {"stride": (2, 1), "pad": (1, 1)}),
    ((1, 2, 7, 7), (3, 3), {"stride": (2, 2), "pooling_convention": "full"}),
    ((1, 2, 7, 6), (3, 3), {"stride": (2, 2), "pooling_convention": "same"}),
    ((1, 2, 4, 5, 6), (2, 2, 3), {"stride": (2, 2, 2), "pad": (1, 0, 1)}),
    ((2, 3, 5, 4), (1, 1), {"global_pool": True}),
    # whole-plane avg/sum windows run as vector plane sums: full 64-byte vectors plus a tail
    ((2, 3, 9, 7), (1, 1), {"global_pool": True}),
    ((2, 3, 37), (1,), {"global_pool": True}),
    ((1, 2, 6, 11), (6, 11), {}),
    # windows inside the input, overlapping rows, no padding: the max2d fast path's general body
    ((2, 2, 7, 6), (3, 2), {"stride": (1, 2)}),
]


@pytest.mark.parametrize("shape,kernel,attrs", POOL_CASES)
@pytest.mark.parametrize("pool_type", ["max", "avg", "sum", "lp"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooling_forward(shape, kernel, attrs, pool_type, dtype):
    x = rnd(*shape, dtype=dtype)
    a = dict(attrs, kernel=kernel, pool_type=pool_type)
    conv = attrs.get("pooling_convention", "valid")

    def ref(x):
        return ref_pool(x, kernel, pool_type, attrs.get("stride", ()), attrs.get("pad", ()),
                        attrs.get("global_pool", False), conv)
    check_op("Pooling", [x], a, ref, rtol=1e-4, atol=1e-5)
    if pool_type == "avg":
        a["count_include_pad"] = False
        check_op("Pooling", [x], a, lambda x: ref_pool(x, kernel, "avg", attrs.get("stride", ()), attrs.get("pad", ()),
                                                     attrs.get("global_pool", False), conv, count_include_pad=False),
                 rtol=1e-4, atol=1e-5)
    if pool_type == "lp":
        a["p_value"] = 3
        check_op("Pooling", [x], a, lambda x: ref_pool(x, kernel, "lp", attrs.get("stride", ()), attrs.get("pad", ()),
                                                     attrs.get("global_pool", False), conv, p_value=3),
                 rtol=1e-4, atol=1e-5)


def test_pooling_float16_zero_batch():
    x = rnd(2, 3, 4, 4).astype(np.float16)
    out = run_op("Pooling", [x], {"kernel": (2, 2), "stride": (2, 2)})[0]
    assert out.dtype == np.float16 and out.shape == (2, 3, 2, 2)
    np.testing.assert_allclose(out, ref_pool(x, (2, 2), stride=(2, 2)), rtol=1e-3)
    out = run_op("Pooling", [np.zeros((0, 3, 4, 4), np.float32)], {"kernel": (2, 2)})[0]
    assert out.shape == (0, 3, 3, 3)


@pytest.mark.parametrize("shape,kernel,attrs", [POOL_CASES[i] for i in (0, 1, 2, 3, 4, 6, 7, 8)])
@pytest.mark.parametrize("pool_type", ["max", "avg", "sum", "lp"])
def test_pooling_grad(shape, kernel, attrs, pool_type):
    # distinct values so max is well defined under finite differences
    x = RNG.permutation(np.prod(shape)).reshape(shape).astype(np.float64) * 0.1 + 0.05
    if pool_type == "lp":
        x = x * np.where(RNG.random(shape) < 0.5, -1, 1)
    check_grad("Pooling", [x], dict(attrs, kernel=kernel, pool_type=pool_type), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel,stride", [((2, 2), (2, 2)), ((3, 2), (2, 2)), ((2, 2), (1, 2))])
def test_max_pooling_gradient_goes_to_the_first_maximum(dtype, kernel, stride):
    # ties, NaN and odd sizes (rows and columns no window covers): each window's
    # gradient goes to its first element unless a later one is strictly greater
    # (2x2 at stride 2 has its own kernel; the other two run the general loops)
    x = RNG.integers(0, 3, size=(2, 3, 7, 9)).astype(dtype)
    x[0, 0, 0, 0] = x[1, 2, 3, 4] = np.nan
    out = run_op("Pooling", [x], {"kernel": kernel, "stride": stride, "pool_type": "max"})[0]
    dy = rnd(*out.shape, dtype=dtype)
    dx = autograd_grads("Pooling", [x], {"kernel": kernel, "stride": stride, "pool_type": "max"}, [0], dy)[0]
    want = np.zeros(x.shape)
    for n, c, oh, ow in itertools.product(*[range(v) for v in out.shape]):
        h0, w0 = oh * stride[0], ow * stride[1]
        best, arg = x[n, c, h0, w0], (h0, w0)
        for h, w in itertools.product(range(h0, h0 + kernel[0]), range(w0, w0 + kernel[1])):
            if x[n, c, h, w] > best:
                best, arg = x[n, c, h, w], (h, w)
        want[(n, c) + arg] += dy[n, c, oh, ow]
    np.testing.assert_allclose(dx, want, rtol=1e-6, atol=1e-6)


def test_pooling_errors():
    expect_error("Pooling", [rnd(2, 3)], {"kernel": (2,)}, contains=("Pooling", "(2,3)"))
    expect_error("Pooling", [rnd(2, 3, 4, 4)], {"kernel": (2,)}, contains=("Pooling", "kernel", "(2,3,4,4)"))
    expect_error("Pooling", [rnd(2, 3, 4, 4)], {"kernel": (5, 5)}, contains=("Pooling", "exceeds"))
    expect_error("Pooling", [rnd(2, 3, 4, 4)], {"kernel": (2, 2), "pool_type": "median"}, contains=("Pooling",))


# ---------------- UpSampling ----------------
def ref_nearest(xs, scale, mode="concat"):
    oh = xs[0].shape[2] * scale
    ups = []
    for x in xs:
        s = oh // x.shape[2]
        ups.append(x.astype(np.float64).repeat(s, axis=2).repeat(s, axis=3))
    return np.concatenate(ups, axis=1) if mode == "concat" else sum(ups)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1, 2, 3])
def test_upsampling_nearest(dtype, scale):
    x = rnd(2, 3, 4, 5, dtype=dtype)
    check_op("UpSampling", [x], {"scale": scale, "sample_type": "nearest", "num_args": 1},
             lambda x: ref_nearest([x], scale))
    x2 = rnd(2, 2, 2, 5, dtype=dtype)[:, :, :, :]  # different size: scaled to match
    x2 = rnd(2, 2, 2, 2, dtype=dtype) if scale == 2 else rnd(2, 2, 4, 5, dtype=dtype)
    for mode in ("concat", "sum"):
        ins = [x, x2] if mode == "concat" else [x, rnd(*((2, 3) + x2.shape[2:]), dtype=dtype)]
        if ins[1].shape[2] * 1 != ins[0].shape[2] * scale and (ins[0].shape[2] * scale) % ins[1].shape[2]:
            continue
        if (ins[0].shape[2] * scale) // ins[1].shape[2] != (ins[0].shape[3] * scale) // ins[1].shape[3]:
            continue
        check_op("UpSampling", ins, {"scale": scale, "sample_type": "nearest", "num_args": 2, "multi_input_mode": mode},
                 lambda a, b: ref_nearest([a, b], scale, mode))


def test_upsampling_nearest_grad():
    x = rnd(1, 2, 3, 2, dtype=np.float64)
    check_grad("UpSampling", [x], {"scale": 2, "sample_type": "nearest", "num_args": 1}, rtol=1e-5, atol=1e-7)
    y = rnd(1, 1, 6, 4, dtype=np.float64)
    check_grad("UpSampling", [x, y], {"scale": 2, "sample_type": "nearest", "num_args": 2}, rtol=1e-5, atol=1e-7)
    z = rnd(1, 2, 6, 4, dtype=np.float64)
    check_grad("UpSampling", [x, z], {"scale": 2, "sample_type": "nearest", "num_args": 2, "multi_input_mode": "sum"},
               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("scale", [2, 3])
def test_upsampling_bilinear(scale):
    x = rnd(2, 3, 4, 5)
    k = 2 * scale - scale % 2
    w = rnd(3, 1, k, k)
    p = (scale - 1 + 1) // 2
    out = check_op("UpSampling", [x, w], {"scale": scale, "sample_type": "bilinear", "num_args": 2, "num_filter": 3},
                   lambda x, w: ref_deconv(x, w.reshape(3, 1, k, k), stride=(scale, scale), pad=(p, p), num_group=3),
                   rtol=1e-4, atol=1e-4)
    assert out[0].shape == (2, 3, 4 * scale, 5 * scale)
    check_grad("UpSampling", [x[:1, :2, :3, :3].astype(np.float64), w[:2].astype(np.float64)],
               {"scale": scale, "sample_type": "bilinear", "num_args": 2}, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("scale,k", [(2, 4), (3, 5)])
def test_upsampling_bilinear_infers_weight_shape(scale, k):
    """A symbol's unknown bilinear weight gets (C, 1, k, k), k = 2*scale - scale%2 (MXNet 1.9.1's infer_shape)."""
    import mxcore as mx
    up = mx.sym.UpSampling(mx.sym.Variable("data"), mx.sym.Variable("weight"), sample_type="bilinear",
                           scale=scale, num_filter=3, num_args=2)
    args, outs, aux = up.infer_shape(data=(1, 3, 4, 4))
    assert args == [(1, 3, 4, 4), (3, 1, k, k)]
    assert outs == [(1, 3, 4 * scale, 4 * scale)] and aux == []


def test_upsampling_errors():
    x = rnd(2, 3, 4, 5)
    expect_error("UpSampling", [rnd(2, 3, 4)], {"scale": 2, "sample_type": "nearest", "num_args": 1},
                 contains=("UpSampling", "(2,3,4)"))
    expect_error("UpSampling", [x, rnd(2, 3, 3, 5)], {"scale": 2, "sample_type": "nearest", "num_args": 2},
                 contains=("UpSampling", "scale"))
    expect_error("UpSampling", [x, rnd(3, 1, 3, 3)], {"scale": 2, "sample_type": "bilinear", "num_args": 2},
                 contains=("UpSampling", "weight"))
    expect_error("UpSampling", [x], {"scale": 2, "sample_type": "nearest", "num_args": 2}, contains=("UpSampling",))


# ---------------- BilinearResize2D ----------------
def ref_bilinear(x, oh, ow, align=True):
    x = x.astype(np.float64)
    H, W = x.shape[2:]

    def axis(n_in, n_out):
        if align:
            sc = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
            src = sc * np.arange(n_out)
        else:
            src = np.maximum(n_in / n_out * (np.arange(n_out) + 0.5) - 0.5, 0)
        i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
        i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
        return i0, i1, src - i0
    h0, h1, lh = axis(H, oh)
    w0, w1, lw = axis(W, ow)
    lh = lh[:, None]
    lw = lw[None, :]

    def g(hi, wi):
        return x[:, :, hi][:, :, :, wi]
    return (1 - lh) * ((1 - lw) * g(h0, w0) + lw * g(h0, w1)) + lh * ((1 - lw) * g(h1, w0) + lw * g(h1, w1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("align", [True, False])
@pytest.mark.parametrize("hw", [(7, 9), (3, 2), (1, 1), (4, 5)])
def test_bilinear_resize(dtype, align, hw):
    x = rnd(2, 3, 4, 5, dtype=dtype)
    check_op("BilinearResize2D", [x], {"height": hw[0], "width": hw[1], "align_corners": align},
             lambda x: ref_bilinear(x, hw[0], hw[1], align), rtol=1e-5, atol=1e-5)
    check_op("_contrib_BilinearResize2D", [x, rnd(1, 1, *hw, dtype=dtype)], {"mode": "like", "align_corners": align},
             lambda x, like: ref_bilinear(x, hw[0], hw[1], align), rtol=1e-5, atol=1e-5)


def test_bilinear_resize_scale_and_grad():
    x = rnd(1, 2, 4, 6)
    check_op("BilinearResize2D", [x], {"scale_height": 2, "scale_width": 0.5},
             lambda x: ref_bilinear(x, 8, 3), rtol=1e-5, atol=1e-5)
    xd = rnd(1, 2, 3, 4, dtype=np.float64)
    for align in (True, False):
        check_grad("BilinearResize2D", [xd], {"height": 5, "width": 3, "align_corners": align}, rtol=1e-5, atol=1e-7)
    check_grad("BilinearResize2D", [xd, rnd(1, 1, 6, 7, dtype=np.float64)], {"mode": "like"}, wrt=[0],
               rtol=1e-5, atol=1e-7)


def test_bilinear_resize_errors():
    expect_error("BilinearResize2D", [rnd(2, 3, 4)], {"height": 2, "width": 2},
                 contains=("BilinearResize2D", "(2,3,4)"))
    expect_error("BilinearResize2D", [rnd(1, 1, 2, 2)], {"scale_height": "abc"}, contains=("BilinearResize2D",))


def test_conv_grad_subset_of_inputs():
    # only weight/bias marked: the backward skips the data gradient
    x = rnd(2, 3, 6, 6, dtype=np.float64)
    w = rnd(4, 3, 3, 3, dtype=np.float64)
    b = rnd(4, dtype=np.float64)
    check_grad("Convolution", [x, w, b], {"kernel": (3, 3), "num_filter": 4, "pad": (1, 1)}, wrt=[1, 2],
               rtol=1e-4, atol=1e-6)
    check_grad("Convolution", [x, w, b], {"kernel": (3, 3), "num_filter": 4}, wrt=[0], rtol=1e-4, atol=1e-6)
    xd = rnd(1, 3, 3, 3, dtype=np.float64)
    check_grad("Deconvolution", [xd, rnd(3, 2, 2, 2, dtype=np.float64)], {"kernel": (2, 2), "num_filter": 2},
               wrt=[1], rtol=1e-4, atol=1e-6)


def test_conv_weight_gradient_over_a_long_batch():
    """LeNet conv1's shape (batch 64, 1 -> 20 channels, 5x5 on 28x28): the weight and
    bias gradients are tall reductions over 36,864 positions (the GEMM splits them);
    checked against numpy's direct sum."""
    rs = np.random.RandomState(5)
    x = rs.rand(64, 1, 28, 28).astype(np.float32)
    w = (rs.rand(20, 1, 5, 5).astype(np.float32) - 0.5)
    head = rs.rand(64, 20, 24, 24).astype(np.float32)
    cols = np.lib.stride_tricks.sliding_window_view(x[:, 0].astype(np.float64), (5, 5), axis=(1, 2))
    dw_ref = np.einsum("nfhw,nhwij->fij", head.astype(np.float64), cols)[:, None]
    from harness import autograd_grads
    dw, db = autograd_grads("Convolution", [x, w, np.zeros(20, np.float32)], {"kernel": (5, 5), "num_filter": 20},
                            [1, 2], head)
    np.testing.assert_allclose(dw, dw_ref, rtol=2e-4, atol=1e-3)
    np.testing.assert_allclose(db, head.astype(np.float64).sum((0, 2, 3)), rtol=1e-4)
