"""NDArrayIter(shuffle=True) gives MXNet 1.9.1's batches for the same numpy seed
(MXNet reorders its data by a shuffled index every reset, so orders compound),
and FeedForward.fit shuffles as MXNet's does. Expected values printed by MXNet 1.9.1."""
import numpy as np
import pytest

import mxcore as mx

X = np.arange(10).reshape(10, 1).astype("f")
MXNET = {
    "pad": [[([5, 4, 1, 2], 0), ([9, 6, 7, 0], 0), ([3, 8, 5, 4], 2)],
            [([1, 2, 4, 9], 0), ([3, 8, 6, 0], 0), ([5, 7, 1, 2], 2)],
            [([4, 7, 1, 3], 0), ([6, 5, 0, 2], 0), ([8, 9, 4, 7], 2)]],
    "roll_over": [[([5, 4, 1, 2], 0), ([9, 6, 7, 0], 0)],
                  [([3, 8, 1, 2], 2), ([4, 9, 3, 8], 0), ([6, 0, 5, 7], 0)],
                  [([4, 7, 1, 3], 0), ([6, 5, 0, 2], 0)]],
}


@pytest.mark.parametrize("handle", sorted(MXNET))
def test_shuffled_batches_over_epochs_match_mxnet(handle):
    np.random.seed(3)
    it = mx.io.NDArrayIter(X, np.arange(10).astype("f"), batch_size=4, shuffle=True, last_batch_handle=handle)
    for epoch in MXNET[handle]:
        got = [(b.data[0].asnumpy().ravel().astype(int).tolist(), b.pad) for b in it]
        assert got == epoch
        it.reset()


def test_feedforward_fit_shuffles_like_mxnet():
    rs = np.random.RandomState(2)
    x = rs.rand(20, 3).astype("f")
    y = (x[:, 1] > 0.5).astype("f")
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc"), name="softmax")
    arg = {"fc_weight": mx.nd.array(rs.randn(2, 3)), "fc_bias": mx.nd.zeros(2)}
    with pytest.warns(DeprecationWarning):
        model = mx.model.FeedForward(net, ctx=mx.cpu(), num_epoch=3, optimizer="sgd", learning_rate=0.3,
                                     arg_params=arg, numpy_batch_size=5)
    np.random.seed(0)
    model.fit(X=x, y=y)
    np.testing.assert_allclose(model.arg_params["fc_weight"].asnumpy(),
                               [[0.3436, 0.6904, -0.7317], [0.5983, 0.8041, -1.7616]], atol=1e-4)
    np.testing.assert_allclose(model.predict(x)[:3], [[0.4899, 0.5101], [0.4229, 0.5771], [0.424, 0.576]], atol=1e-4)
