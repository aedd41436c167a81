"""stack / concat / add_n with more inputs than one core call holds (512), and split into
more parts than one call returns (64): core/invoke_wide.c runs them in chunks. Values
against numpy, gradients against their closed forms, errors name the global index."""
import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, nd

N_WIDE = 1300  # three chunks of at most 512, the last one partial


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(7)
    host = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(N_WIDE)]
    return host, [nd.array(a) for a in host]


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack_wide_matches_numpy(arrays, axis):
    host, xs = arrays
    np.testing.assert_array_equal(nd.stack(*xs, axis=axis).asnumpy(), np.stack(host, axis=axis))


def test_stack_wide_into_out(arrays):
    host, xs = arrays
    out = nd.zeros((N_WIDE, 2, 3))
    nd.stack(*xs, out=out)
    np.testing.assert_array_equal(out.asnumpy(), np.stack(host))


@pytest.mark.parametrize("dim", [0, 1])
def test_concat_wide_matches_numpy(arrays, dim):
    host, xs = arrays
    np.testing.assert_array_equal(nd.concat(*xs, dim=dim).asnumpy(), np.concatenate(host, axis=dim))


def test_add_n_wide_matches_numpy(arrays):
    host, xs = arrays
    np.testing.assert_allclose(nd.add_n(*xs).asnumpy(), np.sum(np.stack(host).astype(np.float64), axis=0),
                               rtol=1e-5, atol=1e-4)


def test_wide_gradients():
    n = 700
    xs = [nd.array(np.full((2, 3), i, np.float32)) for i in range(n)]
    for x in xs:
        x.attach_grad()
    weights = nd.arange(n).reshape((1, n, 1))
    with autograd.record():
        y = (nd.stack(*xs, axis=1) * weights).sum() + nd.add_n(*xs).sum() * 2 + (nd.concat(*xs, dim=0) ** 2).sum()
    y.backward()
    for i in (0, 63, 64, 511, 512, 699):
        # d/dx_i: weight i (stack) + 2 (add_n) + 2 x_i (concat of squares)
        np.testing.assert_allclose(xs[i].grad.asnumpy(), np.full((2, 3), i + 2 + 2 * i, np.float32))


@pytest.mark.parametrize("n", [65, 200, 512])
def test_stack_gradient_past_split_limit(n):
    # stack's gradient splits the head gradient into n parts: more than one split returns
    xs = [nd.array(np.zeros((3,), np.float32)) for _ in range(n)]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = (nd.stack(*xs) * nd.arange(n).reshape((n, 1))).sum()
    y.backward()
    for i in (0, n // 2, n - 1):
        np.testing.assert_array_equal(xs[i].grad.asnumpy(), np.full((3,), i, np.float32))


def test_dataloader_batch_larger_than_a_call():
    data = np.arange(2000 * 3, dtype=np.float32).reshape(2000, 3)
    ds = mx.gluon.data.ArrayDataset(nd.array(data), nd.array(np.arange(2000)))
    batches = list(mx.gluon.data.DataLoader(ds, batch_size=1000))
    assert [b[0].shape for b in batches] == [(1000, 3), (1000, 3)]
    np.testing.assert_array_equal(batches[1][0].asnumpy(), data[1000:])
    np.testing.assert_array_equal(batches[1][1].asnumpy(), np.arange(1000, 2000))


@pytest.mark.parametrize("op", ["stack", "add_n"])
def test_wide_shape_mismatch_names_global_index(arrays, op):
    _, xs = arrays
    bad = list(xs[:700]) + [nd.ones((3, 3))] + list(xs[700:])
    with pytest.raises(mx.base.MXNetError, match=r"%s: all inputs must have the same shape, input 700 is \(3,3\), "
                                                 r"input 0 is \(2,3\)" % op):
        getattr(nd, op)(*bad)


def test_concat_wide_mismatch_names_the_chunk(arrays):
    _, xs = arrays
    bad = list(xs[:600]) + [nd.ones((2, 3, 1))] + list(xs[600:])
    with pytest.raises(mx.base.MXNetError, match=r"concat \(inputs 512\.\.1023 of 1301\)"):
        nd.concat(*bad, dim=0)


@pytest.mark.parametrize("squeeze", [False, True])
def test_split_more_than_64_parts(squeeze):
    a = np.random.default_rng(3).standard_normal((3, 200, 2)).astype(np.float32)
    x = nd.array(a)
    parts = nd.split(x, num_outputs=200, axis=1, squeeze_axis=squeeze)
    want = np.split(a, 200, axis=1)
    assert len(parts) == 200
    for p, w in zip(parts, want):
        np.testing.assert_array_equal(p.asnumpy(), w[:, 0] if squeeze else w)


def test_split_more_than_64_parts_gradient():
    x = nd.array(np.zeros((2, 300), np.float32))
    x.attach_grad()
    with autograd.record():
        parts = nd.SliceChannel(x, num_outputs=100, axis=1)
        y = sum((p * i).sum() for i, p in enumerate(parts))
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.repeat(np.arange(100, dtype=np.float32), 3)[None].repeat(2, 0))


def test_split_wide_errors():
    x = nd.zeros((3, 200))
    with pytest.raises(mx.base.MXNetError, match=r"split: axis 1 of input \(3,200\) \(size 200\) is not divisible "
                                                 r"by num_outputs=70"):
        nd.split(x, num_outputs=70, axis=1)
    with pytest.raises(mx.base.MXNetError, match="split: axis 4 out of range for input of 2 dims"):
        nd.split(x, num_outputs=100, axis=4)
