import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd


def test_record_pause_flags():
    assert not autograd.is_recording()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
        assert autograd.is_recording()
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.train_mode():
        assert autograd.is_training()
    with autograd.predict_mode():
        assert not autograd.is_training()
    prev = autograd.set_recording(True)
    assert prev is False and autograd.set_recording(False) is True


def test_backward_simple():
    x = mx.nd.array([[1, 2], [3, 4]])
    x.attach_grad()
    with autograd.record():
        y = x * x + 2 * x
        z = y.sum()
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * x.asnumpy() + 2)


def test_head_grads_and_broadcast():
    x = mx.nd.array([1, 2, 3])
    w = mx.nd.array([[1], [2]])
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = x * w  # broadcast (2,3)
    y.backward(mx.nd.ones((2, 3)) * 2)
    np.testing.assert_allclose(x.grad.asnumpy(), [6, 6, 6])
    np.testing.assert_allclose(w.grad.asnumpy(), [[12], [12]])


def test_grad_req_add():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad(grad_req="add")
    for _ in range(3):
        with autograd.record():
            y = (x * 3).sum()
        y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [9, 9])


def test_grad_function_and_create_graph():
    x = mx.nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * x * x
        g = autograd.grad(y, [x], head_grads=mx.nd.ones(3), create_graph=True, retain_graph=True)[0]
    np.testing.assert_allclose(g.asnumpy(), 3 * x.asnumpy() ** 2)
    assert x.grad.asnumpy().sum() == 0  # grad() does not write .grad
    g.backward(mx.nd.ones(3))
    np.testing.assert_allclose(x.grad.asnumpy(), 6 * x.asnumpy())


@pytest.mark.parametrize("fn,d2", [("tanh", lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
                                   ("exp", np.exp),
                                   ("sigmoid", None)])
def test_second_derivative_through_ops_whose_gradient_reads_the_output(fn, d2):
    """tanh' = 1 - y^2 and exp' = y read the op's output: with create_graph
    that output must carry the op as its history, or d2 misses its terms."""
    xv = np.array([-1.2, -0.3, 0.4, 1.5])
    x = mx.nd.array(xv, dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = getattr(mx.nd, fn)(x)
        (g,) = autograd.grad(y.sum(), [x], create_graph=True, retain_graph=True)
    if d2 is None:  # _backward_act has no gradient of its own: a clear error, not a wrong number
        with pytest.raises(mx.base.MXNetError, match="no gradient defined"):
            g.backward(mx.nd.ones(4, dtype="float64"))
        return
    g.backward(mx.nd.ones(4, dtype="float64"))
    np.testing.assert_allclose(x.grad.asnumpy(), d2(xv), rtol=1e-10)


def test_slicing_is_recorded():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with autograd.record():
        y = (x[1] * 2).sum() + x.reshape((4,))[0]
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[1, 0], [2, 2]])


def test_detach_and_retain_graph():
    x = mx.nd.array([2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
        z = y.detach() * x
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [4.0])
    with autograd.record():
        y = x * x
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [4.0])


def test_custom_function():
    class Sigmoid(autograd.Function):
        def forward(self, x):
            y = 1 / (1 + (-x).exp())
            self.save_for_backward(y)
            return y

        def backward(self, dy):
            (y,) = self.saved_tensors
            return dy * y * (1 - y)

    x = mx.nd.array([-1.0, 0.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = Sigmoid()(x)
        z = (y * 2).sum() + (x * 3).sum()  # second path into x
    z.backward()
    s = 1 / (1 + np.exp(-x.asnumpy()))
    np.testing.assert_allclose(y.asnumpy(), s, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * s * (1 - s) + 3, rtol=1e-5)


def test_mark_variables():
    x = mx.nd.array([1.0, 2.0])
    g = mx.nd.zeros(2)
    autograd.mark_variables([x], [g])
    with autograd.record():
        y = (x * x).sum()
    autograd.backward([y])
    np.testing.assert_allclose(g.asnumpy(), [2, 4])


def test_recorded_setitem_full_slice_on_matrix():
    # x[:] = value inside record() on a 2-d array covers the untouched dims
    x = mx.nd.zeros((3, 4))
    v = mx.nd.array(np.arange(12).reshape(3, 4))
    with mx.autograd.record():
        x[:] = v
        x[1:2] = 7.0
    expected = np.arange(12, dtype=np.float32).reshape(3, 4)
    expected[1] = 7
    np.testing.assert_array_equal(x.asnumpy(), expected)


def test_function_on_the_core_tape_mixes_with_ops_and_is_released():
    from mxcore.autograd import _live_functions

    class Scale3(mx.autograd.Function):
        def forward(self, x):
            return x * 3

        def backward(self, dy):
            return dy * 3

    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = Scale3()(x * x) + x  # d/dx (3x^2 + x) = 6x + 1
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [7.0, 13.0])
    del y
    import gc
    gc.collect()
    assert not _live_functions  # the core released the node's context


def test_function_backward_exception_propagates():
    class Broken(mx.autograd.Function):
        def forward(self, x):
            return x + 1

        def backward(self, dy):
            raise ValueError("boom in backward")

    x = mx.nd.ones((2,))
    x.attach_grad()
    with mx.autograd.record():
        y = Broken()(x)
    with pytest.raises(ValueError, match="boom"):
        y.backward()
