"""mx.contrib.autograd, MXNet's legacy autograd interface (values printed by MXNet 1.9.1)."""
import numpy as np
import pytest

import mxcore as mx
from mxcore.contrib import autograd as ag


def test_grad_and_loss_and_grad():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    w = mx.nd.array([0.5, -1.0])
    grads, loss = ag.grad_and_loss(lambda a, b: (a * a * b).sum())(x, w)
    np.testing.assert_allclose(grads[0].asnumpy(), [[1.0, -4.0], [3.0, -8.0]])
    np.testing.assert_allclose(grads[1].asnumpy(), [10.0, 20.0])
    np.testing.assert_allclose(loss.asnumpy(), [-15.0])
    (gw,) = ag.grad(lambda a, b: mx.nd.exp(a).sum() + b.sum(), argnum=[1])(x, w)
    np.testing.assert_allclose(gw.asnumpy(), [1.0, 1.0])
    with pytest.raises(AssertionError, match="NDArray"):
        ag.grad(lambda a: a)(np.ones(2))


def test_sections_mark_variables_and_backward():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    dx = mx.nd.zeros((2, 2))
    ag.mark_variables([x], [dx])
    with ag.train_section():
        assert mx.autograd.is_recording() and mx.autograd.is_training()
        y = x * 3
        with ag.test_section():
            assert not mx.autograd.is_recording()
    assert not mx.autograd.is_recording() and not mx.autograd.is_training()
    ag.backward([y], [mx.nd.ones((2, 2)) * 2])
    np.testing.assert_allclose(dx.asnumpy(), np.full((2, 2), 6.0))
    assert ag.set_is_training(True) is False and ag.set_is_training(False) is True
    with pytest.raises(AssertionError, match="list or tuple"):
        ag.backward(y)
