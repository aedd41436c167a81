"""``gluon.contrib.rnn.rnn_cell``, as MXNet 1.x names the module: ``dynamic_unroll`` (a
cell looped over the time axis by ``contrib.foreach``, so a hybridized block holds one
loop op instead of one copy of the cell per step), beside the contrib cells it re-exports.
"""
from __future__ import annotations

from ...rnn.rnn_cell import _F
from .lstmp_cell import LSTMPCell
from .variational_dropout import VariationalDropoutCell

__all__ = ['VariationalDropoutCell', 'LSTMPCell', 'dynamic_unroll']


def _time_major(F, x, t_axis):
    return F.swapaxes(x, dim1=0, dim2=t_axis) if t_axis else x


def dynamic_unroll(cell, inputs, begin_state, drop_inputs=0, drop_outputs=0, layout='TNC',
                   valid_length=None):
    """Run ``cell`` over every step of ``inputs`` (one tensor in ``layout``); returns the
    merged outputs in ``layout`` and the final states. ``drop_inputs``/``drop_outputs`` drop
    whole feature vectors with one mask shared by all steps. With ``valid_length`` (N,),
    sample b's states stop changing after its step valid_length[b]-1 and its outputs past
    that step are zero, as MXNet's."""
    if layout not in ('TNC', 'NTC'):
        raise ValueError("dynamic_unroll: layout must be 'TNC' or 'NTC', got %r" % (layout,))
    if isinstance(inputs, (list, tuple)):
        raise ValueError('dynamic_unroll: inputs must be one tensor in layout %s, not a list of '
                         'steps' % layout)
    F = _F(inputs)
    t_axis = layout.find('T')
    seq = _time_major(F, inputs, t_axis)
    if drop_inputs:
        seq = F.Dropout(seq, p=drop_inputs, axes=(0,))
    states = list(begin_state)
    if valid_length is None:
        def body(x, st):
            return cell(x, st)
    else:
        states.append(F.zeros((1,)))  # the step number rides along as one more state

        def body(x, st):
            step = st[-1]
            out, new = cell(x, st[:-1])
            live = F.broadcast_greater(valid_length, step)
            new = [F.where(live, n, old) for n, old in zip(new, st[:-1])]
            return out, new + [step + 1]
    outputs, states = F.contrib.foreach(body, seq, states)
    if drop_outputs:
        outputs = F.Dropout(outputs, p=drop_outputs, axes=(0,))
    if valid_length is not None:
        outputs = F.SequenceMask(outputs, sequence_length=valid_length, use_sequence_length=True, axis=0)
        states = states[:-1]
    return _time_major(F, outputs, t_axis), states
