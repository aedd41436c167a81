"""Gluon layers: shapes and values vs numpy, gradients, hybridize, save/load, naming."""
import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd
from mxcore.gluon import nn


def _np(x):
    return x.asnumpy()


def test_dense_matches_numpy_and_deferred_init():
    net = nn.Dense(4, activation='relu', in_units=0)
    net.initialize(mx.init.Xavier())
    x = np.random.RandomState(0).randn(3, 2, 5).astype('float32')
    out = net(nd.array(x))
    assert net.weight.shape == (4, 10)
    w, b = _np(net.weight.data()), _np(net.bias.data())
    ref = np.maximum(x.reshape(3, -1) @ w.T + b, 0)
    np.testing.assert_allclose(_np(out), ref, rtol=1e-5, atol=1e-6)


def test_dense_no_flatten_and_softmax_activation():
    net = nn.Dense(3, flatten=False, use_bias=False, activation='softmax')
    net.initialize()
    x = np.random.rand(2, 4, 6).astype('float32')
    out = _np(net(nd.array(x)))
    assert out.shape == (2, 4, 3)
    np.testing.assert_allclose(out.sum(-1), 1, rtol=1e-5)


def test_sequential_naming_and_collect_params_select():
    net = nn.HybridSequential(prefix='model_')
    with net.name_scope():
        net.add(nn.Dense(3), nn.Dense(2))
    keys = list(net.collect_params().keys())
    assert keys == ['model_dense0_weight', 'model_dense0_bias', 'model_dense1_weight',
                    'model_dense1_bias']
    assert list(net.collect_params('.*weight').keys()) == ['model_dense0_weight',
                                                           'model_dense1_weight']
    assert len(net) == 2 and isinstance(net[1], nn.Dense)


def test_gradient_flows_to_all_params():
    net = nn.Sequential()
    net.add(nn.Dense(5, activation='tanh'), nn.Dense(1))
    net.initialize()
    x = nd.array(np.random.rand(4, 3))
    with autograd.record():
        y = net(x).sum()
    y.backward()
    for p in net.collect_params().values():
        assert np.abs(_np(p.grad())).sum() > 0, p.name
    net.collect_params().zero_grad()
    assert all(np.abs(_np(p.grad())).sum() == 0 for p in net.collect_params().values())


def test_dense_gradient_vs_numpy():
    net = nn.Dense(2, in_units=3)
    net.initialize()
    x = np.random.rand(4, 3).astype('float32')
    with autograd.record():
        y = net(nd.array(x))
    y.backward()
    np.testing.assert_allclose(_np(net.weight.grad()), np.ones((2, 4)) @ x, rtol=1e-5)
    np.testing.assert_allclose(_np(net.bias.grad()), [4, 4], rtol=1e-5)


def test_conv2d_and_pooling_shapes_and_values():
    conv = nn.Conv2D(4, kernel_size=3, padding=1, strides=1)
    conv.initialize()
    x = np.random.rand(2, 3, 8, 8).astype('float32')
    out = conv(nd.array(x))
    assert out.shape == (2, 4, 8, 8) and conv.weight.shape == (4, 3, 3, 3)
    w, b = _np(conv.weight.data()), _np(conv.bias.data())
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ref = np.zeros((2, 4, 8, 8), 'float32')
    for i in range(8):
        for j in range(8):
            ref[:, :, i, j] = np.einsum('nchw,ochw->no', xp[:, :, i:i + 3, j:j + 3], w) + b
    np.testing.assert_allclose(_np(out), ref, rtol=1e-4, atol=1e-5)
    mp = _np(nn.MaxPool2D(2)(nd.array(x)))
    np.testing.assert_allclose(mp, x.reshape(2, 3, 4, 2, 4, 2).max(axis=(3, 5)), rtol=1e-6)
    ap = _np(nn.AvgPool2D(2)(nd.array(x)))
    np.testing.assert_allclose(ap, x.reshape(2, 3, 4, 2, 4, 2).mean(axis=(3, 5)), rtol=1e-5)
    g = _np(nn.GlobalAvgPool2D()(nd.array(x)))
    np.testing.assert_allclose(g.reshape(2, 3), x.mean(axis=(2, 3)), rtol=1e-5)
    assert nn.Conv1D(2, 3)(nd.ones((1, 1, 5))).shape == (1, 2, 3) if \
        nn.Conv1D(2, 3).initialize() is None else True


def test_conv_transpose_shape():
    net = nn.Conv2DTranspose(3, kernel_size=2, strides=2)
    net.initialize()
    out = net(nd.ones((1, 5, 4, 4)))
    assert out.shape == (1, 3, 8, 8) and net.weight.shape == (5, 3, 2, 2)


def test_batchnorm_train_and_inference():
    bn = nn.BatchNorm()
    bn.initialize()
    x = np.random.RandomState(1).randn(8, 3, 2, 2).astype('float32') * 3 + 1
    with autograd.record():
        y = _np(bn(nd.array(x)))
    m = x.mean(axis=(0, 2, 3), keepdims=True)
    v = x.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(y, (x - m) / np.sqrt(v + 1e-5), rtol=1e-3, atol=1e-4)
    # Inference uses the running statistics.
    rm, rv = _np(bn.running_mean.data()), _np(bn.running_var.data())
    y2 = _np(bn(nd.array(x)))
    ref = (x - rm.reshape(1, 3, 1, 1)) / np.sqrt(rv.reshape(1, 3, 1, 1) + 1e-5)
    np.testing.assert_allclose(y2, ref, rtol=1e-4, atol=1e-4)


def test_dropout_train_vs_predict():
    d = nn.Dropout(0.5)
    x = nd.ones((100, 100))
    np.testing.assert_array_equal(_np(d(x)), 1)
    with autograd.record():
        y = _np(d(x))
    assert 0.3 < (y == 0).mean() < 0.7
    assert set(np.unique(y)).issubset({0.0, 2.0})


def test_layernorm_and_embedding_and_flatten():
    ln = nn.LayerNorm()
    ln.initialize()
    x = np.random.rand(2, 5).astype('float32')
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(_np(ln(nd.array(x))), ref, rtol=1e-4, atol=1e-5)
    emb = nn.Embedding(10, 4)
    emb.initialize()
    idx = nd.array([[1, 2], [3, 9]])
    np.testing.assert_allclose(_np(emb(idx)), _np(emb.weight.data())[[[1, 2], [3, 9]]])
    assert nn.Flatten()(nd.ones((2, 3, 4))).shape == (2, 12)


def test_activations_vs_numpy():
    x = np.linspace(-3, 3, 13).astype('float32')
    X = nd.array(x)
    np.testing.assert_allclose(_np(nn.LeakyReLU(0.1)(X)), np.where(x > 0, x, 0.1 * x),
                               rtol=1e-5)
    np.testing.assert_allclose(_np(nn.ELU()(X)), np.where(x > 0, x, np.exp(x) - 1),
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(_np(nn.Swish()(X)), x / (1 + np.exp(-x)), rtol=1e-4,
                               atol=1e-6)
    p = nn.PReLU()
    p.initialize()
    np.testing.assert_allclose(_np(p(X)), np.where(x > 0, x, 0.25 * x), rtol=1e-5)


def test_hybridize_gives_identical_results():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(2, 3), nn.BatchNorm(), nn.Activation('relu'), nn.Flatten(),
                nn.Dense(3))
    net.initialize()
    x = nd.array(np.random.rand(2, 1, 5, 5))
    a = _np(net(x))
    net.hybridize()
    b = _np(net(x))
    np.testing.assert_array_equal(a, b)


def test_save_load_parameters_round_trip(tmp_path):
    def make():
        net = nn.HybridSequential()
        net.add(nn.Dense(4, activation='relu'), nn.BatchNorm(), nn.Dense(2))
        return net
    net = make()
    net.initialize(mx.init.Normal(1.0))
    x = nd.array(np.random.rand(3, 5))
    with autograd.record():
        net(x)
    ref = _np(net(x))
    f = str(tmp_path / 'n.params')
    net.save_parameters(f)
    keys = sorted(nd.load(f).keys())
    assert keys == sorted(['0.weight', '0.bias', '1.gamma', '1.beta', '1.running_mean',
                           '1.running_var', '2.weight', '2.bias'])
    net2 = make()
    net2.load_parameters(f)
    np.testing.assert_allclose(_np(net2(x)), ref, rtol=1e-6)
    net3 = nn.HybridSequential()
    net3.add(nn.Dense(4))
    with pytest.raises(ValueError, match="'1.gamma' loaded from file .* is not present"):  # MXNet's type
        net3.load_parameters(f)
    net3.load_parameters(f, ignore_extra=True, allow_missing=True)


def test_parameter_dict_save_load_prefixed(tmp_path):
    net = nn.Dense(2, in_units=3, prefix='fc_')
    net.initialize()
    f = str(tmp_path / 'p.params')
    net.collect_params().save(f)
    assert sorted(nd.load(f).keys()) == ['fc_bias', 'fc_weight']
    net2 = nn.Dense(2, in_units=3, prefix='fc_')
    net2.collect_params().load(f)
    np.testing.assert_array_equal(_np(net2.weight.data()), _np(net.weight.data()))


def test_parameter_grad_req_and_lr_mult():
    net = nn.Dense(2, in_units=2)
    net.initialize()
    net.collect_params().setattr('grad_req', 'null')
    with pytest.raises(RuntimeError):
        net.weight.grad()
    p = gluon.Parameter('w', shape=(2, 2), lr_mult=0.5)
    p.initialize(init=mx.init.One())
    np.testing.assert_array_equal(_np(p.data()), 1)
    assert p.lr_mult == 0.5
    c = gluon.Constant('c', [1.0, 2.0])
    c.initialize()
    np.testing.assert_array_equal(_np(c.data()), [1, 2])
    assert c.grad_req == 'null'


def test_force_reinit_and_lambda():
    net = nn.Dense(2, in_units=2)
    net.initialize(mx.init.Zero())
    net.initialize(mx.init.One(), force_reinit=True)
    np.testing.assert_array_equal(_np(net.weight.data()), 1)
    lam = nn.HybridLambda(lambda F, x: F.relu(x))
    np.testing.assert_array_equal(_np(lam(nd.array([-1, 2]))), [0, 2])
    assert _np(nn.Lambda('exp')(nd.array([0])))[0] == 1


def test_custom_hybrid_block():
    class Net(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.fc = nn.Dense(3, in_units=2)
                self.scale = self.params.get('scale', shape=(1,), init=mx.init.Constant(2.0))

        def hybrid_forward(self, F, x, scale):
            return F.broadcast_mul(self.fc(x), scale)
    n = Net()
    n.initialize()
    x = nd.ones((1, 2))
    np.testing.assert_allclose(_np(n(x)), 2 * _np(n.fc(x)), rtol=1e-6)
    assert 'scale' in n._collect_params_with_prefix()


def test_model_zoo_resnet_shapes():
    from mxcore.gluon.model_zoo import vision
    for name in ['resnet18_v1', 'resnet18_v2']:
        net = vision.get_model(name, classes=7, thumbnail=True)
        net.initialize()
        assert net(nd.ones((2, 3, 16, 16))).shape == (2, 7)
    with pytest.raises(ValueError):
        vision.get_model('resnet18_v1', pretrained=True)


def test_layer_reprs_match_mxnet():
    """Strings printed by MXNet 1.9.1 for the same layers."""
    rnn = mx.gluon.rnn
    cases = [
        (nn.MaxPool2D(3, 2, 1, ceil_mode=True),
         "MaxPool2D(size=(3, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True, global_pool=False, "
         "pool_type=max, layout=NCHW)"),
        (nn.LayerNorm(in_channels=4), "LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, in_channels=4)"),
        (nn.InstanceNorm(), "InstanceNorm(eps=1e-05, axis=1, center=True, scale=False, in_channels=0)"),
        (nn.GroupNorm(4), "GroupNorm(eps=1e-05, num_groups=4, center=True, scale=True)"),
        (nn.Dense(4, activation="tanh", in_units=15), "Dense(15 -> 4, Activation(tanh))"),
        (rnn.RNNCell(3, activation="relu"), "RNNCell(None -> 3, relu)"),
    ]
    for block, text in cases:
        assert repr(block) == text
    s = rnn.SequentialRNNCell()
    s.add(rnn.LSTMCell(12))
    s.add(rnn.DropoutCell(0.5))
    assert repr(s) == "SequentialRNNCell(\n(0): LSTMCell(None -> 48)\n(1): DropoutCell(rate=0.5, axes=())\n)"


def test_channel_last_pooling_matches_mxnet():
    """Values printed by MXNet 1.9.1 for NHWC / NWC pooling layers and the gradient."""
    x = nd.array(np.arange(96).reshape(2, 4, 4, 3))
    np.testing.assert_array_equal(nn.MaxPool2D(2, layout="NHWC")(x).asnumpy().ravel()[:8],
                                  [15, 16, 17, 21, 22, 23, 39, 40])
    np.testing.assert_array_equal(nn.AvgPool1D(2, layout="NWC")(nd.array(np.arange(24).reshape(2, 4, 3)))
                                  .asnumpy().ravel()[:6], [1.5, 2.5, 3.5, 7.5, 8.5, 9.5])
    g = nn.GlobalAvgPool2D(layout="NHWC")(x)
    assert g.shape == (2, 1, 1, 3)
    np.testing.assert_array_equal(g.asnumpy().ravel()[:3], [22.5, 23.5, 24.5])
    x.attach_grad()
    with autograd.record():
        y = nn.MaxPool2D(2, layout="NHWC")(x)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy().ravel()[12:24], [0, 0, 0, 1, 1, 1] * 2)


def test_summary_prints_mxnet_layout(capsys):
    """The rows and totals MXNet 1.9.1 prints for this net (minus its spurious
    '<Symbol ...>' rows from deferred initialisation)."""
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, activation="relu"), nn.BatchNorm(), nn.MaxPool2D(), nn.Flatten(),
            nn.Dense(10, activation="relu"), nn.Dropout(0.5), nn.Dense(2))
    net.initialize()  # not hybridized: MXNet 1.9.1's summary asserts on a hybridized block
    net.summary(nd.ones((2, 1, 8, 8)))
    lines = capsys.readouterr().out.splitlines()
    rows = [ln.split() for ln in lines[3:13]]
    assert rows[0] == ["Input", "(2,", "1,", "8,", "8)", "0"]
    assert [r[0] for r in rows[1:]] == ["Activation-1", "Conv2D-2", "BatchNorm-3", "MaxPool2D-4", "Flatten-5",
                                        "Activation-6", "Dense-7", "Dropout-8", "Dense-9"]
    assert [r[-1] for r in rows[1:]] == ["0", "40", "16", "0", "0", "0", "370", "0", "22"]
    assert "   Total params: 448" in lines and "   Trainable params: 440" in lines
    assert "   Non-trainable params: 8" in lines and "Unique parameters in model: 448" in lines
