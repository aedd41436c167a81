"""save_parameters files of fused RNN layers written before mxcore used MXNet's
names (``0.l0_i2h_weight`` for a layer in a Sequential) still load; MXNet's
names (``0._unfused.0.i2h_weight``, bidirectional ``..._cell.``) are what is
written now."""
import re

import numpy as np
import pytest

import mxcore as mx


@pytest.mark.parametrize("bidirectional", [False, True])
def test_legacy_nested_rnn_names_load(tmp_path, bidirectional):
    def make():
        net = mx.gluon.nn.HybridSequential()
        net.add(mx.gluon.rnn.LSTM(4, input_size=3, num_layers=2, bidirectional=bidirectional))
        return net
    net = make()
    net.initialize()
    legacy = {}
    for k, p in net._collect_params_with_prefix().items():
        m = re.match(r"0\._unfused\.(\d+)\.(?:([lr])_cell\.)?(\w+)_(weight|bias)$", k)
        assert m, k  # MXNet's names
        legacy["0.%s%s_%s_%s" % (m.group(2) or "l", m.group(1), m.group(3), m.group(4))] = \
            mx.nd.array(np.random.RandomState(len(legacy)).randn(*p.shape))
    path = str(tmp_path / "legacy.params")
    mx.nd.save(path, legacy)
    loaded = make()
    loaded.load_parameters(path)
    by_name = {p.name.split("_", 1)[1]: p for p in loaded.collect_params().values()}
    for k, v in legacy.items():
        np.testing.assert_array_equal(by_name[k.split(".", 1)[1]].data().asnumpy(), v.asnumpy())
