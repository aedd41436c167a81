"""DLPack between mxcore and PyTorch on a CUDA device: both directions share
memory (no copy), values arrive complete (the producer's queued work is
ordered before the consumer reads), and strides/dtypes survive. Needs the
CUDA module with a device and torch with CUDA; skips otherwise (so it only
runs under tests/gpu/run.sh)."""
import numpy as np
import pytest

from conftest import DEVICE

pytestmark = pytest.mark.skipif(DEVICE != "cuda", reason="CUDA DLPack test (MXCORE_TEST_DEVICE=cuda)")


@pytest.fixture(scope="module")
def env():
    torch = pytest.importorskip("torch")
    import mxcore as mx
    if mx.context.num_gpus() == 0 or not torch.cuda.is_available():
        pytest.skip("needs a CUDA device seen by both mxcore and torch")
    return mx, torch


def test_mx_to_torch_shares_device_memory(env):
    mx, torch = env
    a = mx.nd.arange(12, ctx=mx.gpu(0)).reshape((3, 4)) * 2  # queued work the consumer must see
    t = torch.from_dlpack(a)
    assert t.device.type == "cuda" and t.shape == (3, 4) and t.dtype == torch.float32
    np.testing.assert_array_equal(t.cpu().numpy(), np.arange(12, dtype=np.float32).reshape(3, 4) * 2)
    t.add_(1)  # torch writes through the shared buffer
    torch.cuda.synchronize()
    np.testing.assert_array_equal(a.asnumpy(), np.arange(12, dtype=np.float32).reshape(3, 4) * 2 + 1)


def test_torch_to_mx_shares_device_memory(env):
    mx, torch = env
    for dtype, np_dtype in ((torch.float32, np.float32), (torch.float64, np.float64), (torch.int64, np.int64)):
        t = (torch.arange(10, device="cuda", dtype=dtype) * 3).reshape(2, 5)
        a = mx.nd.from_dlpack(t)
        assert a.context == mx.gpu(0) and a.shape == (2, 5) and a.dtype == np_dtype
        np.testing.assert_array_equal(a.asnumpy(), np.arange(10, dtype=np_dtype).reshape(2, 5) * 3)
    t = torch.zeros(4, device="cuda")
    a = mx.nd.from_dlpack(t)
    a[:] = 7  # mxcore writes; torch reads after mxcore's queue is drained
    mx.nd.waitall()
    assert t.cpu().tolist() == [7.0] * 4


def test_non_contiguous_torch_tensor(env):
    mx, torch = env
    t = torch.arange(12, device="cuda", dtype=torch.float32).reshape(3, 4).t()  # strided view
    a = mx.nd.from_dlpack(t.contiguous())
    np.testing.assert_array_equal(a.asnumpy(), np.arange(12, dtype=np.float32).reshape(3, 4).T)
