"""Deterministic parameters for the model-zoo reference nets, whose weights
are not stored: make_refs.py (under MXNet) and the tests (under mxcore) both
build them from the names and shapes in <model>-params.txt. numpy only."""
import numpy as np


def regen_params(names_shapes):
    """{name: float32 array} from (name, shape) pairs, in sorted-name order."""
    rs = np.random.RandomState(0)
    out = {}
    for name, shape in sorted(names_shapes):
        lo, hi = (0.5, 1.5) if name.endswith(("running_var", "moving_var")) else (-0.1, 0.1)
        out[name] = rs.uniform(lo, hi, shape).astype(np.float32)
    return out


def read_params_txt(path):
    """regen_params of the 'name d0,d1,...' lines in a <model>-params.txt."""
    items = []
    for line in open(path):
        name, shape = line.split()
        items.append((name, tuple(int(s) for s in shape.split(","))))
    return regen_params(items)
