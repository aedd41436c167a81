"""Every public registry op must be exercised by an op test: its name (or an
alias) has to appear quoted in some tests/python/ops/test_*.py file. An op
added to the core without a test makes this fail."""
import glob
import os

from harness import public_ops

HERE = os.path.dirname(__file__)


def test_every_public_op_has_a_test():
    text = ""
    for path in glob.glob(os.path.join(HERE, "test_*.py")):
        if os.path.basename(path) != os.path.basename(__file__):
            text += open(path).read()
    missing = []
    for op in public_ops():
        names = [op["name"]] + op["aliases"]
        if not any(f'"{n}"' in text or f"'{n}'" in text for n in names):
            missing.append(op["name"])
    assert not missing, f"public ops without a test in tests/python/ops: {sorted(missing)}"


def test_manifest_is_well_formed():
    seen = set()
    for op in public_ops():
        for n in [op["name"]] + op["aliases"]:
            assert n not in seen, f"duplicate op name/alias {n}"
            seen.add(n)
        assert op["doc"], f"op {op['name']} has no doc"
        for a in op["attrs"]:
            assert a["type"] in {"int", "float", "bool", "string", "enum", "shape", "floats", "dtype", "int_or_none"}
            assert a["doc"], f"attr {op['name']}.{a['name']} has no doc"
