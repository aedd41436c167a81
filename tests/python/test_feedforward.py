"""mx.model.FeedForward (MXNet 1.x's legacy model API) against MXNet 1.9.1: the
numbers below are what MXNet 1.9.1 printed for the same script."""
import warnings

import numpy as np
import pytest

import mxcore as mx


def _setup():
    rs = np.random.RandomState(0)
    X = rs.rand(40, 6).astype("f")
    y = (X[:, 0] > X[:, 1]).astype("f")
    data = mx.sym.var("data")
    h = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=8, name="fc1"), act_type="relu")
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=2, name="fc2"), name="softmax")
    arg = {"fc1_weight": mx.nd.array(rs.uniform(-0.3, 0.3, (8, 6))), "fc1_bias": mx.nd.zeros(8),
           "fc2_weight": mx.nd.array(rs.uniform(-0.3, 0.3, (2, 8))), "fc2_bias": mx.nd.zeros(2)}
    return X, y, net, arg


def test_feedforward_fit_predict_score_save_load_like_mxnet(tmp_path):
    X, y, net, arg = _setup()
    with pytest.warns(DeprecationWarning):
        m = mx.model.FeedForward(net, num_epoch=3, learning_rate=0.5, arg_params=arg, numpy_batch_size=10)
    m.fit(mx.io.NDArrayIter(X, y, batch_size=10))
    np.testing.assert_allclose(m.arg_params["fc2_weight"].asnumpy().ravel()[:5],
                               [-0.0306, 0.0685, -0.126, -0.2827, 0.2317], atol=2e-4)
    p = m.predict(X[:7])
    assert p.shape == (7, 2)
    np.testing.assert_allclose(p[:2], [[0.6075, 0.3925], [0.6059, 0.3941]], atol=2e-4)
    assert m.score(mx.io.NDArrayIter(X, y, batch_size=10)) == pytest.approx(0.6)
    m.save(str(tmp_path / "ff"), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        m2 = mx.model.FeedForward.load(str(tmp_path / "ff"), 3)
        np.testing.assert_allclose(m2.predict(X[:7]), p, rtol=1e-6)
        m3 = mx.model.FeedForward.create(net, X=mx.io.NDArrayIter(X, y, batch_size=10), num_epoch=1,
                                         learning_rate=0.1, arg_params=arg)
    np.testing.assert_allclose(m3.arg_params["fc1_weight"].asnumpy().ravel()[:3], [0.2096, -0.2327, 0.0032],
                               atol=2e-4)


def test_feedforward_numpy_inputs_and_errors():
    X, y, net, arg = _setup()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        m = mx.model.FeedForward(net, num_epoch=1, learning_rate=0.1, numpy_batch_size=16)
    m.fit(X, y)
    out, data, _ = m.predict(X, return_data=True)
    assert out.shape == (40, 2) and np.array_equal(data, X)
    with pytest.raises(ValueError, match="y must be"):
        m.fit(X)
    with pytest.raises(TypeError, match="DataIter"):
        m.predict([1, 2, 3])
