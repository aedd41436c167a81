"""gluon.contrib.estimator: Estimator.fit/evaluate and the event handlers (MXNet 1.x API).

File names, metric names and log lines follow MXNet 1.9.1's estimator (checked against it
on the same script)."""
import logging
import os

import numpy as np
import pytest

import mxcore as mx
from mxcore import gluon
from mxcore.gluon.contrib.estimator import (BatchBegin, BatchEnd, BatchProcessor,
                                            CheckpointHandler, EarlyStoppingHandler,
                                            EpochBegin, EpochEnd, Estimator, LoggingHandler,
                                            StoppingHandler, TrainBegin, TrainEnd)


def _data(n=200, batch_size=20, seed=0, shuffle=False):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 4).astype('float32')
    y = (x[:, 0] + 2 * x[:, 1] > 0).astype('float32')
    ds = gluon.data.ArrayDataset(mx.nd.array(x), mx.nd.array(y))
    return gluon.data.DataLoader(ds, batch_size=batch_size, shuffle=shuffle), x, y


def _net(hybridize=False):
    mx.random.seed(1)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(8, activation='relu', in_units=4), gluon.nn.Dense(2, in_units=8))
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize()
    return net


def _est(lr=0.05, net=None, **kw):
    net = net or _net()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': lr})
    return Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer, **kw)


def _quiet(est):
    est.logger.handlers = []
    return est


def test_default_metrics_and_trainer():
    net = _net()
    with pytest.warns(UserWarning, match='default SGD'):
        est = Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss())
    assert [m.name for m in est.train_metrics] == ['training accuracy',
                                                   'training softmaxcrossentropyloss']
    assert [m.name for m in est.val_metrics] == ['validation accuracy',
                                                 'validation softmaxcrossentropyloss']
    assert isinstance(est.train_metrics[1], mx.metric.Loss)
    assert est.val_metrics[0] is not est.train_metrics[0]
    assert type(est.trainer.optimizer).__name__ == 'SGD'
    assert est.trainer.learning_rate == pytest.approx(0.001)
    # a non-classification loss gets only the Loss metric; user metrics get the prefix
    est2 = _quiet(Estimator(_net(), gluon.loss.L2Loss(), trainer=est.trainer,
                            train_metrics=mx.metric.MAE()))
    assert [m.name for m in est2.train_metrics] == ['training mae']
    assert [m.name for m in est2.val_metrics] == ['validation mae']
    est3 = Estimator(_net(), gluon.loss.L2Loss(), trainer=est.trainer)
    assert [m.name for m in est3.train_metrics] == ['training l2loss']


def test_fit_learns_and_evaluate_matches_manual():
    train, _, _ = _data(shuffle=True)
    val, xv, yv = _data(n=100, seed=3)
    est = _quiet(_est())
    est.fit(train, val_data=val, epochs=5)
    assert est.train_metrics[0].get()[1] >= 0.9
    assert est.val_metrics[0].get()[1] >= 0.9

    est.evaluate(val)
    out = est.net(mx.nd.array(xv)).asnumpy()
    acc = float((out.argmax(axis=1) == yv).mean())
    logp = out - out.max(axis=1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=1, keepdims=True))
    ce = float(-logp[np.arange(len(yv)), yv.astype(int)].mean())
    assert est.val_metrics[0].get() == ('validation accuracy', pytest.approx(acc))
    assert est.val_metrics[1].get()[1] == pytest.approx(ce, rel=1e-4)


class _Recorder(TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin, BatchEnd):
    def __init__(self):
        self.events = []

    def train_begin(self, estimator, *args, **kwargs):
        self.events.append('train_begin')

    def train_end(self, estimator, *args, **kwargs):
        self.events.append('train_end')

    def epoch_begin(self, estimator, *args, **kwargs):
        self.events.append('epoch_begin')

    def epoch_end(self, estimator, *args, **kwargs):
        self.events.append('epoch_end')

    def batch_begin(self, estimator, *args, **kwargs):
        assert len(kwargs['batch']) == 2
        self.events.append('batch_begin')

    def batch_end(self, estimator, *args, **kwargs):
        assert set(kwargs) >= {'batch', 'pred', 'label', 'loss'}
        self.events.append('batch_end')


def test_custom_handler_event_order():
    train, _, _ = _data(n=60)  # 3 batches
    rec = _Recorder()
    _quiet(_est()).fit(train, epochs=2, event_handlers=rec)
    epoch = ['epoch_begin'] + ['batch_begin', 'batch_end'] * 3 + ['epoch_end']
    assert rec.events == ['train_begin'] + epoch * 2 + ['train_end']


@pytest.mark.parametrize('batches', [7, 13])
def test_stopping_by_batches(batches):
    train, _, _ = _data()  # 10 batches per epoch
    rec = _Recorder()
    stop = StoppingHandler()
    _quiet(_est()).fit(train, batches=batches, event_handlers=[rec, stop])
    assert rec.events.count('batch_end') == batches
    assert stop.current_batch == batches
    assert rec.events[-1] == 'train_end'


def test_early_stopping_when_metric_stalls():
    train, _, _ = _data()
    est = _quiet(_est(lr=0.0))  # no learning: the training loss never improves
    rec = _Recorder()
    es = EarlyStoppingHandler(monitor=est.train_metrics[1], mode='min', patience=2)
    est.fit(train, epochs=10, event_handlers=[rec, es])
    # epoch 0 sets the best, epochs 1 and 2 do not improve -> stop after 3 epochs
    assert rec.events.count('epoch_end') == 3
    assert es.stop_training and es.stopped_epoch == 2

    # an improving metric does not stop; a baseline that cannot be reached stops at once
    est = _quiet(_est(lr=0.05))
    es = EarlyStoppingHandler(monitor=est.train_metrics[0], mode='max', patience=3)
    est.fit(train, epochs=4, event_handlers=es)
    assert not es.stop_training
    es = EarlyStoppingHandler(monitor=est.train_metrics[0], baseline=1.5, patience=1)
    rec = _Recorder()
    est.fit(train, epochs=5, event_handlers=[es, rec])
    assert rec.events.count('epoch_end') == 1 and es.stop_training


class _Scripted(mx.metric.EvalMetric):
    """Reports a fixed value per epoch (epochs counted by reset())."""

    def __init__(self, values):
        self.values = values
        super().__init__('scripted')
        self.epoch = -1  # the first reset() is the MetricHandler's at epoch 0 begin

    def reset(self):
        super().reset()
        self.epoch = getattr(self, 'epoch', -1) + 1

    def update(self, labels, preds):
        self.num_inst = 1

    def get(self):
        return self.name, self.values[min(self.epoch, len(self.values) - 1)]


def test_checkpoint_files_and_save_best(tmp_path):
    train, _, _ = _data()  # 10 batches per epoch
    est = _quiet(_est(net=_net(hybridize=True),
                      train_metrics=[mx.metric.Accuracy(), _Scripted([0.5, 0.9, 0.7, 0.8])]))
    ck = CheckpointHandler(str(tmp_path), model_prefix='m', monitor=est.train_metrics[1],
                           save_best=True, mode='max', max_checkpoints=3)
    est.fit(train, epochs=4, event_handlers=ck)
    files = sorted(os.listdir(tmp_path))
    kept = ['m-epoch%dbatch%d' % (e, 10 * (e + 1)) for e in (1, 2, 3)]
    assert files == sorted(['m-best.params', 'm-best.states', 'm-symbol.json'] +
                           [k + ext for k in kept for ext in ('.params', '.states')])
    assert ck.best == 0.9
    best = (tmp_path / 'm-best.params').read_bytes()
    assert best == (tmp_path / 'm-epoch1batch20.params').read_bytes()
    assert best != (tmp_path / 'm-epoch3batch40.params').read_bytes()
    net2 = _net()
    net2.load_parameters(str(tmp_path / 'm-epoch3batch40.params'))
    x = mx.nd.ones((2, 4))
    np.testing.assert_allclose(net2(x).asnumpy(), est.net(x).asnumpy(), rtol=1e-6)
    est.trainer.load_states(str(tmp_path / 'm-best.states'))

    # batch_period checkpoints; no symbol file for a non-hybridized net
    d2 = tmp_path / 'b'
    est = _quiet(_est())
    est.fit(train, batches=6, event_handlers=CheckpointHandler(str(d2), epoch_period=None,
                                                               batch_period=3))
    assert sorted(os.listdir(d2)) == ['model-epoch0batch2.params', 'model-epoch0batch2.states',
                                      'model-epoch0batch5.params', 'model-epoch0batch5.states']


def test_logging_handler_lines(caplog):
    train, _, _ = _data(n=100)  # 5 batches
    val, _, _ = _data(n=40, seed=2)
    est = _quiet(_est())
    est.logger.addHandler(caplog.handler)
    with caplog.at_level(logging.INFO):
        est.fit(train, val_data=val, epochs=2,
                event_handlers=LoggingHandler(log_interval=2, metrics=est.train_metrics))
    msgs = [r.getMessage() for r in caplog.records]
    assert msgs[0].startswith('Training begin: using optimizer Adam with current learning '
                              'rate 0.0500')
    assert msgs[1] == 'Train for 2 epochs.'
    assert msgs[2] == '[Epoch 0] Begin, current learning rate: 0.0500'
    batch_lines = [m for m in msgs if '][Batch ' in m]
    assert [m.split(' time')[0] for m in batch_lines] == [
        '[Epoch %d][Batch %d][Samples %d]' % (e, b, 100 * e + 20 * (b + 1))
        for e in (0, 1) for b in (0, 2, 4)]
    assert all('training accuracy: ' in m for m in batch_lines)
    assert msgs.count('Validation Begin') == 2
    assert any(m.startswith('[Epoch 0] Finished in ') and 'validation accuracy: ' in m
               for m in msgs)
    assert msgs[-1].startswith('Train finished using total ')
    assert 'with 2 epochs. training accuracy: ' in msgs[-1]
    with pytest.raises(ValueError, match='log_interval'):
        LoggingHandler(log_interval='batch')


def test_custom_batch_processor():
    class Counting(BatchProcessor):
        n_fit = n_eval = 0

        def fit_batch(self, estimator, train_batch, batch_axis=0):
            Counting.n_fit += 1
            return super().fit_batch(estimator, train_batch, batch_axis)

        def evaluate_batch(self, estimator, val_batch, batch_axis=0):
            Counting.n_eval += 1
            return super().evaluate_batch(estimator, val_batch, batch_axis)

    train, _, _ = _data(n=60)
    est = _quiet(_est(batch_processor=Counting()))
    est.fit(train, val_data=train, epochs=2)
    assert (Counting.n_fit, Counting.n_eval) == (6, 6)
    with pytest.raises(ValueError, match='fit_batch'):
        _est(batch_processor=object())


def test_errors_are_clear(tmp_path):
    train, _, _ = _data(n=40)
    with pytest.raises(ValueError, match='loss must be a Loss'):
        Estimator(_net(), None)
    with pytest.raises(ValueError, match='metrics must be a Metric'):
        _est(train_metrics=['acc'])
    with pytest.raises(ValueError, match='Trainer must be a Gluon Trainer'):
        Estimator(_net(), gluon.loss.L2Loss(), trainer='sgd')
    with pytest.raises(ValueError, match='metric objects'):
        EarlyStoppingHandler(monitor='accuracy')
    with pytest.raises(ValueError, match='monitor'):
        CheckpointHandler(str(tmp_path), save_best=True)
    est = _quiet(_est())
    with pytest.raises(ValueError, match='one and only one'):
        est.fit(train, epochs=1, batches=1)
    with pytest.raises(ValueError, match='one and only one'):
        est.fit(train)
    with pytest.raises(ValueError, match='DataLoader'):
        est.fit([(mx.nd.ones((2, 4)), mx.nd.ones((2,)))], epochs=1)
    with pytest.raises(ValueError, match='EventHandler'):
        est.fit(train, epochs=1, event_handlers=[object()])
    # a handler monitoring a metric that is not one of the estimator's
    foreign = mx.metric.Accuracy()
    with pytest.raises(ValueError, match='outside of the known training and validation'):
        est.fit(train, epochs=1, event_handlers=EarlyStoppingHandler(foreign, mode='max'))
