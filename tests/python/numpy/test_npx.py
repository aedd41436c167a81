"""mx.npx: operators (values printed by MXNet 1.9.1, hard-coded), npx.reshape's
codes, mode switches and device helpers."""
import numpy as onp
import pytest

import mxcore as mx
from mxcore import autograd, np, npx


def test_nn_ops_like_mxnet():
    # MXNet 1.9.1: array([[0.09003057, 0.24472848, 0.6652409 ]])
    onp.testing.assert_allclose(npx.softmax(np.array([[1., 2., 3.]])).asnumpy(),
                                [[0.09003057, 0.24472848, 0.6652409]], rtol=1e-6)
    # MXNet 1.9.1: array([-1.3132598, -0.3132598])
    onp.testing.assert_allclose(npx.log_softmax(np.array([1., 2.])).asnumpy(), [-1.3132598, -0.3132598], rtol=1e-5)
    assert npx.relu(np.array([-1., 1.])).tolist() == [0., 1.]
    assert npx.sigmoid(np.array([0.])).tolist() == [0.5]
    assert npx.activation(np.array([-1., 1.]), act_type="relu").tolist() == [0., 1.]
    assert npx.pick(np.array([[1., 2.], [3., 4.]]), np.array([0, 1])).tolist() == [1., 4.]
    assert npx.one_hot(np.array([0, 2]), 3).tolist() == [[1., 0., 0.], [0., 0., 1.]]
    assert npx.topk(np.array([1., 3., 2.]), k=2).tolist() == [1., 2.]  # MXNet 1.9.1: indices, float32
    m = npx.sequence_mask(np.ones((3, 2)), np.array([1, 2]), use_sequence_length=True)
    assert m.tolist() == [[1., 1.], [0., 1.], [0., 0.]]
    assert npx.batch_dot(np.ones((2, 1, 3)), np.ones((2, 3, 1))).tolist() == [[[3.]], [[3.]]]
    for f in (npx.relu, npx.softmax, npx.sigmoid):
        assert type(f(np.array([1., 2.]))) is np.ndarray


@pytest.mark.parametrize("src,code,want", [
    ((2, 3, 4), (-2, -1), (2, 12)),  # MXNet 1.9.1
    ((2, 3, 4), (-4,), (2, 3, 4)),
    ((2, 1, 4), (-2, -3, -2), (2, 4)),
    ((2, 3, 4), (-5, -2), (6, 4)),
    ((6, 4), (-6, 2, -1, -2), (2, 3, 4)),
    ((2, 3, 4), (-1,), (24,)),
    ((2, 3, 4), (-2, -4), (2, 3, 4)),
])
def test_npx_reshape_codes(src, code, want):
    assert npx.reshape(np.ones(src), code).shape == want


def test_mode_switches():
    assert not npx.is_np_array() and not mx.util.is_np_shape()
    npx.set_np()
    try:
        assert npx.is_np_array() and npx.is_np_shape() and mx.is_np_array()
    finally:
        npx.reset_np()
    assert not npx.is_np_array()
    with mx.util.np_shape(True):
        assert mx.is_np_shape()
    assert not mx.is_np_shape()

    @npx.use_np
    def f():
        return npx.is_np_array()
    assert f() and not npx.is_np_array()
    with pytest.raises(ValueError):
        npx.set_np(shape=False, array=True)


def test_device_helpers_and_io(tmp_path):
    assert npx.cpu() == mx.cpu() and npx.num_gpus() == mx.num_gpus()
    npx.waitall()
    path = str(tmp_path / "a.npx")
    npx.save(path, {"w": np.array([1., 2.])})
    back = npx.load(path)
    assert type(back["w"]) is np.ndarray and back["w"].tolist() == [1., 2.]


def test_npx_gradients():
    x = np.array([[1., 2., 3.], [1., 0., -1.]])
    x.attach_grad()
    with autograd.record():
        y = (npx.softmax(x) * np.array([1., 0., 0.])).sum()
    y.backward()
    s = onp.exp(x.asnumpy()) / onp.exp(x.asnumpy()).sum(1, keepdims=True)
    want = s[:, :1] * ((onp.arange(3) == 0) - s)  # d s_0 / d x_j = s_0 (delta_0j - s_j)
    onp.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-5, atol=1e-7)
