"""gluon.contrib.rnn.LSTMPCell against MXNet 1.9.1 (values printed by MXNet for the same
deterministic parameters and inputs) and against a numpy LSTM-with-projection."""
import numpy as np
import pytest

from mxcore import autograd, gluon, nd


def _det(shape, seed):
    return (0.5 * np.sin(0.37 * np.arange(int(np.prod(shape))) + seed)).reshape(shape).astype(np.float32)


def _summary(a):
    """[sum, cosine-weighted sum, first three values] of an array."""
    a = np.asarray(a, dtype=np.float64).ravel()
    return [a.sum(), (a * np.cos(0.11 * np.arange(a.size))).sum()] + list(a[:3])


# MXNet 1.9.1, LSTMPCell(3, 2, prefix='p_'), input (2, 3, 4): output (N, T, 2), r, c
MX_OUT = [[-1.06092, -0.7765, -0.03577, -0.01839, -0.05223],
          [-0.43082, -0.42282, -0.06458, -0.20498, -0.06497],
          [0.97191, 0.90582, 0.11448, 0.24508, 0.22454]]
# gradients of sum(out * _det(out.shape, 2)) + sum(c): x, then each parameter in order
MX_GRAD = [[-1.11515, 1.14721, 0.01298, 0.01188, 0.00918],
           [0.14129, -0.92853, -0.0554, -0.07295, -0.08062],
           [-0.55517, -0.10416, -0.00183, -0.00125, -0.01205],
           [-0.52777, -0.49812, -0.07788, -0.09743, -0.06481],
           [3.72441, 2.91461, 0.0693, 0.32102, 0.43206],
           [3.72441, 2.91461, 0.0693, 0.32102, 0.43206]]


def _cell():
    cell = gluon.contrib.rnn.LSTMPCell(3, 2, prefix='p_')
    assert repr(cell) == 'LSTMPCell(None -> 12 -> 2)'
    cell.initialize()
    cell.unroll(3, nd.ones((2, 3, 4)))  # deferred i2h_weight takes the input size
    for i, p in enumerate(cell.collect_params().values()):
        p.set_data(nd.array(_det(p.shape, i + 1)))
    return cell


def test_structure_matches_mxnet():
    cell = _cell()
    assert repr(cell) == 'LSTMPCell(4 -> 12 -> 2)'
    params = cell.collect_params()
    assert [(k, p.shape) for k, p in params.items()] == [
        ('p_i2h_weight', (12, 4)), ('p_h2h_weight', (12, 2)), ('p_h2r_weight', (2, 3)),
        ('p_i2h_bias', (12,)), ('p_h2h_bias', (12,))]
    assert [s['shape'] for s in cell.state_info(2)] == [(2, 2), (2, 3)]
    assert gluon.contrib.rnn.LSTMPCell(5, 2).prefix.startswith('lstmp')


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('merge', [True, False])
def test_unroll_matches_mxnet(merge, hybridize):
    cell = _cell()
    if hybridize:
        cell.hybridize()
    out, states = cell.unroll(3, nd.array(_det((2, 3, 4), 0.5)), merge_outputs=merge)
    out = out if merge else nd.stack(*out, axis=1)
    for arr, want in zip([out] + states, MX_OUT):
        np.testing.assert_allclose(_summary(arr.asnumpy()), want, rtol=1e-4, atol=2e-4)


def test_matches_numpy_and_gradients_match_mxnet():
    cell = _cell()
    w = {k[2:]: p.data().asnumpy() for k, p in cell.collect_params().items()}
    x = nd.array(_det((2, 3, 4), 0.5))
    r, c = np.zeros((2, 2)), np.zeros((2, 3))
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    for t in range(3):
        g = x.asnumpy()[:, t] @ w['i2h_weight'].T + w['i2h_bias'] + r @ w['h2h_weight'].T + w['h2h_bias']
        i, f, gg, o = np.split(g, 4, axis=1)
        c = sig(f) * c + sig(i) * np.tanh(gg)
        r = (sig(o) * np.tanh(c)) @ w['h2r_weight'].T
    x.attach_grad()
    with autograd.record():
        out, states = cell.unroll(3, x, merge_outputs=True)
        loss = (out * nd.array(_det(out.shape, 2.0))).sum() + states[-1].sum()
    loss.backward()
    np.testing.assert_allclose(states[0].asnumpy(), r, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(states[1].asnumpy(), c, rtol=1e-5, atol=1e-6)
    grads = [x.grad] + [p.grad() for p in cell.collect_params().values()]
    for g, want in zip(grads, MX_GRAD):
        np.testing.assert_allclose(_summary(g.asnumpy()), want, rtol=1e-4, atol=2e-4)
