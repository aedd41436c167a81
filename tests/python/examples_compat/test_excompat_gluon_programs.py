"""Gluon training programs in the shape of MXNet's example/gluon ones
(excompat_gluon.py), a few steps from fixed parameters, against MXNet 1.9.1."""
import excompat_gluon
import mxcore as mx
import pytest
from excompat_ref import REF, assert_close

excompat_gluon.bind(mx)

CASES = [(n, v) for n, (_, vs) in excompat_gluon.PROGS.items() for v in vs]


@pytest.mark.parametrize("name,variant", CASES, ids=["%s-%s" % c for c in CASES])
def test_program_matches_mxnet(name, variant):
    want_vals, want_params = REF["gluon"]["%s[%s]" % (name, variant)]
    vals, params = excompat_gluon.run_program(name, variant)
    assert_close(vals, want_vals, "%s[%s]: losses/metrics" % (name, variant))
    assert len(params) == len(want_params), "%s: %d parameters, MXNet has %d" % (name, len(params), len(want_params))
    for i, (g, w) in enumerate(zip(params, want_params)):
        assert g[0] == w[0], "%s: parameter %d shape %s, MXNet %s" % (name, i, g[0], w[0])
        scale = 1.0 + abs(w[2])
        assert_close([g[1] / scale, g[2] / scale], [w[1] / scale, w[2] / scale],
                     "%s[%s]: parameter %d [sum, sum|x|]" % (name, variant, i), atol=1e-5)
