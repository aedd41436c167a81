"""The seed design document's second example (section 4.2): training on ``mx.gpu()``.

Without a usable GPU, ``mx.gpu()`` work fails with mxcore's clear error.  Set
MXCORE_SEED_CPU_FALLBACK=1 to opt in to running the same code on the CPU instead.
"""
import os
import sys

import mxcore
import mxcore.autograd
import mxcore.gluon
import mxcore.ndarray

sys.modules['mxnet'] = mxcore
sys.modules['mxnet.ndarray'] = mxcore.ndarray
sys.modules['mxnet.gluon'] = mxcore.gluon
sys.modules['mxnet.autograd'] = mxcore.autograd

from sklearn.datasets import load_digits  # noqa: E402

_digits = load_digits()
X_train = (_digits.data / 16.0).astype('float32')
y_train = _digits.target.astype('float32')

if os.environ.get('MXCORE_SEED_CPU_FALLBACK') == '1':
    try:
        mxcore.nd.zeros((1,), ctx=mxcore.gpu())
    except Exception as exc:  # noqa: BLE001 - report why, then fall back as asked
        print('no usable GPU (%s); falling back to the CPU as requested' % exc)
        mxcore.gpu = mxcore.cpu

# ---- seed code (section 4.2), verbatim ----
import mxnet as mx
from mxnet import ndarray as nd
from mxnet import gluon
from mxnet import autograd

# 设置使用GPU计算平台
ctx = mx.gpu()

# 创建一个简单的深度学习模型
net = gluon.nn.Sequential()
net.add(gluon.nn.Dense(100, activation='relu'))
net.add(gluon.nn.Dense(10, activation='softmax'))

# 创建一个训练数据集
train_data = gluon.data.ArrayDataset(X_train, y_train)
train_data = gluon.data.DataLoader(train_data, batch_size=32, shuffle=True)

# 创建一个优化器
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.01})

# 训练模型
for epoch in range(10):
    for batch in train_data:
        data = batch.data.as_in_context(ctx)
        label = batch.label.as_in_context(ctx)
        with autograd.record():
            output = net(data)
            loss = gluon.loss.SoftmaxCrossEntropyLoss()(output, label)
        loss.backward()
        trainer.step(batch.batch_size)
# ---- end of seed code ----

print('final batch loss: %.4f' % loss.mean().asscalar())
