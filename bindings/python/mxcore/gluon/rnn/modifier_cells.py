"""Modifier cells: wrap a base cell and change what one step does (ZoneoutCell,
ResidualCell). The base cell's parameters stay the base cell's; after wrapping, use the
modifier, not the base cell."""
from __future__ import annotations

from ...ndarray.ndarray import NDArray
from ..block import HybridBlock
from .rnn_cell import HybridRecurrentCell
from .sequence_utils import as_tensor, is_tensor, mask_steps, split_steps


def _is_bidirectional(cell):
    from .bidirectional import BidirectionalCell
    return isinstance(cell, BidirectionalCell)


def _keep_mask(F, like, p):
    """1/(1-p) where kept, 0 where dropped (training); all ones in predict mode."""
    out = F.Dropout(F.ones_like(like), p=p)
    return out[0] if isinstance(out, (list, tuple)) else out


def _zeros_like(F, x):
    """Zeros shaped like ``x`` (no gradient flows through them, eagerly or in a graph)."""
    return F.zeros_like(x)


class ModifierCell(HybridRecurrentCell):
    """Base class of cells that wrap ``base_cell`` and modify its steps.

    The modifier has the base cell's states and parameters (``params`` is the base
    cell's ParameterDict); a cell can be wrapped by one modifier only.
    """

    def __init__(self, base_cell):
        if getattr(base_cell, '_modified', False):
            raise AssertionError('Cell %s is already modified. One cell cannot be modified '
                                 'twice' % base_cell.name)
        base_cell._modified = True
        super().__init__(prefix=base_cell.prefix + self._alias(), params=None)
        self.base_cell = base_cell

    @property
    def params(self):
        # the modifier owns no parameters: expose the base cell's (MXNet does the same)
        base = self.__dict__.get('_children', {}).get('base_cell')
        return base.params if base is not None else self._params

    def state_info(self, batch_size=0):
        return self.base_cell.state_info(batch_size)

    def begin_state(self, batch_size=0, func=None, **kwargs):
        return self.base_cell.begin_state(batch_size, func, **kwargs)

    def hybrid_forward(self, F, inputs, states):
        raise NotImplementedError

    def __repr__(self):
        return '{name}({base})'.format(name=self.__class__.__name__, base=self.base_cell)


class ZoneoutCell(ModifierCell):
    """Zoneout (Krueger et al. 2016) on ``base_cell``: while training, each element of the
    output keeps its previous step's value with probability ``zoneout_outputs`` and each
    element of the states keeps its old value with probability ``zoneout_states``.

    The previous output is remembered between calls until ``reset()`` (``unroll`` resets);
    the first step's previous output is zero. In predict mode the cell is the base cell.
    Hybridized, the previous output is an input of the cached graph, so stepping behaves
    the same; when the cell is traced inside another block's graph, each trace starts
    from a zero previous output (as in MXNet).
    """

    def __init__(self, base_cell, zoneout_outputs=0., zoneout_states=0.):
        if _is_bidirectional(base_cell):
            raise AssertionError(
                "ZoneoutCell: BidirectionalCell doesn't support zoneout since it cannot be "
                'stepped; wrap the cells inside it instead')
        for what, p in (('zoneout_outputs', zoneout_outputs),
                        ('zoneout_states', zoneout_states)):
            if not 0 <= p < 1:
                raise ValueError('ZoneoutCell: %s must be in [0, 1), got %r' % (what, p))
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self._prev_output = None

    def _alias(self):
        return 'zoneout'

    def __repr__(self):
        return '{name}(p_out={po}, p_state={ps}, {base})'.format(
            name=self.__class__.__name__, po=self.zoneout_outputs, ps=self.zoneout_states,
            base=self.base_cell)

    def reset(self):
        super().reset()
        self._prev_output = None

    def __call__(self, inputs, states):
        prev = self._prev_output
        if not (isinstance(inputs, NDArray) and isinstance(prev, NDArray)):
            prev = None  # symbols never carry a previous output over from another graph
        out, next_states = HybridBlock.__call__(self, inputs, states, prev)
        self._prev_output = out if isinstance(out, NDArray) else None
        return out, next_states

    def forward(self, inputs, states, prev_output=None):
        self._counter += 1
        return HybridBlock.forward(self, inputs, states, prev_output)

    def hybrid_forward(self, F, inputs, states, prev_output=None):
        p_out, p_st = self.zoneout_outputs, self.zoneout_states
        next_output, next_states = self.base_cell(inputs, states)
        if p_out:
            if prev_output is None:
                prev_output = _zeros_like(F, next_output)
            next_output = F.where(_keep_mask(F, next_output, p_out), next_output, prev_output)
        if p_st:
            next_states = [F.where(_keep_mask(F, new, p_st), new, old)
                           for new, old in zip(next_states, states)]
        return next_output, list(next_states)


class ResidualCell(ModifierCell):
    """Residual connection around ``base_cell`` (Wu et al. 2016): output = base output +
    input. The base cell's output size must equal the input size."""

    def __init__(self, base_cell):
        super().__init__(base_cell)

    def hybrid_forward(self, F, inputs, states):
        output, states = self.base_cell(inputs, states)
        return F.elemwise_add(output, inputs), states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """Unroll the base cell over the sequence, then add the (masked) inputs."""
        self.reset()
        outputs, states = self.base_cell.unroll(length, inputs, begin_state=begin_state,
                                                layout=layout, merge_outputs=merge_outputs,
                                                valid_length=valid_length)
        if valid_length is None and is_tensor(outputs) and is_tensor(inputs):
            return outputs + inputs, states
        steps = mask_steps(split_steps(self, length, inputs, layout), valid_length)
        if is_tensor(outputs):
            outputs = outputs + as_tensor(steps, length, layout)
        else:
            outputs = [o + x for o, x in zip(outputs, steps)]
        return outputs, states

