"""Dump libmxcore's op registry manifest (mx_registry_json) as JSON.

    python3 tools/codegen/dump_manifest.py [--lib PATH] [-o manifest.json]

The library is $MXCORE_LIB, else $MXCORE_PREFIX/lib/libmxcore.so, else the
newest build*/libmxcore.so in the repository. Only the two functions needed are
declared, so this runs with nothing but cffi (no numpy, no mxcore package).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

from cffi import FFI

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def find_lib() -> str:
    if os.environ.get("MXCORE_LIB"):
        return os.environ["MXCORE_LIB"]
    prefix = os.environ.get("MXCORE_PREFIX")
    if prefix:
        return os.path.join(prefix, "lib", "libmxcore.so")
    cands = sorted(glob.glob(os.path.join(ROOT, "build*", "libmxcore.so")), key=os.path.getmtime, reverse=True)
    if not cands:
        sys.exit("dump_manifest: libmxcore.so not found (set MXCORE_PREFIX or MXCORE_LIB)")
    return cands[0]


def load_manifest(lib_path: str | None = None) -> dict:
    ffi = FFI()
    ffi.cdef("int mx_registry_json(const char **json); const char *mx_last_error(void);")
    lib = ffi.dlopen(lib_path or find_lib())
    out = ffi.new("const char **")
    if lib.mx_registry_json(out) != 0:
        raise RuntimeError(ffi.string(lib.mx_last_error()).decode())
    return json.loads(ffi.string(out[0]).decode())


def public_ops(manifest: dict) -> list[dict]:
    """Public ops sorted by name: the set every binding must expose exactly."""
    return sorted((op for op in manifest["ops"] if op.get("public")), key=lambda o: o["name"])


def typed_default(attr: dict):
    """The attribute's default as a Python value of its manifest type:
    int, float, bool, str, tuple of int/float; None when there is no default
    or it is None (then the binding does not pass the attribute)."""
    d, t = attr.get("default"), attr["type"]
    if d is None or d.strip() in ("None", "none", ""):
        return None
    d = d.strip()
    if t in ("int", "int_or_none"):
        return int(d.rstrip("L"))
    if t == "float":
        return float(d)
    if t == "bool":
        return d in ("True", "true", "1")
    if t in ("shape", "floats"):
        body = d.strip("()[]")
        conv = int if t == "shape" else float
        return tuple(conv(x.strip().rstrip("L")) for x in body.split(",") if x.strip())
    return d


def load_from_args(argv=None) -> tuple[dict, argparse.Namespace]:
    """Shared CLI of the generators: --manifest FILE (else the library) --out DIR."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", help="manifest JSON file (default: ask the library)")
    ap.add_argument("--lib", help="path of libmxcore.so")
    ap.add_argument("--out", required=True, help="binding root to write into")
    args = ap.parse_args(argv)
    if args.manifest:
        with open(args.manifest) as f:
            return json.load(f), args
    return load_manifest(args.lib), args


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib")
    ap.add_argument("-o", "--output")
    args = ap.parse_args()
    text = json.dumps(load_manifest(args.lib), indent=1, sort_keys=True)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
