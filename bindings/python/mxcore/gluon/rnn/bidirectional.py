"""BidirectionalCell: a forward and a backward cell unrolled over one sequence."""
from __future__ import annotations

from ..block import _indent
from .rnn_cell import HybridRecurrentCell
from .sequence_utils import (_F, default_begin_state, format_outputs, is_tensor, mask_steps, merge_steps,
                             reverse_steps, split_steps)


class BidirectionalCell(HybridRecurrentCell):
    """Runs ``l_cell`` over the sequence forwards and ``r_cell`` backwards and concatenates
    their outputs per time step on the feature axis (``[l_out, r_out]``).

    Only ``unroll`` is supported: a backward pass needs the whole sequence, so calling the
    cell on one step raises NotImplementedError. States are ``l_cell``'s then ``r_cell``'s.
    With ``valid_length`` the backward cell reads each sample's valid steps reversed, so
    it starts at the sample's last valid step rather than at padding.
    """

    def __init__(self, l_cell, r_cell, output_prefix='bi_'):
        super().__init__(prefix='', params=None)
        self.register_child(l_cell, 'l_cell')
        self.register_child(r_cell, 'r_cell')
        self._output_prefix = output_prefix

    def __repr__(self):
        return '{name}(forward={l}, backward={r})'.format(
            name=self.__class__.__name__, l=_indent(repr(self._children['l_cell']), 2),
            r=_indent(repr(self._children['r_cell']), 2))

    def __call__(self, inputs, states):
        raise NotImplementedError('BidirectionalCell cannot be stepped one time step at a '
                                  'time (the backward cell needs the whole sequence); '
                                  'use unroll() instead')

    forward = __call__

    def hybrid_forward(self, F, inputs, states):
        return self.__call__(inputs, states)

    def state_info(self, batch_size=0):
        return (self._children['l_cell'].state_info(batch_size)
                + self._children['r_cell'].state_info(batch_size))

    def begin_state(self, batch_size=0, func=None, **kwargs):
        return (self._children['l_cell'].begin_state(batch_size, func, **kwargs)
                + self._children['r_cell'].begin_state(batch_size, func, **kwargs))

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        self.reset()
        steps = split_steps(self, length, inputs, layout)
        F = _F(steps)
        length = len(steps)
        states = default_begin_state(self, begin_state, steps)
        l_cell, r_cell = self._children['l_cell'], self._children['r_cell']
        n_l = len(l_cell.state_info())
        l_out, l_states = l_cell.unroll(length, steps, begin_state=states[:n_l], layout=layout,
                                        merge_outputs=False, valid_length=valid_length)
        r_out, r_states = r_cell.unroll(length, reverse_steps(steps, valid_length),
                                        begin_state=states[n_l:], layout=layout,
                                        merge_outputs=False, valid_length=valid_length)
        r_out = reverse_steps(r_out, valid_length)
        pre = self._output_prefix  # MXNet's output names: <pre>t<i> per step, <pre>out merged
        if merge_outputs is None:  # as MXNet: merged when the masked (valid_length) cells merge
            merge_outputs = valid_length is not None
        if merge_outputs and valid_length is None:
            outputs = F.concat(merge_steps(l_out, layout), merge_steps(r_out, layout),
                               dim=layout.find('C'), name='%sout' % pre)
            return outputs, l_states + r_states
        outputs = [F.concat(lo, ro, dim=1, name='%st%d' % (pre, i)) for i, (lo, ro) in enumerate(zip(l_out, r_out))]
        outputs = mask_steps(outputs, valid_length)
        return format_outputs(outputs, layout, merge_outputs, is_tensor(inputs)), \
            l_states + r_states
