"""gluon.contrib.nn: Concurrent / HybridConcurrent, Identity, SyncBatchNorm, PixelShuffle.

References are numpy (a per-element index formula for pixel shuffle) and a few values
produced by MXNet 1.9.1's gluon.contrib.nn for the same inputs."""
import warnings

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd
from mxcore.base import MXNetError
from mxcore.gluon import nn
from mxcore.gluon.contrib import nn as cnn


def _np(x):
    return x.asnumpy()


def test_contrib_package_layout():
    assert gluon.contrib.nn is cnn
    for name in ['Concurrent', 'HybridConcurrent', 'Identity', 'SyncBatchNorm',
                 'PixelShuffle1D', 'PixelShuffle2D', 'PixelShuffle3D']:
        assert name in cnn.__all__ and hasattr(cnn, name)
    assert hasattr(gluon.contrib.rnn, 'VariationalDropoutCell')


def _dense(units, seed):
    d = nn.Dense(units, in_units=5)
    d.initialize(mx.init.Normal(1.0))
    rs = np.random.RandomState(seed)
    d.weight.set_data(rs.randn(units, 5).astype('float32'))
    d.bias.set_data(rs.randn(units).astype('float32'))
    return d


@pytest.mark.parametrize('hybrid', [False, True])
def test_hybrid_concurrent_concatenates_children_on_axis(hybrid):
    x = np.random.RandomState(1).randn(4, 5).astype('float32')
    net = cnn.HybridConcurrent(axis=1)
    d1, d2 = _dense(3, 0), _dense(2, 1)
    net.add(d1, d2, cnn.Identity())
    if hybrid:
        net.hybridize()
    out = _np(net(nd.array(x)))
    assert out.shape == (4, 10)
    np.testing.assert_allclose(out[:, :3], _np(d1(nd.array(x))), rtol=1e-6)
    np.testing.assert_allclose(out[:, 3:5], _np(d2(nd.array(x))), rtol=1e-6)
    np.testing.assert_array_equal(out[:, 5:], x)


def test_hybrid_concurrent_hybridized_equals_eager_and_default_axis():
    x = nd.array(np.random.RandomState(2).randn(2, 3, 5).astype('float32'))
    net = cnn.HybridConcurrent()   # axis=-1
    net.add(nn.Dense(4, flatten=False, in_units=5), cnn.Identity(), nn.Activation('tanh'))
    net.initialize()
    eager = _np(net(x))
    assert eager.shape == (2, 3, 14)
    np.testing.assert_allclose(eager[..., 4:9], _np(x))
    np.testing.assert_allclose(eager[..., 9:], np.tanh(_np(x)), rtol=1e-6)
    net.hybridize()
    np.testing.assert_array_equal(_np(net(x)), eager)
    # gradients reach every child through the concat
    with autograd.record():
        y = net(x)
    y.backward()
    assert float(net[0].weight.grad().abs().sum().asscalar()) > 0


def test_concurrent_axis0_and_blocks():
    x = np.arange(6, dtype='float32').reshape(2, 3)
    net = cnn.Concurrent(axis=0)
    net.add(cnn.Identity(), gluon.nn.Lambda(lambda a: a * 2))
    out = _np(net(nd.array(x)))
    np.testing.assert_array_equal(out, np.concatenate([x, 2 * x], axis=0))
    assert isinstance(net, gluon.nn.Sequential) and len(net) == 2


def test_identity_passes_through():
    ident = cnn.Identity()
    x = nd.array(np.random.rand(3, 4))
    np.testing.assert_array_equal(_np(ident(x)), _np(x))
    ident.hybridize()
    np.testing.assert_array_equal(_np(ident(x)), _np(x))


# ---- PixelShuffle -------------------------------------------------------------------

def _pixel_shuffle_ref(x, factors):
    """out[n, c, s1*f1+i1, ...] = x[n, c*F + (i1, ..., ik) as a row-major index, s1, ...]."""
    k = len(factors)
    group = int(np.prod(factors))
    n, cf = x.shape[:2]
    spatial = x.shape[2:]
    out = np.empty((n, cf // group) + tuple(s * f for s, f in zip(spatial, factors)), x.dtype)
    for idx in np.ndindex(*out.shape):
        b, c, pos = idx[0], idx[1], idx[2:]
        sub = [p % f for p, f in zip(pos, factors)]
        src = [p // f for p, f in zip(pos, factors)]
        ch = c * group + int(np.ravel_multi_index(sub, factors)) if k else c
        out[idx] = x[(b, ch) + tuple(src)]
    return out


@pytest.mark.parametrize('cls,shape,factor,factors', [
    (cnn.PixelShuffle1D, (2, 6, 4), 3, (3,)),
    (cnn.PixelShuffle1D, (1, 4, 5), (2,), (2,)),
    (cnn.PixelShuffle2D, (2, 12, 3, 2), (2, 3), (2, 3)),
    (cnn.PixelShuffle2D, (1, 8, 2, 3), 2, (2, 2)),
    (cnn.PixelShuffle3D, (1, 24, 2, 1, 3), (2, 3, 4), (2, 3, 4)),
    (cnn.PixelShuffle3D, (2, 16, 2, 2, 1), 2, (2, 2, 2)),
])
def test_pixel_shuffle_matches_numpy_reference(cls, shape, factor, factors):
    x = np.random.RandomState(0).rand(*shape).astype('float32')
    layer = cls(factor)
    out = _np(layer(nd.array(x)))
    ref = _pixel_shuffle_ref(x, factors)
    assert out.shape == ref.shape
    np.testing.assert_array_equal(out, ref)
    layer.hybridize()
    np.testing.assert_array_equal(_np(layer(nd.array(x))), ref)


def test_pixel_shuffle_mxnet_values_and_shapes():
    # values printed by MXNet 1.9.1 gluon.contrib.nn for arange inputs
    out = cnn.PixelShuffle1D(2)(nd.arange(8).reshape((1, 4, 2)))
    np.testing.assert_array_equal(_np(out), [[[0, 2, 1, 3], [4, 6, 5, 7]]])
    out = cnn.PixelShuffle2D((2, 3))(nd.arange(24).reshape((1, 12, 1, 2)))
    np.testing.assert_array_equal(_np(out), [[[[0, 2, 4, 1, 3, 5], [6, 8, 10, 7, 9, 11]],
                                              [[12, 14, 16, 13, 15, 17],
                                               [18, 20, 22, 19, 21, 23]]]])
    out = cnn.PixelShuffle3D(2)(nd.arange(16).reshape((1, 16, 1, 1, 1)))
    np.testing.assert_array_equal(_np(out).ravel(), np.arange(16))
    assert out.shape == (1, 2, 2, 2, 2)
    out = cnn.PixelShuffle3D((1, 2, 2))(nd.arange(8).reshape((1, 4, 1, 1, 2)))
    np.testing.assert_array_equal(_np(out), [[[[[0, 2, 1, 3], [4, 6, 5, 7]]]]])
    # the shapes of MXNet's docstring examples
    assert cnn.PixelShuffle1D(2)(nd.zeros((1, 8, 3))).shape == (1, 4, 6)
    assert cnn.PixelShuffle2D((2, 3))(nd.zeros((1, 12, 3, 5))).shape == (1, 2, 6, 15)
    assert cnn.PixelShuffle3D((2, 3, 4))(nd.zeros((1, 48, 3, 5, 7))).shape == (1, 2, 6, 15, 28)


def test_pixel_shuffle_symbolic_shape_and_repr():
    s = cnn.PixelShuffle2D((2, 3))(mx.sym.var('data'))
    _, out_shapes, _ = s.infer_shape(data=(1, 12, 3, 5))
    assert tuple(out_shapes[0]) == (1, 2, 6, 15)
    assert repr(cnn.PixelShuffle1D(2)) == 'PixelShuffle1D(2)'
    assert repr(cnn.PixelShuffle2D(2)) == 'PixelShuffle2D((2, 2))'
    assert repr(cnn.PixelShuffle3D((1, 2, 3))) == 'PixelShuffle3D((1, 2, 3))'


def test_pixel_shuffle_gradient_is_the_inverse_permutation():
    x = nd.array(np.random.rand(1, 8, 2, 3))
    x.attach_grad()
    g = np.random.RandomState(3).rand(1, 2, 4, 6).astype('float32')
    layer = cnn.PixelShuffle2D(2)
    with autograd.record():
        y = layer(x)
    y.backward(nd.array(g))
    # shuffling the gradient of x reproduces the output gradient
    np.testing.assert_array_equal(_pixel_shuffle_ref(_np(x.grad), (2, 2)), g)


@pytest.mark.parametrize('cls,factor', [
    (cnn.PixelShuffle1D, 0), (cnn.PixelShuffle1D, (2, 2)), (cnn.PixelShuffle2D, (2, 2, 2)),
    (cnn.PixelShuffle2D, (2, -1)), (cnn.PixelShuffle3D, (2, 2)), (cnn.PixelShuffle3D, 'a'),
])
def test_pixel_shuffle_bad_factor(cls, factor):
    with pytest.raises(ValueError, match=cls.__name__):
        cls(factor)


@pytest.mark.parametrize('hybrid', [False, True])
def test_pixel_shuffle_bad_input_shape(hybrid):
    layer = cnn.PixelShuffle2D(2)
    if hybrid:
        layer.hybridize()
    with pytest.raises(MXNetError, match=r'PixelShuffle2D.*6 input channels.*not divisible'):
        layer(nd.zeros((1, 6, 2, 2)))
    with pytest.raises(MXNetError, match=r'PixelShuffle2D.*4-D input'):
        layer(nd.zeros((8, 2, 2)))


# ---- SyncBatchNorm ------------------------------------------------------------------

@pytest.mark.parametrize('hybrid', [False, True])
def test_sync_batch_norm_behaves_as_batch_norm(hybrid):
    x = nd.array(np.random.RandomState(4).randn(4, 3, 2, 2).astype('float32') * 2 + 1)
    sbn = cnn.SyncBatchNorm(num_devices=1, momentum=0.8, epsilon=1e-3)
    bn = nn.BatchNorm(axis=1, momentum=0.8, epsilon=1e-3)
    for layer in (sbn, bn):
        layer.initialize()
        if hybrid:
            layer.hybridize()
    gamma = np.array([0.5, 1.5, 2.0], 'float32')
    for layer in (sbn, bn):
        layer.gamma.set_data(nd.array(gamma))
    with autograd.record():
        ys, yb = sbn(x), bn(x)
        total = ys.sum() + yb.sum()
    total.backward()  # the running statistics move in the backward (MXNet 1.9.1, CPU)
    np.testing.assert_allclose(_np(ys), _np(yb), rtol=1e-6, atol=1e-6)
    # training normalizes with the batch statistics
    xn = _np(x)
    mean, var = xn.mean(axis=(0, 2, 3)), xn.var(axis=(0, 2, 3))
    ref = (xn - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-3)
    np.testing.assert_allclose(_np(ys), ref * gamma[None, :, None, None], rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(_np(sbn.running_mean.data()), 0.2 * mean, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(_np(sbn.running_var.data()), _np(bn.running_var.data()),
                               rtol=1e-6)
    # predict mode uses the running statistics, like BatchNorm
    np.testing.assert_allclose(_np(sbn(x)), _np(bn(x)), rtol=1e-6, atol=1e-6)


def test_sync_batch_norm_params_and_devices():
    sbn = cnn.SyncBatchNorm(in_channels=5)
    assert isinstance(sbn, nn.BatchNorm)
    names = sorted(k[len(sbn.prefix):] for k in sbn.collect_params())
    assert names == ['beta', 'gamma', 'running_mean', 'running_var']
    assert sbn.prefix.startswith('syncbatchnorm')
    assert sbn.gamma.shape == (5,)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        cnn.SyncBatchNorm(num_devices=4)
    assert any('not synchronize' in str(m.message) for m in w)
    with pytest.raises(ValueError, match='SyncBatchNorm'):
        cnn.SyncBatchNorm(num_devices=0)


def test_pixelshuffle3d_values_and_graph_rank_like_mxnet():
    """Values printed by MXNet 1.9.1; the traced graph keeps every op at <= 7 dims and
    transposes out (MXNet's transpose takes at most 6 dims, so it can run our export)."""
    import json
    n = mx.gluon.contrib.nn.PixelShuffle3D((2, 3, 4))
    x = mx.nd.array(np.arange(48 * 2 * 3 * 2).reshape(1, 48, 2, 3, 2))
    y = n(x)
    assert y.shape == (1, 2, 4, 9, 8)
    np.testing.assert_array_equal(y.asnumpy().ravel()[[0, 5, 17, 100, 333, 575]], [0, 13, 108, 147, 399, 575])
    n.hybridize()
    np.testing.assert_array_equal(n(x).asnumpy(), y.asnumpy())
    ops = [node["op"] for node in json.loads(n(mx.sym.var("data")).tojson())["nodes"]]
    assert "transpose" not in ops and ops.count("SwapAxis") == 3  # MXNet's op name for swapaxes


def test_sync_batch_norm_repr_as_mxnet():
    bn = cnn.SyncBatchNorm(in_channels=4, prefix='syncbatchnorm0_')
    # MXNet 1.9.1's text for the same layer
    assert repr(bn) == ("SyncBatchNorm(eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, "
                        "ndev=1, key='syncbatchnorm0_', in_channels=4)")
    assert repr(cnn.SyncBatchNorm(prefix='s_')).endswith("key='s_', in_channels=None)")
