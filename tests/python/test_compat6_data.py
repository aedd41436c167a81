"""Data iterators and transforms vs MXNet 1.9.1 (expected values printed by MXNet)."""
import numpy as np

import mxcore as mx
from mxcore import nd
from mxcore.gluon.data.vision import transforms as T


def test_ndarrayiter_descs_carry_numpy_type_classes():
    # MXNet's DataDesc holds the array's dtype as NDArray.dtype gives it: numpy.float32
    it = mx.io.NDArrayIter(np.zeros((4, 2)), np.zeros(4, dtype='int64'), batch_size=2)
    assert it.provide_data[0].dtype is np.float32 and it.provide_label[0].dtype is np.float32
    assert repr(it.provide_data) == "[DataDesc[data,(2, 2),<class 'numpy.float32'>,NCHW]]"
    it = mx.io.NDArrayIter(nd.zeros((4, 2), dtype='float64'), batch_size=2)
    assert it.provide_data[0].dtype is np.float64


def test_csviter_dtype(tmp_path):
    f = str(tmp_path / 'f.csv')
    with open(f, 'w') as fh:
        fh.write('1.7,-2.5,3\n4,5,6.9\n')
    for dt in ('int32', 'int64'):
        it = mx.io.CSVIter(data_csv=f, data_shape=(3,), label_csv=f, label_shape=(3,), batch_size=2, dtype=dt)
        b = next(it)
        assert b.data[0].dtype == np.dtype(dt) and b.label[0].dtype == np.dtype(dt)
        assert b.data[0].asnumpy().tolist() == [[1, -2, 3], [4, 5, 6]]   # truncated toward zero
        assert it.provide_label[0].dtype is np.dtype(dt).type
    it = mx.io.CSVIter(data_csv=f, data_shape=(3,), batch_size=2, dtype='int32')
    assert next(it).label[0].dtype == np.int32


def test_compose_groups_hybrid_runs_as_mxnet():
    c = T.Compose([T.Resize(3), T.CenterCrop(2), T.ToTensor(), T.Normalize(0.5, 0.5)])
    assert [type(b).__name__ for b in c._children.values()] == ['Resize', 'CenterCrop', 'HybridSequential']
    c2 = T.Compose([T.Resize(4), T.ToTensor(), T.RandomBrightness(0.0), T.Cast('float64'),
                    T.RandomResizedCrop(2), T.RandomLighting(0.0), T.RandomFlipLeftRight()])
    assert [type(b).__name__ for b in c2._children.values()] == \
        ['HybridSequential', 'RandomResizedCrop', 'HybridSequential']
    img = nd.array(np.arange(4 * 6 * 3).reshape(4, 6, 3) % 256, dtype='uint8')
    y = c(img)
    assert y.shape == (3, 2, 2) and y.dtype == np.float32
    # MXNet 1.9.1: sum of the composed output
    np.testing.assert_allclose(float(y.asnumpy().astype('float64').sum()), -10.071, atol=2e-3)
    np.testing.assert_allclose(y.asnumpy().ravel()[:4], [-0.9686, -0.9216, -0.7725, -0.7255], atol=1e-4)


def test_filter_sampler_and_shard_message():
    from mxcore import gluon
    fs = gluon.data.FilterSampler(lambda x: x % 2 == 0, list(range(7)))
    assert list(fs) == [0, 2, 4, 6] and len(fs) == 4
    import pytest
    with pytest.raises(AssertionError, match='Shard index of out bound: 4 out of 4'):
        gluon.data.SimpleDataset(list(range(6))).shard(4, 4)


class _NextOnly(mx.io.DataIter):
    """A user iterator in MXNet's style: only next() is overridden."""

    def __init__(self):
        super().__init__(batch_size=2)
        self.i = 0

    @property
    def provide_data(self):
        return [mx.io.DataDesc('data', (2, 3))]

    @property
    def provide_label(self):
        return [mx.io.DataDesc('softmax_label', (2,))]

    def reset(self):
        self.i = 0

    def next(self):
        if self.i >= 3:
            raise StopIteration
        self.i += 1
        return mx.io.DataBatch([nd.ones((2, 3)) * self.i], [nd.zeros((2,))], pad=0)


def test_dataiter_that_overrides_next_only():
    it = _NextOnly()
    assert [float(b.data[0].asnumpy()[0, 0]) for b in it] == [1.0, 2.0, 3.0]
    it.reset()
    assert float(next(it).data[0].asnumpy()[0, 0]) == 1.0
    assert [float(b.data[0].asnumpy()[0, 0]) for b in mx.io.ResizeIter(_NextOnly(), 5)] == [1, 2, 3, 1, 2]
    assert [float(b.data[0].asnumpy()[0, 0]) for b in mx.io.PrefetchingIter(_NextOnly())] == [1, 2, 3]
    sym = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.Variable('data'), num_hidden=2, name='fc'),
                               name='softmax')
    mod = mx.mod.Module(sym)
    mod.fit(_NextOnly(), num_epoch=1, initializer=mx.init.Zero(), optimizer_params={'learning_rate': 0.1})
    np.testing.assert_allclose(mod.get_params()[0]['fc_weight'].asnumpy(), [[0.1447] * 3, [-0.1447] * 3],
                               atol=1e-4)   # MXNet 1.9.1
    assert mod.score(_NextOnly(), 'acc') == [('accuracy', 1.0)]


def test_resize_and_cropresize_take_nhwc_batches():
    img = nd.array(np.arange(2 * 4 * 6 * 3).reshape(2, 4, 6, 3) % 256, dtype='uint8')
    y = T.Resize((3, 2))(img)   # MXNet 1.9.1
    assert y.shape == (2, 2, 3, 3) and y.dtype == np.uint8
    assert y.asnumpy().ravel()[:8].tolist() == [11, 12, 13, 17, 18, 19, 23, 24] and int(y.asnumpy().sum()) == 2592
    y = T.Resize(3, keep_ratio=True)(img)
    assert y.shape == (2, 3, 4, 3) and int(y.asnumpy().sum()) == 5148
    y = T.CropResize(1, 1, 3, 2)(img)
    assert y.shape == (2, 2, 3, 3) and int(y.asnumpy().sum()) == 2520
    assert y.asnumpy().ravel()[:8].tolist() == [21, 22, 23, 24, 25, 26, 27, 28]


def test_random_apply():
    import random
    img = nd.array(np.arange(18).reshape(2, 3, 3), dtype='uint8')
    assert T.RandomApply(T.Compose([T.Cast('float32'), T.ToTensor()]), p=1.0)(img).shape == (3, 2, 3)
    assert T.RandomApply(T.ToTensor(), p=0.0)(img).shape == (2, 3, 3)
    random.seed(3)
    shapes = [T.RandomApply(T.ToTensor(), p=0.5)(img).shape for _ in range(6)]
    assert shapes == [(3, 2, 3), (2, 3, 3), (3, 2, 3), (2, 3, 3), (2, 3, 3), (3, 2, 3)]   # MXNet 1.9.1
