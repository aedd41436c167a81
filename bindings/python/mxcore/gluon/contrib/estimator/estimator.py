"""Gluon Estimator: a training / evaluation loop driven by event handlers (MXNet 1.x)."""
import copy
import logging
import sys
import warnings

from ....context import Context, cpu, gpu, num_gpus
from ....metric import Accuracy
from ....metric import Loss as _LossMetric
from ...data import DataLoader
from ...loss import Loss as _GluonLoss
from ...loss import SoftmaxCrossEntropyLoss
from ...trainer import Trainer
from .batch_processor import BatchProcessor
from .event_handler import (BatchBegin, BatchEnd, EpochBegin, EpochEnd, GradientUpdateHandler,
                            LoggingHandler, MetricHandler, StoppingHandler, TrainBegin,
                            TrainEnd, ValidationHandler, _check_event_handlers, _check_metrics)

__all__ = ['Estimator']

_EVENTS = (('train_begin', TrainBegin), ('epoch_begin', EpochBegin), ('batch_begin', BatchBegin),
           ('batch_end', BatchEnd), ('epoch_end', EpochEnd), ('train_end', TrainEnd))


class Estimator:
    """Train ``net`` with ``loss`` via :meth:`fit`; evaluate with :meth:`evaluate`.

    Without ``train_metrics`` the estimator tracks Accuracy (for SoftmaxCrossEntropyLoss)
    plus a :class:`~mxcore.metric.Loss` named after the loss block; training metric names get
    a ``'training '`` prefix and validation ones (copies of the training ones by default)
    ``'validation '``.  Without ``trainer``: SGD with learning rate 0.001.  Logs go to
    ``self.logger`` (INFO, stdout)."""

    logger = None

    def __init__(self, net, loss, train_metrics=None, val_metrics=None, initializer=None,
                 trainer=None, context=None, val_net=None, val_loss=None,
                 batch_processor=None):
        self.net = net
        self.loss = self._check_loss(loss)
        self._train_metrics = _check_metrics(train_metrics)
        self._val_metrics = _check_metrics(val_metrics)
        self._add_default_training_metrics()
        self._add_validation_metrics()
        self.val_loss = self.loss if val_loss is None else self._check_loss(val_loss)
        self.val_net = self.net if val_net is None else val_net
        self.logger = logging.Logger(name='Estimator', level=logging.INFO)
        self.logger.addHandler(logging.StreamHandler(sys.stdout))
        self.context = self._check_context(context)
        self._initialize(initializer)
        self.trainer = self._check_trainer(trainer)
        self.batch_processor = self._check_batch_processor(batch_processor)
        self.max_epoch = self.max_batch = None
        self.batch_axis = 0

    @staticmethod
    def _check_loss(loss):
        if not isinstance(loss, _GluonLoss):
            raise ValueError('loss must be a Loss, refer to gluon.loss.Loss:{}'.format(loss))
        return loss

    @staticmethod
    def _check_context(context):
        available = [gpu(i) for i in range(num_gpus())]
        if not context:
            if len(available) > 1:
                warnings.warn('You have multiple GPUs, gpu(0) will be used by default. To '
                              'utilize all your GPUs, specify context as a list of gpus.')
            return [available[0] if available else cpu()]
        if isinstance(context, Context):
            context = [context]
        if not isinstance(context, (list, tuple)) or \
                not all(isinstance(c, Context) for c in context):
            raise ValueError('context must be a Context or a list of Context, for example '
                             'mx.cpu() or [mx.gpu(0), mx.gpu(1)], refer to '
                             'mxnet.Context:{}'.format(context))
        for ctx in context:
            if ctx.device_type != 'cpu' and ctx not in available:
                raise ValueError('%s is not available, please make sure your context is in '
                                 'one of: mx.cpu(), %s' % (ctx, ', '.join(map(str, available))))
        return list(context)

    @staticmethod
    def _check_batch_processor(batch_processor):
        if batch_processor is None:
            return BatchProcessor()
        if not callable(getattr(batch_processor, 'fit_batch', None)) or \
                not callable(getattr(batch_processor, 'evaluate_batch', None)):
            raise ValueError('Customized Batch Processor must contain fit_batch() and '
                             'evaluate_batch() methods')
        return batch_processor

    def _is_initialized(self):
        try:
            for param in self.net.collect_params().values():
                param.list_ctx()
        except RuntimeError:
            return False
        return True

    def _initialize(self, initializer):
        if not self._is_initialized():
            self.net.initialize(init=initializer, ctx=self.context)
        elif initializer:
            warnings.warn('Network already fully initialized, skipping initialization. You '
                          "don't need to pass initializer if you already initialized your "
                          'net. You can use net.initialize(init=your_initializer, '
                          'force_reinit=True) to force re-initialize.')

    def _check_trainer(self, trainer):
        if trainer is None:
            warnings.warn('No trainer specified, default SGD optimizer with learning rate '
                          '0.001 is used.')
            return Trainer(self.net.collect_params(), 'sgd', {'learning_rate': 0.001})
        if not isinstance(trainer, Trainer):
            raise ValueError('Trainer must be a Gluon Trainer instance, refer to '
                             'gluon.Trainer:{}'.format(trainer))
        return trainer

    def _add_default_training_metrics(self):
        if not self._train_metrics:
            if isinstance(self.loss, SoftmaxCrossEntropyLoss):
                self._train_metrics.append(Accuracy())
            self._train_metrics.append(_LossMetric(self.loss.name.rstrip('0123456789')))
        for metric in self._train_metrics:
            metric.name = 'training ' + metric.name

    def _add_validation_metrics(self):
        if not self._val_metrics:
            self._val_metrics = [copy.deepcopy(m) for m in self._train_metrics]
        for metric in self._val_metrics:
            if 'training' in metric.name:
                metric.name = metric.name.replace('training', 'validation')
            else:
                metric.name = 'validation ' + metric.name

    @property
    def train_metrics(self):
        return self._train_metrics

    @property
    def val_metrics(self):
        return self._val_metrics

    @staticmethod
    def _check_data(data):
        if not isinstance(data, DataLoader):
            raise ValueError('Estimator only support input as Gluon DataLoader. Alternatively, '
                             'you can transform your DataIter or any NDArray into Gluon '
                             'DataLoader. Refer to gluon.data.DataLoader')

    def evaluate(self, val_data, batch_axis=0, event_handlers=None):
        """One pass over ``val_data`` updating ``val_metrics`` (reset first).  A MetricHandler
        and LoggingHandler for the validation metrics are added unless given."""
        self._check_data(val_data)
        for metric in self.val_metrics:
            metric.reset()
        handlers = self._prepare_handlers(event_handlers, self.val_metrics, (
            (MetricHandler, lambda: MetricHandler(metrics=self.val_metrics)),
            (LoggingHandler, lambda: LoggingHandler(metrics=self.val_metrics))))
        hooks = self._categorize_handlers(handlers)
        for h in hooks['epoch_begin']:
            h.epoch_begin(self)
        for batch in val_data:
            for h in hooks['batch_begin']:
                h.batch_begin(self, batch=batch)
            _, label, pred, loss = self.batch_processor.evaluate_batch(self, batch, batch_axis)
            for h in hooks['batch_end']:
                h.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
        for h in hooks['epoch_end']:
            h.epoch_end(self)

    def fit(self, train_data, val_data=None, epochs=None, event_handlers=None, batches=None,
            batch_axis=0):
        """Train for exactly one of ``epochs`` or ``batches``.  Added unless given: a
        StoppingHandler, GradientUpdateHandler, MetricHandler, LoggingHandler and (with
        ``val_data``) a ValidationHandler calling :meth:`evaluate` after each epoch."""
        self._check_data(train_data)
        if (not epochs) == (not batches):
            raise ValueError('Fit only support exactly one type of iteration, train by number '
                             'of epochs or number of batches. Please specify one and only one '
                             'of: epochs or batches.')
        self.max_epoch, self.max_batch, self.batch_axis = epochs, batches, batch_axis
        defaults = [(None, lambda: StoppingHandler(self.max_epoch, self.max_batch)),
                    (GradientUpdateHandler, GradientUpdateHandler),
                    (MetricHandler, lambda: MetricHandler(metrics=self.train_metrics))]
        if val_data:
            defaults.append((ValidationHandler, lambda: ValidationHandler(
                val_data=val_data, eval_fn=self.evaluate)))
        defaults.append((LoggingHandler, lambda: LoggingHandler(metrics=self.train_metrics)))
        handlers = self._prepare_handlers(event_handlers,
                                          self.train_metrics + self.val_metrics, defaults)
        hooks = self._categorize_handlers(handlers)
        for h in hooks['train_begin']:
            h.train_begin(self)
        while True:
            for h in hooks['epoch_begin']:
                h.epoch_begin(self)
            for batch in train_data:
                for h in hooks['batch_begin']:
                    h.batch_begin(self, batch=batch)
                _, label, pred, loss = self.batch_processor.fit_batch(self, batch, batch_axis)
                # every handler sees the batch, then any True stops the epoch
                stop = [h.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
                        for h in hooks['batch_end']]
                if any(stop):
                    break
            if any([h.epoch_end(self) for h in hooks['epoch_end']]):
                break
        for h in hooks['train_end']:
            h.train_end(self)

    def _prepare_handlers(self, event_handlers, known_metrics, defaults):
        handlers = _check_event_handlers(event_handlers)
        added = [make() for kind, make in defaults
                 if kind is None or not any(isinstance(h, kind) for h in handlers)]
        if handlers and added:
            # user handlers mixed with default ones must refer to this estimator's metrics
            known = set(map(id, known_metrics))
            for h in handlers:
                for attr in dir(h):
                    if not ('metric' in attr or 'monitor' in attr) or attr.startswith('__'):
                        continue
                    refs = getattr(h, attr)
                    refs = refs if isinstance(refs, list) else [refs]
                    for m in refs:
                        if m and not callable(m) and id(m) not in known:
                            raise ValueError(
                                'Event handler {} refers to a metric instance {} outside of '
                                'the known training and validation metrics. Please use the '
                                'metrics from estimator.train_metrics and '
                                'estimator.val_metrics instead.'.format(type(h).__name__, m))
        handlers.extend(added)
        handlers.sort(key=lambda h: getattr(h, 'priority', 0))
        return handlers

    @staticmethod
    def _categorize_handlers(handlers):
        return {name: [h for h in handlers if isinstance(h, mixin)] for name, mixin in _EVENTS}
