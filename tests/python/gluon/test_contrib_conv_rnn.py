"""gluon.contrib.rnn convolutional cells (Conv{1,2,3}D{RNN,LSTM,GRU}Cell) against
MXNet 1.9.1: repr, parameter shapes and order, state shapes, the outputs and final
states of a 3-step unroll and the gradients of a loss over it.

The expected values were printed by MXNet 1.9.1 (native CPU convolution) for the same
deterministic parameters and inputs (``_det``); each array is summarised as
[sum, cosine-weighted sum, first three values] (``_fp``). MXNet 1.9.1's CPU convolution
cannot run channel-last layouts, so those are checked against our channel-first cells
(parameter shapes still from MXNet)."""
import os

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd

crnn = gluon.contrib.rnn


def _det(shape, seed):
    n = int(np.prod(shape))
    return (0.5 * np.sin(0.37 * np.arange(n) + seed)).reshape(shape).astype(np.float32)


def _fp(a):
    a = np.asarray(a, dtype=np.float64).ravel()
    w = np.cos(0.11 * np.arange(a.size))
    return [a.sum(), (a * w).sum()] + list(a[:3])


CASES = {
    'Conv1DRNNCell': dict(input_shape=(2, 5), hidden_channels=2, i2h_kernel=3, h2h_kernel=3, i2h_pad=1,
                          activation='relu'),
    'Conv2DRNNCell': dict(input_shape=(2, 4, 4), hidden_channels=2, i2h_kernel=(3, 2), h2h_kernel=(3, 3),
                          i2h_pad=(1, 0), h2h_dilate=(2, 1)),
    'Conv3DRNNCell': dict(input_shape=(2, 3, 3, 3), hidden_channels=2, i2h_kernel=2, h2h_kernel=3),
    'Conv1DLSTMCell': dict(input_shape=(2, 5), hidden_channels=2, i2h_kernel=3, h2h_kernel=3, i2h_dilate=2),
    'Conv2DLSTMCell': dict(input_shape=(2, 4, 4), hidden_channels=2, i2h_kernel=(3, 3), h2h_kernel=(3, 3),
                           i2h_pad=(1, 1)),
    'Conv3DLSTMCell': dict(input_shape=(2, 3, 3, 3), hidden_channels=2, i2h_kernel=2, h2h_kernel=(1, 3, 3)),
    'Conv1DGRUCell': dict(input_shape=(2, 5), hidden_channels=2, i2h_kernel=2, h2h_kernel=5, h2h_dilate=1),
    'Conv2DGRUCell': dict(input_shape=(2, 4, 4), hidden_channels=3, i2h_kernel=3, h2h_kernel=3, i2h_pad=1,
                          activation='leaky'),
    'Conv3DGRUCell': dict(input_shape=(2, 3, 3, 3), hidden_channels=2, i2h_kernel=(2, 2, 1), h2h_kernel=3),
}

# MXNet 1.9.1: out = [output (N, T, ...), final states...]; grad = [x, then each parameter]
EXPECTED = {'Conv1DRNNCell': {'repr': 'Conv1DRNNCell(2 -> 2, relu, NCW)',
                   'params': [(2, 2, 3), (2, 2, 3), (2,), (2,)],
                   'states': [(2, 2, 5)],
                   'out': [[3.18771, 1.93776, 0.13665, 0.43252, 0.40409],
                           [1.42664, 0.44041, 0.06717, 0.07072, 0.0]],
                   'grad': [[17.6569, 9.31968, 0.36944, 0.47712, 0.27423],
                            [11.12966, 11.02794, 1.91619, 3.33781, 3.16664], [0.385, 0.37769, 0.0, 0.0, 0.0],
                            [9.33846, 9.33637, 8.9941, 0.34435], [9.33846, 9.33637, 8.9941, 0.34435]]},
 'Conv2DRNNCell': {'repr': 'Conv2DRNNCell(2 -> 2, tanh, NCHW)',
                   'params': [(2, 2, 3, 2), (2, 2, 3, 3), (2,), (2,)],
                   'states': [(2, 2, 4, 3)],
                   'out': [[-76.53183, 0.24342, -0.40956, -0.41276, -0.40118],
                           [-29.92248, 4.17656, -0.53876, -0.73028, -0.70198]],
                   'grad': [[62.24798, 42.7801, -0.69644, -1.43475, -1.45581],
                            [15.47047, -46.47513, -4.14466, -4.91589, -4.36891],
                            [-152.4388, 100.05349, 1.33165, 1.28561, 0.81803],
                            [24.73502, 24.48428, -16.75221, 41.48723],
                            [24.73502, 24.48428, -16.75221, 41.48723]]},
 'Conv3DRNNCell': {'repr': 'Conv3DRNNCell(2 -> 2, tanh, NCDHW)',
                   'params': [(2, 2, 2, 2, 2), (2, 2, 3, 3, 3), (2,), (2,)],
                   'states': [(2, 2, 2, 2, 2)],
                   'out': [[-21.58401, 0.11527, 0.67257, 0.56311, -0.061],
                           [-1.19954, -1.0597, -0.99845, -0.99901, -0.99353]],
                   'grad': [[-1.8478, 5.87807, -0.05971, -0.15571, -0.09586],
                            [-0.05207, -2.37817, 1.7945, 1.94398, 1.46899],
                            [-25.938, 8.42122, -0.23669, -0.01143, 0.07671],
                            [4.42745, 4.44872, 7.94669, -3.51924], [4.42745, 4.44872, 7.94669, -3.51924]]},
 'Conv1DLSTMCell': {'repr': 'Conv1DLSTMCell(2 -> 8, tanh, NCW)',
                    'params': [(8, 2, 3), (8, 2, 3), (8,), (8,)],
                    'states': [(2, 2, 1), (2, 2, 1)],
                    'out': [[-1.69972, -1.26196, -0.25052, -0.05653, -0.08821],
                            [-0.73814, -0.72474, -0.15312, -0.2098, -0.27162],
                            [-1.73774, -1.70102, -0.30216, -0.49199, -0.57497]],
                    'grad': [[-1.07398, -0.11148, -0.06192, 0.0, -0.05616],
                             [-0.34082, -0.51161, -0.08824, -0.13681, -0.11383],
                             [0.0053, 0.31631, 0.0, 0.02466, 0.0],
                             [-0.03899, -0.15995, -0.36853, -0.43195, -0.10306],
                             [-0.03899, -0.15995, -0.36853, -0.43195, -0.10306]]},
 'Conv2DLSTMCell': {'repr': 'Conv2DLSTMCell(2 -> 8, tanh, NCHW)',
                    'params': [(8, 2, 3, 3), (8, 2, 3, 3), (8,), (8,)],
                    'states': [(2, 2, 4, 4), (2, 2, 4, 4)],
                    'out': [[-21.63934, -0.68582, -0.11277, -0.11206, -0.1074],
                            [-8.07065, -1.09425, -0.14751, -0.14368, -0.14487],
                            [-21.29457, -3.58923, -0.43408, -0.47671, -0.51224]],
                    'grad': [[-2.73036, -10.65616, -0.10499, -0.19892, -0.20759],
                             [9.97341, -2.78516, 0.64012, 0.78418, 0.45197],
                             [-0.9511, 10.82838, 0.40664, 0.56754, 0.41936],
                             [1.34265, -0.60772, -6.10852, -6.07243, -2.74659],
                             [1.34265, -0.60772, -6.10852, -6.07243, -2.74659]]},
 'Conv3DLSTMCell': {'repr': 'Conv3DLSTMCell(2 -> 8, tanh, NCDHW)',
                    'params': [(8, 2, 2, 2, 2), (8, 2, 1, 3, 3), (8,), (8,)],
                    'states': [(2, 2, 2, 2, 2), (2, 2, 2, 2, 2)],
                    'out': [[-3.3504, 0.07687, -0.04983, -0.055, -0.09339],
                            [-0.41551, -0.33528, -0.13094, -0.06431, 0.04852],
                            [-8.83631, -0.39638, -0.19309, -0.08318, 0.06033]],
                    'grad': [[2.73663, -3.67139, -0.01435, -0.0345, -0.02047],
                             [1.28236, -1.21484, -0.72468, -1.03525, -1.21296],
                             [0.43004, 1.21662, -0.00394, -0.00215, 0.00118],
                             [0.08053, -0.50781, -2.10994, -1.14726, -1.6477],
                             [0.08053, -0.50781, -2.10994, -1.14726, -1.6477]]},
 'Conv1DGRUCell': {'repr': 'Conv1DGRUCell(2 -> 6, tanh, NCW)',
                   'params': [(6, 2, 2), (6, 2, 5), (6,), (6,)],
                   'states': [(2, 2, 4)],
                   'out': [[-16.92957, 3.74635, -0.1407, -0.19608, -0.27807],
                           [-5.27171, -3.54252, -0.54113, -0.53253, -0.47894]],
                   'grad': [[10.08597, 2.64566, 0.05598, 0.10841, 0.00916],
                            [3.42825, -2.14667, -0.08609, -0.07903, 0.02701],
                            [-10.88542, -4.65987, -0.00847, 0.01674, 0.05881],
                            [9.82608, 8.60229, -0.16719, 0.04725, 0.51119],
                            [3.64719, 3.25258, -0.16719, 0.04725, 0.51119]]},
 'Conv2DGRUCell': {'repr': 'Conv2DGRUCell(2 -> 9, LeakyReLU(0.1), NCHW)',
                   'params': [(9, 2, 3, 3), (9, 3, 3, 3), (9,), (9,)],
                   'states': [(2, 3, 4, 4)],
                   'out': [[0.93807, -1.44667, -0.04902, -0.04997, -0.03941],
                           [0.39002, -1.50576, -0.06345, -0.08133, -0.08393]],
                   'grad': [[-3.01811, -3.21435, -0.15271, -0.20583, -0.14978],
                            [15.68562, -1.60339, 0.02637, 0.03649, 0.03602],
                            [2.5431, -0.41272, -0.00385, -0.00126, -0.00012],
                            [18.57573, 13.28473, 0.08751, 0.00312, 0.83141],
                            [8.02246, 6.07319, 0.08751, 0.00312, 0.83141]]},
 'Conv3DGRUCell': {'repr': 'Conv3DGRUCell(2 -> 6, tanh, NCDHW)',
                   'params': [(6, 2, 2, 2, 1), (6, 2, 3, 3, 3), (6,), (6,)],
                   'states': [(2, 2, 2, 2, 3)],
                   'out': [[-64.26003, -1.79311, -0.58016, -0.57534, -0.54787],
                           [-25.00003, 3.34821, -0.46608, -0.40394, -0.42904]],
                   'grad': [[-8.34334, 4.95182, 0.01485, 0.01016, 0.007],
                            [0.14898, -0.69552, 0.37785, 0.176, -0.37283],
                            [-87.42993, 4.66149, 0.11415, 0.18511, 0.13248],
                            [29.97087, 26.19805, -1.27235, -0.71351, 2.11521],
                            [11.88731, 10.43165, -1.27235, -0.71351, 2.11521]]}}


def _make(name, **over):
    kw = dict(CASES[name], **over)
    if kw.get('activation') == 'leaky':
        kw['activation'] = gluon.nn.LeakyReLU(0.1)
    cell = getattr(crnn, name)(prefix='c_', **kw)
    cell.initialize()
    for i, p in enumerate(cell.collect_params().values()):
        p.set_data(nd.array(_det(p.shape, i + 1)))
    return cell


def _input(name):
    return nd.array(_det((2, 3) + CASES[name]['input_shape'], 0.5))


def _assert_fp(got, want, what):
    np.testing.assert_allclose(_fp(got), want, rtol=1e-4, atol=2e-4, err_msg=what)


@pytest.mark.parametrize('name', sorted(CASES))
def test_structure_matches_mxnet(name):
    cell = _make(name)
    want = EXPECTED[name]
    assert repr(cell) == want['repr']
    params = cell.collect_params()
    assert list(params) == ['c_i2h_weight', 'c_h2h_weight', 'c_i2h_bias', 'c_h2h_bias']
    assert [p.shape for p in params.values()] == want['params']
    layout = cell._conv_layout
    assert cell.state_info(2) == [{'shape': s, '__layout__': layout} for s in want['states']]
    states = cell.begin_state(2)
    assert [s.shape for s in states] == want['states'] and all(s.asnumpy().sum() == 0 for s in states)


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('merge', [True, False])
@pytest.mark.parametrize('name', sorted(CASES))
def test_unroll_matches_mxnet(name, merge, hybridize):
    cell = _make(name)
    if hybridize:
        cell.hybridize()
    out, states = cell.unroll(3, _input(name), merge_outputs=merge)
    if not merge:
        assert isinstance(out, list) and len(out) == 3
        out = nd.stack(*out, axis=1)
    want = EXPECTED[name]['out']
    assert len(states) == len(want) - 1
    for k, arr in enumerate([out] + states):
        _assert_fp(arr.asnumpy(), want[k], '%s array %d' % (name, k))


@pytest.mark.parametrize('name', sorted(CASES))
def test_gradients_match_mxnet(name):
    cell = _make(name)
    x = _input(name)
    x.attach_grad()
    with autograd.record():
        out, states = cell.unroll(3, x, merge_outputs=True)
        loss = (out * nd.array(_det(out.shape, 2.0))).sum() + states[-1].sum()
    loss.backward()
    grads = [x.grad] + [p.grad() for p in cell.collect_params().values()]
    for k, (g, want) in enumerate(zip(grads, EXPECTED[name]['grad'])):
        _assert_fp(g.asnumpy(), want, '%s gradient %d' % (name, k))


# ---- channel-last layouts: MXNet's parameter shapes, values of the channel-first cell ----

CHANNEL_LAST = [  # (name, channel-first case, layout, MXNet 1.9.1's i2h/h2h weight shapes)
    ('Conv1DLSTMCell', 'Conv1DLSTMCell', 'NWC', [(8, 3, 2), (8, 3, 2)]),
    ('Conv2DLSTMCell', 'Conv2DLSTMCell', 'NHWC', [(8, 3, 3, 2), (8, 3, 3, 2)]),
    ('Conv2DGRUCell', 'Conv2DGRUCell', 'NHWC', [(9, 3, 3, 2), (9, 3, 3, 3)]),
    ('Conv3DRNNCell', 'Conv3DRNNCell', 'NDHWC', [(2, 2, 2, 2, 2), (2, 3, 3, 3, 2)]),
]


def _last(a):
    """Channel-first array (N, C, ...) or weight (O, I, ...) to channel-last."""
    return a.transpose((0,) + tuple(range(2, a.ndim)) + (1,))


@pytest.mark.parametrize('name,case,layout,weights', CHANNEL_LAST)
def test_channel_last_layout(name, case, layout, weights):
    act = CASES[case].get('activation', 'tanh').replace('leaky', 'sigmoid')
    first = _make(case, activation=act)
    shape = CASES[case]['input_shape']
    cell = getattr(crnn, name)(**dict(CASES[case], input_shape=shape[1:] + shape[:1], conv_layout=layout,
                                      activation=act, prefix='l_'))
    cell.initialize()
    assert [cell.i2h_weight.shape, cell.h2h_weight.shape] == weights
    assert repr(cell).endswith(', %s)' % layout)
    for p, q in zip(cell.collect_params().values(), first.collect_params().values()):
        p.set_data(nd.array(_last(q.data().asnumpy())) if len(p.shape) > 1 else q.data())
    x = _input(case).asnumpy()
    x_last = x.transpose((0, 1) + tuple(range(3, x.ndim)) + (2,))
    want, want_states = first.unroll(3, nd.array(x), merge_outputs=True)
    for hybridize in (False, True):
        cell.hybridize(hybridize)
        out, states = cell.unroll(3, nd.array(x_last), merge_outputs=True)
        got = out.asnumpy().transpose((0, 1, x.ndim - 1) + tuple(range(2, x.ndim - 1)))
        np.testing.assert_allclose(got, want.asnumpy(), rtol=1e-5, atol=1e-6)
        for s, w in zip(states, want_states):
            np.testing.assert_allclose(s.asnumpy(), _last(w.asnumpy()), rtol=1e-5, atol=1e-6)


# ---- gradients vs finite differences --------------------------------------------------

@pytest.mark.parametrize('name', ['Conv1DLSTMCell', 'Conv2DGRUCell', 'Conv1DRNNCell'])
def test_gradients_finite_differences(name):
    cell = _make(name, hidden_channels=1)
    x = _input(name)
    w = cell.i2h_weight

    def loss_of(xv):
        out, states = cell.unroll(3, xv, merge_outputs=True)
        return (out * nd.array(_det(out.shape, 2.0))).sum() + states[-1].sum()

    x.attach_grad()
    with autograd.record():
        loss = loss_of(x)
    loss.backward()
    gx, gw = x.grad.asnumpy().ravel(), w.grad().asnumpy().ravel()
    eps = 1e-2
    base_x, base_w = x.asnumpy(), w.data().asnumpy()
    for k in range(0, base_x.size, max(1, base_x.size // 7)):
        d = np.zeros(base_x.size, np.float32)
        d[k] = eps
        up = loss_of(nd.array(base_x + d.reshape(base_x.shape))).asscalar()
        down = loss_of(nd.array(base_x - d.reshape(base_x.shape))).asscalar()
        assert abs((up - down) / (2 * eps) - gx[k]) < 2e-3 + 2e-2 * abs(gx[k]), (name, 'x', k)
    for k in range(0, base_w.size, max(1, base_w.size // 5)):
        d = np.zeros(base_w.size, np.float32)
        d[k] = eps
        vals = []
        for sign in (1, -1):
            w.set_data(nd.array(base_w + sign * d.reshape(base_w.shape)))
            vals.append(loss_of(nd.array(base_x)).asscalar())
        w.set_data(nd.array(base_w))
        assert abs((vals[0] - vals[1]) / (2 * eps) - gw[k]) < 2e-3 + 2e-2 * abs(gw[k]), (name, 'w', k)


# ---- arguments, deferred channels, names --------------------------------------------

def test_bad_arguments_name_the_cell():
    with pytest.raises(ValueError, match=r'Conv2DLSTMCell: input_shape must have 3 values'):
        crnn.Conv2DLSTMCell((3, 8), 4, 3, 3)
    with pytest.raises(AssertionError, match=r'Conv2DGRUCell: h2h_kernel must be odd'):
        crnn.Conv2DGRUCell((3, 8, 8), 4, 3, (2, 3))
    with pytest.raises(AssertionError, match=r'Conv3DRNNCell: i2h_kernel must be an int or a tuple of 3'):
        crnn.Conv3DRNNCell((1, 4, 4, 4), 2, (3, 3), 3)
    with pytest.raises(ValueError, match=r"Conv1DLSTMCell: conv_layout must be one of \('NCW', 'NWC'\)"):
        crnn.Conv1DLSTMCell((3, 8), 4, 3, 3, conv_layout='NCHW')
    with pytest.raises(ValueError, match=r'Conv2DRNNCell: input_shape \(3, 2, 2\) is too small'):
        crnn.Conv2DRNNCell((3, 2, 2), 4, 3, 3)


def test_default_prefixes_and_deferred_channels():
    cells = [crnn.Conv2DRNNCell((0, 4, 4), 2, 3, 3, i2h_pad=1), crnn.Conv2DLSTMCell((0, 4, 4), 2, 3, 3),
             crnn.Conv2DGRUCell((0, 4, 4), 2, 3, 3)]
    for cell, alias in zip(cells, ('conv_rnn', 'conv_lstm', 'conv_gru')):
        assert cell.prefix.startswith(alias)
        assert repr(cell).startswith('%s(None -> ' % type(cell).__name__)
        cell.initialize()
        out, _ = cell.unroll(2, nd.ones((1, 2, 3, 4, 4)), merge_outputs=True)
        assert cell.i2h_weight.shape[1] == 3 and repr(cell).startswith('%s(3 -> ' % type(cell).__name__)
    assert out.shape == (1, 2, 2, 2, 2)


# ---- a hybridized block holding a ConvLSTM unroll: export and import ------------------

class _ConvLSTMNet(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.cell = crnn.Conv2DLSTMCell((2, 4, 4), 3, 3, 3, i2h_pad=1)

    def hybrid_forward(self, F, x):
        out, states = self.cell.unroll(3, x, merge_outputs=True)
        return F.broadcast_add(out, F.sum(states[1]))


def test_export_round_trip(tmp_path):
    net = _ConvLSTMNet(prefix='net_')
    net.initialize(mx.init.Uniform(0.3))
    x = nd.array(_det((2, 3, 2, 4, 4), 0.5))
    eager = net(x).asnumpy()
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), eager, rtol=1e-5, atol=1e-6)
    net(nd.array(_det((5, 3, 2, 4, 4), 1.5)))  # another batch size: states follow the data
    path = str(tmp_path / 'convlstm')
    net.export(path)
    loaded = gluon.SymbolBlock.imports(path + '-symbol.json', ['data'], path + '-0000.params')
    assert sorted(loaded.collect_params()) == sorted(net.collect_params())
    np.testing.assert_allclose(loaded(x).asnumpy(), eager, rtol=1e-5, atol=1e-6)


def test_mxnet_exported_conv_rnn_block():
    """A block MXNet 1.9.1 hybridized and exported (tests/data/mxnet_ref/make_ref_conv_rnn.py):
    a Conv2DGRUCell unroll into a Conv2DLSTMCell unroll, whose begin states are
    _zeros(shape=(0, C, H, W)) nodes feeding the h2h convolutions."""
    ref = os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'mxnet_ref')
    net = gluon.SymbolBlock.imports(os.path.join(ref, 'conv_rnn-symbol.json'), ['data'],
                                    os.path.join(ref, 'conv_rnn-0000.params'))
    io = nd.load(os.path.join(ref, 'conv_rnn-io.params'))
    np.testing.assert_allclose(net(io['x']).asnumpy(), io['y'].asnumpy(), rtol=1e-5, atol=1e-6)
    assert net(nd.ones((5, 3, 2, 4, 4))).shape == (5, 3, 2, 4, 4)  # the batch comes from the data
