"""HybridSequentialRNNCell: a stack of hybridizable cells that is itself hybridizable."""
from __future__ import annotations

from ...ndarray.ndarray import NDArray
from ..block import Block, HybridBlock, _indent
from .rnn_cell import HybridRecurrentCell, StackedStatesMixin
from .rnn_cell import _nd
from .sequence_utils import default_begin_state, is_tensor, split_steps


def _is_bidirectional(cell):
    from .bidirectional import BidirectionalCell
    return isinstance(cell, BidirectionalCell)


class HybridSequentialRNNCell(StackedStatesMixin, HybridRecurrentCell):
    """Stacks HybridRecurrentCells; one step runs every cell in order.

    The states are the concatenation of every cell's states, in the order the cells were
    added. Hybridizing hybridizes each cell; a step runs them one after another.
    ``unroll`` runs cell after cell over the whole sequence (so a BidirectionalCell
    may be part of the stack; it cannot be stepped one time step at a time).
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def add(self, cell):
        """Append ``cell`` to the stack."""
        self.register_child(cell)

    def __repr__(self):
        body = '\n'.join('({i}): {m}'.format(i=i, m=_indent(repr(m), 2))
                         for i, m in self._children.items())
        return '{name}(\n{body}\n)'.format(name=self.__class__.__name__, body=body)

    def __len__(self):
        return len(self._children)

    def __getitem__(self, i):
        return list(self._children.values())[i]

    def __call__(self, inputs, states):
        # Checked here, not while tracing, so the error is the same hybridized or not.
        for cell in self._children.values():
            if _is_bidirectional(cell):
                raise NotImplementedError(
                    '%s: its child %s is a BidirectionalCell, which cannot be stepped one '
                    'time step at a time; use unroll() instead' % (self.name, cell.name or
                                                                    type(cell).__name__))
        if isinstance(inputs, NDArray):
            # Step the children one by one (each hybridized child is its own cached graph),
            # as MXNet does: a single graph for the stack would lose what ZoneoutCell and
            # VariationalDropoutCell children remember between steps.
            return Block.__call__(self, inputs, states)
        return HybridBlock.__call__(self, inputs, states)

    def forward(self, inputs, states):
        if not isinstance(inputs, NDArray):
            return HybridRecurrentCell.forward(self, inputs, states)
        self._counter += 1
        return self.hybrid_forward(_nd(), inputs, states)

    def hybrid_forward(self, F, inputs, states):
        return self._step_children(inputs, states)

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """Unroll cell by cell: each cell sees the previous cell's whole output sequence."""
        self.reset()
        steps = split_steps(self, length, inputs, layout)
        length = len(steps)
        begin_state = default_begin_state(self, begin_state, steps)
        # keep the caller's form (tensor or list) so merge_outputs=None behaves as for one cell
        seq = inputs if is_tensor(inputs) else steps
        cells = list(self._children.values())
        next_states = []
        p = 0
        for i, cell in enumerate(cells):
            n = len(cell.state_info())
            seq, st = cell.unroll(length, seq, begin_state=begin_state[p:p + n], layout=layout,
                                  merge_outputs=merge_outputs if i == len(cells) - 1 else None,
                                  valid_length=valid_length)
            p += n
            next_states.extend(st)
        return seq, next_states
