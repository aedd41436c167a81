"""Module programs in the shape of MXNet's symbolic examples (excompat_module.py):
fit/score/predict, recommenders, multi-task, the DCGAN of example/gan, the
autoencoder, example/rnn bucketing -- against MXNet 1.9.1."""
import excompat_module
import mxcore as mx
import pytest
from excompat_ref import REF, assert_checksums, assert_close

excompat_module.bind(mx)


@pytest.mark.parametrize("name", excompat_module.PROGS)
def test_program_matches_mxnet(name):
    want_vals, want_params = REF["module"][name]
    vals, params = excompat_module.run_program(name)
    assert_close(vals, want_vals, "%s: values" % name)
    assert_checksums(params, want_params, name)
