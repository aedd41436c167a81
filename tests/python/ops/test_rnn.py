"""Tests for the fused "RNN" op: forward vs a numpy reference (rnn_relu,
rnn_tanh, lstm, gru; 1-2 layers; uni/bidirectional), gradients by finite
differences on tiny float64 problems, parameter layout, bad input.
Forward and gradients also run through "_rnn_with_reserve" (RNN plus a hidden
reserve output that its backward reads instead of recomputing the forward)."""
import numpy as np
import pytest

from harness import check_grad, check_op, expect_error, ffi, lib, run_op, autograd_grads
from rnn_ref import param_size, ref_rnn

RNG = np.random.default_rng(7)


def make(mode, T, N, I, H, L, bidir, dtype=np.float32, scale=0.5):
    D = 2 if bidir else 1
    x = RNG.standard_normal((T, N, I)).astype(dtype)
    p = (RNG.standard_normal(param_size(mode, I, H, L, D)) * scale).astype(dtype)
    h0 = RNG.standard_normal((L * D, N, H)).astype(dtype) * 0.5
    c0 = RNG.standard_normal((L * D, N, H)).astype(dtype) * 0.5
    ins = [x, p, h0] + ([c0] if mode == "lstm" else [])
    return ins


CASES = [(L, bidir) for L in (1, 2) for bidir in (False, True)]
OPS = ["RNN", "_rnn_with_reserve"]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("mode", ["rnn_relu", "rnn_tanh", "lstm", "gru"])
@pytest.mark.parametrize("L,bidir", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rnn_forward(op, mode, L, bidir, dtype):
    T, N, I, H = 5, 3, 4, 6
    ins = make(mode, T, N, I, H, L, bidir, dtype)
    attrs = {"mode": mode, "state_size": H, "num_layers": L, "bidirectional": bidir, "state_outputs": True}

    def ref(*a):
        out, hy, cy = ref_rnn(a[0], a[1], a[2], a[3] if mode == "lstm" else None, mode, H, L, bidir)
        return (out, hy, cy) if mode == "lstm" else (out, hy)
    outs = check_op(op, ins, attrs, ref, rtol=1e-4, atol=1e-5)
    assert len(outs) == (3 if mode == "lstm" else 2)
    assert outs[0].dtype == dtype
    attrs["state_outputs"] = False
    outs = run_op(op, ins, attrs)
    assert len(outs) == 1 and outs[0].shape == (T, N, (2 if bidir else 1) * H)


def test_rnn_edge_shapes_and_float16():
    ins = make("lstm", 1, 1, 2, 3, 1, False)
    check_op("RNN", ins, {"mode": "lstm", "state_size": 3, "num_layers": 1},
             lambda x, p, h, c: ref_rnn(x, p, h, c, "lstm", 3, 1, False)[0], rtol=1e-4, atol=1e-5)
    ins16 = [a.astype(np.float16) for a in make("gru", 3, 2, 3, 4, 1, True)]
    out = run_op("RNN", ins16, {"mode": "gru", "state_size": 4, "num_layers": 1, "bidirectional": True})[0]
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, ref_rnn(*ins16, None, "gru", 4, 1, True)[0], rtol=2e-2, atol=2e-2)
    # zero-length sequence
    ins0 = make("rnn_tanh", 0, 2, 3, 4, 1, False)
    outs = run_op("RNN", ins0, {"mode": "rnn_tanh", "state_size": 4, "num_layers": 1, "state_outputs": True})
    assert outs[0].shape == (0, 2, 4)
    np.testing.assert_allclose(outs[1], ins0[2], rtol=1e-6)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("mode", ["rnn_relu", "rnn_tanh", "lstm", "gru"])
@pytest.mark.parametrize("L,bidir", CASES)
def test_rnn_grad(op, mode, L, bidir):
    ins = make(mode, 3, 2, 3, 2, L, bidir, np.float64, scale=0.8)
    attrs = {"mode": mode, "state_size": 2, "num_layers": L, "bidirectional": bidir}
    check_grad(op, ins, attrs, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_rnn_grad_state_outputs(op, mode):
    ins = make(mode, 3, 2, 3, 2, 2, True, np.float64, scale=0.8)
    attrs = {"mode": mode, "state_size": 2, "num_layers": 2, "bidirectional": True, "state_outputs": True}
    check_grad(op, ins, attrs, out_index=1, rtol=1e-4, atol=1e-6)
    if mode == "lstm":
        check_grad(op, ins, attrs, out_index=2, rtol=1e-4, atol=1e-6)


def test_rnn_dropout_reserve_matches_recompute():
    """Training-mode dropout: the reserve path and the recomputing path see
    the same masks, so their outputs and gradients agree."""
    ins = make("lstm", 4, 3, 3, 5, 3, True, np.float64)
    attrs = {"mode": "lstm", "state_size": 5, "num_layers": 3, "bidirectional": True, "p": 0.4}
    w = np.random.default_rng(3).uniform(-1, 1, (4, 3, 10))
    lib.mx_random_seed(11)
    ga = autograd_grads("RNN", ins, attrs, [0, 1, 2, 3], w, training=True)
    lib.mx_random_seed(11)
    gb = autograd_grads("_rnn_with_reserve", ins, attrs, [0, 1, 2, 3], w, training=True)
    for a, b in zip(ga, gb):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_rnn_dropout():
    ins = make("lstm", 4, 3, 3, 5, 2, False)
    attrs = {"mode": "lstm", "state_size": 5, "num_layers": 2, "p": 0.5}
    base = run_op("RNN", ins, attrs)[0]  # inference: no dropout
    np.testing.assert_allclose(base, ref_rnn(*ins, "lstm", 5, 2, False)[0], rtol=1e-4, atol=1e-5)
    prev = ffi.new("int *")
    lib.mx_autograd_set_training(1, prev)
    try:
        tr = run_op("RNN", ins, attrs)[0]
    finally:
        lib.mx_autograd_set_training(prev[0], ffi.NULL)
    assert not np.allclose(tr, base)
    # gradients in training mode run (same mask as the forward)
    g = autograd_grads("RNN", ins, attrs, [0, 1], np.ones_like(base), training=True)
    assert g[0].shape == ins[0].shape and np.isfinite(g[1]).all()


def test_rnn_lstm_clip():
    ins = make("lstm", 4, 2, 3, 4, 1, False, scale=2.0)
    out = run_op("RNN", ins, {"mode": "lstm", "state_size": 4, "num_layers": 1, "state_outputs": True,
                              "lstm_state_clip_min": -0.1, "lstm_state_clip_max": 0.1})
    assert np.abs(out[2]).max() <= 0.1 + 1e-6


def test_rnn_errors():
    ins = make("lstm", 3, 2, 3, 4, 1, False)
    a = {"mode": "lstm", "state_size": 4, "num_layers": 1}
    expect_error("RNN", [ins[0], ins[1][:-1], ins[2], ins[3]], a, contains=("RNN", "parameters", "(3,2,3)"))
    expect_error("RNN", [ins[0], ins[1], ins[2][:, :1], ins[3]], a, contains=("RNN", "state", "(1,2,4)"))
    expect_error("RNN", [ins[0][0], ins[1], ins[2], ins[3]], a, contains=("RNN", "3-d"))
    expect_error("RNN", ins[:3], a, contains=("RNN", "input"))
    expect_error("RNN", ins, dict(a, mode="lstmx"), contains=("RNN",))


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("mode", ["rnn_relu", "rnn_tanh", "lstm", "gru"])
def test_rnn_float32_large_batch_matches_float64(op, mode):
    """Batches big enough that the recurrence runs split over the thread pool,
    float32 (vectorized exp/tanh) against float64 (libm): outputs and grads."""
    T, N, I, H, L = 5, 37, 6, 8, 2
    ins64 = make(mode, T, N, I, H, L, True, np.float64, scale=0.4 if mode == "rnn_relu" else 1.0)
    if mode != "rnn_relu":
        ins64[0] *= 3.0  # reach the saturated ends of sigmoid/tanh too
    ins32 = [a.astype(np.float32) for a in ins64]
    attrs = {"mode": mode, "state_size": H, "num_layers": L, "bidirectional": True, "state_outputs": True}
    outs = run_op(op, ins32, attrs)
    ref = ref_rnn(*ins64[:3], ins64[3] if mode == "lstm" else None, mode, H, L, True)
    for o, r in zip(outs, ref):
        np.testing.assert_allclose(o, r, rtol=1e-4, atol=2e-5)
    wrt = list(range(len(ins64)))
    w = np.random.default_rng(1).uniform(-1, 1, outs[0].shape)
    g32 = autograd_grads(op, ins32, attrs, wrt, w.astype(np.float32))
    g64 = autograd_grads(op, ins64, attrs, wrt, w)
    for a, b in zip(g32, g64):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_rnn_grad_zero_length(op, mode):
    ins = make(mode, 0, 2, 3, 4, 1, False, np.float64)
    attrs = {"mode": mode, "state_size": 4, "num_layers": 1, "state_outputs": True}
    w = np.random.default_rng(2).uniform(-1, 1, (1, 2, 4))
    g = autograd_grads(op, ins, attrs, list(range(len(ins))), w, out_index=1)
    assert g[0].shape == (0, 2, 3)
    assert not g[1].any()
    np.testing.assert_allclose(g[2], w)  # hy is h0 when nothing ran


def test_rnn_param_flat():
    rng = np.random.default_rng(4)
    ins = [rng.standard_normal(s) for s in [(4, 3), (4, 2), (4,), (4,)]]
    check_op("_rnn_param_flat", ins, {"num_args": 4}, lambda *a: np.concatenate([x.ravel() for x in a]))
    check_grad("_rnn_param_flat", ins, {"num_args": 4}, rtol=1e-6, atol=1e-8)
