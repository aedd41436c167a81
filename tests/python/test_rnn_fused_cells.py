"""mx.rnn's FusedRNNCell, BidirectionalCell, ResidualCell and ZoneoutCell, the
weight (un)packing and rnn checkpoints, against MXNet 1.9.1: the expected
numbers below were printed by MXNet 1.9.1 for the same graphs and the same
argument values (each argument drawn from RandomState(crc32(name) % 1000))."""
import warnings
import zlib

import numpy as np
import pytest

import mxcore as mx

T, N, C, H = 5, 3, 4, 6

MXNET = {  # outputs, then final states: elements [0, 7, -1] (fused) or [0, -1]
    ("lstm", True): [[0.05558, 0.49086, -0.08058], [0.20748, 0.03958, -0.20557], [0.36753, 0.08104, -0.47311]],
    ("gru", False): [[0.00799, -0.04325, 0.03344], [-0.29273, -0.23892, 0.03344]],
    ("rnn_relu", True): [[0.0, 0.39328, 0.0], [0.40484, 0.25935, 0.0]],
    "bi": [[-0.17749, -0.37157], [-0.53347, -0.15001], [-0.97989, 0.18292]],
    "res": [[0.07326, 0.17853], [-0.5215, -0.21834]],
}


def _values(sym, shape):
    arg_shapes, _, _ = sym.infer_shape(data=shape)
    return {n: mx.nd.array(np.random.RandomState(zlib.crc32(n.encode()) % 1000).uniform(-0.5, 0.5, s).astype("f"))
            for n, s in zip(sym.list_arguments(), arg_shapes)}


def _run(sym, shape, values=None):
    return [o.asnumpy() for o in sym.bind(mx.cpu(), values or _values(sym, shape)).forward()]


def _fused(mode, bi, layers=2, **kw):
    return mx.rnn.FusedRNNCell(H, num_layers=layers, mode=mode, bidirectional=bi, get_next_state=True,
                               prefix="f_", **kw)


@pytest.mark.parametrize("mode,bi", [("lstm", True), ("gru", False), ("rnn_relu", True)])
def test_fused_cell_matches_mxnet(mode, bi):
    cell = _fused(mode, bi)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out, states = cell.unroll(T, mx.sym.var("data"), layout="NTC", merge_outputs=True)
    assert any("TNC" in str(x.message) for x in w)  # MXNet's hint for the NTC layout
    g = mx.sym.Group([out] + states)
    assert g.list_outputs()[1] == "f_rnn_state_output"  # MXNet's names for the RNN op's outputs
    got = [np.round(a.ravel()[[0, 7, -1]], 5).tolist() for a in _run(g, (N, T, C))]
    np.testing.assert_allclose(got, MXNET[(mode, bi)], atol=2e-5)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
@pytest.mark.parametrize("bi", [False, True])
def test_unpack_pack_and_unfuse_agree(mode, bi):
    cell = _fused(mode, bi)
    out, _ = cell.unroll(T, mx.sym.var("data"), layout="TNC", merge_outputs=True)
    vals = _values(out, (T, N, C))
    fused = _run(out, None, vals)[0]
    parts = cell.unpack_weights({"f_parameters": vals["f_parameters"]})
    gates = {"lstm": "ifco", "gru": "rzo", "rnn_tanh": ""}[mode]
    dirs = "lr" if bi else "l"
    names = {"f_%s%d_%s%s_%s" % (d, layer, grp, "_" + g if g else "", kind)
             for d in dirs for layer in (0, 1) for grp in ("i2h", "h2h") for g in (gates or [""])
             for kind in ("weight", "bias")}
    assert set(parts) == names
    assert parts["f_l0_i2h%s_weight" % ("_" + gates[0] if gates else "")].shape == (H, C)
    assert parts["f_l1_i2h%s_weight" % ("_" + gates[0] if gates else "")].shape == (H, H * len(dirs))
    np.testing.assert_array_equal(cell.pack_weights(parts)["f_parameters"].asnumpy(), vals["f_parameters"].asnumpy())
    # the unfused stack of step cells computes the same thing from the same weights
    stack = cell.unfuse()
    s_out, _ = stack.unroll(T, mx.sym.var("data"), layout="TNC", merge_outputs=True)
    s_args = stack.pack_weights(parts)
    s_args["data"] = vals["data"]
    unfused = _run(s_out, None, {k: s_args[k] for k in s_out.list_arguments()})[0]
    np.testing.assert_allclose(unfused, fused, rtol=1e-4, atol=1e-5)


def test_bidirectional_and_residual_cells_match_mxnet():
    cell = mx.rnn.BidirectionalCell(mx.rnn.LSTMCell(H, prefix="l_"), mx.rnn.GRUCell(H, prefix="r_"),
                                    output_prefix="bo_")
    outs, states = cell.unroll(T, mx.sym.var("data"), layout="NTC", merge_outputs=False)
    assert [o.name for o in outs] == ["bo_t%d" % i for i in range(T)]
    assert [len(s) for s in states] == [2, 1]  # [l_states, r_states], as MXNet returns them
    got = _run(mx.sym.Group(list(outs) + states[0] + states[1]), (N, T, C))
    np.testing.assert_allclose([np.round(a.ravel()[[0, -1]], 5) for a in got[::3]], MXNET["bi"], atol=2e-5)
    cell = mx.rnn.ResidualCell(mx.rnn.GRUCell(C, prefix="g_"))
    out, states = cell.unroll(T, mx.sym.var("data"), layout="TNC", merge_outputs=True)
    got = _run(mx.sym.Group([out] + states), (T, N, C))
    np.testing.assert_allclose([np.round(a.ravel()[[0, -1]], 5) for a in got], MXNET["res"], atol=2e-5)


def test_zoneout_cell_is_identity_in_inference_and_guards_its_base():
    base = mx.rnn.LSTMCell(H, prefix="z_")
    cell = mx.rnn.ZoneoutCell(base, zoneout_outputs=0.3, zoneout_states=0.2)
    with pytest.raises(RuntimeError, match="modifier"):
        base.begin_state()
    out, _ = cell.unroll(T, mx.sym.var("data"), layout="NTC", merge_outputs=True)
    plain = mx.rnn.LSTMCell(H, prefix="z_")
    ref, _ = plain.unroll(T, mx.sym.var("data"), layout="NTC", merge_outputs=True)
    vals = _values(ref, (N, T, C))
    np.testing.assert_allclose(_run(out, None, {k: vals[k] for k in out.list_arguments()})[0],
                               _run(ref, None, vals)[0], rtol=1e-6)
    with pytest.raises(ValueError, match="unfuse"):
        mx.rnn.ZoneoutCell(_fused("lstm", False))


def test_fused_initializer_and_rnn_checkpoint(tmp_path):
    mx.random.seed(1)
    cell = mx.rnn.FusedRNNCell(H, num_layers=1, mode="lstm", prefix="q_")
    out, _ = cell.unroll(T, mx.sym.var("data"), layout="TNC", merge_outputs=True)
    mod = mx.mod.Module(out, data_names=["data"], label_names=None)
    mod.bind(data_shapes=[("data", (T, N, C))])
    mod.init_params(mx.init.Xavier())
    args, aux = mod.get_params()
    parts = cell.unpack_weights(args)
    for g in "ico":
        assert not parts["q_l0_i2h_%s_bias" % g].asnumpy().any()
        w = parts["q_l0_i2h_%s_weight" % g].asnumpy()
        bound = np.sqrt(3.0 / ((C + H) / 2.0))  # Xavier uniform, avg fan of the per-gate matrix
        assert w.std() > 0 and np.abs(w).max() <= bound + 1e-6
    np.testing.assert_array_equal(parts["q_l0_i2h_f_bias"].asnumpy(), 1.0)
    # checkpoints hold the per-gate matrices (MXNet's format) and load packed again
    mx.rnn.save_rnn_checkpoint(cell, str(tmp_path / "m"), 3, out, args, aux)
    saved = mx.nd.load(str(tmp_path / "m-0003.params"))
    assert "arg:q_l0_h2h_o_weight" in saved and "arg:q_parameters" not in saved
    sym, arg2, _ = mx.rnn.load_rnn_checkpoint(cell, str(tmp_path / "m"), 3)
    np.testing.assert_array_equal(arg2["q_parameters"].asnumpy(), args["q_parameters"].asnumpy())
    assert sym.list_arguments() == out.list_arguments()


def test_fused_cell_rejects_bad_mode_and_sizes():
    with pytest.raises(ValueError, match="mode"):
        mx.rnn.FusedRNNCell(4, mode="lstmx")
    cell = mx.rnn.FusedRNNCell(4, mode="gru", prefix="b_")
    with pytest.raises(ValueError, match="does not fit"):
        cell.unpack_weights({"b_parameters": mx.nd.zeros((100,))})
