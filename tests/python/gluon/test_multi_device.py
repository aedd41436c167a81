"""Data parallelism over several contexts (cpu(0), cpu(1) here; the same code
runs on gpu(i)): results stay on the input's context, parameters have one
copy per context, Trainer sums the gradients of all copies and updates each.
Expected values were printed by MXNet 1.9.1 for the same program."""
import numpy as np

import mxcore as mx
from mxcore import autograd, gluon, nd

CTX = [mx.cpu(0), mx.cpu(1)]


def test_ops_keep_the_input_context():
    a = nd.ones((2, 4), ctx=mx.cpu(1))
    assert (a + 1).context == mx.cpu(1)
    assert nd.FullyConnected(a, nd.ones((3, 4), ctx=mx.cpu(1)), num_hidden=3, no_bias=True).context == mx.cpu(1)
    assert nd.dot(a, a.T).context == mx.cpu(1)


def test_split_and_load_training_matches_mxnet():
    net = gluon.nn.Dense(3, in_units=4)
    net.initialize(mx.init.One(), ctx=CTX)
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    x, y = nd.array(np.arange(16).reshape(4, 4) / 10), nd.array([0, 1, 2, 0])
    xs, ys = gluon.utils.split_and_load(x, CTX), gluon.utils.split_and_load(y, CTX)
    lf = gluon.loss.SoftmaxCrossEntropyLoss()
    for hybrid in (False, True):
        if hybrid:
            net.hybridize()
        with autograd.record():
            losses = [lf(net(a), b) for a, b in zip(xs, ys)]
        assert [l.context for l in losses] == CTX
        for l in losses:
            l.backward()
        tr.step(4)
    w = [d.asnumpy() for d in net.weight.list_data()]
    assert [d.context for d in net.weight.list_data()] == CTX
    np.testing.assert_array_equal(w[0], w[1])
    # MXNet 1.9.1 after both steps
    np.testing.assert_allclose(w[0], [[1.0185445547103882, 1.0216920375823975, 1.0248395204544067, 1.0279871225357056],
                                      [0.981144368648529, 0.9796188473701477, 0.9780933856964111, 0.9765678644180298],
                                      [1.000311255455017, 0.9986891746520996, 0.9970671534538269, 0.995445191860199]],
                               rtol=1e-6)
    np.testing.assert_allclose(net.bias.list_data()[1].asnumpy(),
                               [0.031475212424993515, -0.015255039557814598, -0.016220200806856155], rtol=1e-5)
