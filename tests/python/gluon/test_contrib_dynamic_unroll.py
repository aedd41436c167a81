"""gluon.contrib.rnn.rnn_cell.dynamic_unroll (a cell over the time axis by contrib.foreach)
against MXNet 1.9.1's values, eager and hybridized, and VariationalDropoutCell unrolled on
shapeless Symbols."""
import numpy as np
import pytest

import mxcore as mx
from mxcore import gluon
from mxcore.gluon import contrib


class _Layer(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.cell = gluon.rnn.GRUCell(3, input_size=2)

    def hybrid_forward(self, F, x, s, vl):
        return contrib.rnn.rnn_cell.dynamic_unroll(self.cell, x, [s], valid_length=vl, layout='NTC')


@pytest.mark.parametrize('hybridize', [False, True])
def test_dynamic_unroll_valid_length_matches_mxnet(hybridize):
    net = _Layer()
    net.initialize(mx.init.Constant(0.1))
    if hybridize:
        net.hybridize()
    x = mx.nd.array(np.arange(16).reshape(2, 4, 2) / 10.)
    out, states = net(x, mx.nd.ones((2, 3)) * 0.5, mx.nd.array([2, 4]))
    # MXNet 1.9.1 (each row repeats one value over the 3 hidden units)
    expect = np.array([[0.311704, 0.213329, 0., 0.], [0.395417, 0.343738, 0.326085, 0.329628]])
    np.testing.assert_allclose(out.asnumpy(), np.repeat(expect[:, :, None], 3, axis=2), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(states[0].asnumpy(), [[0.213329] * 3, [0.329628] * 3], rtol=1e-5, atol=1e-6)


def test_dynamic_unroll_tnc_lstm_matches_mxnet():
    cell = gluon.rnn.LSTMCell(2, input_size=2)
    cell.initialize(mx.init.Constant(0.2))
    x = mx.nd.array(np.arange(12).reshape(3, 2, 2) / 10.)
    out, (h, c) = contrib.rnn.rnn_cell.dynamic_unroll(cell, x, cell.begin_state(2))
    expect = np.array([[0.0051, 0.027444], [0.056358, 0.100901], [0.153267, 0.219216]])  # MXNet 1.9.1
    np.testing.assert_allclose(out.asnumpy(), np.repeat(expect[:, :, None], 2, axis=2), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(h.asnumpy(), [[0.153267] * 2, [0.219216] * 2], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(c.asnumpy(), [[0.266029] * 2, [0.374078] * 2], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match='layout'):  # MXNet fails later, with a shape error
        contrib.rnn.rnn_cell.dynamic_unroll(cell, x, cell.begin_state(2), layout='CTN')


def test_variational_dropout_unrolls_free_symbols_into_steps():
    cell = contrib.rnn.VariationalDropoutCell(gluon.rnn.RNNCell(100, prefix='rnn_'), drop_inputs=0.5,
                                              drop_outputs=0.5)
    outs, _ = cell.unroll(3, [mx.sym.Variable('rnn_t%d_data' % i) for i in range(3)], merge_outputs=False)
    assert len(outs) == 3
    _, shapes, _ = mx.sym.Group(outs).infer_shape(rnn_t0_data=(10, 50), rnn_t1_data=(10, 50), rnn_t2_data=(10, 50))
    assert shapes == [(10, 100)] * 3  # MXNet 1.9.1
