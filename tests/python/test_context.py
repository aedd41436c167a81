import pytest

import mxcore as mx
from mxcore.base import MXNetError


def test_contexts():
    assert mx.cpu() == mx.cpu(0) and mx.cpu(1) != mx.cpu(0)
    assert str(mx.gpu(1)) == "gpu(1)" and mx.cpu_pinned().device_type == "cpu_pinned"
    assert mx.opencl(2).device_typeid == 10 and mx.opencl(2).device_id == 2
    assert mx.current_context() == mx.cpu()
    with mx.Context("cpu", 0) as c:
        assert mx.current_context() == c
        assert mx.nd.zeros(2).context == mx.cpu()
    assert isinstance(mx.num_gpus(), int) and mx.num_gpus() >= 0
    assert mx.Context(mx.gpu(3)) == mx.gpu(3)


def test_gpu_without_backend_raises():
    if mx.num_gpus() > 0:
        pytest.skip("a GPU is available here")
    with pytest.raises(MXNetError) as e:
        mx.nd.zeros((2, 2), ctx=mx.gpu())
    msg = str(e.value).lower()
    assert "gpu" in msg or "cuda" in msg
    with pytest.raises(MXNetError):
        mx.nd.array([1, 2], ctx=mx.gpu(0))


def test_runtime_features():
    f = mx.runtime.Features()
    assert f.is_enabled("CPU")
    assert f.is_enabled("CUDA") == (mx.num_gpus() > 0)
    with pytest.raises(RuntimeError):
        f.is_enabled("NOT_A_FEATURE")
    assert isinstance(mx.runtime.feature_list(), list)


def test_import_is_fast():
    import subprocess
    import sys
    import time
    t = time.time()
    subprocess.check_call([sys.executable, "-c", "import mxcore"])
    assert time.time() - t < 3.0  # generous: includes interpreter start


def test_deprecated_class_level_default_ctx_like_mxnet():
    import warnings
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert mx.Context.default_ctx == mx.cpu(0)
        with mx.cpu(2):
            assert mx.Context.default_ctx == mx.cpu(2)
        mx.Context.default_ctx = mx.cpu(3)
        try:
            assert mx.current_context() == mx.cpu(3)
        finally:
            mx.Context.default_ctx = mx.cpu(0)
    assert any(issubclass(x.category, DeprecationWarning) and "default_ctx" in str(x.message) for x in w)
