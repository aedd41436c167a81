"""LSTMPCell (``gluon.contrib.rnn``): an LSTM whose output, and recurrent state, is the
hidden state projected to ``projection_size`` (Sak et al. 2014), MXNet 1.9.1's API."""
from __future__ import annotations

from ...rnn.rnn_cell import HybridRecurrentCell

__all__ = ['LSTMPCell']


class LSTMPCell(HybridRecurrentCell):
    """LSTM with projection: gates (i, f, c, o) from ``i2h(x) + h2h(r)``, then
    ``c' = f*c + i*g``, ``h' = o*tanh(c')``, ``r' = h2r(h')`` (no bias).

    States: ``[r (batch, projection_size), c (batch, hidden_size)]``; the output is r'.
    Parameters, in MXNet's order: i2h_weight (4h, input), h2h_weight (4h, projection),
    h2r_weight (projection, h), i2h_bias (4h,), h2h_bias (4h,).
    """

    def __init__(self, hidden_size, projection_size, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, h2r_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        self._projection_size = projection_size
        ng = 4 * hidden_size
        self.i2h_weight = self.params.get('i2h_weight', shape=(ng, input_size),
                                          init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = self.params.get('h2h_weight', shape=(ng, projection_size),
                                          init=h2h_weight_initializer, allow_deferred_init=True)
        self.h2r_weight = self.params.get('h2r_weight', shape=(projection_size, hidden_size),
                                          init=h2r_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = self.params.get('i2h_bias', shape=(ng,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get('h2h_bias', shape=(ng,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def _alias(self):
        return 'lstmp'

    def _infer_param_shapes(self, inputs, *args):
        self.i2h_weight.shape = (4 * self._hidden_size, int(inputs.shape[1]))

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size, self._projection_size), '__layout__': 'NC'},
                {'shape': (batch_size, self._hidden_size), '__layout__': 'NC'}]

    def __repr__(self):
        shape = self.i2h_weight.shape
        return '{}({} -> {} -> {})'.format(type(self).__name__, shape[1] or None, shape[0],
                                           self.h2r_weight.shape[0])

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, h2r_weight, i2h_bias,
                       h2h_bias):
        prefix = 't%d_' % self._counter
        ng = 4 * self._hidden_size
        i2h = F.FullyConnected(inputs, i2h_weight, i2h_bias, num_hidden=ng, name=prefix + 'i2h')
        h2h = F.FullyConnected(states[0], h2h_weight, h2h_bias, num_hidden=ng, name=prefix + 'h2h')
        g = F.SliceChannel(i2h + h2h, num_outputs=4, name=prefix + 'slice')
        in_gate = F.Activation(g[0], act_type='sigmoid', name=prefix + 'i')
        forget_gate = F.Activation(g[1], act_type='sigmoid', name=prefix + 'f')
        in_transform = F.Activation(g[2], act_type='tanh', name=prefix + 'c')
        out_gate = F.Activation(g[3], act_type='sigmoid', name=prefix + 'o')
        next_c = F.elemwise_add(forget_gate * states[1], in_gate * in_transform, name=prefix + 'state')
        hidden = F.elemwise_mul(out_gate, F.Activation(next_c, act_type='tanh'), name=prefix + 'hidden')
        next_r = F.FullyConnected(hidden, h2r_weight, num_hidden=self._projection_size, no_bias=True,
                                  name=prefix + 'out')
        return next_r, [next_r, next_c]
