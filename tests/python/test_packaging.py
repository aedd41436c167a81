"""The Python package's two cffi modes (see mxcore/base.py).

After `pip install .` the compiled API-mode extension mxcore._mxcore_cffi is
the path in use; ABI mode (ffi.dlopen) is the fallback when the extension is
absent, forced with MXCORE_CFFI_MODE=abi, or implied by MXCORE_LIB. The
subprocess tests import the same mxcore as this process (same sys.path)."""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

import mxcore as mx
import numpy as np
import pytest

PKG_DIR = os.path.dirname(os.path.abspath(mx.__file__))
HAS_EXT = bool(glob.glob(os.path.join(PKG_DIR, "_mxcore_cffi*.so")) or
               glob.glob(os.path.join(PKG_DIR, "_mxcore_cffi*.pyd")))
ENV_FORCES_ABI = bool(os.environ.get("MXCORE_LIB")) or os.environ.get("MXCORE_CFFI_MODE", "").lower() == "abi"

# Makes `import mxcore._mxcore_cffi` fail as if the extension were not built.
_BLOCK_EXT = """
import sys
class _NoExt:
    def find_spec(self, name, path=None, target=None):
        if name == "mxcore._mxcore_cffi":
            raise ImportError("blocked by test_packaging")
        return None
sys.meta_path.insert(0, _NoExt())
"""

# A small workload whose result must not depend on the mode.
_PROBE = """
import json, numpy as np, mxcore as mx
a = mx.nd.array(np.arange(6, dtype=np.float32).reshape(2, 3))
b = mx.nd.ones((2, 3))
a.attach_grad()
with mx.autograd.record():
    y = (a * b + a).sum()
y.backward()
try:
    mx.nd.ones((2, 3)) + mx.nd.ones((4, 5))
    err = None
except mx.base.MXNetError as e:
    err = str(e)
print(json.dumps({
    "mode": mx.base.CFFI_MODE,
    "feature": mx.runtime.Features().is_enabled("CFFI_API"),
    "sum": float(y.asscalar()),
    "grad": a.grad.asnumpy().tolist(),
    "dlpack": np.from_dlpack(a).tolist(),
    "from_dlpack": mx.nd.from_dlpack(np.arange(3.0)).asnumpy().tolist(),
    "err": err,
}))
"""


def _run(code: str, **env_over) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("MXCORE_CFFI_MODE", None)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(PKG_DIR)] + [p for p in [env.get("PYTHONPATH")] if p])
    for k, v in env_over.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False)


def _probe(prefix: str = "", **env_over) -> dict:
    r = _run(prefix + _PROBE, **env_over)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_mode_is_reported():
    assert mx.base.CFFI_MODE in ("api", "abi")
    feat = mx.runtime.Features()["CFFI_API"]
    assert feat.enabled == (mx.base.CFFI_MODE == "api")
    assert feat.info == mx.base.CFFI_MODE


@pytest.mark.skipif(not HAS_EXT, reason="running from the source tree: the extension is built by `pip install .`")
@pytest.mark.skipif(ENV_FORCES_ABI, reason="MXCORE_LIB / MXCORE_CFFI_MODE=abi select ABI mode")
def test_installed_package_uses_the_extension():
    assert mx.base.CFFI_MODE == "api"
    from mxcore import _mxcore_cffi
    assert mx.base.ffi is _mxcore_cffi.ffi and mx.base.lib is _mxcore_cffi.lib
    # the extension found the wheel's own library through its rpath ($ORIGIN/lib)
    if os.path.exists("/proc/self/maps"):
        with open("/proc/self/maps") as f:
            maps = f.read()
        assert os.path.join(PKG_DIR, "lib", "libmxcore.so") in maps


@pytest.mark.skipif(not HAS_EXT, reason="running from the source tree: the extension is built by `pip install .`")
def test_api_and_abi_agree():
    api = _probe(MXCORE_LIB=None)
    abi = _probe(MXCORE_CFFI_MODE="abi")
    assert (api["mode"], api["feature"]) == ("api", True)
    assert (abi["mode"], abi["feature"]) == ("abi", False)
    for k in ("sum", "grad", "dlpack", "from_dlpack"):
        assert api[k] == abi[k], k
    assert api["err"] and api["err"] == abi["err"]
    assert api["sum"] == 30.0 and api["grad"] == [[2.0] * 3] * 2


def test_abi_fallback_without_extension():
    """No extension (as in a source checkout): ABI mode, and everything works."""
    out = _probe(_BLOCK_EXT)
    assert out["mode"] == "abi" and out["feature"] is False
    assert out["sum"] == 30.0 and out["dlpack"] == [[0, 1, 2], [3, 4, 5]]
    assert out["err"] and "add" in out["err"]


def test_forcing_api_without_extension_is_an_import_error():
    r = _run(_BLOCK_EXT + "import mxcore", MXCORE_CFFI_MODE="api")
    assert r.returncode != 0 and "MXCORE_CFFI_MODE=api" in r.stderr


def test_bad_mode_value_is_an_import_error():
    r = _run("import mxcore", MXCORE_CFFI_MODE="fast")
    assert r.returncode != 0 and "MXCORE_CFFI_MODE" in r.stderr


def test_import_time():
    """`import mxcore` stays under 0.5 s with the extension (best of 3, to ride
    out a busy machine); ABI mode also parses mxcore.h with pycparser, so it
    gets 1 s."""
    code = "import time; t = time.perf_counter(); import mxcore; print(time.perf_counter() - t)"
    best = min(float(_run(code).stdout.strip().splitlines()[-1]) for _ in range(3))
    limit = 0.5 if mx.base.CFFI_MODE == "api" else 1.0
    assert best < limit, f"import mxcore ({mx.base.CFFI_MODE} mode) took {best:.3f} s"


def test_same_ffi_objects_everywhere():
    from mxcore.ndarray import ndarray as nd_mod
    assert nd_mod.ffi is mx.base.ffi and nd_mod.lib is mx.base.lib
    x = mx.nd.array(np.ones((3,), np.float32))
    assert (x + x).asnumpy().tolist() == [2.0, 2.0, 2.0]
