"""numpy reference of the fused RNN op (float64), shared by the RNN op tests:
MXNet's flat parameter layout (all weights per layer and direction: i2h, h2h
and, with an LSTM projection, h2r; then all biases), LSTM projection (LSTMP,
h = W_r (o * tanh(c))) and per-sample sequence lengths (a sample runs its
first len steps, the reverse direction starts at step len-1, outputs past
len are 0, the final states are those after the last valid step).

The projection layout was checked against MXNet 1.9.1's nd.RNN (1-2 layers,
uni/bidirectional: max difference 1e-7)."""
import numpy as np

NG = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def param_size(mode, I, H, L, D, P=None):
    g, S = NG[mode] * H, P or H
    n = 0
    for l in range(L):
        il = I if l == 0 else D * S
        n += D * (g * il + g * S + 2 * g + (S * H if P else 0))
    return n


def unpack(params, mode, I, H, L, D, P=None):
    g, S = NG[mode] * H, P or H
    ws, off = {}, 0
    for l in range(L):
        il = I if l == 0 else D * S
        for d in range(D):
            ws[l, d, "wx"] = params[off:off + g * il].reshape(g, il); off += g * il
            ws[l, d, "wh"] = params[off:off + g * S].reshape(g, S); off += g * S
            if P:
                ws[l, d, "wr"] = params[off:off + S * H].reshape(S, H); off += S * H
    for l in range(L):
        for d in range(D):
            ws[l, d, "bx"] = params[off:off + g]; off += g
            ws[l, d, "bh"] = params[off:off + g]; off += g
    assert off == params.size
    return ws


def sig(x):
    return 1 / (1 + np.exp(-x))


def _cell(mode, ws, l, d, xt, h, c, H):
    xa = xt @ ws[l, d, "wx"].T + ws[l, d, "bx"]
    ha = h @ ws[l, d, "wh"].T + ws[l, d, "bh"]
    if mode == "lstm":
        a = xa + ha
        i, f, gg, o = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
        c = f * c + i * gg
        h = o * np.tanh(c)
        if (l, d, "wr") in ws:
            h = h @ ws[l, d, "wr"].T
    elif mode == "gru":
        r = sig(xa[:, :H] + ha[:, :H])
        z = sig(xa[:, H:2 * H] + ha[:, H:2 * H])
        n = np.tanh(xa[:, 2 * H:] + r * ha[:, 2 * H:])
        h = (1 - z) * n + z * h
    else:
        a = xa + ha
        h = np.maximum(a, 0) if mode == "rnn_relu" else np.tanh(a)
    return h, c


def ref_rnn(x, params, h0, c0, mode, H, L, bidir, P=None, lengths=None):
    """(out, hy, cy) of the fused RNN; cy is zeros for modes without a cell."""
    x = x.astype(np.float64)
    D = 2 if bidir else 1
    T, N, I = x.shape
    S = P or H
    ws = unpack(params.astype(np.float64), mode, I, H, L, D, P)
    lens = np.full(N, T) if lengths is None else np.asarray(lengths).astype(int)
    inp = x
    hy, cy = np.zeros((L * D, N, S)), np.zeros((L * D, N, H))
    for l in range(L):
        out = np.zeros((T, N, D * S))
        for d in range(D):
            k = l * D + d
            h = h0[k].astype(np.float64)
            c = c0[k].astype(np.float64) if c0 is not None else np.zeros((N, H))
            for t in (range(T - 1, -1, -1) if d else range(T)):
                hn, cn = _cell(mode, ws, l, d, inp[t], h, c, H)
                live = (t < lens)[:, None]  # samples past their length keep their state
                h, c = np.where(live, hn, h), np.where(live, cn, c)
                out[t, :, d * S:(d + 1) * S] = np.where(live, h, 0)
            hy[k] = h
            cy[k] = c
        inp = out
    return inp, hy, cy
