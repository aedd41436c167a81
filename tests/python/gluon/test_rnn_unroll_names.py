"""Unrolled recurrent cells as MXNet 1.9.1 builds them: per-step node names (t<i>_out,
...), bidirectional output names, merging after valid_length masking, the cells'
initializers reaching Module.init_params through the graph, and fused layers' _unfuse."""
import numpy as np
import pytest

import mxcore as mx
from mxcore import gluon


def _step_nodes(cell, step):
    outs, _ = cell.unroll(2, mx.sym.var('data'))
    names = mx.sym.Group(outs).get_internals().list_outputs()
    return [n for n in names if '_t%d_' % step in n]


@pytest.mark.parametrize('make, nodes', [
    (lambda: gluon.rnn.RNNCell(3, prefix='r_'), ['r_t1_i2h_output', 'r_t1_h2h_output', 'r_t1_plus0_output',
                                                 'r_t1_out_output']),
    (lambda: gluon.rnn.LSTMCell(3, prefix='l_'), ['l_t1_i2h_output', 'l_t1_h2h_output', 'l_t1_plus0_output',
                                                  'l_t1_i_output', 'l_t1_f_output', 'l_t1_c_output', 'l_t1_o_output',
                                                  'l_t1_mul0_output', 'l_t1_mul1_output', 'l_t1_state_output',
                                                  'l_t1_activation0_output', 'l_t1_out_output']),
    (lambda: gluon.rnn.GRUCell(3, prefix='g_'), ['g_t1_i2h_output', 'g_t1_h2h_output', 'g_t1_mul20_output',
                                                 'g_t1_out_output']),
])
def test_unrolled_cell_node_names(make, nodes):
    got = _step_nodes(make(), 1)
    for n in nodes:  # all present in MXNet 1.9.1's graph
        assert n in got, (n, got)


def test_unrolled_outputs_named_per_step():
    cell = gluon.rnn.GRUCell(4, prefix='rnn_')
    outs, _ = cell.unroll(3, [mx.sym.var('rnn_t%d_data' % i) for i in range(3)])
    assert mx.sym.Group(outs).list_outputs() == ['rnn_t0_out_output', 'rnn_t1_out_output', 'rnn_t2_out_output']

    stack = gluon.rnn.SequentialRNNCell()
    for i in range(3):
        stack.add(gluon.rnn.LSTMCell(4, prefix='s%d_' % i))
    outs, _ = stack.unroll(2, [mx.sym.var('t%d' % i) for i in range(2)])
    assert mx.sym.Group(outs).list_outputs() == ['s2_t0_out_output', 's2_t1_out_output']


def test_bidirectional_output_names():
    def make():
        return gluon.rnn.BidirectionalCell(gluon.rnn.LSTMCell(4, prefix='l0_'), gluon.rnn.LSTMCell(4, prefix='r0_'),
                                           output_prefix='rnn_bi_')
    outs, _ = make().unroll(3, [mx.sym.var('t%d' % i) for i in range(3)])
    assert mx.sym.Group(outs).list_outputs() == ['rnn_bi_t0_output', 'rnn_bi_t1_output', 'rnn_bi_t2_output']
    out, _ = make().unroll(3, mx.sym.var('data'), merge_outputs=True)
    assert out.list_outputs() == ['rnn_bi_out_output']
    _, outs, _ = out.infer_shape(data=(5, 3, 2))
    assert outs == [(5, 3, 8)]


def test_valid_length_unroll_merges_when_unspecified():
    x, vl = mx.nd.ones((2, 4, 3)), mx.nd.array([2, 4])
    cell = gluon.rnn.LSTMCell(3)
    cell.initialize(mx.init.One())
    out, _ = cell.unroll(4, x, valid_length=vl)
    assert isinstance(out, mx.nd.NDArray) and out.shape == (2, 4, 3)   # MXNet 1.9.1
    out, _ = cell.unroll(4, x, valid_length=vl, merge_outputs=False)
    assert isinstance(out, list) and len(out) == 4
    out, _ = cell.unroll(4, x)
    assert isinstance(out, list) and len(out) == 4

    bi = gluon.rnn.BidirectionalCell(gluon.rnn.LSTMCell(3), gluon.rnn.LSTMCell(3))
    bi.initialize(mx.init.One())
    out, _ = bi.unroll(4, mx.nd.ones((4, 2, 3)), valid_length=vl, layout='TNC')
    assert isinstance(out, mx.nd.NDArray) and out.shape == (4, 2, 6)  # MXNet 1.9.1
    out, _ = bi.unroll(4, x)
    assert isinstance(out, list) and len(out) == 4


def test_cell_initializer_reaches_module_init_params():
    stack = gluon.rnn.SequentialRNNCell()
    stack.add(gluon.rnn.LSTMCell(5, i2h_bias_initializer=mx.init.LSTMBias(2.0), prefix='l0_'))
    sym, _ = stack.unroll(1, mx.sym.Variable('data'), merge_outputs=True)
    mod = mx.mod.Module(sym, label_names=None, context=mx.cpu(0))
    mod.bind(data_shapes=[('data', (4, 1, 6))], label_shapes=None)
    mod.init_params()
    bias = mod.get_params()[0]['l0_i2h_bias'].asnumpy()
    np.testing.assert_array_equal(bias, np.hstack([np.zeros(5), np.full(5, 2.0), np.zeros(10)]))


def test_unfuse_shares_parameters_and_matches_fused():
    model = gluon.rnn.GRU(2, num_layers=2, bidirectional=True, input_size=3)
    cells = model._unfuse()
    assert type(cells).__name__ == 'HybridSequentialRNNCell'
    assert [type(c).__name__ for c in cells._children.values()] == ['BidirectionalCell', 'BidirectionalCell']
    model.initialize(mx.init.One())
    x = mx.nd.array(np.arange(12).reshape(2, 2, 3) / 10.)
    fused = model(x).asnumpy()
    unfused = cells.unroll(2, x, layout='TNC', merge_outputs=True)[0].asnumpy()
    expect = np.array([[[0.19938521, 0.19938521, 0.33401439, 0.33401439],   # MXNet 1.9.1
                        [0.20658046, 0.20658046, 0.32552868, 0.32552868]],
                       [[0.33777213, 0.33777213, 0.19146861, 0.19146861],
                        [0.33920228, 0.33920228, 0.18035099, 0.18035099]]])
    np.testing.assert_allclose(fused, expect, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(unfused, expect, rtol=1e-5, atol=1e-6)
    with pytest.raises(AssertionError, match='projection'):
        gluon.rnn.LSTM(4, projection_size=2)._unfuse()
