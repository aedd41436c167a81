"""The committed editor stubs (ndarray/__init__.pyi) must match what
tools/gen_pyi.py generates from the current registry."""
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_pyi_stubs_are_fresh(tmp_path):
    out = tmp_path / "stubs.pyi"
    # the generator imports whichever mxcore this interpreter imports (the
    # installed package in CI, the source tree with PYTHONPATH in development)
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_pyi.py"), str(out)], check=True)
    committed = open(os.path.join(ROOT, "bindings", "python", "mxcore", "ndarray", "__init__.pyi")).read()
    assert out.read_text() == committed, "regenerate with: PYTHONPATH=bindings/python python3 tools/gen_pyi.py"
