"""d2l-style programs in numpy mode (npx.set_np()): linear regression from scratch
on np arrays and autograd, Gluon softmax regression / MLP trained a few steps
(loss decreasing and equal to the same program in nd mode), a hybridized np-mode
block equal to eager (and exported), DataLoader batches and parameters as np arrays."""
import os

import numpy as onp
import pytest

import mxcore as mx
from mxcore import autograd, gluon, init, np, npx
from mxcore.gluon import nn


@pytest.fixture
def np_mode():
    npx.set_np()
    try:
        yield
    finally:
        npx.reset_np()


def synthetic_data(w, b, num_examples):  # d2l.synthetic_data
    X = np.random.normal(0, 1, (num_examples, len(w)))
    y = np.dot(X, w) + b
    y += np.random.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def test_linear_regression_from_scratch(np_mode):
    np.random.seed(1)
    true_w, true_b = np.array([2, -3.4]), 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)
    w = np.random.normal(0, 0.01, (2, 1))
    b = np.zeros(1)
    w.attach_grad()
    b.attach_grad()
    lr, batch_size = 0.03, 10
    idx = list(range(1000))
    losses = []
    for epoch in range(3):
        for i in range(0, 1000, batch_size):
            j = np.array(idx[i:i + batch_size])
            X, y = features[j], labels[j]
            with autograd.record():
                y_hat = np.dot(X, w) + b
                loss = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
            loss.backward()
            for param in (w, b):
                param[:] = param - lr * param.grad / batch_size
        losses.append(float(((np.dot(features, w) + b - labels) ** 2 / 2).mean()))
    assert losses[-1] < losses[0] and losses[-1] < 1e-3
    onp.testing.assert_allclose(w.reshape(-1).asnumpy(), [2, -3.4], atol=0.01)
    assert abs(b.item() - 4.2) < 0.01


def _train_mlp(X, y, steps=5, hybridize=False):
    mx.random.seed(3)
    net = nn.HybridSequential()
    net.add(nn.Dense(16, activation="relu"), nn.Dense(3))
    net.initialize(init.Normal(0.1))
    if hybridize:
        net.hybridize()
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    data = gluon.data.DataLoader(gluon.data.ArrayDataset(X, y), batch_size=16)
    history, kinds = [], set()
    for _ in range(steps):
        total = 0.0
        for Xb, yb in data:
            kinds.add(type(Xb))
            with autograd.record():
                out = net(Xb)
                lv = loss(out, yb)
            kinds.add(type(out))
            kinds.add(type(lv))
            lv.backward()
            trainer.step(Xb.shape[0])
            total += float(lv.asnumpy().sum())
        history.append(total / X.shape[0])
    return history, kinds, net


def _data():
    r = onp.random.RandomState(0)
    X = r.randn(64, 10).astype(onp.float32)
    y = (X @ r.randn(10, 3)).argmax(1).astype(onp.float32)
    return X, y


def test_gluon_mlp_np_mode_matches_nd_mode():
    X, y = _data()
    nd_hist, nd_kinds, _ = _train_mlp(mx.nd.array(X), mx.nd.array(y))
    assert nd_kinds == {mx.nd.NDArray}  # outside numpy mode nothing changes
    npx.set_np()
    try:
        np_hist, np_kinds, net = _train_mlp(np.array(X), np.array(y))
        assert np_kinds == {np.ndarray}
        assert type(net[0].weight.data()) is np.ndarray and type(net[0].weight.grad()) is np.ndarray
        hy_hist, _, _ = _train_mlp(np.array(X), np.array(y), hybridize=True)
        metric = mx.metric.Accuracy()
        metric.update([np.array(y)], [net(np.array(X))])
        assert metric.get()[1] > 0.5
    finally:
        npx.reset_np()
    assert np_hist[-1] < np_hist[0]
    onp.testing.assert_allclose(np_hist, nd_hist, rtol=1e-5)
    onp.testing.assert_allclose(hy_hist, nd_hist, rtol=1e-4)


class MLP(nn.Block):  # d2l 5.1
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = nn.Dense(8, activation="relu")
        self.output = nn.Dense(2)

    def forward(self, X):
        return self.output(self.hidden(X))


class MyDense(nn.Block):  # d2l 5.4: parameters used directly with np functions
    def __init__(self, units, in_units, **kwargs):
        super().__init__(**kwargs)
        self.weight = self.params.get("weight", shape=(in_units, units))
        self.bias = self.params.get("bias", shape=(units,))

    def forward(self, x):
        linear = np.dot(x, self.weight.data(ctx=x.ctx)) + self.bias.data(ctx=x.ctx)
        return npx.relu(linear)


class HybridNet(nn.HybridBlock):  # d2l 12.1: F.np / F.npx inside hybrid_forward
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = nn.Dense(4)
        self.output = nn.Dense(2)

    def hybrid_forward(self, F, x):
        h = F.npx.relu(self.hidden(x)) + F.np.ones((1, 4))
        return self.output(h)


def test_custom_blocks_and_hybridize(np_mode, tmp_path):
    X = np.random.uniform(size=(2, 20))
    net = MLP()
    net.initialize()
    assert type(net(X)) is np.ndarray and net(X).shape == (2, 2)
    dense = MyDense(3, in_units=5)
    dense.initialize()
    out = dense(np.random.uniform(size=(2, 5)))
    assert type(out) is np.ndarray and out.shape == (2, 3) and float(out.min()) >= 0
    hnet = HybridNet()
    hnet.initialize()
    eager = hnet(X)
    hnet.hybridize()
    hyb = hnet(X)
    assert type(hyb) is np.ndarray
    onp.testing.assert_allclose(hyb.asnumpy(), eager.asnumpy(), rtol=1e-6)
    seq = nn.HybridSequential()
    seq.add(nn.Dense(8, activation="relu"), nn.Dropout(0.5), nn.Dense(2))
    seq.initialize()
    e = seq(X)
    seq.hybridize()
    onp.testing.assert_allclose(seq(X).asnumpy(), e.asnumpy(), rtol=1e-6)
    path = str(tmp_path / "mlp")
    seq.export(path)
    assert os.path.exists(path + "-symbol.json") and os.path.exists(path + "-0000.params")
    hnet.export(str(tmp_path / "hnet"))


def test_layers_in_np_mode(np_mode):
    x = np.random.uniform(size=(2, 3, 8, 8))
    conv = nn.HybridSequential()
    conv.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(), nn.Flatten(),
             nn.Dense(5))
    conv.initialize()
    with autograd.record():
        out = conv(x)
    assert type(out) is np.ndarray and out.shape == (2, 5)
    emb = nn.Embedding(10, 4)
    emb.initialize()
    assert emb(np.array([1, 2, 3])).shape == (3, 4)
    lstm = gluon.rnn.LSTM(6, num_layers=1)
    lstm.initialize()
    seq = np.random.uniform(size=(5, 2, 4))
    o = lstm(seq)
    assert type(o) is np.ndarray and o.shape == (5, 2, 6)
    state = lstm.begin_state(batch_size=2)
    o, s = lstm(seq, state)
    assert o.shape == (5, 2, 6) and all(type(t) is np.ndarray for t in s)
    gru = gluon.rnn.GRU(3)
    gru.initialize()
    assert gru(seq).shape == (5, 2, 3)
    for lossf in (gluon.loss.L2Loss(), gluon.loss.L1Loss(), gluon.loss.SigmoidBCELoss()):
        lv = lossf(np.ones((2, 3)), np.zeros((2, 3)))
        assert type(lv) is np.ndarray and lv.shape == (2,)


def test_dataloader_batches_are_np(np_mode):
    ds = gluon.data.ArrayDataset(np.arange(20).reshape(10, 2), np.arange(10))
    batches = list(gluon.data.DataLoader(ds, batch_size=4, shuffle=True))
    assert all(type(a) is np.ndarray and type(b) is np.ndarray for a, b in batches)
    assert sorted(onp.concatenate([b.asnumpy() for _, b in batches]).tolist()) == list(range(10))
    t = gluon.data.vision.transforms.ToTensor()
    img = mx.nd.array(onp.random.RandomState(0).randint(0, 255, (4, 4, 3)), dtype="uint8")
    assert type(t(img)) is np.ndarray and t(img).shape == (3, 4, 4)


def corr2d(X, K):  # d2l 6.2
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i: i + h, j: j + w] * K).sum()
    return Y


def accuracy(y_hat, y):  # d2l 3.6
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.astype(y.dtype) == y
    return float(cmp.astype(y.dtype).sum())


def test_d2l_utilities(np_mode):
    X = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = np.array([[0.0, 1.0], [2.0, 3.0]])
    assert corr2d(X, K).tolist() == [[19., 25.], [37., 43.]]
    y_hat = np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = np.array([0, 2])
    assert accuracy(y_hat, y) == 1.0
    assert float(np.log(y_hat[[0, 1], y]).sum()) == pytest.approx(onp.log(0.1) + onp.log(0.5), rel=1e-5)
    parts = gluon.utils.split_and_load(np.arange(8).reshape(4, 2), [mx.cpu()])
    assert type(parts[0]) is np.ndarray
    assert np.zeros(3, dtype=np.int64).dtype == onp.int64 and np.ones((2,), ctx=X.ctx).shape == (2,)
    offsets = np.array((0, *np.cumsum(np.array([2, 3, 4])).asnumpy()[:-1]))
    assert offsets.tolist() == [0., 2., 5.]
    t = np.array([3., 1., 2.])
    assert np.meshgrid(t, t)[0].shape == (3, 3) and np.linspace(0, 1, 3).tolist() == [0., .5, 1.]
    # softmax regression from scratch (d2l 3.6) on one batch, loss decreasing
    W = np.random.normal(0, 0.01, (4, 3))
    b = np.zeros(3)
    W.attach_grad()
    b.attach_grad()
    Xb = np.random.normal(0, 1, (8, 4))
    yb = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    losses = []
    for _ in range(20):
        with autograd.record():
            e = np.exp(np.dot(Xb, W) + b)
            p = e / e.sum(1, keepdims=True)
            loss = -np.log(p[list(range(8)), yb])
        loss.backward()
        for param in (W, b):
            param[:] = param - 0.5 * param.grad / 8
        losses.append(float(loss.mean()))
    assert losses[-1] < losses[0]
