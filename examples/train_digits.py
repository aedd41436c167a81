"""Train an MLP and a small CNN on sklearn's bundled 8x8 digits with mxcore Gluon.

Prints per-epoch loss/accuracy with a progress bar, reports test accuracy and saves each
model with save_parameters.  Runs in well under a minute on 2 CPU cores.

    PYTHONPATH=bindings/python python examples/train_digits.py [--out DIR] [--epochs N]
"""
import argparse
import os
import sys
import time

import numpy as np
from sklearn.datasets import load_digits

import mxcore as mx
from mxcore import autograd, gluon
from mxcore.gluon import nn


def progress(i, n, width=30):
    done = int(width * i / n)
    sys.stdout.write('\r  [%s%s] %d/%d' % ('#' * done, '.' * (width - done), i, n))
    sys.stdout.flush()


def load(seed=0):
    d = load_digits()
    x = (d.images / 16.0).astype('float32')[:, None]          # (N, 1, 8, 8)
    y = d.target.astype('float32')
    idx = np.random.RandomState(seed).permutation(len(x))
    n_test = len(x) // 5
    te, tr = idx[:n_test], idx[n_test:]
    return x[tr], y[tr], x[te], y[te]


def mlp():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(128, activation='relu'))
        net.add(nn.Dropout(0.1))
        net.add(nn.Dense(64, activation='relu'))
        net.add(nn.Dense(10))
    return net


def cnn():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(16, kernel_size=3, padding=1))
        net.add(nn.BatchNorm())
        net.add(nn.Activation('relu'))
        net.add(nn.Conv2D(32, kernel_size=3, padding=1, activation='relu'))
        net.add(nn.MaxPool2D(pool_size=2))
        net.add(nn.Flatten())
        net.add(nn.Dense(64, activation='relu'))
        net.add(nn.Dense(10))
    return net


def evaluate(net, loader):
    metric = mx.metric.Accuracy()
    for data, label in loader:
        metric.update(label, net(data))
    return metric.get()[1]


def train(name, net, data, epochs, lr, out_dir):
    xtr, ytr, xte, yte = data
    train_loader = gluon.data.DataLoader(gluon.data.ArrayDataset(xtr, ytr), batch_size=64,
                                         shuffle=True)
    test_loader = gluon.data.DataLoader(gluon.data.ArrayDataset(xte, yte), batch_size=256)
    net.initialize(mx.init.Xavier())
    net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': lr})
    print('== %s ==' % name)
    t0 = time.time()
    for epoch in range(epochs):
        metric = mx.metric.Accuracy()
        total, count = 0.0, 0
        for i, (x, y) in enumerate(train_loader):
            with autograd.record():
                out = net(x)
                loss = loss_fn(out, y)
            loss.backward()
            trainer.step(x.shape[0])
            total += float(loss.sum().asscalar())
            count += x.shape[0]
            metric.update(y, out)
            progress(i + 1, len(train_loader))
        print('  epoch %2d  loss %.4f  train acc %.4f  test acc %.4f'
              % (epoch + 1, total / count, metric.get()[1], evaluate(net, test_loader)))
    acc = evaluate(net, test_loader)
    path = os.path.join(out_dir, 'digits_%s.params' % name)
    net.save_parameters(path)
    print('%s: test accuracy %.4f (%.1fs), saved %s' % (name, acc, time.time() - t0, path))
    return acc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--epochs', type=int, default=15)
    ap.add_argument('--out', default='.')
    args = ap.parse_args()
    mx.random.seed(42)
    np.random.seed(42)
    data = load()
    a1 = train('mlp', mlp(), data, args.epochs, 0.003, args.out)
    a2 = train('cnn', cnn(), data, args.epochs, 0.003, args.out)
    print('MLP %.4f  CNN %.4f' % (a1, a2))
    return 0 if min(a1, a2) >= 0.97 else 1


if __name__ == '__main__':
    sys.exit(main())
