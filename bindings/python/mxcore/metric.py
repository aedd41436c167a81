"""Evaluation metrics (``mx.metric`` / ``gluon.metric``), computed on the host with numpy."""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

_REGISTRY: dict = {}


def register(klass):
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def _alias(*names):
    def deco(klass):
        for n in names:
            _REGISTRY[n.lower()] = klass
        return klass
    return deco


def _np(x):
    if hasattr(x, 'asnumpy'):
        return x.asnumpy()
    return np.asarray(x)


def _as_list(x):
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def check_label_shapes(labels, preds, wrap=False, shape=False):
    if not shape:
        label_shape, pred_shape = len(labels), len(preds)
    else:
        label_shape, pred_shape = labels.shape, preds.shape
    if label_shape != pred_shape:
        raise ValueError('Shape of labels {} does not match shape of predictions {}'.format(
            label_shape, pred_shape))
    if wrap:
        labels, preds = _as_list(labels), _as_list(preds)
    return labels, preds


class EvalMetric:
    """Base class: accumulates ``sum_metric`` over ``num_inst`` instances."""

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop('has_global_stats', False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return 'EvalMetric: {}'.format(dict(self.get_name_value()))

    def get_config(self):
        config = self._kwargs.copy()
        config.update({'metric': self.__class__.__name__, 'name': self.name,
                       'output_names': self.output_names, 'label_names': self.label_names})
        return config

    def update_dict(self, label, pred):
        if self.output_names is not None:
            pred = [pred[name] for name in self.output_names]
        else:
            pred = list(pred.values())
        if self.label_names is not None:
            label = [label[name] for name in self.label_names]
        else:
            label = list(label.values())
        self.update(label, pred)

    def update(self, labels, preds):
        raise NotImplementedError

    def reset(self):
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, self.sum_metric / self.num_inst)

    def get_global(self):
        if self._has_global_stats:
            if self.global_num_inst == 0:
                return (self.name, float('nan'))
            return (self.name, self.global_sum_metric / self.global_num_inst)
        return self.get()

    def get_name_value(self):
        name, value = self.get()
        if not isinstance(name, list):
            name = [name]
        if not isinstance(value, list):
            value = [value]
        return list(zip(name, value))

    def get_global_name_value(self):
        name, value = self.get_global()
        if not isinstance(name, list):
            name = [name]
        if not isinstance(value, list):
            value = [value]
        return list(zip(name, value))

    def _add(self, s, n):
        self.sum_metric += s
        self.num_inst += n
        self.global_sum_metric += s
        self.global_num_inst += n


def create(metric, *args, **kwargs):
    """Create a metric by name, from a callable ``feval(label, pred)``, or a list of them."""
    if callable(metric) and not isinstance(metric, EvalMetric) and not isinstance(metric, type):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, EvalMetric):
        return metric
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, type) and issubclass(metric, EvalMetric):
        return metric(*args, **kwargs)
    key = str(metric).lower()
    if key not in _REGISTRY:
        raise ValueError('Metric must be either callable or in %s' % sorted(_REGISTRY))
    return _REGISTRY[key](*args, **kwargs)


@register
@_alias('composite')
class CompositeEvalMetric(EvalMetric):
    def __init__(self, metrics=None, name='composite', output_names=None, label_names=None):
        self.metrics = []
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        for m in metrics or []:
            self.add(create(m))

    def add(self, metric):
        self.metrics.append(create(metric))

    def get_metric(self, index):
        return self.metrics[index]

    def update(self, labels, preds):
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        for metric in getattr(self, 'metrics', []):
            metric.reset()

    def reset_local(self):
        for metric in self.metrics:
            metric.reset_local()

    def get(self):
        names, values = [], []
        for metric in self.metrics:
            name, value = metric.get()
            names.extend(_as_list(name))
            values.extend(_as_list(value))
        return (names, values)

    def get_global(self):
        names, values = [], []
        for metric in self.metrics:
            name, value = metric.get_global()
            names.extend(_as_list(name))
            values.extend(_as_list(value))
        return (names, values)


@register
@_alias('acc')
class Accuracy(EvalMetric):
    """Fraction of argmax(pred, axis) == label (or pred == label when shapes match)."""

    def __init__(self, axis=1, name='accuracy', output_names=None, label_names=None):
        super().__init__(name, axis=axis, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(_as_list(labels), _as_list(preds), True)
        for label, pred in zip(labels, preds):
            p = _np(pred)
            lab = _np(label)
            if p.shape != lab.shape:
                p = np.argmax(p, axis=self.axis)
            p = p.astype('int64').ravel()
            lab = lab.astype('int64').ravel()
            check_label_shapes(lab, p, shape=True)
            self._add(float((p == lab).sum()), len(p))


@register
@_alias('top_k_accuracy', 'top_k_acc')
class TopKAccuracy(EvalMetric):
    def __init__(self, top_k=1, name='top_k_accuracy', output_names=None, label_names=None):
        super().__init__(name, top_k=top_k, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.top_k = top_k
        assert self.top_k > 1, 'Please use Accuracy if top_k is no more than 1'
        self.name += '_%d' % self.top_k

    def update(self, labels, preds):
        labels, preds = check_label_shapes(_as_list(labels), _as_list(preds), True)
        for label, pred in zip(labels, preds):
            p = _np(pred).astype('float32')
            lab = _np(label).astype('int64').ravel()
            if p.ndim == 1:
                self._add(float((p.astype('int64') == lab).sum()), len(lab))
                continue
            top = np.argsort(p, axis=1)[:, ::-1][:, :self.top_k]
            hit = (top == lab[:, None]).any(axis=1)
            self._add(float(hit.sum()), len(lab))


class _BinaryStats:
    def __init__(self):
        self.reset()

    def reset(self):
        self.tp = self.fp = self.fn = self.tn = 0

    def update(self, label, pred):
        p = _np(pred)
        lab = _np(label).astype('int64').ravel()
        if p.ndim > 1 and p.shape[-1] > 1:
            p = np.argmax(p, axis=1)
        else:
            p = (p.ravel() > 0.5)
        p = p.astype('int64').ravel()
        if len(np.unique(lab)) > 2:
            raise ValueError('F1 currently only supports binary classification.')
        self.tp += int(((p == 1) & (lab == 1)).sum())
        self.fp += int(((p == 1) & (lab == 0)).sum())
        self.fn += int(((p == 0) & (lab == 1)).sum())
        self.tn += int(((p == 0) & (lab == 0)).sum())

    @property
    def f1(self):
        prec = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        rec = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return 2 * prec * rec / (prec + rec) if prec + rec else 0.0


@register
class F1(EvalMetric):
    """Binary F1; average 'macro' (mean of per-batch F1) or 'micro' (pooled counts)."""

    def __init__(self, name='f1', output_names=None, label_names=None, average='macro'):
        self.average = average
        self._stats = _BinaryStats()
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(_as_list(labels), _as_list(preds), True)
        for label, pred in zip(labels, preds):
            if self.average == 'macro':
                s = _BinaryStats()
                s.update(label, pred)
                self._stats.update(label, pred)
                self._add(s.f1, 1)
            else:
                self._stats.update(label, pred)
                self.sum_metric = self._stats.f1 * (self.num_inst + 1)
                self.num_inst += 1
                self.global_sum_metric = self.sum_metric
                self.global_num_inst = self.num_inst

    def reset(self):
        super().reset()
        if hasattr(self, '_stats'):
            self._stats.reset()


class _Regression(EvalMetric):
    def __init__(self, name, output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def _value(self, lab, p):
        raise NotImplementedError

    def update(self, labels, preds):
        labels, preds = check_label_shapes(_as_list(labels), _as_list(preds), True)
        for label, pred in zip(labels, preds):
            lab = _np(label)
            p = _np(pred)
            if lab.ndim == 1:
                lab = lab.reshape(lab.shape[0], 1)
            if p.ndim == 1:
                p = p.reshape(p.shape[0], 1)
            self._add(self._value(lab, p), 1)


@register
class MAE(_Regression):
    def __init__(self, name='mae', output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    def _value(self, lab, p):
        return float(np.abs(lab - p).mean())


@register
class MSE(_Regression):
    def __init__(self, name='mse', output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    def _value(self, lab, p):
        return float(((lab - p) ** 2.0).mean())


@register
class RMSE(_Regression):
    def __init__(self, name='rmse', output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    def _value(self, lab, p):
        return float(np.sqrt(((lab - p) ** 2.0).mean()))


@register
@_alias('ce')
class CrossEntropy(EvalMetric):
    """Mean of -log(pred[label]) (pred are probabilities)."""

    def __init__(self, eps=1e-12, name='cross-entropy', output_names=None, label_names=None):
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.eps = eps

    def update(self, labels, preds):
        labels, preds = check_label_shapes(_as_list(labels), _as_list(preds), True)
        for label, pred in zip(labels, preds):
            lab = _np(label).ravel().astype('int64')
            p = _np(pred)
            prob = p[np.arange(lab.shape[0]), lab]
            self._add(float((-np.log(prob + self.eps)).sum()), lab.shape[0])


@register
class NegativeLogLikelihood(CrossEntropy):
    def __init__(self, eps=1e-12, name='nll-loss', output_names=None, label_names=None):
        super().__init__(eps, name, output_names, label_names)


@register
class Perplexity(EvalMetric):
    """exp(mean -log p(label)), skipping ``ignore_label``."""

    def __init__(self, ignore_label, axis=-1, name='perplexity', output_names=None,
                 label_names=None):
        super().__init__(name, ignore_label=ignore_label, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(_as_list(labels), _as_list(preds), True)
        loss = 0.0
        num = 0
        for label, pred in zip(labels, preds):
            p = _np(pred)
            lab = _np(label).astype('int64')
            p = np.moveaxis(p, self.axis, -1).reshape(-1, p.shape[self.axis])
            lab = lab.ravel()
            prob = p[np.arange(lab.size), lab]
            if self.ignore_label is not None:
                keep = lab != self.ignore_label
                prob = prob[keep]
            loss -= float(np.log(np.maximum(1e-10, prob)).sum())
            num += prob.size
        self._add(loss, num)

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self):
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))


@register
class Loss(EvalMetric):
    """Mean of the given loss values (labels are ignored)."""

    def __init__(self, name='loss', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, _, preds):
        if not isinstance(preds, (list, tuple)):
            preds = [preds]
        for pred in preds:
            p = _np(pred)
            self._add(float(p.sum()), p.size)


@register
class CustomMetric(EvalMetric):
    def __init__(self, feval, name=None, allow_extra_outputs=False, output_names=None,
                 label_names=None):
        if name is None:
            name = getattr(feval, '__name__', 'custom')
            if name.find('<') != -1:
                name = 'custom(%s)' % name
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels, preds):
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(_as_list(labels), _as_list(preds), True)
        for pred, label in zip(_as_list(preds), _as_list(labels)):
            reval = self._feval(_np(label), _np(pred))
            if isinstance(reval, tuple):
                self._add(reval[0], reval[1])
            else:
                self._add(reval, 1)


def np_metric(name=None, allow_extra_outputs=False):
    def deco(fn):
        return CustomMetric(fn, name, allow_extra_outputs)
    return deco


__all__ = ['EvalMetric', 'CompositeEvalMetric', 'Accuracy', 'TopKAccuracy', 'F1', 'MAE',
           'MSE', 'RMSE', 'CrossEntropy', 'NegativeLogLikelihood', 'Perplexity', 'Loss',
           'CustomMetric', 'create', 'register', 'np_metric', 'check_label_shapes']
_ = OrderedDict
