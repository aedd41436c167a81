"""Build/runtime features (mx.runtime.Features())."""
from __future__ import annotations

import json

from .base import CFFI_MODE, check_call, ffi, lib

__all__ = ["Feature", "Features", "feature_list", "features"]


class Feature:
    __slots__ = ("name", "enabled", "info")

    def __init__(self, name: str, enabled: bool, info=None):
        self.name, self.enabled, self.info = name, bool(enabled), info

    def __repr__(self):
        return ("✔ " if self.enabled else "✖ ") + self.name


def _features_json() -> dict:
    p = ffi.new("const char **")
    check_call(lib.mx_runtime_features_json(p))
    return json.loads(ffi.string(p[0]).decode())


def _flatten(obj) -> dict:
    """Map the core's JSON into NAME -> (enabled, info). Booleans are features;
    objects with an 'enabled'/'available'/'loaded' key are features too."""
    out = {}

    def walk(prefix, v):
        if isinstance(v, bool):
            out[prefix.upper()] = (v, None)
        elif isinstance(v, dict):
            for key in ("enabled", "available", "loaded"):
                if isinstance(v.get(key), bool):
                    out[prefix.upper()] = (v[key], v)
                    break
            for k, x in v.items():
                if isinstance(x, (bool, dict)) and k not in ("enabled", "available", "loaded"):
                    walk(f"{prefix}_{k}" if prefix and prefix != "backends" else k, x)
        elif isinstance(v, str) and prefix:
            out.setdefault(prefix.upper(), (bool(v) and v.lower() not in ("none", "no", "off"), v))

    walk("", obj)
    blas = obj.get("blas")
    if isinstance(blas, str):
        out.pop("BLAS", None)
        out["BLAS_" + blas.upper()] = (blas.lower() not in ("none", "builtin"), blas)
    for name in ("CUDA", "OPENCL"):
        out.setdefault(name, (False, None))
    # the Python binding's own feature: compiled cffi extension ("api") or dlopen ("abi")
    out["CFFI_API"] = (CFFI_MODE == "api", CFFI_MODE)
    return out


class Features(dict):
    """Dict of feature name -> Feature, like mxnet.runtime.Features."""

    def __init__(self):
        raw = _features_json()
        super().__init__((k, Feature(k, en, info)) for k, (en, info) in _flatten(raw).items())
        self.raw = raw

    def __repr__(self):
        return str(list(self.values()))

    def is_enabled(self, feature_name: str) -> bool:
        name = feature_name.upper()
        if name not in self:
            raise RuntimeError(f"Feature '{feature_name}' is unknown, known features are: {list(self.keys())}")
        return self[name].enabled


def feature_list():
    return list(Features().values())


def features() -> Features:
    return Features()
