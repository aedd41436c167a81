#!/usr/bin/env python3
"""ABI guard: the exported functions of libmxcore and their signatures must
match the checked-in manifest tests/abi/mxcore_abi.txt.

- every function declared with MX_API in include/mxcore/mxcore.h is listed in
  the manifest with the same normalised signature (a removed or changed
  function fails; a new one fails until the manifest is updated with --update);
- the shared library exports exactly those symbols, all starting with mx_.

Usage: check_abi.py LIBMXCORE [--update]
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
HEADER = os.path.join(ROOT, "include", "mxcore", "mxcore.h")
MANIFEST = os.path.join(HERE, "mxcore_abi.txt")


def header_signatures():
    text = re.sub(r"/\*.*?\*/", "", open(HEADER).read(), flags=re.S)
    text = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    sigs = {}
    for m in re.finditer(r"MX_API\s+([^;]+?);", text, flags=re.S):
        decl = " ".join(m.group(1).split())
        name = re.search(r"(mx_\w+)\s*\(", decl).group(1)
        sigs[name] = decl
    return sigs


def exported_symbols(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True, check=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TtWwDdBbRr" and not parts[2].startswith("MXCORE_"):
            syms.add(parts[2].split("@")[0])
    return syms


def main():
    lib = sys.argv[1]
    sigs = header_signatures()
    if "--update" in sys.argv:
        with open(MANIFEST, "w") as f:
            f.write("# Exported C ABI of libmxcore: one normalised declaration per line.\n")
            f.write("# Regenerate with tests/abi/check_abi.py LIB --update ONLY for additions.\n")
            for name in sorted(sigs):
                f.write(sigs[name] + "\n")
        print(f"wrote {len(sigs)} signatures")
        return 0
    want = {}
    for line in open(MANIFEST):
        line = line.strip()
        if line and not line.startswith("#"):
            want[re.search(r"(mx_\w+)\s*\(", line).group(1)] = line
    errors = []
    for name, decl in want.items():
        if name not in sigs:
            errors.append(f"removed from the header: {decl}")
        elif sigs[name] != decl:
            errors.append(f"signature changed:\n  was: {decl}\n  now: {sigs[name]}")
    for name in sorted(set(sigs) - set(want)):
        errors.append(f"new function not in the manifest (run with --update): {sigs[name]}")
    syms = exported_symbols(lib)
    for s in sorted(syms - set(sigs)):
        errors.append(f"exported but not declared in mxcore.h: {s}")
    for s in sorted(set(sigs) - syms):
        errors.append(f"declared but not exported: {s}")
    bad = [s for s in syms if not s.startswith("mx_")]
    if bad:
        errors.append(f"non mx_ symbols exported: {bad}")
    for e in errors:
        print("ABI:", e)
    print(f"{len(want)} functions checked, {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
