"""VariationalDropoutCell (Gal & Ghahramani 2016): one dropout mask per sequence."""
from __future__ import annotations

from ....ndarray.ndarray import NDArray
from ...block import Block, HybridBlock
from ...rnn.bidirectional import BidirectionalCell
from ...rnn.dropout_cell import _dropout
from ...rnn.modifier_cells import ModifierCell, _keep_mask
from ...rnn.rnn_cell import _F, _nd
from ...rnn.sequence_utils import as_tensor, default_begin_state, split_steps


def _drop_seq(x, p, t_axis):
    """Dropout on a whole sequence tensor with the mask shared along the time axis."""
    return _dropout(_F(x), x, p, (t_axis,))


class VariationalDropoutCell(ModifierCell):
    """Variational dropout on ``base_cell``: the inputs, the first state (h) and the
    outputs each get one dropout mask that is reused at every time step.

    The masks are drawn on the first step and kept until ``reset()`` (``unroll`` resets),
    so reset between sequences when stepping by hand. Only active in training mode.
    Rates of 0 disable the corresponding dropout.

    Hybridizing makes the base cell a cached graph; the masks stay NDArrays outside it
    so they can be shared across steps. When the cell is traced inside another block's
    graph, the masks are graph nodes shared by the steps of that trace (one mask per
    sequence each run, as in MXNet); eager and traced runs draw the same masks.
    """

    def __init__(self, base_cell, drop_inputs=0., drop_states=0., drop_outputs=0.):
        if drop_states and isinstance(base_cell, BidirectionalCell):
            raise AssertionError(
                "VariationalDropoutCell: BidirectionalCell doesn't support variational state "
                'dropout; wrap the cells inside it instead')
        for what, p in (('drop_inputs', drop_inputs), ('drop_states', drop_states),
                        ('drop_outputs', drop_outputs)):
            if not 0 <= p < 1:
                raise ValueError('VariationalDropoutCell: %s must be in [0, 1), got %r'
                                 % (what, p))
        super().__init__(base_cell)
        self.drop_inputs = drop_inputs
        self.drop_states = drop_states
        self.drop_outputs = drop_outputs

    def _alias(self):
        return 'vardrop'

    def __repr__(self):
        return '{name}(p_out = {po}, p_state = {ps})'.format(
            name=self.__class__.__name__, po=self.drop_outputs, ps=self.drop_states)

    def reset(self):
        super().reset()
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None
        self._sym_masks = {}  # the traced path's masks (graph nodes), see hybrid_forward

    def __call__(self, inputs, states):
        if isinstance(inputs, NDArray):
            # not HybridBlock.__call__: a cached graph would draw new masks every step
            return Block.__call__(self, inputs, states)
        return HybridBlock.__call__(self, inputs, states)

    def forward(self, inputs, states):
        if not isinstance(inputs, NDArray):
            return HybridBlock.forward(self, inputs, states)
        self._counter += 1
        nd = _nd()
        # masks are drawn inputs first, then states, as a traced graph runs them
        if self.drop_inputs and self.drop_inputs_mask is None:
            self.drop_inputs_mask = _keep_mask(nd, inputs, self.drop_inputs)
        if self.drop_states:
            if self.drop_states_mask is None:
                self.drop_states_mask = _keep_mask(nd, states[0], self.drop_states)
            # only h (always the first state) is dropped
            states = [states[0] * self.drop_states_mask] + list(states[1:])
        if self.drop_inputs:
            inputs = inputs * self.drop_inputs_mask
        out, next_states = self.base_cell(inputs, states)
        if self.drop_outputs:
            if self.drop_outputs_mask is None:
                self.drop_outputs_mask = _keep_mask(nd, out, self.drop_outputs)
            out = out * self.drop_outputs_mask
        return out, next_states

    def hybrid_forward(self, F, inputs, states):
        # Symbolic step (traced inside another block's graph): each mask is a graph node
        # made at the first step after reset() and reused by the later steps of the
        # trace, as MXNet does, so a traced unroll keeps one mask per sequence. Drawn in
        # the order the graph runs them (inputs, states, outputs), as the eager path does.
        masks = self.__dict__.setdefault('_sym_masks', {})
        for name, x, p in (('inputs', inputs, self.drop_inputs), ('states', states[0], self.drop_states)):
            if p and name not in masks:
                masks[name] = _keep_mask(F, x, p)
        if self.drop_states:
            states = [states[0] * masks['states']] + list(states[1:])
        if self.drop_inputs:
            inputs = inputs * masks['inputs']
        out, next_states = self.base_cell(inputs, states)
        if self.drop_outputs:
            if 'outputs' not in masks:
                masks['outputs'] = _keep_mask(F, out, self.drop_outputs)
            out = out * masks['outputs']
        return out, next_states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """Without state dropout the masks can be applied to the whole sequence at once
        (shared along the time axis) and the base cell unrolled in between; with state
        dropout the cell is stepped."""
        if self.drop_states:
            return super().unroll(length, inputs, begin_state, layout, merge_outputs,
                                  valid_length)
        self.reset()
        t_axis = layout.find('T')
        steps = split_steps(self, length, inputs, layout)
        length = len(steps)
        states = default_begin_state(self, begin_state, steps)
        seq = as_tensor(inputs, length, layout)
        if self.drop_inputs:
            seq = _drop_seq(seq, self.drop_inputs, t_axis)
        outputs, states = self.base_cell.unroll(length, seq, begin_state=states, layout=layout,
                                                merge_outputs=True, valid_length=valid_length)
        if self.drop_outputs:
            outputs = _drop_seq(outputs, self.drop_outputs, t_axis)
        if merge_outputs is None:  # MXNet: the base cell's merged output stays merged
            merge_outputs = True
        if not merge_outputs:
            outputs = split_steps(self, length, outputs, layout)
        return outputs, states
