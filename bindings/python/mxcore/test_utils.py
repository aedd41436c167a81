"""Helpers for tests (subset of mxnet.test_utils)."""
from __future__ import annotations

import numpy as np

from .context import cpu, current_context
from .ndarray.ndarray import NDArray, array


def default_context():
    return current_context()


def _np(a):
    return a.asnumpy() if isinstance(a, NDArray) else np.asarray(a)


def assert_almost_equal(a, b, rtol=None, atol=None, names=("a", "b"), equal_nan=False, **kwargs):
    a, b = _np(a), _np(b)
    rtol = 1e-5 if rtol is None else rtol
    atol = 1e-20 if atol is None else atol
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan,
                               err_msg=f"{names[0]} and {names[1]} differ")


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False):
    return np.allclose(_np(a), _np(b), rtol=1e-5 if rtol is None else rtol, atol=1e-20 if atol is None else atol,
                       equal_nan=equal_nan)


def same(a, b):
    return np.array_equal(_np(a), _np(b))


def rand_ndarray(shape, stype="default", density=None, dtype=None, ctx=None):
    return array(np.random.uniform(-1, 1, size=shape), ctx=ctx or cpu(), dtype=dtype or np.float32)


def rand_shape_nd(num_dim, dim=10):
    return tuple(np.random.randint(1, dim + 1, size=num_dim).tolist())


def numeric_grad(f, x: np.ndarray, eps=1e-4):
    """Central finite differences of scalar f at x (float64)."""
    x = x.astype(np.float64)
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f(x)
        x[i] = old - eps
        fm = f(x)
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


def get_mnist(path=None):
    """MNIST as numpy arrays, as MXNet 1.x's test_utils.get_mnist gives them:
    ``train_data``/``test_data`` (N, 1, 28, 28) float32 in [0, 1] (pixels / 255)
    and ``train_label``/``test_label`` int8. Files come from ``path`` (default
    $MXNET_HOME/datasets/mnist), downloaded there like gluon.data.vision.MNIST."""
    from .gluon.data.vision import MNIST
    kw = {} if path is None else {"root": path}
    out = {}
    for split, train in (("train", True), ("test", False)):
        ds = MNIST(train=train, **kw)
        imgs = ds._data.asnumpy()  # (N, 28, 28, 1) uint8
        out[split + "_data"] = imgs.transpose(0, 3, 1, 2).astype(np.float32) / 255
        out[split + "_label"] = ds._label.astype(np.int8)
    return out


def get_mnist_iterator(batch_size, input_shape, num_parts=1, part_index=0, path=None):
    """(train, val) mx.io.MNISTIter over the MNIST files (see get_mnist); flat
    784-vectors unless ``input_shape`` is 3-d."""
    from .gluon.data.vision import MNIST
    from .io import MNISTIter
    flat = len(input_shape) != 3
    iters = []
    for train in (True, False):
        image, label = MNIST.files(path, train)
        iters.append(MNISTIter(image=image, label=label, batch_size=batch_size, shuffle=train, flat=flat,
                               num_parts=num_parts, part_index=part_index))
    return tuple(iters)
