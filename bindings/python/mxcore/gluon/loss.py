"""Gluon losses (MXNet 1.x): each returns one value per sample (mean over non-batch axes;
KLDivLoss and TripletLoss sum over them, CosineEmbeddingLoss returns shape (N, 1))."""
from __future__ import annotations

import numpy as np

from ..context import cpu as _cpu
from ..ndarray.ndarray import NDArray as _NDArray
from .block import HybridBlock

_FUSED_CE_DTYPES = frozenset((np.float32, np.float64))  # NDArray.dtype is the scalar type
_CPU_TYPEID = _cpu().device_typeid


def _apply_weighting(F, loss, weight=None, sample_weight=None):
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        if not isinstance(weight, (int, float)):
            raise AssertionError('weight must be a number')
        loss = loss * weight
    return loss


def _ndim(x):
    """Rank of an NDArray; None for a traced Symbol, whose shape is not known yet."""
    shape = getattr(x, 'shape', None)
    return None if shape is None else len(shape)


def _reshape_like(F, x, y):
    if _ndim(x) is None or _ndim(y) is None:
        return F.reshape_like(x, y)
    if tuple(x.shape) == tuple(y.shape):
        return x
    return x.reshape(y.shape)


def _pick(F, pred, label, axis):
    """pred[..., label, ...] along ``axis`` with keepdims (nd.pick, or one_hot if absent)."""
    if hasattr(F, 'pick'):
        return F.pick(pred, label, axis=axis, keepdims=True)
    axis = axis % pred.ndim
    depth = pred.shape[axis]
    lab = label.asnumpy().astype('int64')
    if lab.ndim == pred.ndim:
        lab = np.squeeze(lab, axis=axis)
    # The label needs no gradient, so the one-hot mask is built on the host.
    oh = np.moveaxis(np.eye(depth, dtype=np.dtype(pred.dtype))[lab], -1, axis)
    oh = F.array(oh, ctx=pred.context, dtype=pred.dtype)
    return F.sum(pred * oh, axis=axis, keepdims=True)


def _batch_mean(F, loss, batch_axis):
    """Mean over every axis except ``batch_axis`` (MXNet's mean(axis=batch, exclude=True))."""
    nd_ = _ndim(loss)
    if nd_ is None:
        return F.mean(loss, axis=batch_axis, exclude=True)
    if nd_ <= 1:
        return loss
    b = batch_axis % nd_
    axes = tuple(a for a in range(nd_) if a != b)
    return F.mean(loss, axis=axes)


def _batch_sum(F, loss, batch_axis):
    """Sum over every axis except ``batch_axis`` (MXNet's sum(axis=batch, exclude=True))."""
    nd_ = _ndim(loss)
    if nd_ is None:
        return F.sum(loss, axis=batch_axis, exclude=True)
    if nd_ <= 1:
        return loss
    b = batch_axis % nd_
    return F.sum(loss, axis=tuple(a for a in range(nd_) if a != b))


class Loss(HybridBlock):
    """Base class: ``weight`` scales the loss, ``batch_axis`` is kept."""

    def __init__(self, weight, batch_axis, **kwargs):
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self):
        s = '{name}(batch_axis={_batch_axis}, w={_weight})'
        return s.format(name=self.__class__.__name__, **self.__dict__)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError


class L2Loss(Loss):
    """0.5 * (label - pred)^2."""

    def __init__(self, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        loss = _apply_weighting(F, loss, self._weight / 2, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class L1Loss(Loss):
    """|label - pred|."""

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class SigmoidBinaryCrossEntropyLoss(Loss):
    """BCE on logits (stable form) or on probabilities if ``from_sigmoid``."""

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = _reshape_like(F, label, pred)
        if not self._from_sigmoid:
            if pos_weight is None:
                loss = F.relu(pred) - pred * label + \
                    F.Activation(-F.abs(pred), act_type='softrelu')
            else:
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * \
                    (F.Activation(-F.abs(pred), act_type='softrelu') + F.relu(-pred))
        else:
            eps = 1e-12
            if pos_weight is None:
                loss = -(F.log(pred + eps) * label + F.log(1. - pred + eps) * (1. - label))
            else:
                loss = -(F.broadcast_mul(F.log(pred + eps) * label, pos_weight) +
                         F.log(1. - pred + eps) * (1. - label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    """-log softmax(pred)[label] (sparse) or -sum(label * log softmax(pred))."""

    def __init__(self, axis=-1, sparse_label=True, from_logits=False, weight=None,
                 batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if self._fused_ok(F, pred, label, sample_weight):
            # one fused op each way instead of log_softmax + pick + negation
            loss = F._sparse_softmax_ce(pred, label)
            w = self._weight
            return loss if w is None else _apply_weighting(F, loss, w)
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        # 2-D pred without sample_weight: pick/sum drop the class axis themselves instead
        # of keeping it for _batch_mean to average away; the same per-sample values with
        # one op fewer each way.  A sample_weight broadcasts against the kept axis
        # (MXNet's shapes), and other ranks need _batch_mean's axis bookkeeping.
        keep = (sample_weight is not None or _ndim(pred) != 2 or not hasattr(F, 'pick')
                or self._axis % 2 == self._batch_axis % 2)
        if self._sparse_label:
            # pick takes an index of any dtype; casting a float32 label to a float16 pred
            # would round class ids above 2048
            if keep:
                loss = _pick(F, pred, label, self._axis)
            else:
                loss = F.pick(pred, label, axis=self._axis, keepdims=False)
        else:
            label = _reshape_like(F, label, pred)
            loss = F.sum(pred * label, axis=self._axis, keepdims=keep)
        w = self._weight
        if keep:
            loss = _apply_weighting(F, -loss, w, sample_weight)
            return _batch_mean(F, loss, self._batch_axis)
        if w is None:
            return -loss
        # the negation and the weight in one op (_apply_weighting rejects non-numbers)
        return _apply_weighting(F, loss, -w if isinstance(w, (int, float)) else w)

    def _fused_ok(self, F, pred, label, sample_weight):
        """The fused per-sample op covers eager CPU calls with class-index labels, (N, C)
        float32/float64 predictions and no sample weights. Traced (symbolic) calls keep
        MXNet's ops so exported graphs stay loadable by MXNet; other devices keep ops that
        have device kernels. Ordered cheapest first: this runs every training step."""
        return (self._sparse_label and not self._from_logits and sample_weight is None
                and type(pred) is _NDArray and type(label) is _NDArray
                and self._axis in (-1, 1) and self._batch_axis == 0
                and len(pred.shape) == 2 and len(label.shape) == 1
                and pred.dtype in _FUSED_CE_DTYPES and pred.context.device_typeid == _CPU_TYPEID)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    """label * (log(label) - pred) summed over the non-batch axes (as MXNet 1.9.1); pred is
    log-probabilities when ``from_logits``."""

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_sum(F, loss, self._batch_axis)


class CTCLoss(Loss):
    """Connectionist temporal classification loss; blank is the last class."""

    def __init__(self, layout='NTC', label_layout='NT', weight=None, **kwargs):
        if layout not in ('NTC', 'TNC'):
            raise AssertionError('Only \'NTC\' and \'TNC\' layouts for pred are supported. '
                                 'Got: %s' % layout)
        if label_layout not in ('NT', 'TN'):
            raise AssertionError('Only \'NT\' and \'TN\' layouts for label are supported. '
                                 'Got: %s' % label_layout)
        self._layout = layout
        self._label_layout = label_layout
        batch_axis = label_layout.find('N')
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, pred_lengths=None, label_lengths=None,
                       sample_weight=None):
        if self._layout == 'NTC':
            pred = F.swapaxes(pred, dim1=0, dim2=1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, dim1=0, dim2=1)
        op = getattr(F, 'CTCLoss', None) or getattr(F, 'ctc_loss')
        args = [pred, label]
        kw = {'use_data_lengths': pred_lengths is not None,
              'use_label_lengths': label_lengths is not None, 'blank_label': 'last'}
        if pred_lengths is not None:
            args.append(pred_lengths)
        if label_lengths is not None:
            args.append(label_lengths)
        loss = op(*args, **kw)
        return _apply_weighting(F, loss, self._weight, sample_weight)


class HuberLoss(Loss):
    """Smooth L1: 0.5/rho * d^2 if |d| <= rho else |d| - 0.5 * rho."""

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        # no .astype(loss.dtype): a traced Symbol has no dtype
        loss = F.where(loss > self._rho, loss - 0.5 * self._rho, (0.5 / self._rho) * F.square(loss))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class HingeLoss(Loss):
    """max(0, margin - pred * label) with labels in {-1, 1}."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.relu(self._margin - pred * label)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class SquaredHingeLoss(Loss):
    """max(0, margin - pred * label)^2."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(F.relu(self._margin - pred * label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class LogisticLoss(Loss):
    """log(1 + exp(-pred * label)); label_format 'signed' ({-1,1}) or 'binary' ({0,1})."""

    def __init__(self, weight=None, batch_axis=0, label_format='signed', **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._label_format = label_format
        if self._label_format not in ['signed', 'binary']:
            raise ValueError('label_format can only be signed or binary, recieved %s.'
                             % label_format)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        if self._label_format == 'binary':
            label = 2 * label - 1
        z = pred * label
        loss = F.relu(-z) + F.Activation(-F.abs(z), act_type='softrelu')
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class TripletLoss(Loss):
    """max(0, ||pred - positive||^2 - ||pred - negative||^2 + margin)."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative, sample_weight=None):
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
        d = F.square(positive - pred) - F.square(negative - pred)
        if _ndim(d) is None or _ndim(d) > 1:
            d = _batch_sum(F, d, self._batch_axis)
        loss = F.relu(d + self._margin)
        return _apply_weighting(F, loss, self._weight, sample_weight)


class PoissonNLLLoss(Loss):
    """Poisson negative log likelihood; returns the mean over all elements."""

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False,
                 **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = _reshape_like(F, target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            safe_t = F.relu(target - 1.0) + 1.0
            stirling = safe_t * F.log(safe_t) - safe_t + 0.5 * F.log(2 * safe_t * np.pi)
            loss = loss + stirling * (target > 1)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss)


class CosineEmbeddingLoss(Loss):
    """1 - cos(x1, x2) for label 1, max(0, cos(x1, x2) - margin) for label -1, over the last
    axis; shape (-1, 1) like MXNet (one row per vector pair)."""

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = _reshape_like(F, input1, input2)
        label = label.reshape((-1, 1))
        dtype = getattr(input1, 'dtype', None)  # a traced Symbol has none
        if dtype is not None:
            label = label.astype(dtype)
        dot = F.sum(input1 * input2, axis=-1).reshape((-1, 1))
        n1 = F.sqrt(F.sum(F.square(input1), axis=-1)).reshape((-1, 1))
        n2 = F.sqrt(F.sum(F.square(input2), axis=-1)).reshape((-1, 1))
        cos = dot / (F.relu(n1 * n2 - 1e-12) + 1e-12)
        pos = (label == 1)
        neg = (label == -1)
        loss = (1 - cos) * pos + F.relu(cos - self._margin) * neg
        return _apply_weighting(F, loss, self._weight, sample_weight)


class SDMLLoss(Loss):
    """Smoothed deep metric learning loss over a batch of aligned pairs (x1[i], x2[i])."""

    def __init__(self, smoothing_parameter=0.3, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def _compute_distances(self, F, x1, x2):
        a = F.expand_dims(x1, axis=1)
        b = F.expand_dims(x2, axis=0)
        return F.sum(F.square(F.broadcast_sub(a, b)), axis=2)

    def _compute_labels(self, F, batch_size, ctx):
        gold = np.eye(batch_size, dtype='float32')
        labels = gold * (1 - self.smoothing_parameter) + \
            (1 - gold) * self.smoothing_parameter / (batch_size - 1)
        return F.array(labels, ctx=ctx)

    def hybrid_forward(self, F, x1, x2):
        batch_size = x1.shape[0]
        labels = self._compute_labels(F, batch_size, x1.context)
        distances = self._compute_distances(F, x1, x2)
        log_probabilities = F.log_softmax(-distances, axis=1)
        # KLDivLoss sums over the classes, so no rescaling (MXNet 1.9.1 after PR#18423)
        return self.kl_loss(log_probabilities, labels)


__all__ = ['Loss', 'L2Loss', 'L1Loss', 'SigmoidBinaryCrossEntropyLoss', 'SigmoidBCELoss',
           'SoftmaxCrossEntropyLoss', 'SoftmaxCELoss', 'KLDivLoss', 'CTCLoss', 'HuberLoss',
           'HingeLoss', 'SquaredHingeLoss', 'LogisticLoss', 'TripletLoss', 'PoissonNLLLoss',
           'CosineEmbeddingLoss', 'SDMLLoss']
