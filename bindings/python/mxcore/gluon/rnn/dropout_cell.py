"""DropoutCell: dropout on the inputs of a step, as a (stateless) recurrent cell."""
from __future__ import annotations

import numbers

from .rnn_cell import HybridRecurrentCell, RecurrentCell
from .sequence_utils import _F, as_tensor, is_tensor


def _dropout(F, x, rate, axes=()):
    out = F.Dropout(x, p=rate, axes=axes) if axes else F.Dropout(x, p=rate)
    return out[0] if isinstance(out, (list, tuple)) else out


class DropoutCell(HybridRecurrentCell):
    """Applies dropout with probability ``rate`` to its input; has no states.

    Only active in training mode (``autograd.record()`` / ``train_mode()``); in predict
    mode the input passes unchanged. ``axes`` are the axes on which the dropout mask
    is shared (empty: an independent mask per element).
    """

    def __init__(self, rate, axes=(), prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        if not isinstance(rate, numbers.Number) or isinstance(rate, bool):
            raise TypeError('DropoutCell: rate must be a number, got %r' % (rate,))
        if not 0 <= rate < 1:
            raise ValueError('DropoutCell: rate must be in [0, 1), got %r' % (rate,))
        self._rate = rate
        self._axes = tuple(axes)

    def _alias(self):
        return 'dropout'

    def __repr__(self):
        return '{name}(rate={r}, axes={a})'.format(name=self.__class__.__name__,
                                                   r=self._rate, a=self._axes)

    def state_info(self, batch_size=0):
        return []

    def hybrid_forward(self, F, inputs, states):
        if self._rate > 0:
            inputs = _dropout(F, inputs, self._rate, self._axes)
        return inputs, states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """Unless a list of steps is asked for, drop the whole sequence in one op (as MXNet
        does; ``axes`` then refer to the sequence tensor's axes). ``valid_length`` is
        ignored, like MXNet: dropout keeps padded zeros zero anyway."""
        self.reset()
        states = list(begin_state) if begin_state else []
        whole = merge_outputs if merge_outputs is not None else is_tensor(inputs)
        if whole:
            seq = as_tensor(inputs, length, layout)
            return self.hybrid_forward(_F(seq), seq, states)
        return RecurrentCell.unroll(self, length, inputs, begin_state=states, layout=layout,
                                    merge_outputs=merge_outputs, valid_length=None)
