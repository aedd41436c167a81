"""Loss-output ops in symbolic programs as MXNet 1.9.1 runs them: MakeLoss's
'batch' normalisation and the label shapes the regression outputs infer
(expected values printed by MXNet 1.9.1 for the same programs)."""
import numpy as np
import pytest

import mxcore as mx


def _makeloss_grad(shape, norm):
    x = mx.sym.var("x")
    loss = mx.sym.MakeLoss(x, normalization=norm, valid_thresh=0.5)
    data = mx.nd.array(np.arange(np.prod(shape)).reshape(shape) * 0.3)
    ex = loss.bind(mx.cpu(), {"x": data}, args_grad={"x": mx.nd.zeros(shape)})
    ex.forward(is_train=True)
    ex.backward()
    return ex.grad_dict["x"].asnumpy()


# MXNet 1.9.1: 'batch' divides by the rows of the data flattened to 2-D (every
# axis but the last; 1 for a vector), 'valid' by the count above valid_thresh
@pytest.mark.parametrize("shape,norm,value", [
    ((3,), "batch", 1.0), ((2, 3), "batch", 0.5), ((2, 3, 4), "batch", 1 / 6), ((2, 1, 1), "batch", 0.5),
    ((3,), "valid", 1.0), ((2, 3), "valid", 0.25), ((2, 3, 4), "valid", 1 / 22),
])
def test_makeloss_normalization_divisor(shape, norm, value):
    g = _makeloss_grad(shape, norm)
    np.testing.assert_allclose(g, np.full(shape, value, "f"), rtol=1e-6)


def test_makeloss_batch_normalization_through_square():
    x = mx.sym.var("x")
    loss = mx.sym.MakeLoss(mx.sym.square(x), normalization="batch")
    ex = loss.bind(mx.cpu(), {"x": mx.nd.array([1., 2., 3.])}, args_grad={"x": mx.nd.zeros(3)})
    ex.forward(is_train=True)
    ex.backward()
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), [2., 4., 6.])  # MXNet 1.9.1: no division for a vector


@pytest.mark.parametrize("op", ["LinearRegressionOutput", "LogisticRegressionOutput", "MAERegressionOutput"])
def test_regression_label_shape_for_one_output(op):
    d = mx.sym.var("data")
    s = getattr(mx.sym, op)(d, name="o")
    assert s.infer_shape(data=(3, 1)) == ([(3, 1), (3,)], [(3, 1)], [])  # MXNet 1.9.1
    assert s.infer_shape(data=(3, 2)) == ([(3, 2), (3, 2)], [(3, 2)], [])
    assert s.infer_shape(data=(3, 1, 1)) == ([(3, 1, 1), (3, 1, 1)], [(3, 1, 1)], [])
    ex = s.simple_bind(mx.cpu(), data=(3, 1))
    assert ex.arg_dict["o_label"].shape == (3,)


def test_regression_vector_label_trains_like_mxnet():
    d, lab = mx.sym.var("data"), mx.sym.var("label")
    ex = mx.sym.LinearRegressionOutput(d, lab).bind(
        mx.cpu(), {"data": mx.nd.array([[1.], [2.], [3.]]), "label": mx.nd.array([0., 1., 5.])},
        args_grad={"data": mx.nd.zeros((3, 1))})
    ex.forward(is_train=True)
    ex.backward()
    np.testing.assert_allclose(ex.grad_dict["data"].asnumpy(), [[1.], [1.], [-2.]])  # MXNet 1.9.1
