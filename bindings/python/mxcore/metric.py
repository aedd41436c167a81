"""Evaluation metrics (``mx.metric`` / ``gluon.metric``), computed on the host with numpy."""
from __future__ import annotations

import json
import math
from collections import OrderedDict

import numpy

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
    return numpy.asarray(x)


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
    if isinstance(metric, dict):  # a get_config() result: {'metric': class name, ...kwargs}
        config = dict(metric, **kwargs)
        return create(config.pop('metric'), *args, **config)
    if isinstance(metric, str) and metric[:1] in ('{', '['):  # '{config}' or '["name", {kwargs}]'
        if args or kwargs:
            raise ValueError('create: a JSON metric config takes no further arguments')
        config = json.loads(metric)
        if isinstance(config, list):
            name, config = config
            return create(name, **config)
        return create(config)
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

    def get_config(self):
        config = super().get_config()
        config['metrics'] = [m.get_config() for m in self.metrics]
        return config

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
                p = numpy.argmax(p, axis=self.axis)
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
            top = numpy.argsort(p, axis=1)[:, ::-1][:, :self.top_k]
            hit = (top == lab[:, None]).any(axis=1)
            self._add(float(hit.sum()), len(lab))


class _BinaryStats:
    """True/false positive/negative counts of binary predictions, local (since the last
    reset_local) and global (since the last reset)."""

    _KEYS = ('tp', 'fp', 'fn', 'tn')

    def __init__(self, owner='F1'):
        self._owner = owner
        self.reset_stats()

    def reset_stats(self):
        self.local_reset_stats()
        self.global_tp = self.global_fp = self.global_fn = self.global_tn = 0

    def local_reset_stats(self):
        self.tp = self.fp = self.fn = self.tn = 0

    def update_binary_stats(self, label, pred):
        p = _np(pred)
        lab = _np(label).astype('int32').ravel()
        if p.ndim > 1 and p.shape[-1] > 1:
            p = numpy.argmax(p, axis=1)
        else:  # one probability per sample (an mxcore extension; MXNet needs 2 columns)
            p = (p.ravel() > 0.5)
        p = p.astype('int64').ravel()
        if len(numpy.unique(lab)) > 2:
            raise ValueError('%s currently only supports binary classification.'
                             % self._owner)
        pt, lt = (p == 1), (lab == 1)
        counts = (int((pt & lt).sum()), int((pt & ~lt).sum()), int((~pt & lt).sum()),
                  int((~pt & ~lt).sum()))
        for k, c in zip(self._KEYS, counts):
            setattr(self, k, getattr(self, k) + c)
            setattr(self, 'global_' + k, getattr(self, 'global_' + k) + c)

    def _counts(self, use_global):
        pre = 'global_' if use_global else ''
        return tuple(float(getattr(self, pre + k)) for k in self._KEYS)

    def total(self, use_global=False):
        return int(sum(self._counts(use_global)))

    def fscore(self, use_global=False):
        tp, fp, fn, _ = self._counts(use_global)
        prec = tp / (tp + fp) if tp + fp > 0 else 0.
        rec = tp / (tp + fn) if tp + fn > 0 else 0.
        return 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.

    def matthewscc(self, use_global=False):
        """(TP*TN - FP*FN) / sqrt of the product of the non-zero marginal sums."""
        tp, fp, fn, tn = self._counts(use_global)
        if not tp + fp + fn + tn:
            return 0.
        denom = 1.
        for t in (tp + fp, tp + fn, tn + fp, tn + fn):
            if t != 0.:
                denom *= t
        return (tp * tn - fp * fn) / math.sqrt(denom)


class _BinaryMetric(EvalMetric):
    """F1 / MCC over binary predictions. 'macro' averages the score of each update call;
    'micro' scores the pooled counts (weighted by the number of examples)."""

    def __init__(self, name, output_names=None, label_names=None, average='macro'):
        self._average = average
        self._metrics = _BinaryStats(type(self).__name__)
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def _score(self, use_global):
        raise NotImplementedError

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self._metrics.update_binary_stats(label, pred)
        m = self._metrics
        if self._average == 'macro':
            self.sum_metric += self._score(False)
            self.global_sum_metric += self._score(True)
            self.num_inst += 1
            self.global_num_inst += 1
            m.reset_stats()
        else:
            self.sum_metric = self._score(False) * m.total()
            self.global_sum_metric = self._score(True) * m.total(True)
            self.num_inst = m.total()
            self.global_num_inst = m.total(True)

    def reset(self):
        super().reset()
        if hasattr(self, '_metrics'):
            self._metrics.reset_stats()

    def reset_local(self):
        super().reset_local()
        self._metrics.local_reset_stats()


@register
class F1(_BinaryMetric):
    """Binary F1 = 2 * precision * recall / (precision + recall)."""

    def __init__(self, name='f1', output_names=None, label_names=None, average='macro'):
        self.average = average
        super().__init__(name, output_names, label_names, average)

    @property
    def metrics(self):
        return self._metrics

    def _score(self, use_global):
        return self._metrics.fscore(use_global)


@register
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of binary predictions:
    (TP*TN - FP*FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)), zero factors replaced by 1."""

    def __init__(self, name='mcc', output_names=None, label_names=None, average='macro'):
        super().__init__(name, output_names, label_names, average)

    def _score(self, use_global):
        return self._metrics.matthewscc(use_global)


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
        return float(numpy.abs(lab - p).mean())


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
        return float(numpy.sqrt(((lab - p) ** 2.0).mean()))


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
            prob = p[numpy.arange(lab.shape[0]), lab]
            self._add(float((-numpy.log(prob + self.eps)).sum()), lab.shape[0])


@register
@_alias('nll_loss')
class NegativeLogLikelihood(CrossEntropy):
    def __init__(self, eps=1e-12, name='nll-loss', output_names=None, label_names=None):
        super().__init__(eps, name, output_names, label_names)


@register
@_alias('pearsonr')
class PearsonCorrelation(EvalMetric):
    """Pearson correlation of predictions and labels (flattened). 'macro' averages the
    correlation of each (label, pred) pair; 'micro' correlates everything seen since the
    last reset, from running means, sums of squared deviations and co-deviations.

    As in MXNet 1.9.1, 'micro' keeps its running statistics in ``get`` only:
    ``reset_local`` does not clear them and ``get_global`` reports
    ``global_sum_metric / global_num_inst`` with a sum that stays 0."""

    def __init__(self, name='pearsonr', output_names=None, label_names=None,
                 average='macro'):
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        if self.average == 'micro':
            self.reset_micro()

    def reset_micro(self):
        self._sse_p = 0
        self._mean_p = 0
        self._sse_l = 0
        self._mean_l = 0
        self._pred_nums = 0
        self._label_nums = 0
        self._conv = 0

    def reset(self):
        super().reset()
        if getattr(self, 'average', None) == 'micro':
            self.reset_micro()

    @staticmethod
    def _welford(values, count, mean, m2):
        """Add a batch to a running (count, mean, sum of squared deviations)."""
        count += len(values)
        delta = values - mean
        mean += numpy.sum(delta / count)
        m2 += numpy.sum(delta * (values - mean))
        return count, mean, m2

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            check_label_shapes(label, pred, False, True)
            lab = _np(label).ravel().astype(numpy.float64)
            p = _np(pred).ravel().astype(numpy.float64)
            if self.average == 'macro':
                r = numpy.corrcoef(p, lab)[0, 1]
                self._add(r, 1)
            else:
                self.num_inst += 1
                self.global_num_inst += 1
                self._label_nums, self._mean_l, self._sse_l = self._welford(
                    lab, self._label_nums, self._mean_l, self._sse_l)
                # co-deviation: new label mean, previous prediction mean
                self._conv = self._conv + numpy.sum((lab - self._mean_l) * (p - self._mean_p))
                self._pred_nums, self._mean_p, self._sse_p = self._welford(
                    p, self._pred_nums, self._mean_p, self._sse_p)

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        if self.average == 'macro':
            return (self.name, self.sum_metric / self.num_inst)
        n = self._label_nums
        r = self._conv / ((n - 1) * numpy.sqrt(self._sse_p / (n - 1)) *
                          numpy.sqrt(self._sse_l / (n - 1)))
        return (self.name, r)


@register
class PCC(EvalMetric):
    """Multi-class Matthews correlation (Gorodkin's R_K) from the confusion matrix of
    predicted (argmax, or the values themselves when shaped like the labels) vs true
    classes; with two classes it equals MCC. The matrix grows with the largest class id
    seen. ``get`` uses the matrix since ``reset_local``, ``get_global`` since ``reset``."""

    def __init__(self, name='pcc', output_names=None, label_names=None,
                 has_global_stats=True):
        self.k = 2
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=has_global_stats)

    def _grow(self, inc):
        self.lcm = numpy.pad(self.lcm, ((0, inc), (0, inc)), 'constant', constant_values=0)
        self.gcm = numpy.pad(self.gcm, ((0, inc), (0, inc)), 'constant', constant_values=0)
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat):
        n = cmat.sum()
        x = cmat.sum(axis=1)
        y = cmat.sum(axis=0)
        cov_xx = numpy.sum(x * (n - x))
        cov_yy = numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float('nan')
        cov_xy = numpy.sum(cmat.diagonal() * n - x * y)
        return cov_xy / (cov_xx * cov_yy) ** 0.5

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            lab = _np(label).astype('int32')
            p = _np(pred)
            if p.shape != lab.shape:
                p = p.argmax(axis=1)
            else:
                p = p.astype('int32')
            n = max(p.max(), lab.max())
            if n >= self.k:
                self._grow(int(n) + 1 - self.k)
            bcm = numpy.zeros((self.k, self.k))
            numpy.add.at(bcm, (p.ravel(), lab.ravel()), 1)
            self.lcm += bcm
            self.gcm += bcm
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self):
        return self._calc_mcc(self.lcm) * self.num_inst

    @property
    def global_sum_metric(self):
        return self._calc_mcc(self.gcm) * self.global_num_inst

    def reset(self):
        self.global_num_inst = 0.
        self.gcm = numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self):
        self.num_inst = 0.
        self.lcm = numpy.zeros((self.k, self.k))


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
            p = numpy.moveaxis(p, self.axis, -1).reshape(-1, p.shape[self.axis])
            lab = lab.ravel()
            prob = p[numpy.arange(lab.size), lab]
            if self.ignore_label is not None:
                keep = lab != self.ignore_label
                prob = prob[keep]
            loss -= float(numpy.log(numpy.maximum(1e-10, prob)).sum())
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
class Torch(Loss):
    """Mean of the torch criterion outputs (MXNet's dummy metric)."""

    def __init__(self, name='torch', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """Mean of the caffe loss outputs (MXNet's dummy metric)."""

    def __init__(self, name='caffe', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


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


    def get_config(self):
        raise NotImplementedError('CustomMetric cannot be serialized')


def np(numpy_feval, name=None, allow_extra_outputs=False):  # pylint: disable=invalid-name
    """A CustomMetric from ``numpy_feval(label, pred)`` on numpy arrays (MXNet's
    ``mx.metric.np``); named after the function ('custom(<lambda>)' for a lambda)."""
    def feval(label, pred):
        return numpy_feval(label, pred)
    feval.__name__ = getattr(numpy_feval, '__name__', 'custom')
    return CustomMetric(feval, name, allow_extra_outputs)


def np_metric(name=None, allow_extra_outputs=False):
    """Decorator form of :func:`np`: ``@np_metric()`` turns a numpy function into a
    CustomMetric."""
    def deco(fn):
        return CustomMetric(fn, name, allow_extra_outputs)
    return deco


__all__ = ['EvalMetric', 'CompositeEvalMetric', 'Accuracy', 'TopKAccuracy', 'F1', 'MCC',
           'MAE', 'MSE', 'RMSE', 'CrossEntropy', 'NegativeLogLikelihood', 'PearsonCorrelation',
           'PCC', 'Perplexity', 'Loss', 'Torch', 'Caffe', 'CustomMetric', 'create', 'register',
           'np', 'np_metric', 'check_label_shapes']
_ = OrderedDict
