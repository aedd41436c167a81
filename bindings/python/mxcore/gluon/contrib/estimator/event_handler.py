"""Event handlers for the Gluon Estimator.

A handler subclasses one or more of the mixins below and the Estimator calls the matching
hook; ``batch_end`` / ``epoch_end`` returning True stops the current loop.  Handlers run in
ascending ``priority`` (default 0)."""
import math
import os
import time
import warnings

from ....metric import CompositeEvalMetric, EvalMetric
from ....metric import Loss as _LossMetric

__all__ = ['EventHandler', 'TrainBegin', 'TrainEnd', 'EpochBegin', 'EpochEnd', 'BatchBegin',
           'BatchEnd', 'StoppingHandler', 'MetricHandler', 'ValidationHandler',
           'LoggingHandler', 'CheckpointHandler', 'EarlyStoppingHandler',
           'GradientUpdateHandler']


def _check_metrics(metrics):
    """Flatten ``metrics`` (None, a metric, a CompositeEvalMetric or a list) to a list."""
    if isinstance(metrics, CompositeEvalMetric):
        return [m for sub in metrics.metrics for m in _check_metrics(sub)]
    if isinstance(metrics, EvalMetric):
        return [metrics]
    metrics = list(metrics or [])
    if not all(isinstance(m, EvalMetric) for m in metrics):
        raise ValueError('metrics must be a Metric or a list of Metric, refer to '
                         'mxnet.metric.EvalMetric: {}'.format(metrics))
    return metrics


class EventHandler:
    pass


def _check_event_handlers(handlers):
    if isinstance(handlers, EventHandler):
        return [handlers]
    handlers = list(handlers or [])
    if not all(isinstance(h, EventHandler) for h in handlers):
        raise ValueError('handlers must be an EventHandler or a list of EventHandler, '
                         'got: {}'.format(handlers))
    return handlers


class TrainBegin(EventHandler):
    def train_begin(self, estimator, *args, **kwargs):
        pass


class TrainEnd(EventHandler):
    def train_end(self, estimator, *args, **kwargs):
        pass


class EpochBegin(EventHandler):
    def epoch_begin(self, estimator, *args, **kwargs):
        pass


class EpochEnd(EventHandler):
    def epoch_end(self, estimator, *args, **kwargs):
        return False


class BatchBegin(EventHandler):
    def batch_begin(self, estimator, *args, **kwargs):
        pass


class BatchEnd(EventHandler):
    def batch_end(self, estimator, *args, **kwargs):
        return False


def _monitor_op(kind, monitor, mode):
    """(is_better(a, b), worst value) for ``mode`` in 'min'/'max'/'auto'."""
    if mode not in ('auto', 'min', 'max'):
        warnings.warn('%s mode %s is unknown, fallback to auto mode.' % (kind, mode),
                      RuntimeWarning)
        mode = 'auto'
    if mode == 'auto':
        name = monitor.get()[0].lower()
        mode = 'max' if ('acc' in name or 'f1' in name) else 'min'
    if mode == 'max':
        return (lambda a, b: a > b), -math.inf
    return (lambda a, b: a < b), math.inf


class StoppingHandler(TrainBegin, BatchEnd, EpochEnd):
    """Stop after ``max_epoch`` epochs or ``max_batch`` batches (taken from ``fit``)."""

    def __init__(self, max_epoch=None, max_batch=None):
        self.max_epoch = max_epoch
        self.max_batch = max_batch
        self.current_batch = 0
        self.current_epoch = 0
        self.stop_training = False

    def train_begin(self, estimator, *args, **kwargs):
        self.max_epoch = estimator.max_epoch
        self.max_batch = estimator.max_batch
        self.current_batch = 0
        self.current_epoch = 0
        self.stop_training = False

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        if self.current_batch == self.max_batch:
            self.stop_training = True
        return self.stop_training

    def epoch_end(self, estimator, *args, **kwargs):
        self.current_epoch += 1
        if self.current_epoch == self.max_epoch:
            self.stop_training = True
        return self.stop_training


class MetricHandler(EpochBegin, BatchEnd):
    """Reset ``metrics`` at epoch begin and update them after each batch (``Loss`` metrics
    get the loss values, the others (label, pred))."""

    def __init__(self, metrics, priority=-1000):
        self.metrics = _check_metrics(metrics)
        self.priority = priority

    def epoch_begin(self, estimator, *args, **kwargs):
        for metric in self.metrics:
            metric.reset()

    def batch_end(self, estimator, *args, **kwargs):
        for metric in self.metrics:
            if isinstance(metric, _LossMetric):
                metric.update(0, kwargs['loss'])
            else:
                metric.update(kwargs['label'], kwargs['pred'])


class ValidationHandler(TrainBegin, BatchEnd, EpochEnd):
    """Call ``eval_fn(val_data=..., batch_axis=..., event_handlers=...)`` every
    ``epoch_period`` epochs and/or every ``batch_period`` batches."""

    def __init__(self, val_data, eval_fn, epoch_period=1, batch_period=None, priority=-1000,
                 event_handlers=None):
        self.val_data = val_data
        self.eval_fn = eval_fn
        self.epoch_period = epoch_period
        self.batch_period = batch_period
        self.priority = priority
        self.event_handlers = event_handlers
        self.current_batch = 0
        self.current_epoch = 0

    def _run(self, estimator):
        self.eval_fn(val_data=self.val_data, batch_axis=estimator.batch_axis,
                     event_handlers=self.event_handlers)

    def train_begin(self, estimator, *args, **kwargs):
        self.current_batch = 0
        self.current_epoch = 0

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        if self.batch_period and self.current_batch % self.batch_period == 0:
            self._run(estimator)

    def epoch_end(self, estimator, *args, **kwargs):
        self.current_epoch += 1
        if self.epoch_period and self.current_epoch % self.epoch_period == 0:
            self._run(estimator)


def _metric_text(metrics):
    return ', '.join('%s: %.4f' % m.get() for m in metrics)


def _join(msg, metrics):
    text = _metric_text(metrics)
    return (msg + text) if text else msg.rstrip(', ').rstrip()


class LoggingHandler(TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin, BatchEnd):
    """Log training progress through ``estimator.logger``: per epoch
    (``log_interval='epoch'``) or every ``log_interval`` batches (an int)."""

    def __init__(self, log_interval='epoch', metrics=None, priority=math.inf):
        if not isinstance(log_interval, int) and log_interval != 'epoch':
            raise ValueError("log_interval must be either an integer or string 'epoch'")
        self.log_interval = log_interval
        self.metrics = _check_metrics(metrics)
        self.priority = priority
        self.batch_index = 0
        self.current_epoch = 0
        self.processed_samples = 0
        self.log_interval_time = 0
        self.train_start = self.epoch_start = self.batch_start = time.time()

    def train_begin(self, estimator, *args, **kwargs):
        self.train_start = time.time()
        trainer = estimator.trainer
        estimator.logger.info('Training begin: using optimizer %s with current learning '
                              'rate %.4f ', type(trainer.optimizer).__name__,
                              trainer.learning_rate)
        if estimator.max_epoch:
            estimator.logger.info('Train for %d epochs.', estimator.max_epoch)
        else:
            estimator.logger.info('Train for %d batches.', estimator.max_batch)
        self.current_epoch = self.batch_index = self.processed_samples = 0
        self.log_interval_time = 0

    def train_end(self, estimator, *args, **kwargs):
        msg = 'Train finished using total %ds with %d epochs. ' % (
            time.time() - self.train_start, self.current_epoch)
        estimator.logger.info(_join(msg, self.metrics))

    def batch_begin(self, estimator, *args, **kwargs):
        self.batch_start = time.time()

    def batch_end(self, estimator, *args, **kwargs):
        if isinstance(self.log_interval, int):
            self.log_interval_time += time.time() - self.batch_start
            self.processed_samples += kwargs['batch'][0].shape[0]
            if self.batch_index % self.log_interval == 0:
                msg = '[Epoch %d][Batch %d][Samples %s] time/interval: %.3fs ' % (
                    self.current_epoch, self.batch_index, self.processed_samples,
                    self.log_interval_time)
                self.log_interval_time = 0
                estimator.logger.info(_join(msg, self.metrics))
        self.batch_index += 1

    def epoch_begin(self, estimator, *args, **kwargs):
        self.epoch_start = time.time()
        if any('training' in m.name for m in self.metrics):
            estimator.logger.info('[Epoch %d] Begin, current learning rate: %.4f',
                                  self.current_epoch, estimator.trainer.learning_rate)
        else:
            estimator.logger.info('Validation Begin')

    def epoch_end(self, estimator, *args, **kwargs):
        msg = '[Epoch %d] Finished in %.3fs, ' % (self.current_epoch,
                                                   time.time() - self.epoch_start)
        estimator.logger.info(_join(msg, self.metrics))
        self.current_epoch += 1
        self.batch_index = 0


class CheckpointHandler(TrainBegin, BatchEnd, EpochEnd):
    """Save ``{prefix}-epoch{E}batch{B}.params`` / ``.states`` every ``epoch_period`` epochs
    (and/or ``batch_period`` batches), keeping the last ``max_checkpoints``; with
    ``save_best`` also ``{prefix}-best.params`` / ``.states`` whenever ``monitor`` improves.
    A hybridized net's graph goes to ``{prefix}-symbol.json`` after the first batch."""

    def __init__(self, model_dir, model_prefix='model', monitor=None, verbose=0,
                 save_best=False, mode='auto', epoch_period=1, batch_period=None,
                 max_checkpoints=5, resume_from_checkpoint=False):
        self.monitor = monitor
        self.verbose = verbose
        os.makedirs(model_dir, exist_ok=True)
        self.model_dir = model_dir
        self.model_prefix = model_prefix
        self.save_best = save_best
        if save_best and not isinstance(monitor, EvalMetric):
            raise ValueError('To save best model only, please provide one of the metric '
                             'objects from estimator.train_metrics and estimator.val_metrics '
                             'as monitor.')
        self.epoch_period = epoch_period
        self.batch_period = batch_period
        self.max_checkpoints = max_checkpoints
        self.resume_from_checkpoint = resume_from_checkpoint
        self.saved_checkpoints = []
        self.current_batch = 0
        self.current_epoch = 0
        self.trained_epoch = self.trained_batch = -1
        if save_best:
            self.monitor_op, self._worst = _monitor_op('CheckpointHandler', monitor, mode)
            self.best = self._worst

    def train_begin(self, estimator, *args, **kwargs):
        self.current_epoch = 0
        self.current_batch = 0
        if self.save_best:
            self.best = self._worst
        if self.resume_from_checkpoint:
            if bool(estimator.max_batch) != bool(self.batch_period) or \
                    bool(estimator.max_epoch) != bool(self.epoch_period):
                raise ValueError('To resume from a checkpoint, only save on the same kind of '
                                 'period (epochs or batches) that fit() trains for.')
            self._resume(estimator)

    def batch_end(self, estimator, *args, **kwargs):
        if self.current_batch == 0:
            self._save_symbol(estimator)
        if self.batch_period and (self.current_batch + 1) % self.batch_period == 0:
            self._save_checkpoint(estimator)
        self.current_batch += 1

    def epoch_end(self, estimator, *args, **kwargs):
        if self.epoch_period and (self.current_epoch + 1) % self.epoch_period == 0:
            self._save_checkpoint(estimator)
        self.current_epoch += 1

    def _save_checkpoint(self, estimator):
        epoch, batch = self.current_epoch, self.current_batch
        if self.resume_from_checkpoint and self.trained_epoch >= 0:
            epoch += self.trained_epoch + 1
            batch += self.trained_batch + (0 if estimator.max_epoch else 1)
        prefix = '%s-epoch%dbatch%d' % (self.model_prefix, epoch, batch)
        self._save_files(estimator, prefix)
        self.saved_checkpoints.append(prefix)
        while len(self.saved_checkpoints) > self.max_checkpoints:
            old = self.saved_checkpoints.pop(0)
            for ext in ('.params', '.states'):
                path = os.path.join(self.model_dir, old + ext)
                if os.path.exists(path):
                    os.remove(path)
        if self.verbose > 0:
            estimator.logger.info('[Epoch %d] CheckpointHandler: trained total %d batches, '
                                  'saving model at %s with prefix: %s', self.current_epoch,
                                  self.current_batch + 1, self.model_dir, prefix)
        if not self.save_best:
            return
        name, value = self.monitor.get()
        if math.isnan(value):
            warnings.warn('Skipping save best because %s is not updated, make sure you pass '
                          'one of the metric objects estimator.train_metrics and '
                          'estimator.val_metrics as monitor' % name, RuntimeWarning)
        elif self.monitor_op(value, self.best):
            if self.verbose > 0:
                estimator.logger.info('[Epoch %d] CheckpointHandler: %s improved from %0.5f '
                                      'to %0.5f, updating best model at %s', self.current_epoch,
                                      name, self.best, value, self.model_dir)
            self.best = value
            self._save_files(estimator, self.model_prefix + '-best')

    def _save_files(self, estimator, prefix):
        base = os.path.join(self.model_dir, prefix)
        estimator.net.save_parameters(base + '.params')
        estimator.trainer.save_states(base + '.states')

    def _save_symbol(self, estimator):
        path = os.path.join(self.model_dir, self.model_prefix + '-symbol.json')
        entry = getattr(estimator.net, '_last_cached', None)
        if entry is not None:
            entry.sym.save(path)
        else:
            estimator.logger.info('Model architecture(symbol file) is not saved, please use '
                                  'HybridBlock to construct your model, and call '
                                  'net.hybridize() before passing to Estimator in order to '
                                  'save model architecture as %s.', path)

    def _resume(self, estimator):
        found = []
        head = self.model_prefix + '-epoch'
        for fname in os.listdir(self.model_dir):
            if fname.startswith(head) and fname.endswith('.params'):
                stem = fname[:-len('.params')]
                try:
                    e, b = stem[len(head):].split('batch')
                    found.append((int(e), int(b), stem))
                except ValueError:
                    raise ValueError('Error parsing checkpoint file %s: expected '
                                     '{prefix}-epoch{E}batch{B}.params' % fname) from None
        if not found:
            estimator.logger.info('CheckpointHandler: No checkpoint found, training from '
                                  'scratch')
            return
        found.sort()
        self.saved_checkpoints = [s for _, _, s in found]
        self.trained_epoch, self.trained_batch, stem = found[-1]
        if estimator.max_epoch:
            if self.trained_epoch >= estimator.max_epoch - 1:
                raise ValueError('Found checkpoint with maximum number of epoch %d reached, '
                                 'please specify resume_from_checkpoint=False to train from '
                                 'scratch.' % estimator.max_epoch)
            estimator.max_epoch -= self.trained_epoch + 1
        if estimator.max_batch:
            if self.trained_batch >= estimator.max_batch - 1:
                raise ValueError('Found checkpoint with maximum number of batch %d reached, '
                                 'please specify resume_from_checkpoint=False to train from '
                                 'scratch.' % estimator.max_batch)
            estimator.max_batch -= self.trained_batch + 1
        base = os.path.join(self.model_dir, stem)
        estimator.net.load_parameters(base + '.params', ctx=estimator.context)
        estimator.trainer.load_states(base + '.states')
        estimator.logger.warning('CheckpointHandler: Checkpoint resumed from epoch %d batch %d',
                                 self.trained_epoch, self.trained_batch)


class EarlyStoppingHandler(TrainBegin, EpochEnd, TrainEnd):
    """Stop training once ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` consecutive epochs (``baseline``: initial value to beat)."""

    def __init__(self, monitor, min_delta=0, patience=0, mode='auto', baseline=None):
        if not isinstance(monitor, EvalMetric):
            raise ValueError('Please provide one of the metric objects from '
                             'estimator.train_metrics and estimator.val_metrics as monitor.')
        if isinstance(monitor, CompositeEvalMetric):
            raise ValueError('CompositeEvalMetric is not supported for EarlyStoppingHandler, '
                             'please specify a simple metric instead.')
        self.monitor = monitor
        self.baseline = baseline
        self.patience = patience
        self.monitor_op, self._worst = _monitor_op('EarlyStopping', monitor, mode)
        self.min_delta = abs(min_delta) if self._worst == -math.inf else -abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.stop_training = False
        self.best = self._worst

    def train_begin(self, estimator, *args, **kwargs):
        self.wait = self.stopped_epoch = self.current_epoch = 0
        self.stop_training = False
        self.best = self.baseline if self.baseline is not None else self._worst

    def epoch_end(self, estimator, *args, **kwargs):
        name, value = self.monitor.get()
        if math.isnan(value):
            warnings.warn('%s is not updated, make sure you pass one of the metric objects '
                          'from estimator.train_metrics and estimator.val_metrics as monitor.'
                          % name, RuntimeWarning)
        elif self.monitor_op(value - self.min_delta, self.best):
            self.best = value
            self.wait = 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = self.current_epoch
                self.stop_training = True
        self.current_epoch += 1
        return self.stop_training

    def train_end(self, estimator, *args, **kwargs):
        if self.stopped_epoch > 0:
            estimator.logger.info('[Epoch %d] EarlyStoppingHanlder: early stopping due to %s '
                                  'not improving', self.stopped_epoch, self.monitor.get()[0])


class GradientUpdateHandler(BatchEnd):
    """``trainer.step(batch_size)`` after each training batch (batch size = total rows of
    the per-context losses)."""

    def __init__(self, priority=-2000):
        self.priority = priority

    def batch_end(self, estimator, *args, **kwargs):
        loss = kwargs['loss']
        if not isinstance(loss, (list, tuple)):
            loss = [loss]
        estimator.trainer.step(sum(value.shape[0] for value in loss))
