"""The image-classification model definitions of MXNet's example/ directory, as
small symbol graphs (excompat_symbols.py): lists, inferred shapes, the JSON MXNet
writes, an inference forward and three Module SGD steps, against MXNet 1.9.1."""
import excompat_symbols
import mxcore as mx
import pytest
from excompat_ref import REF, assert_checksums, assert_close


@pytest.mark.parametrize("name", excompat_symbols.ARCHS)
def test_model_matches_mxnet(name):
    want = REF["symbols"][name]
    got = excompat_symbols.run_arch(mx, name)
    for key in ("arguments", "aux", "outputs", "arg_shapes", "out_shapes", "aux_shapes"):
        assert got[key] == want[key], "%s: %s %s, MXNet 1.9.1 gives %s" % (name, key, got[key], want[key])
    assert got["json_sha1"] == want["json_sha1"], \
        "%s: tojson() differs from MXNet's (regenerate with make_refs_examples.py to see the nodes)" % name
    assert_close(got["forward"], want["forward"], "%s: inference output" % name)
    assert_close(got["losses"], want["losses"], "%s: training losses" % name)
    assert_checksums(got["params"], want["params"], name)
