"""begin_state / state_info details of gluon.rnn cells and fused layers, as MXNet 1.9.1 has them:
func gets a name and the state's __layout__, the fused layers' state_info carries dtype, and
cast() moves the states to the new dtype."""
import numpy as np

import mxcore as mx
from mxcore.gluon import rnn


def test_cell_begin_state_names_states_for_symbol_func():
    cell = rnn.LSTMCell(5, input_size=3, prefix='lstm0_')
    cell.reset()
    states = cell.begin_state(batch_size=2, func=mx.sym.var)
    # MXNet 1.9.1: ['lstm0_begin_state_0', 'lstm0_begin_state_1'] with shape and layout attrs.
    assert [s.name for s in states] == ['lstm0_begin_state_0', 'lstm0_begin_state_1']
    attrs = states[0].list_attr()
    assert attrs['__shape__'] == '(2, 5)' and attrs['__layout__'] == 'NC'
    # The counter runs on until unroll() resets it.
    assert [s.name for s in cell.begin_state(batch_size=2, func=mx.sym.zeros)] == \
        ['lstm0_begin_state_2', 'lstm0_begin_state_3']
    nd_states = cell.begin_state(batch_size=2, func=mx.nd.ones)
    assert [s.shape for s in nd_states] == [(2, 5), (2, 5)] and nd_states[0].asnumpy().min() == 1


def test_composite_cells_name_each_childs_states():
    seq = rnn.SequentialRNNCell(prefix='s_')
    with seq.name_scope():
        seq.add(rnn.LSTMCell(4, input_size=3))
        seq.add(rnn.GRUCell(4, input_size=4))
    seq.reset()
    names = [s.name for s in seq.begin_state(batch_size=2, func=mx.sym.var)]
    assert names == ['s_lstm0_begin_state_0', 's_lstm0_begin_state_1', 's_gru0_begin_state_0']


def test_fused_layer_state_info_has_dtype_and_follows_cast():
    layer = rnn.LSTM(4, input_size=3, prefix='l_')
    assert layer.state_info(2) == [{'shape': (1, 2, 4), '__layout__': 'LNC', 'dtype': 'float32'}] * 2
    assert [s.name for s in layer.begin_state(2, func=mx.sym.var)] == ['l_h0_0', 'l_h0_1']
    layer.initialize()
    layer.cast('float16')
    assert layer.state_info(2)[1]['dtype'] == 'float16'
    x = mx.nd.ones((3, 2, 3), dtype='float16')
    out, states = layer(x, layer.begin_state(2))
    assert out.dtype == np.float16 and [s.dtype for s in states] == [np.float16, np.float16]
    gru = rnn.GRU(4, input_size=3, dtype='float64')
    assert gru.state_info(1) == [{'shape': (1, 1, 4), '__layout__': 'LNC', 'dtype': 'float64'}]
    assert gru.begin_state(1)[0].dtype == np.float64
