"""DataLoader edge cases, initializer determinism, metrics, RNN shapes, digits convergence."""
import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd
from mxcore.gluon import data as gdata
from mxcore.gluon import nn


def _ds(n=10):
    x = np.arange(n * 2, dtype='float32').reshape(n, 2)
    y = np.arange(n, dtype='float32')
    return gdata.ArrayDataset(x, y)


@pytest.mark.parametrize('mode,sizes', [('keep', [4, 4, 2]), ('discard', [4, 4]),
                                        ('rollover', [4, 4])])
def test_last_batch_modes(mode, sizes):
    dl = gdata.DataLoader(_ds(), batch_size=4, last_batch=mode)
    assert len(dl) == len(sizes)
    assert [b.batch_size for b in dl] == sizes


def test_rollover_carries_leftovers():
    dl = gdata.DataLoader(_ds(), batch_size=4, last_batch='rollover')
    list(dl)
    first = next(iter(dl))
    np.testing.assert_array_equal(first.label.asnumpy(), [8, 9, 0, 1])


def test_batch_attributes_and_unpacking():
    batch = next(iter(gdata.DataLoader(_ds(), batch_size=3)))
    data, label = batch
    assert batch.data is data and batch.label is label and batch.batch_size == 3
    np.testing.assert_array_equal(batch[1].asnumpy(), [0, 1, 2])
    assert data.shape == (3, 2)


def test_shuffle_determinism_and_coverage():
    def order(seed):
        np.random.seed(seed)
        return np.concatenate([b.label.asnumpy() for b in
                               gdata.DataLoader(_ds(), batch_size=3, shuffle=True)])
    a, b = order(1), order(1)
    np.testing.assert_array_equal(a, b)
    assert sorted(a.tolist()) == list(range(10))


def test_workers_samplers_and_batchify():
    dl = gdata.DataLoader(_ds(50), batch_size=7, num_workers=3)
    labels = np.concatenate([b.label.asnumpy() for b in dl])
    np.testing.assert_array_equal(labels, np.arange(50))
    it = iter(gdata.DataLoader(_ds(50), batch_size=2, num_workers=2))
    next(it)
    del it  # abandoning a threaded iterator must not hang
    bs = gdata.BatchSampler(gdata.SequentialSampler(5), 2, 'keep')
    dl = gdata.DataLoader(_ds(5), batch_sampler=bs, batchify_fn=lambda s: len(s))
    assert list(dl) == [2, 2, 1]
    with pytest.raises(ValueError):
        gdata.DataLoader(_ds(), batch_size=2, batch_sampler=bs)


def test_transform_first_and_simple_dataset():
    ds = _ds(4).transform_first(lambda x: x * 2)
    x, y = ds[1]
    np.testing.assert_array_equal(x, [4, 6])
    assert y == 1
    assert len(gdata.SimpleDataset([1, 2, 3])) == 3
    from mxcore.gluon.data.vision import transforms as T
    img = (np.random.rand(4, 6, 3) * 255).astype('uint8')
    t = T.Compose([T.ToTensor(), T.Normalize(0.5, 0.5)])
    out = t(nd.array(img, dtype='uint8')).asnumpy()
    np.testing.assert_allclose(out, (img.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5, atol=1e-5)
    assert T.Resize((3, 2))(nd.array(img, dtype='uint8')).shape == (2, 3, 3)


def test_initializers_deterministic_and_ranges():
    def draw(init):
        mx.random.seed(7)
        net = nn.Dense(50, in_units=40)
        net.initialize(init)
        return net.weight.data().asnumpy()
    for init in [mx.init.Uniform(), mx.init.Normal(), mx.init.Xavier(),
                 mx.init.MSRAPrelu(), mx.init.Orthogonal()]:
        np.testing.assert_array_equal(draw(init), draw(init))
    assert np.abs(draw(mx.init.Uniform())).max() <= 0.07
    lim = np.sqrt(3 / 45.0)
    assert np.abs(draw(mx.init.Xavier())).max() <= lim + 1e-6
    q = draw(mx.init.Orthogonal(scale=1.0))
    np.testing.assert_allclose(q.T @ q, np.eye(40), atol=1e-4)
    b = nd.zeros((8,))
    mx.init.Uniform()(mx.init.InitDesc('x_bias', {'__init__': mx.init.LSTMBias(1.0)}), b)
    assert b.asnumpy().tolist() == [0, 0, 1, 1, 0, 0, 0, 0]
    m = mx.init.Mixed(['.*bias', '.*'], [mx.init.Zero(), mx.init.One()])
    a = nd.zeros((2,))
    m('fc_weight', a)
    assert a.asnumpy().tolist() == [1, 1]
    assert isinstance(mx.init.create('xavier'), mx.init.Xavier)


def test_metrics():
    pred = nd.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    lab = nd.array([1, 1, 1])
    acc = mx.metric.Accuracy()
    acc.update([lab], [pred])
    assert acc.get() == ('accuracy', 2 / 3)
    top = mx.metric.TopKAccuracy(top_k=2)
    top.update([lab], [pred])
    assert top.get()[1] == 1.0
    f1 = mx.metric.F1()
    f1.update([nd.array([1, 0, 1])], [pred])
    assert abs(f1.get()[1] - 1.0) < 1e-9
    f1.update([nd.array([0, 1, 1])], [pred])
    assert abs(f1.get()[1] - 0.75) < 1e-9  # macro: mean of per-batch F1 (1.0, 0.5)
    ce = mx.metric.CrossEntropy()
    ce.update([lab], [pred])
    assert abs(ce.get()[1] - np.mean(-np.log([0.9, 0.2, 0.7]))) < 1e-6
    pp = mx.metric.Perplexity(ignore_label=None)
    pp.update([lab], [pred])
    assert abs(pp.get()[1] - np.exp(ce.get()[1])) < 1e-4
    for name, fn in [('mae', lambda d: np.abs(d).mean()), ('mse', lambda d: (d ** 2).mean()),
                     ('rmse', lambda d: np.sqrt((d ** 2).mean()))]:
        m = mx.metric.create(name)
        m.update([nd.array([1.0, 2.0])], [nd.array([1.5, 1.0])])
        assert abs(m.get()[1] - fn(np.array([0.5, 1.0]))) < 1e-6
    comp = mx.metric.create(['acc', 'mse'])
    comp.update([lab], [pred.argmax(axis=1)])
    assert comp.get()[0] == ['accuracy', 'mse']
    lo = mx.metric.Loss()
    lo.update(None, [nd.array([1.0, 3.0])])
    assert lo.get()[1] == 2.0
    assert gluon.metric.Accuracy is mx.metric.Accuracy


def test_utils_split_and_clip():
    parts = gluon.utils.split_and_load(nd.ones((4, 2)), [mx.cpu(), mx.cpu()])
    assert [p.shape for p in parts] == [(2, 2), (2, 2)]
    a = [nd.array([3.0, 0.0]), nd.array([4.0])]
    n = gluon.utils.clip_global_norm(a, 1.0)
    assert abs(n - 5.0) < 1e-5
    np.testing.assert_allclose(a[0].asnumpy(), [0.6, 0.0], rtol=1e-4)


def test_rnn_layers_and_cells():
    if not hasattr(nd, 'RNN'):
        pytest.skip('nd.RNN missing')
    x = nd.array(np.random.rand(3, 5, 4))  # NTC
    for cls, nst in [(gluon.rnn.LSTM, 2), (gluon.rnn.GRU, 1), (gluon.rnn.RNN, 1)]:
        layer = cls(6, num_layers=2, layout='NTC', bidirectional=True)
        layer.initialize()
        out, st = layer(x, layer.begin_state(3))
        assert out.shape == (3, 5, 12) and len(st) == nst and st[0].shape == (4, 3, 6)
        assert 'l0_i2h_weight' in layer._reg_params and 'r1_h2h_bias' in layer._reg_params
    # The fused LSTM and an unrolled LSTMCell with the same weights agree.
    lstm = gluon.rnn.LSTM(6, layout='NTC', input_size=4)
    lstm.initialize(mx.init.Uniform(0.3))
    cell = gluon.rnn.LSTMCell(6, input_size=4)
    cell.initialize()
    for n in ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias']:
        getattr(cell, n).set_data(getattr(lstm, 'l0_' + n).data())
    ref = lstm(x).asnumpy()
    out, _ = cell.unroll(5, x, layout='NTC', merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-4, atol=1e-5)
    seq = gluon.rnn.SequentialRNNCell()
    seq.add(gluon.rnn.GRUCell(5, input_size=4))
    seq.add(gluon.rnn.RNNCell(3, input_size=5))
    seq.initialize()
    out, st = seq.unroll(5, x, layout='NTC', merge_outputs=True)
    assert out.shape == (3, 5, 3) and len(st) == 2


def test_digits_mlp_converges():
    from sklearn.datasets import load_digits
    d = load_digits()
    x = (d.data / 16).astype('float32')
    y = d.target.astype('float32')
    mx.random.seed(0)
    np.random.seed(0)
    net = nn.HybridSequential()
    net.add(nn.Dense(64, activation='relu'), nn.Dense(10))
    net.initialize(mx.init.Xavier())
    tr = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
    lf = gluon.loss.SoftmaxCrossEntropyLoss()
    dl = gdata.DataLoader(gdata.ArrayDataset(x[:1400], y[:1400]), batch_size=64, shuffle=True)
    for _ in range(10):
        for xb, yb in dl:
            with autograd.record():
                loss = lf(net(xb), yb)
            loss.backward()
            tr.step(xb.shape[0])
    acc = mx.metric.Accuracy()
    acc.update(nd.array(y[1400:]), net(nd.array(x[1400:])))
    assert acc.get()[1] > 0.9
