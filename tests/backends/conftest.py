"""Shared setup for the device-backend tests: the op harness (cffi over the C
ABI) and the device under test.

MXCORE_TEST_DEVICE=opencl (default) or cuda picks the backend; tests skip
when its module is not loaded (the reason from mx_runtime_features_json is
shown)."""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python", "ops"))
import harness as H  # noqa: E402

DEVICES = {"opencl": 10, "cuda": 2}
DEVICE = os.environ.get("MXCORE_TEST_DEVICE", "opencl")
DEV_TYPE = DEVICES[DEVICE]


def features() -> dict:
    out = H.ffi.new("const char **")
    H.check(H.lib.mx_runtime_features_json(out))
    return json.loads(H.ffi.string(out[0]).decode())


def backend_info() -> dict:
    return features()["backends"][DEVICE]


def require_backend():
    info = backend_info()
    if not info.get("loaded"):
        pytest.skip(f"{DEVICE} backend not loaded: {info.get('reason')}")
    return info


def device_dtypes() -> list:
    info = require_backend()
    return [np.dtype(d) for d in info["devices"][0]["dtypes"]]


def to_dev(a: np.ndarray):
    """numpy -> owned mx_tensor on the device under test."""
    h = H.to_mx(np.asarray(a))
    out = H.ffi.new("mx_tensor *")
    H.check(H.lib.mx_tensor_to_device(h, {"type": DEV_TYPE, "id": 0}, out))
    return H.ffi.gc(out[0], H._release)


def device_of(h) -> int:
    d = H.ffi.new("mx_device *")
    H.check(H.lib.mx_tensor_device(h, d))
    return d.type


class strict_device:
    """Context manager: MXCORE_STRICT_DEVICE=1 (a CPU fallback is an error)."""

    def __enter__(self):
        self.old = os.environ.get("MXCORE_STRICT_DEVICE")
        os.environ["MXCORE_STRICT_DEVICE"] = "1"

    def __exit__(self, *exc):
        if self.old is None:
            del os.environ["MXCORE_STRICT_DEVICE"]
        else:
            os.environ["MXCORE_STRICT_DEVICE"] = self.old
