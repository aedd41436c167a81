"""gluon.rnn composite cells: HybridSequentialRNNCell, BidirectionalCell, DropoutCell,
ResidualCell, ZoneoutCell and gluon.contrib.rnn.VariationalDropoutCell.

References are numpy step-by-step LSTM/GRU/RNN cells fed with the cells' own weights,
the existing cells run by hand, and a few values produced by MXNet 1.9.1."""
import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd

rnn = gluon.rnn
VariationalDropoutCell = gluon.contrib.rnn.VariationalDropoutCell


def _np(x):
    return x.asnumpy()


def _sig(x):
    return 1 / (1 + np.exp(-x))


# ---- numpy reference cells ----------------------------------------------------------

def _w(cell):
    return {k: _np(getattr(cell, k).data()) for k in
            ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias')}


def _np_step(cell, x, states):
    """One step of an RNNCell (tanh) / LSTMCell / GRUCell in numpy: (out, states)."""
    w = _w(cell)
    i2h = x @ w['i2h_weight'].T + w['i2h_bias']
    h2h = states[0] @ w['h2h_weight'].T + w['h2h_bias']
    if isinstance(cell, rnn.LSTMCell):
        i, f, g, o = np.split(i2h + h2h, 4, axis=1)
        c = _sig(f) * states[1] + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        return h, [h, c]
    if isinstance(cell, rnn.GRUCell):
        ir, iz, i_n = np.split(i2h, 3, axis=1)
        hr, hz, hn = np.split(h2h, 3, axis=1)
        r, z = _sig(ir + hr), _sig(iz + hz)
        h = (1 - z) * np.tanh(i_n + r * hn) + z * states[0]
        return h, [h]
    h = np.tanh(i2h + h2h)
    return h, [h]


def _np_unroll(cell, x, states=None):
    """x: (N, T, C). Returns outputs (N, T, H) and the final states."""
    if states is None:
        states = [np.zeros(i['shape'], 'float32') for i in cell.state_info(x.shape[0])]
    outs = []
    for t in range(x.shape[1]):
        o, states = _np_step(cell, x[:, t], states)
        outs.append(o)
    return np.stack(outs, axis=1), states


def _init(cell, seed=0):
    cell.initialize()
    rs = np.random.RandomState(seed)
    for p in cell.collect_params().values():
        p.set_data(rs.uniform(-0.6, 0.6, size=p.shape).astype('float32'))
    return cell


def _x(n=2, t=5, c=3, seed=1):
    return np.random.RandomState(seed).uniform(-1, 1, size=(n, t, c)).astype('float32')


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# ---- HybridSequentialRNNCell --------------------------------------------------------

def _stack():
    seq = rnn.HybridSequentialRNNCell()
    with seq.name_scope():
        seq.add(rnn.LSTMCell(4, input_size=3))
        seq.add(rnn.GRUCell(5, input_size=4))
        seq.add(rnn.RNNCell(2, input_size=5))
    return _init(seq)


def _np_stack(seq, x):
    states = []
    for cell in seq:
        x, st = _np_unroll(cell, x)
        states.extend(st)
    return x, states


@pytest.mark.parametrize('hybrid', [False, True])
def test_hybrid_sequential_unroll_and_step_match_numpy(hybrid):
    seq = _stack()
    if hybrid:
        seq.hybridize()
    x = _x()
    ref_out, ref_states = _np_stack(seq, x)
    out, states = seq.unroll(5, nd.array(x), merge_outputs=True)
    _close(_np(out), ref_out)
    assert len(states) == 4
    for a, b in zip(states, ref_states):
        _close(_np(a), b)
    # stepping by hand gives the same
    st = seq.begin_state(2)
    for t in range(5):
        o, st = seq(nd.array(x[:, t]), st)
        _close(_np(o), ref_out[:, t])
    for a, b in zip(st, ref_states):
        _close(_np(a), b)


def test_hybrid_sequential_structure():
    seq = _stack()
    assert len(seq) == 3 and isinstance(seq[1], rnn.GRUCell)
    assert [i['shape'] for i in seq.state_info(7)] == [(7, 4), (7, 4), (7, 5), (7, 2)]
    assert [s.shape for s in seq.begin_state(7)] == [(7, 4), (7, 4), (7, 5), (7, 2)]
    assert isinstance(seq, rnn.HybridRecurrentCell)
    assert 'HybridSequentialRNNCell(' in repr(seq) and 'GRUCell' in repr(seq)
    assert len(seq.collect_params()) == 12


def test_hybrid_sequential_valid_length_and_layouts():
    seq = _stack()
    x = _x(n=3)
    vl = [2, 5, 4]
    out, states = seq.unroll(5, nd.array(x), valid_length=nd.array(vl), merge_outputs=True)
    for b, n in enumerate(vl):
        ref_out, ref_states = _np_stack(seq, x[b:b + 1, :n])
        _close(_np(out)[b, :n], ref_out[0])
        assert np.all(_np(out)[b, n:] == 0)
        for a, r in zip(states, ref_states):
            _close(_np(a)[b], r[0])
    # TNC input and a list of steps give the same values
    tnc, _ = seq.unroll(5, nd.array(x.transpose(1, 0, 2)), layout='TNC', merge_outputs=True)
    _close(_np(tnc).transpose(1, 0, 2), _np(seq.unroll(5, nd.array(x), merge_outputs=True)[0]))
    lst, _ = seq.unroll(5, [nd.array(x[:, t]) for t in range(5)])
    assert isinstance(lst, list) and len(lst) == 5
    _close(np.stack([_np(o) for o in lst], 1), _np(seq.unroll(5, nd.array(x), merge_outputs=True)[0]))


def test_hybrid_sequential_gradients_reach_every_cell():
    seq = _stack()
    seq.hybridize()
    with autograd.record():
        out, _ = seq.unroll(5, nd.array(_x()), merge_outputs=True)
        loss = (out * out).sum()
    loss.backward()
    for p in seq.collect_params().values():
        assert float(p.grad().abs().sum().asscalar()) > 0, p.name


# ---- BidirectionalCell --------------------------------------------------------------

def _bi():
    return rnn.BidirectionalCell(_init(rnn.LSTMCell(3, input_size=4), 2),
                                 _init(rnn.GRUCell(2, input_size=4), 3))


@pytest.mark.parametrize('layout', ['NTC', 'TNC'])
@pytest.mark.parametrize('merge', [True, False])
def test_bidirectional_halves_are_forward_and_reversed_backward(layout, merge):
    bi = _bi()
    l_cell, r_cell = bi._children['l_cell'], bi._children['r_cell']
    x = _x(n=2, t=4, c=4)
    xin = x if layout == 'NTC' else x.transpose(1, 0, 2)
    out, states = bi.unroll(4, nd.array(xin), layout=layout, merge_outputs=merge)
    if merge:
        out = _np(out)
        out = out if layout == 'NTC' else out.transpose(1, 0, 2)
    else:
        assert isinstance(out, list) and len(out) == 4
        out = np.stack([_np(o) for o in out], axis=1)
    assert out.shape == (2, 4, 5)
    # forward half: the left cell run alone
    l_alone, l_states = l_cell.unroll(4, nd.array(x), merge_outputs=True)
    _close(out[..., :3], _np(l_alone))
    # backward half: the right cell on the reversed sequence, reversed back
    r_alone, r_states = r_cell.unroll(4, nd.array(x[:, ::-1].copy()), merge_outputs=True)
    _close(out[..., 3:], _np(r_alone)[:, ::-1])
    assert len(states) == 3
    for a, b in zip(states, l_states + r_states):
        _close(_np(a), _np(b))
    # and the numpy reference agrees
    _close(out[..., :3], _np_unroll(l_cell, x)[0])
    _close(out[..., 3:], _np_unroll(r_cell, x[:, ::-1])[0][:, ::-1])


def test_bidirectional_valid_length_reverses_valid_prefix_only():
    bi = _bi()
    l_cell, r_cell = bi._children['l_cell'], bi._children['r_cell']
    x = _x(n=3, t=5, c=4)
    vl = [3, 5, 1]
    out, states = bi.unroll(5, nd.array(x), valid_length=nd.array(vl), merge_outputs=True)
    out = _np(out)
    for b, n in enumerate(vl):
        xb = x[b:b + 1, :n]
        lo, ls = _np_unroll(l_cell, xb)
        ro, rs = _np_unroll(r_cell, xb[:, ::-1])
        _close(out[b, :n, :3], lo[0])
        _close(out[b, :n, 3:], ro[0, ::-1])
        assert np.all(out[b, n:] == 0)
        for a, r in zip(states, ls + rs):
            _close(_np(a)[b], r[0])


def test_bidirectional_mxnet_values():
    # MXNet 1.9.1: BidirectionalCell(RNNCell(2, prefix='l_'), GRUCell(2, prefix='r_')),
    # parameters (sorted by name) set to linspace(-0.5, 0.5 + 0.1 * i, size)
    bi = rnn.BidirectionalCell(rnn.RNNCell(2, input_size=2, prefix='l_'),
                               rnn.GRUCell(2, input_size=2, prefix='r_'))
    bi.initialize()
    for i, (_, p) in enumerate(sorted(bi.collect_params().items())):
        n = int(np.prod(p.shape))
        p.set_data(np.linspace(-0.5, 0.5 + 0.1 * i, n).reshape(p.shape).astype('float32'))
    x = np.arange(12, dtype='float32').reshape(2, 3, 2) / 10.0
    out, states = bi.unroll(3, nd.array(x), merge_outputs=True,
                            valid_length=nd.array([2, 3]))
    ref = [[[-0.7643798, 0.8564849, 0.5518484, 0.4235196],
            [-0.6921171, 0.9516394, 0.3695458, 0.248405],
            [0., 0., 0., 0.]],
           [[-0.8732643, 0.962587, 0.7176453, 0.3616038],
            [-0.8183208, 0.9887428, 0.5735297, 0.2525454],
            [-0.8606912, 0.9933167, 0.3461842, 0.1337177]]]
    _close(_np(out), np.array(ref), 2e-6)
    _close(_np(states[0]), np.array([[-0.6921171, 0.9516394], [-0.8606912, 0.9933167]]),
           2e-6)
    _close(_np(states[1]), np.array([[0.5518484, 0.4235196], [0.7176453, 0.3616038]]), 2e-6)


def test_bidirectional_cannot_be_stepped():
    bi = _bi()
    assert [i['shape'] for i in bi.state_info(6)] == [(6, 3), (6, 3), (6, 2)]
    states = bi.begin_state(2)
    assert [s.shape for s in states] == [(2, 3), (2, 3), (2, 2)]
    with pytest.raises(NotImplementedError, match='BidirectionalCell.*unroll'):
        bi(nd.zeros((2, 4)), states)
    bi.hybridize()
    with pytest.raises(NotImplementedError, match='unroll'):
        bi(nd.zeros((2, 4)), states)


@pytest.mark.parametrize('hybrid', [False, True])
def test_bidirectional_inside_hybrid_sequential(hybrid):
    seq = rnn.HybridSequentialRNNCell()
    seq.add(_bi())
    seq.add(_init(rnn.RNNCell(3, input_size=5), 4))
    if hybrid:
        seq.hybridize()
    x = _x(n=2, t=4, c=4)
    out, states = seq.unroll(4, nd.array(x), merge_outputs=True)
    bi_out, _ = seq[0].unroll(4, nd.array(x), merge_outputs=True)
    ref, _ = _np_unroll(seq[1], _np(bi_out))
    _close(_np(out), ref)
    assert len(states) == 4
    with pytest.raises(NotImplementedError, match='BidirectionalCell.*unroll'):
        seq(nd.zeros((2, 4)), seq.begin_state(2))


# ---- ResidualCell -------------------------------------------------------------------

@pytest.mark.parametrize('hybrid', [False, True])
def test_residual_cell_adds_the_input(hybrid):
    base = _init(rnn.GRUCell(3, input_size=3))
    cell = rnn.ResidualCell(base)
    if hybrid:
        cell.hybridize()
    x = _x()
    h = np.random.RandomState(5).rand(2, 3).astype('float32')
    out, st = cell(nd.array(x[:, 0]), [nd.array(h)])
    ref, ref_st = _np_step(base, x[:, 0], [h])
    _close(_np(out), ref + x[:, 0])
    _close(_np(st[0]), ref_st[0])
    # unroll: base outputs plus inputs, padded steps stay zero
    ref_out, _ = _np_unroll(base, x)
    out, _ = cell.unroll(5, nd.array(x), merge_outputs=True)
    _close(_np(out), ref_out + x)
    outs, _ = cell.unroll(5, nd.array(x), merge_outputs=False)
    _close(np.stack([_np(o) for o in outs], 1), ref_out + x)
    out, st = cell.unroll(5, nd.array(x), valid_length=nd.array([2, 5]), merge_outputs=True)
    _close(_np(out)[0, :2], ref_out[0, :2] + x[0, :2])
    assert np.all(_np(out)[0, 2:] == 0)
    _close(_np(out)[1], ref_out[1] + x[1])


def test_modifier_cells_share_the_base_cell():
    base = rnn.LSTMCell(4, input_size=4)
    cell = rnn.ResidualCell(base)
    assert cell.params is base.params
    assert set(cell.collect_params()) == set(base.collect_params())
    assert cell.state_info(3) == base.state_info(3)
    assert [s.shape for s in cell.begin_state(3)] == [(3, 4), (3, 4)]
    with pytest.raises(AssertionError, match='already modified'):
        rnn.ZoneoutCell(base, 0.1)
    with pytest.raises(AssertionError, match='BidirectionalCell'):
        rnn.ZoneoutCell(_bi(), 0.1)
    with pytest.raises(AssertionError, match='BidirectionalCell'):
        VariationalDropoutCell(_bi(), drop_states=0.2)
    with pytest.raises(ValueError, match='zoneout_outputs'):
        rnn.ZoneoutCell(rnn.GRUCell(2), zoneout_outputs=1.5)
    assert isinstance(cell, rnn.ModifierCell)


# ---- DropoutCell --------------------------------------------------------------------

def test_dropout_cell_predict_mode_is_identity():
    cell = rnn.DropoutCell(0.5)
    assert cell.state_info(4) == []
    x = _x()
    out, st = cell(nd.array(x[:, 0]), [])
    np.testing.assert_array_equal(_np(out), x[:, 0])
    assert st == []
    out, st = cell.unroll(5, nd.array(x), merge_outputs=True)
    np.testing.assert_array_equal(_np(out), x)
    outs, _ = cell.unroll(5, nd.array(x), merge_outputs=False)
    np.testing.assert_array_equal(np.stack([_np(o) for o in outs], 1), x)
    with pytest.raises(ValueError, match='DropoutCell'):
        rnn.DropoutCell(1.0)
    with pytest.raises(TypeError, match='DropoutCell'):
        rnn.DropoutCell('0.5')


def _train_dropout(cell, x, seed):
    mx.random.seed(seed)
    with autograd.train_mode():
        return _np(cell(x, [])[0])


def test_dropout_cell_training_rate_seed_and_hybridize():
    cell = rnn.DropoutCell(0.3)
    x = nd.ones((200, 500))
    a = _train_dropout(cell, x, 7)
    assert set(np.unique(a)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((a == 0).mean() - 0.3) < 0.01
    np.testing.assert_array_equal(a, _train_dropout(cell, x, 7))
    assert not np.array_equal(a, _train_dropout(cell, x, 8))
    cell.hybridize()
    np.testing.assert_array_equal(a, _train_dropout(cell, x, 7))
    # unrolled over a sequence, in one op
    mx.random.seed(3)
    with autograd.train_mode():
        seq, _ = cell.unroll(4, nd.ones((50, 4, 100)), merge_outputs=True)
    assert seq.shape == (50, 4, 100)
    assert abs((_np(seq) == 0).mean() - 0.3) < 0.02


def test_dropout_cell_axes_share_the_mask():
    cell = rnn.DropoutCell(0.5, axes=(1,))
    a = _train_dropout(cell, nd.ones((400, 6)), 2)
    # the mask is shared along axis 1: rows are all dropped or all kept
    assert np.all((a == 0).all(axis=1) | (a == 2).all(axis=1))
    assert 0.4 < (a[:, 0] == 0).mean() < 0.6


# ---- ZoneoutCell --------------------------------------------------------------------

def test_zoneout_predict_mode_is_the_base_cell():
    base = _init(rnn.LSTMCell(4, input_size=3))
    cell = rnn.ZoneoutCell(base, zoneout_outputs=0.5, zoneout_states=0.5)
    x = _x()
    ref_out, ref_st = _np_unroll(base, x)
    out, st = cell.unroll(5, nd.array(x), merge_outputs=True)
    _close(_np(out), ref_out)
    for a, b in zip(st, ref_st):
        _close(_np(a), b)
    cell.hybridize()
    out, _ = cell.unroll(5, nd.array(x), merge_outputs=True)
    _close(_np(out), ref_out)


def _zoneout_run(cell, x, seed):
    mx.random.seed(seed)
    cell.reset()
    st = cell.begin_state(x.shape[0])
    outs, states = [], [st]
    with autograd.train_mode():
        for t in range(x.shape[1]):
            o, st = cell(nd.array(x[:, t]), st)
            outs.append(_np(o))
            states.append(st)
    return outs, [[_np(s) for s in sts] for sts in states]


@pytest.mark.parametrize('hybrid', [False, True])
def test_zoneout_outputs_keep_previous_output_with_rate(hybrid):
    base = _init(rnn.RNNCell(100, input_size=3))
    cell = rnn.ZoneoutCell(base, zoneout_outputs=0.4)
    if hybrid:
        cell.hybridize()
    x = _x(n=20, t=4)
    outs, states = _zoneout_run(cell, x, 11)
    prev = np.zeros_like(outs[0])
    kept_prev = []
    for t in range(4):
        new, _ = _np_step(base, x[:, t], states[t])
        is_new = np.isclose(outs[t], new, atol=1e-6)
        is_prev = outs[t] == prev
        assert np.all(is_new | is_prev)
        kept_prev.append(is_prev.mean())
        # zoneout_states=0: the states are the base cell's new states
        _close(states[t + 1][0], new)
        prev = outs[t]
    assert abs(np.mean(kept_prev) - 0.4) < 0.03
    # deterministic under the seed, hybridized or not
    again, _ = _zoneout_run(cell, x, 11)
    for a, b in zip(outs, again):
        np.testing.assert_array_equal(a, b)


def test_zoneout_states_and_hybridized_equals_eager():
    x = _x(n=20, t=4)
    runs = []
    for hybrid in (False, True):
        base = _init(rnn.GRUCell(100, input_size=3), 9)
        cell = rnn.ZoneoutCell(base, zoneout_outputs=0.3, zoneout_states=0.4)
        if hybrid:
            cell.hybridize()
        runs.append(_zoneout_run(cell, x, 5))
    for a, b in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(a, b)
    states = runs[0][1]
    kept_old = []
    for t in range(4):
        new, _ = _np_step(base, x[:, t], states[t])
        old = states[t][0]
        got = states[t + 1][0]
        assert np.all(np.isclose(got, new, atol=1e-6) | (got == old))
        kept_old.append((got == old).mean())
    assert abs(np.mean(kept_old[1:]) - 0.4) < 0.03   # step 0's old state is zero


# ---- VariationalDropoutCell ---------------------------------------------------------

def test_variational_dropout_location_and_predict_mode():
    assert not hasattr(rnn, 'VariationalDropoutCell')   # MXNet: gluon.contrib.rnn only
    base = _init(rnn.LSTMCell(4, input_size=3))
    cell = VariationalDropoutCell(base, 0.5, 0.5, 0.5)
    x = _x()
    ref_out, _ = _np_unroll(base, x)
    for c in (cell, VariationalDropoutCell(_init(rnn.GRUCell(4, input_size=3)), 0.5, 0., .5)):
        out, _ = c.unroll(5, nd.array(x), merge_outputs=True)
        ref = _np_unroll(c.base_cell, x)[0]
        _close(_np(out), ref)
    out, _ = cell.unroll(5, nd.array(x), merge_outputs=True)
    _close(_np(out), ref_out)


@pytest.mark.parametrize('hybrid', [False, True])
def test_variational_dropout_reuses_masks_across_steps(hybrid):
    base = _init(rnn.LSTMCell(40, input_size=30))
    cell = VariationalDropoutCell(base, drop_inputs=0.3, drop_states=0.4, drop_outputs=0.5)
    if hybrid:
        cell.hybridize()
    x = _x(n=8, t=3, c=30)
    mx.random.seed(4)
    st = cell.begin_state(8)
    masks = None
    with autograd.train_mode():
        for t in range(3):
            h, c = _np(st[0]), _np(st[1])
            out, st = cell(nd.array(x[:, t]), st)
            now = (cell.drop_inputs_mask, cell.drop_states_mask, cell.drop_outputs_mask)
            if masks is None:
                masks = now
            assert all(a is b for a, b in zip(masks, now))
            mi, ms, mo = (_np(m) for m in masks)
            ref, ref_st = _np_step(base, x[:, t] * mi, [h * ms, c])
            _close(_np(out), ref * mo)
            _close(_np(st[1]), ref_st[1])
    for m, p in zip((mi, ms, mo), (0.3, 0.4, 0.5)):
        assert set(np.unique(m)) <= {0.0, np.float32(1 / (1 - p))}
        assert abs((m == 0).mean() - p) < 0.12
    cell.reset()
    assert cell.drop_inputs_mask is None and cell.drop_outputs_mask is None


def test_variational_dropout_unroll_shares_output_mask_over_time():
    base = _init(rnn.GRUCell(50, input_size=3))
    cell = VariationalDropoutCell(base, drop_inputs=0.2, drop_outputs=0.5)
    x = _x(n=40, t=6)
    runs = []
    for hybrid in (False, True):
        if hybrid:
            cell.hybridize()
        mx.random.seed(21)
        with autograd.train_mode():
            out, _ = cell.unroll(6, nd.array(x), merge_outputs=True)
        runs.append(_np(out))
    np.testing.assert_array_equal(runs[0], runs[1])
    zero = runs[0] == 0
    assert np.all(zero == zero[:, :1])   # the same elements dropped at every step
    assert abs(zero.mean() - 0.5) < 0.05
    # stepping path (state dropout) unrolls too, with list outputs on request
    cell2 = VariationalDropoutCell(_init(rnn.GRUCell(5, input_size=3)), drop_states=0.5)
    with autograd.train_mode():
        outs, st = cell2.unroll(6, nd.array(x), merge_outputs=False)
    assert len(outs) == 6 and outs[0].shape == (40, 5) and st[0].shape == (40, 5)


def test_unroll_returns_a_list_unless_merge_outputs_like_mxnet():
    """MXNet 1.9.1: merge_outputs=None gives a list of steps even for a tensor input
    (GRUCell, BidirectionalCell, HybridSequentialRNNCell, ResidualCell, ZoneoutCell);
    VariationalDropoutCell keeps its base cell's merged output."""
    x = nd.ones((2, 5, 3))
    cells = [rnn.GRUCell(3), rnn.BidirectionalCell(rnn.GRUCell(3), rnn.GRUCell(3)),
             rnn.ResidualCell(rnn.GRUCell(3)), rnn.ZoneoutCell(rnn.GRUCell(3), 0.1, 0.1)]
    seq = rnn.HybridSequentialRNNCell()
    seq.add(rnn.GRUCell(3))
    cells.append(seq)
    for c in cells:
        c.initialize()
        out, _ = c.unroll(5, x)
        assert isinstance(out, list) and len(out) == 5, type(c).__name__
    v = mx.gluon.contrib.rnn.VariationalDropoutCell(rnn.GRUCell(3), drop_inputs=0.1)
    v.initialize()
    assert isinstance(v.unroll(5, x)[0], mx.nd.NDArray)


@pytest.mark.parametrize("kind", ["lstm", "gru", "residual", "sequential", "bidirectional", "zoneout_eval"])
@pytest.mark.parametrize("layout", ["NTC", "TNC"])
def test_cells_unrolled_inside_a_hybridized_block(kind, layout, tmp_path):
    """MXNet 1.9.1 traces cell.unroll inside hybrid_forward; results must not change, and
    the exported graph must run on another batch size."""
    def make():
        if kind == "lstm":
            return rnn.LSTMCell(5, input_size=3)
        if kind == "gru":
            return rnn.GRUCell(5, input_size=3)
        if kind == "residual":
            return rnn.ResidualCell(rnn.GRUCell(3, input_size=3))
        if kind == "zoneout_eval":
            return rnn.ZoneoutCell(rnn.GRUCell(4, input_size=3), 0.3, 0.3)
        if kind == "bidirectional":
            return rnn.BidirectionalCell(rnn.LSTMCell(4, input_size=3), rnn.GRUCell(4, input_size=3))
        s = rnn.HybridSequentialRNNCell()
        s.add(rnn.LSTMCell(4, input_size=3))
        s.add(rnn.GRUCell(5, input_size=4))
        return s

    class Net(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.cell = make()

        def hybrid_forward(self, F, x, vl):
            out, states = self.cell.unroll(4, x, layout=layout, merge_outputs=True, valid_length=vl)
            return out, states[0]

    net = Net()
    net.initialize(mx.init.Uniform(0.5))
    shape = (2, 4, 3) if layout == "NTC" else (4, 2, 3)
    x = nd.array(np.random.RandomState(0).uniform(-1, 1, shape))
    vl = nd.array([4, 2])
    eager = [o.asnumpy() for o in net(x, vl)]
    net.hybridize()
    hybrid = [o.asnumpy() for o in net(x, vl)]
    for a, b in zip(eager, hybrid):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(eager[0][(1 if layout == "NTC" else slice(None)), ...][2:] if layout == "NTC"
                                  else eager[0][2:, 1], 0)  # padding steps are exact zeros
    prefix = str(tmp_path / kind)
    net.export(prefix)
    imported = gluon.SymbolBlock.imports(prefix + "-symbol.json", ["data0", "data1"], prefix + "-0000.params")
    x3 = nd.array(np.random.RandomState(1).uniform(-1, 1, (3, 4, 3) if layout == "NTC" else (4, 3, 3)))
    got = imported(x3, nd.array([1, 4, 3]))[0].asnumpy()
    net.hybridize(False)
    np.testing.assert_allclose(got, net(x3, nd.array([1, 4, 3]))[0].asnumpy(), rtol=1e-5, atol=1e-6)


def test_cells_unroll_on_free_symbols_like_mxnet():
    """MXNet 1.9.1 unrolls Gluon cells on plain symbols (no hybridize): shapes follow."""
    c = rnn.BidirectionalCell(rnn.LSTMCell(4, input_size=3), rnn.GRUCell(4, input_size=3))
    out, _ = c.unroll(5, mx.sym.var("data"), layout="NTC", merge_outputs=True)
    assert out.infer_shape(data=(2, 5, 3))[1] == [(2, 5, 8)]
