"""Imperative-API details found by a compatibility sweep against MXNet 1.9.1: NaN through
maximum/minimum/relu, assigning a value of another shape, random samplers writing into
out=, clip_global_norm's return type. Expected values were printed by MXNet 1.9.1."""
import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, nd

NAN = float('nan')


def _eq_nan(a, expected):
    np.testing.assert_array_equal(a.asnumpy(), np.array(expected, dtype=a.asnumpy().dtype))


def test_maximum_minimum_pass_nan_from_either_operand():
    n = nd.array([NAN, 1, NAN])
    z = nd.array([0, NAN, NAN])
    # MXNet 1.9.1: every pair holding a NaN gives NaN, whichever side it is on
    for f in (nd.maximum, nd.minimum, nd.broadcast_maximum, nd.broadcast_minimum):
        _eq_nan(f(n, z), [NAN, NAN, NAN])
        _eq_nan(f(z, n), [NAN, NAN, NAN])
    _eq_nan(nd.maximum(n, 0), [NAN, 1, NAN])
    _eq_nan(nd.maximum(0, z), [0, NAN, NAN])
    _eq_nan(nd.minimum(n, 5), [NAN, 1, NAN])
    _eq_nan(nd.broadcast_maximum(nd.array([[NAN], [2]]), nd.array([1, 3])), [[NAN, NAN], [2, 3]])
    # integers are untouched
    assert nd.maximum(nd.array([1, 5], dtype='int32'), 3).asnumpy().tolist() == [3, 5]


def test_relu_passes_nan_but_activation_relu_does_not():
    x = nd.array([NAN, -1, 2])
    x.attach_grad()
    with autograd.record():
        y = nd.relu(x)
    y.backward()
    # MXNet 1.9.1: nd.relu -> [nan 0 2], gradient [nan 0 1]
    _eq_nan(y, [NAN, 0, 2])
    _eq_nan(x.grad, [NAN, 0, 1])
    _eq_nan(nd.relu(nd.array([NAN] * 20 + [-1] * 20)), [NAN] * 20 + [0] * 20)
    # ... while its CPU Activation(act_type='relu') (what gluon's Activation runs) gives 0
    with autograd.record():
        y = nd.Activation(x, act_type='relu')
    y.backward()
    _eq_nan(y, [0, 0, 2])
    _eq_nan(x.grad, [0, 0, 1])


def _assigned(key, value, shape=(2, 3), record=False):
    a = nd.zeros(shape)
    if record:
        with autograd.record():
            a[key] = value
    else:
        a[key] = value
    return a.asnumpy().tolist()


@pytest.mark.parametrize('record', [False, True])
def test_setitem_broadcasts_and_never_reshapes(record):
    # values MXNet 1.9.1 accepts: broadcastable, after dropping surplus leading 1s
    assert _assigned(1, nd.array([[1, 2, 3]]), record=record) == [[0, 0, 0], [1, 2, 3]]
    assert _assigned(slice(0, 1), nd.array([1, 2, 3]), record=record) == [[1, 2, 3], [0, 0, 0]]
    assert _assigned(slice(None), nd.ones((1, 2, 3)), record=record) == [[1] * 3] * 2
    assert _assigned(slice(None), nd.array([[1], [2]]), record=record) == [[1] * 3, [2] * 3]
    assert _assigned(1, np.ones((1, 3)), record=record) == [[0] * 3, [1] * 3]
    # same number of elements in another shape: MXNet 1.9.1 raises ValueError, it does not reshape
    for value in (nd.arange(6), nd.ones((3, 2)), np.arange(6), list(range(6)), nd.array([1, 2])):
        with pytest.raises(ValueError, match=r'cannot assign a value of shape .* to a target of shape \(2, 3\)'):
            _assigned(slice(None), value, record=record)


def test_setitem_mismatch_leaves_target_untouched():
    a = nd.ones((2, 3))
    with pytest.raises(ValueError):
        a[:] = nd.zeros((3, 2))
    assert a.asnumpy().tolist() == [[1] * 3] * 2


def test_random_samplers_take_shape_and_dtype_from_out():
    o = nd.zeros((100,))
    r = nd.random.uniform(2, 3, out=o)
    assert r is o and o.shape == (100,)
    v = o.asnumpy()
    assert v.min() >= 2 and v.max() < 3 and len(set(v.tolist())) > 50
    o64 = nd.zeros((3,), dtype='float64')
    nd.random.normal(0, 1, out=o64)
    assert o64.dtype == np.float64 and np.all(o64.asnumpy() != 0)
    oi = nd.zeros((40,), dtype='int32')
    nd.random.randint(1, 5, out=oi)
    assert oi.dtype == np.int32 and set(oi.asnumpy().tolist()) <= {1, 2, 3, 4}
    for f in (lambda o: nd.random.poisson(3, out=o), lambda o: nd.random.exponential(2, out=o),
              lambda o: nd.random.randn(out=o)):
        o = nd.zeros((2, 3))
        assert f(o).shape == (2, 3)
    # a given shape must still agree with out's
    with pytest.raises(mx.base.MXNetError, match=r'random_uniform: out= tensor 0 has shape \(2,3\), expected \(3,3\)'):
        nd.random.uniform(0, 1, shape=(3, 3), out=nd.zeros((2, 3)))


def test_clip_global_norm_returns_ndarray_without_isfinite_check():
    a = nd.array([0.3, 0.4])
    n = mx.gluon.utils.clip_global_norm([a], 5, check_isfinite=False)
    # MXNet 1.9.1: [0.5] <NDArray 1 @cpu(0)>
    assert isinstance(n, nd.NDArray) and n.shape == (1,) and n.dtype == np.float32
    np.testing.assert_allclose(n.asnumpy(), [0.5], rtol=1e-6)
    a, b = nd.array([3., 4.]), nd.array([12.])
    n = mx.gluon.utils.clip_global_norm([a, b], 6.5)
    assert isinstance(n, float) and abs(n - 13.0) < 1e-5
    np.testing.assert_allclose(a.asnumpy(), [1.5, 2.0], rtol=1e-5)
    np.testing.assert_allclose(b.asnumpy(), [6.0], rtol=1e-5)


def _grid():
    return nd.arange(12).reshape(3, 4)


def test_basic_slice_shares_memory_only_for_a_contiguous_block():
    # MXNet 1.9.1: a contiguous block (leading single elements, one step-1 range,
    # whole trailing axes) is a view; anything else is a copy that x never sees
    for key in ((1,), (slice(1, 3),), (slice(1, 2), slice(1, 3)), (1, slice(1, 3)), (slice(None), slice(None))):
        x = _grid()
        y = x[key]
        y[:] = -1
        expect = np.arange(12, dtype=np.float32).reshape(3, 4)
        expect[key] = -1
        assert x.asnumpy().tolist() == expect.tolist(), key
    for key in ((slice(None), slice(1, 3)), (slice(None, None, 2),), (slice(None), 1), (Ellipsis, slice(1, 2))):
        x = _grid()
        y = x[key]
        y[:] = -1   # used to fail with 'reshape: view of non-contiguous tensor'
        y += 1
        assert x.asnumpy().tolist() == np.arange(12).reshape(3, 4).tolist(), key
        assert (y.asnumpy() == 0).all()
    x = _grid()
    y = x[:, 1:3]
    y[0] = 7
    assert y.asnumpy().tolist() == [[7, 7], [5, 6], [9, 10]]
    assert x.asnumpy().tolist() == np.arange(12).reshape(3, 4).tolist()
    # writing through a key still reaches x, contiguous or not
    x = _grid()
    x[:, 1:3] = 0
    x[::2, 0] += 100
    assert x.asnumpy().tolist() == [[100, 0, 0, 3], [4, 0, 0, 7], [108, 0, 0, 11]]
