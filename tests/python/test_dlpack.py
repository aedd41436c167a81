import numpy as np
import pytest

import mxcore as mx


def test_numpy_from_mx_shares_memory():
    a = mx.nd.array(np.arange(6).reshape(2, 3))
    n = np.from_dlpack(a)
    np.testing.assert_array_equal(n, a.asnumpy())
    a[0, 0] = 100
    assert n[0, 0] == 100
    del a
    assert n[1, 2] == 5  # the export keeps the tensor alive


def test_mx_from_numpy_shares_memory():
    x = np.arange(12, dtype=np.float64).reshape(3, 4)
    a = mx.nd.from_dlpack(x)
    assert a.dtype == np.float64 and a.shape == (3, 4)
    x[1, 1] = -7
    assert a.asnumpy()[1, 1] == -7
    del x
    assert a.asnumpy()[2, 3] == 11


def test_views_and_dtypes_round_trip():
    for dt in ["float32", "float64", "int32", "int64", "uint8", "int8", "float16"]:
        a = mx.nd.array([[1, 2, 3], [4, 5, 6]], dtype=dt)
        np.testing.assert_array_equal(np.from_dlpack(a), a.asnumpy())
    a = mx.nd.array(np.arange(12).reshape(3, 4))
    v = a[1:3]
    np.testing.assert_array_equal(np.from_dlpack(v), a.asnumpy()[1:3])
    x = np.arange(20, dtype=np.float32).reshape(4, 5)[:, 1:4]  # strided
    b = mx.nd.from_dlpack(x)
    np.testing.assert_array_equal(b.asnumpy(), x)


def test_capsules_and_device():
    a = mx.nd.ones((2, 2))
    assert a.__dlpack_device__() == (1, 0)
    cap = mx.nd.to_dlpack_for_read(a)
    assert "dltensor" in repr(cap)
    b = mx.nd.from_dlpack(cap)
    assert "used_dltensor" in repr(cap)
    with pytest.raises(ValueError):
        mx.nd.from_dlpack(cap)  # a consumed capsule cannot be used twice
    b[:] = 3
    assert a.asnumpy().sum() == 12
    capv = a.__dlpack__(max_version=(1, 0))
    assert "dltensor_versioned" in repr(capv)
    del capv  # unconsumed capsule: destructor frees the export
    c = mx.nd.from_dlpack(a.__dlpack__(max_version=(1, 0)))
    assert c.asnumpy().sum() == 12


class _Producer:
    """A DLPack producer that records what the consumer asked for."""

    def __init__(self, arr, device):
        self.arr, self.device, self.kwargs = arr, device, None

    def __dlpack_device__(self):
        return self.device

    def __dlpack__(self, **kwargs):
        self.kwargs = kwargs
        return self.arr.__dlpack__(max_version=kwargs.get("max_version"))


def test_stream_argument_follows_the_array_api():
    a = mx.nd.ones((2, 3))
    with pytest.raises(BufferError, match="stream must be None"):
        a.__dlpack__(stream=1)  # a CPU array has no stream to order by
    assert mx.nd.from_dlpack(a.__dlpack__(stream=None)).asnumpy().sum() == 6
    # a CPU producer is asked without a stream
    p = _Producer(a, (1, 0))
    assert mx.nd.from_dlpack(p).asnumpy().sum() == 6
    assert "stream" not in p.kwargs and p.kwargs["max_version"] == (1, 0)
    # a CUDA producer is asked for our stream; without the CUDA module that is a clear error
    if mx.context.num_gpus() == 0:
        with pytest.raises(mx.base.MXNetError, match="cuda"):
            mx.nd.from_dlpack(_Producer(a, (2, 0)))


def test_dl_device_asks_for_a_copy_or_refuses():
    a = mx.nd.array([[1.0, 2.0]])
    b = mx.nd.from_dlpack(a.__dlpack__(dl_device=(1, 0)))
    assert b.asnumpy().tolist() == [[1.0, 2.0]]
    with pytest.raises(BufferError):
        a.__dlpack__(dl_device=(2, 0))
    c = mx.nd.from_dlpack(a.__dlpack__(copy=True))
    c[:] = 5
    assert a.asnumpy().tolist() == [[1.0, 2.0]]  # a copy, not a view
