"""Recurrent cells (one time step) and unrolling: RNNCell, LSTMCell, GRUCell,
SequentialRNNCell. Gate order matches the fused op: LSTM (i, f, g, o), GRU (r, z, n)."""
from __future__ import annotations

from ..block import Block, HybridBlock


def _nd():
    from ... import ndarray as nd
    return nd


def _F(x):
    """The op namespace for x: nd for NDArrays, sym for Symbols (an unroll traced
    inside a hybridized block, or called on symbols directly)."""
    from ... import ndarray as nd
    from ... import symbol as sym
    first = x[0] if isinstance(x, (list, tuple)) and x else x
    return sym if isinstance(first, sym.Symbol) else nd


def _split(F, x, n, h):
    return [F.slice_axis(x, axis=1, begin=i * h, end=(i + 1) * h) for i in range(n)]


def _steps(F, inputs, length, layout):
    """A list of (N, C) arrays, one per time step, from an NTC/TNC tensor or a list."""
    if isinstance(inputs, (list, tuple)):
        return list(inputs), None
    axis = layout.find('T')
    if length is None:
        length = inputs.shape[axis]
    if F is not _nd():  # symbols: one split node, as MXNet's unroll writes it
        return list(F.split(inputs, axis=axis, num_outputs=length, squeeze_axis=1)), axis
    out = []
    for t in range(length):
        s = F.slice_axis(inputs, axis=axis, begin=t, end=t + 1)
        shape = list(s.shape)
        del shape[axis]
        out.append(s.reshape(tuple(shape)))
    return out, axis


class RecurrentCell(Block):
    """Base class for cells: ``cell(x_t, states) -> (out_t, new_states)``."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self):
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            if hasattr(cell, 'reset'):
                cell.reset()

    def state_info(self, batch_size=0):
        raise NotImplementedError

    def begin_state(self, batch_size=0, func=None, **kwargs):
        nd = _nd()
        if func is None:
            func = nd.zeros
        # As MXNet: func gets name='<prefix>begin_state_<k>' and the state's __layout__, so
        # func=mx.sym.var makes named state variables.
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            info = dict(info) if info is not None else {}
            info.update(kwargs)
            states.append(func(name='%sbegin_state_%d' % (self.prefix, self._init_counter), **info))
        return states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """Step the cell over `length` steps of `inputs` (an NTC/TNC tensor or a list of
        steps; NDArrays, or Symbols inside a hybridized block). Returns the outputs (a
        list, or one tensor with merge_outputs=True) and the final states; with
        `valid_length` the outputs past each sample's length are zero and its final
        states are those of its last valid step."""
        from .sequence_utils import default_begin_state, mask_steps, merge_steps
        F = _F(inputs)
        self.reset()
        steps, _ = _steps(F, inputs, length, layout)
        states = default_begin_state(self, begin_state, steps)
        outputs, all_states = [], []
        for t in range(length):
            out, states = self(steps[t], states)
            outputs.append(out)
            if valid_length is not None:
                all_states.append(states)
        if valid_length is not None:
            states = [F.SequenceLast(F.stack(*[st[j] for st in all_states], axis=0),
                                     sequence_length=valid_length, use_sequence_length=True)
                      for j in range(len(states))]
            outputs = mask_steps(outputs, valid_length)
        if merge_outputs or (merge_outputs is None and valid_length is not None):
            # None gives the list of steps, as MXNet, except after valid_length masking
            # (MXNet masks the merged sequence and keeps it merged)
            outputs = merge_steps(outputs, layout)
        return outputs, states

    def forward(self, inputs, states):
        self._counter += 1
        return super().forward(inputs, states)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def forward(self, inputs, states):
        self._counter += 1
        return HybridBlock.forward(self, inputs, states)

    def _symbolic_forward(self, x, *args):
        self._counter += 1  # a call on Symbols skips forward(); each step still counts (t0_, t1_, ...)
        return HybridBlock._symbolic_forward(self, x, *args)


class _GatedCell(HybridRecurrentCell):
    _ngates = 1

    def __init__(self, hidden_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        ng = self._ngates * hidden_size
        self.i2h_weight = self.params.get('i2h_weight', shape=(ng, input_size),
                                          init=i2h_weight_initializer,
                                          allow_deferred_init=True)
        self.h2h_weight = self.params.get('h2h_weight', shape=(ng, hidden_size),
                                          init=h2h_weight_initializer,
                                          allow_deferred_init=True)
        self.i2h_bias = self.params.get('i2h_bias', shape=(ng,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get('h2h_bias', shape=(ng,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def _infer_param_shapes(self, inputs, *args):
        self.i2h_weight.shape = (self._ngates * self._hidden_size, int(inputs.shape[1]))

    def _step_prefix(self):
        """'t<step>_': MXNet's per-step node names (rnn_t0_out, ...), which Symbol outputs
        and get_internals() lookups of an unrolled cell see."""
        return 't%d_' % self._counter

    def _proj(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        n = self._ngates * self._hidden_size
        t = self._step_prefix()
        i2h = F.FullyConnected(inputs, i2h_weight, i2h_bias, num_hidden=n, name=t + 'i2h')
        h2h = F.FullyConnected(states[0], h2h_weight, h2h_bias, num_hidden=n, name=t + 'h2h')
        return i2h, h2h

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size, self._hidden_size), '__layout__': 'NC'}]

    def __repr__(self):
        shape = self.i2h_weight.shape
        return '{name}({a} -> {b})'.format(name=self.__class__.__name__,
                                           a=shape[1] if shape[1] else None, b=shape[0])


class RNNCell(_GatedCell):
    """h' = act(W_ih x + b_ih + W_hh h + b_hh)."""

    def __init__(self, hidden_size, activation='tanh', i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', input_size=0, prefix=None, params=None):
        self._activation = activation
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix,
                         params)

    def _alias(self):
        return 'rnn'

    def __repr__(self):
        return super().__repr__()[:-1] + ', %s)' % self._activation

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        i2h, h2h = self._proj(F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        t = self._step_prefix()
        act = self._activation
        pre = F.elemwise_add(i2h, h2h, name=t + 'plus0')
        out = F.Activation(pre, act_type=act, name=t + 'out') if isinstance(act, str) else act(pre)
        return out, [out]


class LSTMCell(_GatedCell):
    _ngates = 4

    def __init__(self, hidden_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0,
                 prefix=None, params=None, activation='tanh', recurrent_activation='sigmoid'):
        self._act = activation
        self._ract = recurrent_activation
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix,
                         params)

    def _alias(self):
        return 'lstm'

    def state_info(self, batch_size=0):
        s = {'shape': (batch_size, self._hidden_size), '__layout__': 'NC'}
        return [dict(s), dict(s)]

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        i2h, h2h = self._proj(F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        t = self._step_prefix()
        g = _split(F, F.elemwise_add(i2h, h2h, name=t + 'plus0'), 4, self._hidden_size)
        in_gate = F.Activation(g[0], act_type=self._ract, name=t + 'i')
        forget_gate = F.Activation(g[1], act_type=self._ract, name=t + 'f')
        in_transform = F.Activation(g[2], act_type=self._act, name=t + 'c')
        out_gate = F.Activation(g[3], act_type=self._ract, name=t + 'o')
        next_c = F.elemwise_add(F.elemwise_mul(forget_gate, states[1], name=t + 'mul0'),
                                F.elemwise_mul(in_gate, in_transform, name=t + 'mul1'), name=t + 'state')
        next_h = F.elemwise_mul(out_gate, F.Activation(next_c, act_type=self._act, name=t + 'activation0'),
                                name=t + 'out')
        return next_h, [next_h, next_c]


class GRUCell(_GatedCell):
    _ngates = 3

    def _alias(self):
        return 'gru'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        h = self._hidden_size
        i2h, h2h = self._proj(F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        i_r, i_z, i_n = _split(F, i2h, 3, h)
        h_r, h_z, h_n = _split(F, h2h, 3, h)
        reset = F.sigmoid(i_r + h_r)
        update = F.sigmoid(i_z + h_z)
        cand = F.tanh(i_n + reset * h_n)
        t = self._step_prefix()
        next_h = F.elemwise_add((1. - update) * cand, F.elemwise_mul(update, states[0], name=t + 'mul20'),
                                name=t + 'out')
        return next_h, [next_h]


class StackedStatesMixin:
    """States of a stack of cells: the concatenation of each child's, in order
    (SequentialRNNCell, HybridSequentialRNNCell)."""

    def state_info(self, batch_size=0):
        out = []
        for c in self._children.values():
            out.extend(c.state_info(batch_size))
        return out

    def begin_state(self, batch_size=0, func=None, **kwargs):
        out = []
        for c in self._children.values():
            out.extend(c.begin_state(batch_size, func, **kwargs))
        return out

    def _step_children(self, inputs, states):
        """One step through every child, each taking its own slice of the states."""
        next_states = []
        p = 0
        for cell in self._children.values():
            n = len(cell.state_info())
            inputs, st = cell(inputs, states[p:p + n])
            p += n
            next_states.extend(st)
        return inputs, next_states


class SequentialRNNCell(StackedStatesMixin, RecurrentCell):
    """Stacks cells; states are the concatenation of each cell's states."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def add(self, cell):
        self.register_child(cell)

    def __repr__(self):
        body = '\n'.join('({i}): {m}'.format(i=i, m=repr(m)) for i, m in self._children.items())
        return '{name}(\n{body}\n)'.format(name=self.__class__.__name__, body=body)

    def __call__(self, inputs, states):
        self._counter += 1
        return self._step_children(inputs, states)

    def forward(self, inputs, states):
        return self.__call__(inputs, states)

    def __len__(self):
        return len(self._children)

    def __getitem__(self, i):
        return list(self._children.values())[i]
