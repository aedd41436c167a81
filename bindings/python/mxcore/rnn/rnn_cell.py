"""MXNet 1.x's symbolic RNN cells (``mx.rnn``): RNNCell, LSTMCell, GRUCell,
SequentialRNNCell and DropoutCell build the same nodes and parameter names as
MXNet's (``<prefix>i2h_weight``, ``<prefix>t<k>_i2h``, ...), so checkpoints and
symbol files interchange with MXNet.

Begin states are MXNet's ``_zeros(shape=(0, num_hidden))``: the 0 (the batch)
is inferred from the operand the state's projection is added to (core/graph.c).
"""
from __future__ import annotations

from .. import ndarray, symbol
from ..initializer import LSTMBias


class RNNParams:
    """The variables of a cell, created once per name (``prefix + name``)."""

    def __init__(self, prefix=''):
        self._prefix = prefix
        self._params = {}

    def get(self, name, **kwargs):
        name = self._prefix + name
        if name not in self._params:
            self._params[name] = symbol.Variable(name, **kwargs)
        return self._params[name]


def _split_steps(length, inputs, layout, merge):
    """MXNet's sequence normalisation: a Symbol is split into `length` steps along
    the T axis (merge False), a list of steps concatenated (merge True)."""
    axis = layout.find('T')
    if isinstance(inputs, symbol.Symbol):
        if merge is False:
            if len(inputs.list_outputs()) != 1:
                raise ValueError("unroll: inputs must be one Symbol (or a list of %d)" % length)
            inputs = list(symbol.split(inputs, axis=axis, num_outputs=length, squeeze_axis=1))
    else:
        if length is not None and len(inputs) != length:
            raise ValueError("unroll: %d input steps given, length is %d" % (len(inputs), length))
        if merge is True:
            inputs = symbol.Concat(*[symbol.expand_dims(i, axis=axis) for i in inputs], dim=axis)
    return inputs, axis


def _cells_unpack_weights(cells, args):
    for cell in cells:
        args = cell.unpack_weights(args)
    return args


def _cells_pack_weights(cells, args):
    for cell in cells:
        args = cell.pack_weights(args)
    return args


class BaseRNNCell:
    """Abstract cell: ``cell(inputs, states) -> (output, next_states)`` for one step."""

    def __init__(self, prefix='', params=None):
        if params is None:
            params, self._own_params = RNNParams(prefix), True
        else:
            self._own_params = False
        self._prefix = prefix
        self._params = params
        self._modified = False
        self.reset()

    def reset(self):
        """Restart the step counters (done by unroll)."""
        self._init_counter = -1
        self._counter = -1
        for cell in getattr(self, '_cells', []):
            cell.reset()

    def __call__(self, inputs, states):
        raise NotImplementedError()

    @property
    def params(self):
        self._own_params = False
        return self._params

    @property
    def state_info(self):
        raise NotImplementedError()

    @property
    def state_shape(self):
        return [ele['shape'] for ele in self.state_info]

    @property
    def _gate_names(self):
        """Suffixes of the gates packed in i2h/h2h (unpack_weights splits by them)."""
        return ()

    def unpack_weights(self, args):
        """args with each packed ``<prefix>i2h_weight``/``_bias`` (and h2h) split into
        one entry per gate (``<prefix>i2h_i_weight``, ...), copies, as MXNet saves them."""
        args = dict(args)
        h = getattr(self, '_num_hidden', 0)
        for group in ('i2h', 'h2h') if self._gate_names else ():
            weight = args.pop('%s%s_weight' % (self._prefix, group))
            bias = args.pop('%s%s_bias' % (self._prefix, group))
            for j, gate in enumerate(self._gate_names):
                args['%s%s%s_weight' % (self._prefix, group, gate)] = weight[j * h:(j + 1) * h].copy()
                args['%s%s%s_bias' % (self._prefix, group, gate)] = bias[j * h:(j + 1) * h].copy()
        return args

    def pack_weights(self, args):
        """The inverse of unpack_weights: per-gate entries concatenated back."""
        args = dict(args)
        for group in ('i2h', 'h2h') if self._gate_names else ():
            for kind in ('weight', 'bias'):
                parts = [args.pop('%s%s%s_%s' % (self._prefix, group, gate, kind)) for gate in self._gate_names]
                args['%s%s_%s' % (self._prefix, group, kind)] = ndarray.concat(*parts, dim=0)
        return args

    def begin_state(self, func=symbol.zeros, **kwargs):
        """One state symbol per state_info entry, named <prefix>begin_state_<k>
        (default: zeros of (0, num_hidden), the 0 being the batch)."""
        if self._modified:
            raise RuntimeError("After applying modifier cells (e.g. ZoneoutCell) the base cell cannot be "
                               "called directly. Call the modifier cell instead.")
        states = []
        for info in self.state_info:
            self._init_counter += 1
            args = dict(kwargs)
            if info is not None:
                args.update(info)
            states.append(func(name='%sbegin_state_%d' % (self._prefix, self._init_counter), **args))
        return states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        """Apply the cell `length` times. inputs: one Symbol (layout NTC or TNC) or a
        list of steps; returns (outputs: list, or one Symbol with merge_outputs, states)."""
        self.reset()
        steps, _ = _split_steps(length, inputs, layout, False)
        if begin_state is None:
            begin_state = self.begin_state()
        states = list(begin_state)
        outputs = []
        for i in range(length):
            out, states = self(steps[i], states)
            outputs.append(out)
        outputs, _ = _split_steps(length, outputs, layout, merge_outputs)
        return outputs, states

    def _activation(self, x, act, **kwargs):
        return act(x, **kwargs) if callable(act) else symbol.Activation(x, act_type=act, **kwargs)


class _ProjectedCell(BaseRNNCell):
    """A cell with input and hidden projections <prefix>i2h_* / <prefix>h2h_* and
    `n_states` states of (batch, num_hidden)."""

    def __init__(self, num_hidden, prefix, params, n_states=1, i2h_bias_init=None):
        super().__init__(prefix=prefix, params=params)
        self._num_hidden, self._n_states = num_hidden, n_states
        self._iW = self.params.get('i2h_weight')
        self._hW = self.params.get('h2h_weight')
        self._iB = self.params.get('i2h_bias', **({'init': i2h_bias_init} if i2h_bias_init else {}))
        self._hB = self.params.get('h2h_bias')

    @property
    def state_info(self):
        return [{'shape': (0, self._num_hidden), '__layout__': 'NC'}] * self._n_states

    def _step_name(self):
        self._counter += 1
        return '%st%d_' % (self._prefix, self._counter)

    def _projections(self, inputs, h, gates, name, sep=''):
        """FullyConnected of the input and of the hidden state, gates * num_hidden wide."""
        n = self._num_hidden * gates
        i2h = symbol.FullyConnected(data=inputs, weight=self._iW, bias=self._iB, num_hidden=n,
                                    name='%s%si2h' % (name, sep))
        h2h = symbol.FullyConnected(data=h, weight=self._hW, bias=self._hB, num_hidden=n, name='%s%sh2h' % (name, sep))
        return i2h, h2h


class RNNCell(_ProjectedCell):
    """Elman cell: act(W_i x + b_i + W_h h + b_h)."""

    def __init__(self, num_hidden, activation='tanh', prefix='rnn_', params=None):
        super().__init__(num_hidden, prefix, params)
        self._act = activation

    @property
    def _gate_names(self):
        return ('',)

    def __call__(self, inputs, states):
        name = self._step_name()
        i2h, h2h = self._projections(inputs, states[0], 1, name)
        out = self._activation(i2h + h2h, self._act, name='%sout' % name)
        return out, [out]


class LSTMCell(_ProjectedCell):
    """LSTM cell (gates i, f, c, o in that order; forget gate bias initialised to forget_bias)."""

    def __init__(self, num_hidden, prefix='lstm_', params=None, forget_bias=1.0):
        super().__init__(num_hidden, prefix, params, n_states=2, i2h_bias_init=LSTMBias(forget_bias=forget_bias))

    @property
    def _gate_names(self):
        return ('_i', '_f', '_c', '_o')

    def __call__(self, inputs, states):
        name = self._step_name()
        i2h, h2h = self._projections(inputs, states[0], 4, name)
        gates = symbol.SliceChannel(i2h + h2h, num_outputs=4, name='%sslice' % name)
        in_gate = symbol.Activation(gates[0], act_type='sigmoid', name='%si' % name)
        forget_gate = symbol.Activation(gates[1], act_type='sigmoid', name='%sf' % name)
        in_transform = symbol.Activation(gates[2], act_type='tanh', name='%sc' % name)
        out_gate = symbol.Activation(gates[3], act_type='sigmoid', name='%so' % name)
        next_c = symbol.elemwise_add(forget_gate * states[1], in_gate * in_transform, name='%sstate' % name)
        next_h = symbol.elemwise_mul(out_gate, symbol.Activation(next_c, act_type='tanh'), name='%sout' % name)
        return next_h, [next_h, next_c]


class GRUCell(_ProjectedCell):
    """GRU cell (gates r, z, then the candidate, as MXNet/cuDNN)."""

    def __init__(self, num_hidden, prefix='gru_', params=None):
        super().__init__(num_hidden, prefix, params)

    @property
    def _gate_names(self):
        return ('_r', '_z', '_o')

    def __call__(self, inputs, states):
        name = self._step_name()
        prev = states[0]
        i2h, h2h = self._projections(inputs, prev, 3, name, sep='_')
        i_r, i_z, i_n = symbol.SliceChannel(i2h, num_outputs=3, name='%s_i2h_slice' % name)
        h_r, h_z, h_n = symbol.SliceChannel(h2h, num_outputs=3, name='%s_h2h_slice' % name)
        reset = symbol.Activation(i_r + h_r, act_type='sigmoid', name='%s_r_act' % name)
        update = symbol.Activation(i_z + h_z, act_type='sigmoid', name='%s_z_act' % name)
        cand = symbol.Activation(i_n + reset * h_n, act_type='tanh', name='%s_h_act' % name)
        next_h = symbol.elemwise_add((1. - update) * cand, update * prev, name='%sout' % name)
        return next_h, [next_h]


class SequentialRNNCell(BaseRNNCell):
    """Cells stacked: each one's output is the next one's input."""

    def __init__(self, params=None):
        super().__init__(prefix='', params=params)
        self._override_cell_params = params is not None
        self._cells = []

    def add(self, cell):
        self._cells.append(cell)
        if self._override_cell_params:
            cell.params._params.update(self.params._params)
        self.params._params.update(cell.params._params)

    @property
    def state_info(self):
        return [info for cell in self._cells for info in cell.state_info]

    def unpack_weights(self, args):
        return _cells_unpack_weights(self._cells, args)

    def pack_weights(self, args):
        return _cells_pack_weights(self._cells, args)

    def begin_state(self, **kwargs):
        return [s for cell in self._cells for s in cell.begin_state(**kwargs)]

    def __call__(self, inputs, states):
        self._counter += 1
        next_states, p = [], 0
        for cell in self._cells:
            n = len(cell.state_info)
            inputs, st = cell(inputs, states[p:p + n])
            next_states += st
            p += n
        return inputs, next_states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        if begin_state is None:
            begin_state = self.begin_state()
        next_states, p = [], 0
        for i, cell in enumerate(self._cells):
            n = len(cell.state_info)
            inputs, st = cell.unroll(length, inputs=inputs, begin_state=begin_state[p:p + n], layout=layout,
                                     merge_outputs=None if i < len(self._cells) - 1 else merge_outputs)
            next_states += st
            p += n
        return inputs, next_states


class DropoutCell(BaseRNNCell):
    """Dropout on each step's input (no state)."""

    def __init__(self, dropout, prefix='dropout_', params=None):
        super().__init__(prefix, params)
        self.dropout = dropout

    @property
    def state_info(self):
        return []

    def __call__(self, inputs, states):
        if self.dropout > 0:
            inputs = symbol.Dropout(data=inputs, p=self.dropout)
        return inputs, states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        if isinstance(inputs, symbol.Symbol):
            return self(inputs, [])
        return super().unroll(length, inputs, begin_state, layout, merge_outputs)
