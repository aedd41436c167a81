"""Loads tests/data/mxnet_ref/examples_compat_ref.json (MXNet 1.9.1's values, written
by make_refs_examples.py) and compares results against it."""
import json
import os

import numpy as np

REF_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "data", "mxnet_ref", "examples_compat_ref.json")

with open(REF_PATH) as _f:
    REF = json.load(_f)


def assert_close(got, want, what, rtol=1e-4, atol=1e-4):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, "%s: shape %s, MXNet 1.9.1 gives %s" % (what, got.shape, want.shape)
    bad = ~np.isclose(got, want, rtol=rtol, atol=atol)
    assert not bad.any(), "%s: %s, MXNet 1.9.1 gives %s" % (what, got[bad][:5].tolist(), want[bad][:5].tolist())


def assert_checksums(got, want, what):
    """[sum, sum |x|] per parameter, relative to the parameter's size."""
    assert sorted(got) == sorted(want), "%s: parameters %s, MXNet has %s" % (what, sorted(got), sorted(want))
    for k in want:
        scale = 1.0 + abs(want[k][1])
        assert_close(np.array(got[k]) / scale, np.array(want[k]) / scale, "%s: parameter %s [sum, sum|x|]" % (what, k),
                     rtol=1e-4, atol=1e-5)
