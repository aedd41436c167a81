"""The seed design document's first example (section 4.1), run on mxcore.

The preamble maps ``mxnet`` to ``mxcore`` and defines X_train/y_train (sklearn's bundled
8x8 digits); everything between the markers is the seed code verbatim.
"""
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

# ---- seed code (section 4.1), verbatim ----
import mxnet as mx
from mxnet import ndarray as nd
from mxnet import gluon
from mxnet import autograd

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
        data = batch.data
        label = batch.label
        with autograd.record():
            output = net(data)
            loss = gluon.loss.SoftmaxCrossEntropyLoss()(output, label)
        loss.backward()
        trainer.step(batch.batch_size)
# ---- end of seed code ----

print('final batch loss: %.4f' % loss.mean().asscalar())
