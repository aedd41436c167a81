"""MXNet 1.x's ``mx.rnn`` cells built from other cells: BidirectionalCell
(a forward and a backward cell, outputs concatenated) and the modifier cells
ZoneoutCell and ResidualCell, with MXNet's node names and state layout."""
from __future__ import annotations

from .. import symbol
from .rnn_cell import BaseRNNCell, SequentialRNNCell, _cells_pack_weights, _cells_unpack_weights, _split_steps


class BidirectionalCell(BaseRNNCell):
    """Unrolls `l_cell` forwards and `r_cell` backwards over the sequence and
    concatenates their outputs per step (``<output_prefix>t<i>`` or, merged,
    ``<output_prefix>out``). States come back as ``[l_states, r_states]``."""

    def __init__(self, l_cell, r_cell, params=None, output_prefix='bi_'):
        super().__init__('', params=params)
        self._output_prefix = output_prefix
        self._override_cell_params = params is not None
        if self._override_cell_params:
            if not (l_cell._own_params and r_cell._own_params):
                raise ValueError("Either specify params for BidirectionalCell or child cells, not both.")
            l_cell.params._params.update(self.params._params)
            r_cell.params._params.update(self.params._params)
        self.params._params.update(l_cell.params._params)
        self.params._params.update(r_cell.params._params)
        self._cells = [l_cell, r_cell]

    def unpack_weights(self, args):
        return _cells_unpack_weights(self._cells, args)

    def pack_weights(self, args):
        return _cells_pack_weights(self._cells, args)

    def __call__(self, inputs, states):
        raise NotImplementedError("Bidirectional cannot be stepped. Please use unroll")

    @property
    def state_info(self):
        return [info for cell in self._cells for info in cell.state_info]

    def begin_state(self, **kwargs):
        if self._modified:
            raise RuntimeError("After applying modifier cells (e.g. DropoutCell) the base cell cannot be "
                               "called directly. Call the modifier cell instead.")
        return [s for cell in self._cells for s in cell.begin_state(**kwargs)]

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        inputs, axis = _split_steps(length, inputs, layout, False)
        if begin_state is None:
            begin_state = self.begin_state()
        l_cell, r_cell = self._cells
        n_l = len(l_cell.state_info)
        l_out, l_states = l_cell.unroll(length, inputs=inputs, begin_state=begin_state[:n_l], layout=layout,
                                        merge_outputs=merge_outputs)
        r_out, r_states = r_cell.unroll(length, inputs=list(reversed(inputs)), begin_state=begin_state[n_l:],
                                        layout=layout, merge_outputs=merge_outputs)
        if merge_outputs is None:
            merge_outputs = isinstance(l_out, symbol.Symbol) and isinstance(r_out, symbol.Symbol)
            if not merge_outputs:
                split = lambda o: list(symbol.SliceChannel(o, axis=axis, num_outputs=length, squeeze_axis=1)) \
                    if isinstance(o, symbol.Symbol) else o  # noqa: E731
                l_out, r_out = split(l_out), split(r_out)
        if merge_outputs:
            l_out, r_out = [l_out], [symbol.reverse(r_out, axis=axis)]
        else:
            r_out = list(reversed(r_out))
        outputs = [symbol.Concat(lo, ro, dim=1 + merge_outputs,
                                 name='%sout' % self._output_prefix if merge_outputs
                                 else '%st%d' % (self._output_prefix, i))
                   for i, (lo, ro) in enumerate(zip(l_out, r_out))]
        return (outputs[0] if merge_outputs else outputs), [l_states, r_states]


class ModifierCell(BaseRNNCell):
    """Wraps `base_cell`, which must then not be used directly."""

    def __init__(self, base_cell):
        super().__init__()
        base_cell._modified = True
        self.base_cell = base_cell

    @property
    def params(self):
        self._own_params = False
        return self.base_cell.params

    @property
    def state_info(self):
        return self.base_cell.state_info

    def begin_state(self, init_sym=symbol.zeros, **kwargs):
        if self._modified:
            raise RuntimeError("After applying modifier cells (e.g. DropoutCell) the base cell cannot be "
                               "called directly. Call the modifier cell instead.")
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(init_sym, **kwargs)
        finally:
            self.base_cell._modified = True

    def unpack_weights(self, args):
        return self.base_cell.unpack_weights(args)

    def pack_weights(self, args):
        return self.base_cell.pack_weights(args)

    def __call__(self, inputs, states):
        raise NotImplementedError()


class ZoneoutCell(ModifierCell):
    """Zoneout (Krueger et al. 2016): in training, each output/state unit keeps its
    previous value with probability zoneout_outputs/zoneout_states."""

    def __init__(self, base_cell, zoneout_outputs=0., zoneout_states=0.):
        from .fused_cell import FusedRNNCell
        if isinstance(base_cell, FusedRNNCell):
            raise ValueError("FusedRNNCell doesn't support zoneout. Please unfuse first.")
        if isinstance(base_cell, BidirectionalCell):
            raise ValueError("BidirectionalCell doesn't support zoneout since it doesn't support step. "
                             "Please add ZoneoutCell to the cells underneath instead.")
        if isinstance(base_cell, SequentialRNNCell) and \
                any(isinstance(c, BidirectionalCell) for c in base_cell._cells):
            raise ValueError("Bidirectional SequentialRNNCell doesn't support zoneout. "
                             "Please add ZoneoutCell to the cells underneath instead.")
        super().__init__(base_cell)
        self.zoneout_outputs, self.zoneout_states = zoneout_outputs, zoneout_states
        self.prev_output = None

    def reset(self):
        super().reset()
        self.prev_output = None

    def __call__(self, inputs, states):
        next_output, next_states = self.base_cell(inputs, states)
        mask = lambda p, like: symbol.Dropout(symbol.ones_like(like), p=p)  # noqa: E731
        prev = self.prev_output if self.prev_output is not None else symbol.zeros((0, 0))
        output = symbol.where(mask(self.zoneout_outputs, next_output), next_output, prev) \
            if self.zoneout_outputs != 0. else next_output
        if self.zoneout_states != 0.:
            next_states = [symbol.where(mask(self.zoneout_states, new), new, old)
                           for new, old in zip(next_states, states)]
        self.prev_output = output
        return output, next_states


class ResidualCell(ModifierCell):
    """Output = base cell's output + input (Wu et al. 2016)."""

    def __call__(self, inputs, states):
        output, states = self.base_cell(inputs, states)
        return symbol.elemwise_add(output, inputs, name="%s_plus_residual" % output.name), states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs=inputs, begin_state=begin_state, layout=layout,
                                                    merge_outputs=merge_outputs)
        finally:
            self.base_cell._modified = True
        if merge_outputs is None:
            merge_outputs = isinstance(outputs, symbol.Symbol)
        inputs, _ = _split_steps(length, inputs, layout, merge_outputs)
        if merge_outputs:
            return symbol.elemwise_add(outputs, inputs, name="%s_plus_residual" % outputs.name), states
        return [symbol.elemwise_add(o, i, name="%s_plus_residual" % o.name) for o, i in zip(outputs, inputs)], states
