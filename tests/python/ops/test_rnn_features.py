"""The fused RNN op's LSTM projection (projection_size, LSTMP) and per-sample
sequence lengths (use_sequence_length): forward against the numpy reference
(rnn_ref.py) and MXNet 1.9.1's printed values, gradients against finite
differences, the reserve and recompute paths, and bad input."""
import numpy as np
import pytest

from harness import autograd_grads, check_grad, check_op, expect_error, run_op
from rnn_ref import param_size, ref_rnn

OPS = ["RNN", "_rnn_with_reserve"]


def make(mode, T, N, I, H, L, D, P=None, dtype=np.float64, scale=0.5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, N, I)).astype(dtype)
    p = (rng.standard_normal(param_size(mode, I, H, L, D, P)) * scale).astype(dtype)
    h0 = (rng.standard_normal((L * D, N, P or H)) * 0.5).astype(dtype)
    c0 = (rng.standard_normal((L * D, N, H)) * 0.5).astype(dtype)
    return [x, p, h0] + ([c0] if mode == "lstm" else [])


def attrs_of(mode, H, L, bidir, P=None, lengths=False, state_outputs=True):
    a = {"mode": mode, "state_size": H, "num_layers": L, "bidirectional": bidir, "state_outputs": state_outputs}
    if P:
        a["projection_size"] = P
    if lengths:
        a["use_sequence_length"] = True
    return a


def ref_outs(ins, mode, H, L, bidir, P=None, lengths=None):
    out, hy, cy = ref_rnn(ins[0], ins[1], ins[2], ins[3] if mode == "lstm" else None, mode, H, L, bidir, P,
                          lengths)
    return (out, hy, cy) if mode == "lstm" else (out, hy)


# ---- projection ----

@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("L,bidir", [(1, False), (2, True), (2, False)])
@pytest.mark.parametrize("P", [2, 6])  # MXNet accepts P >= H too
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm_projection_forward(op, L, bidir, P, dtype):
    T, N, I, H = 4, 3, 5, 4
    ins = make("lstm", T, N, I, H, L, 2 if bidir else 1, P, dtype)
    outs = check_op(op, ins, attrs_of("lstm", H, L, bidir, P), lambda *a: ref_outs(a, "lstm", H, L, bidir, P),
                    rtol=1e-4, atol=1e-5)
    D = 2 if bidir else 1
    assert [o.shape for o in outs] == [(T, N, D * P), (L * D, N, P), (L * D, N, H)]


# MXNet 1.9.1: mx.nd.RNN(x, p, h0, c0, state_size=4, projection_size=2, num_layers=2,
# bidirectional=True, mode='lstm', state_outputs=True) on these inputs
# (x = arange(12).reshape(2,2,3)/10 - 0.5, p = sin(arange(n)) * 0.3, h0 = 0.1, c0 = -0.2)
MX_PROJ_OUT = np.array([
    [[0.02268437, -0.03548293, -0.02255001, 0.03204259], [0.02269598, -0.03553123, -0.02251804, 0.03197563]],
    [[0.02668786, -0.03003865, -0.02468668, 0.04247889], [0.02664587, -0.03005157, -0.02469511, 0.04243648]]])
MX_PROJ_HY = np.array([
    [[-0.02253494, 0.02311886], [-0.01554269, 0.01913714]], [[-0.02884685, 0.03269294], [-0.02522502, 0.03243370]],
    [[0.02668786, -0.03003865], [0.02664587, -0.03005157]], [[-0.02255001, 0.03204259], [-0.02251804, 0.03197563]]])
MX_PROJ_CY = np.array([
    [[0.05306664, -0.03492349, -0.01042168, -0.11486836], [0.04010008, 0.00091485, -0.07346210, -0.04165098]],
    [[0.06881563, -0.08668160, -0.01711823, -0.18233673], [0.06330191, -0.04843416, -0.07360174, -0.10944437]],
    [[-0.00666265, -0.03493286, -0.10960938, -0.12417547], [-0.00600342, -0.03586274, -0.10910247, -0.12394587]],
    [[-0.01111946, -0.11313571, -0.10757664, -0.07415609], [-0.01185160, -0.11266986, -0.10746542, -0.07474293]]])


def test_lstm_projection_matches_mxnet():
    N, I, H, P, L = 2, 3, 4, 2, 2
    x = np.arange(12, dtype=np.float32).reshape(2, 2, 3) / 10 - 0.5
    p = (np.sin(np.arange(param_size("lstm", I, H, L, 2, P))) * 0.3).astype(np.float32)
    h0 = np.full((4, N, P), 0.1, np.float32)
    c0 = np.full((4, N, H), -0.2, np.float32)
    outs = run_op("RNN", [x, p, h0, c0], attrs_of("lstm", H, L, True, P))
    np.testing.assert_allclose(outs[0], MX_PROJ_OUT, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[1], MX_PROJ_HY, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[2], MX_PROJ_CY, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[0], ref_rnn(x, p, h0, c0, "lstm", H, L, True, P)[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("L,bidir", [(1, False), (2, True)])
def test_lstm_projection_grad(op, L, bidir):
    ins = make("lstm", 3, 2, 3, 3, L, 2 if bidir else 1, 2, scale=0.8)
    a = attrs_of("lstm", 3, L, bidir, 2)
    for k in range(3):  # through out, hy and cy
        check_grad(op, ins, a, out_index=k, rtol=1e-4, atol=1e-6)


# ---- sequence lengths ----

MODES = ["rnn_relu", "rnn_tanh", "lstm", "gru"]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("L,bidir", [(1, False), (1, True), (2, True)])
def test_sequence_length_forward(op, mode, L, bidir):
    T, N, I, H = 5, 4, 3, 4
    lens = np.array([5, 2, 0, 3], np.int32)
    ins = make(mode, T, N, I, H, L, 2 if bidir else 1)
    outs = check_op(op, ins + [lens], attrs_of(mode, H, L, bidir, lengths=True),
                    lambda *a: ref_outs(a, mode, H, L, bidir, lengths=lens), rtol=1e-6, atol=1e-8)
    assert not outs[0][2:, 1].any() and not outs[0][:, 2].any()  # zero past each length
    np.testing.assert_allclose(outs[1][:, 2], ins[2][:, 2])  # length 0: hy is h0
    # full lengths give the plain op's values
    full = run_op(op, ins + [np.full(N, T, np.int32)], attrs_of(mode, H, L, bidir, lengths=True))
    plain = run_op(op, ins, attrs_of(mode, H, L, bidir))
    for a, b in zip(full, plain):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_sequence_length_with_projection_float32_lengths():
    T, N, I, H, P = 4, 3, 3, 5, 3
    lens = np.array([1, 4, 3], np.float32)  # MXNet's Gluon passes float lengths
    ins = make("lstm", T, N, I, H, 2, 2, P, np.float32)
    check_op("RNN", ins + [lens], attrs_of("lstm", H, 2, True, P, lengths=True),
             lambda *a: ref_outs(a, "lstm", H, 2, True, P, lens), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("L,bidir", [(1, True), (2, False)])
def test_sequence_length_grad(op, mode, L, bidir):
    lens = np.array([3, 1, 2], np.int32)
    ins = make(mode, 3, 3, 2, 2, L, 2 if bidir else 1, scale=0.8, seed=3)
    a = attrs_of(mode, 2, L, bidir, lengths=True)
    n_out = 3 if mode == "lstm" else 2
    for k in range(n_out):
        g = check_grad(op, ins + [lens], a, out_index=k, rtol=1e-4, atol=1e-6)
        if k == 0:
            assert not g[0][1:, 1].any() and not g[0][2:, 2].any()  # no gradient into padded steps


def test_sequence_length_projection_grad():
    lens = np.array([2, 3], np.int32)
    ins = make("lstm", 3, 2, 2, 3, 2, 2, 2, scale=0.8, seed=5)
    a = attrs_of("lstm", 3, 2, True, 2, lengths=True)
    for k in range(3):
        check_grad("_rnn_with_reserve", ins + [lens], a, out_index=k, rtol=1e-4, atol=1e-6)


def test_sequence_length_reserve_matches_recompute():
    lens = np.array([4, 2, 3], np.int32)
    ins = make("gru", 4, 3, 3, 4, 2, 2)
    a = attrs_of("gru", 4, 2, True, lengths=True)
    w = np.random.default_rng(1).uniform(-1, 1, (4, 3, 8))
    ga = autograd_grads("RNN", ins + [lens], a, [0, 1, 2], w)
    gb = autograd_grads("_rnn_with_reserve", ins + [lens], a, [0, 1, 2], w)
    for x, y in zip(ga, gb):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)


def test_rnn_feature_errors():
    ins = make("lstm", 3, 2, 3, 4, 1, 1, 2)
    a = attrs_of("lstm", 4, 1, False, 2)
    expect_error("RNN", [ins[0], ins[1][:-1], ins[2], ins[3]], a, contains=("RNN", "parameters", "elements"))
    expect_error("RNN", [ins[0], ins[1], ins[3], ins[3]], a, contains=("RNN", "state", "(1,2,2)", "projection_size"))
    g = make("gru", 3, 2, 3, 4, 1, 1)
    expect_error("RNN", g, attrs_of("gru", 4, 1, False, 2), contains=("RNN", "projection_size", "lstm", "gru"))
    la = attrs_of("lstm", 4, 1, False, 2, lengths=True)
    expect_error("RNN", ins + [np.array([1, 2, 3], np.int32)], la,
                 contains=("RNN", "sequence_length", "(2,)", "(3,)", "(3,2,3)"))
    expect_error("RNN", ins + [np.array([1, 4], np.int32)], la, contains=("RNN", "sequence_length[1] = 4", "[0, 3]"))
    expect_error("RNN", ins, la, contains=("RNN", "input"))
