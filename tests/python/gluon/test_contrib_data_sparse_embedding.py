"""gluon.contrib.data.IntervalSampler and gluon.contrib.nn.SparseEmbedding against
MXNet 1.9.1 (its printed values)."""
import numpy as np
import pytest

from mxcore import autograd, gluon, nd


def test_interval_sampler():
    IntervalSampler = gluon.contrib.data.IntervalSampler
    assert gluon.contrib.data.sampler.IntervalSampler is IntervalSampler
    s = IntervalSampler(13, interval=3)
    assert list(s) == [0, 3, 6, 9, 12, 1, 4, 7, 10, 2, 5, 8, 11] and len(s) == 13
    s = IntervalSampler(13, interval=3, rollover=False)
    assert list(s) == [0, 3, 6, 9, 12] and len(s) == 13  # MXNet's len is the length either way
    assert list(IntervalSampler(4, 4)) == [0, 1, 2, 3]
    with pytest.raises(AssertionError, match='IntervalSampler: interval 5 must be smaller than or equal to length 4'):
        IntervalSampler(4, 5)
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(nd.arange(6)), batch_size=2,
                                   sampler=IntervalSampler(6, 2))
    assert [b.asnumpy().tolist() for b in loader] == [[0, 2], [4, 1], [3, 5]]


def _embedding(**kw):
    e = gluon.contrib.nn.SparseEmbedding(10, 4, **kw)
    e.initialize()
    e.weight.set_data(nd.array(np.arange(40).reshape(10, 4) / 10.))
    return e


def test_sparse_embedding_values_and_gradient():
    e = _embedding()
    assert repr(e) == 'SparseEmbedding(10 -> 4, float32)'
    assert e.prefix.startswith('sparseembedding') and list(e.collect_params()) == [e.prefix + 'weight']
    assert not isinstance(e, gluon.HybridBlock)
    x = nd.array([[1, 3], [3, 9]])
    with autograd.record():
        y = e(x)
        loss = (y * y).sum()
    loss.backward()
    # MXNet 1.9.1: the rows 1, 3, 3, 9 and 2 * y summed per row, as a row_sparse gradient
    np.testing.assert_allclose(y.asnumpy(), [[[0.4, 0.5, 0.6, 0.7], [1.2, 1.3, 1.4, 1.5]],
                                             [[1.2, 1.3, 1.4, 1.5], [3.6, 3.7, 3.8, 3.9]]], rtol=1e-6)
    want = np.zeros((10, 4))
    want[1], want[3], want[9] = [0.8, 1.0, 1.2, 1.4], [4.8, 5.2, 5.6, 6.0], [7.2, 7.4, 7.6, 7.8]
    g = e.weight.grad()
    assert g.stype == 'row_sparse' and g.indices.asnumpy().tolist() == [1, 3, 9]
    np.testing.assert_allclose(g.asnumpy(), want, rtol=1e-6)
    half = gluon.contrib.nn.SparseEmbedding(5, 2, dtype='float16')
    half.initialize()
    assert repr(half) == 'SparseEmbedding(5 -> 2, float16)' and half(nd.array([1])).dtype == np.float16


def test_sparse_embedding_trains_rows_of_the_batch():
    e = _embedding()
    trainer = gluon.Trainer(e.collect_params(), 'sgd', {'learning_rate': 0.1, 'wd': 0.5})
    with autograd.record():
        loss = (e(nd.array([[1, 3], [3, 9]])) ** 2).sum()
    loss.backward()
    trainer.step(1)
    w = e.weight.data().asnumpy()
    # MXNet 1.9.1's rows of the batch after the step; its lazy update leaves the other rows
    # as they were, weight decay included
    np.testing.assert_allclose(w[[1, 3, 9]], [[0.3, 0.375, 0.45, 0.525], [0.66, 0.715, 0.77, 0.825],
                                             [2.7, 2.775, 2.85, 2.925]], rtol=1e-5)
    # rows absent from the batch keep their initial values (lazy update)
    w0 = _embedding().weight.data().asnumpy()
    np.testing.assert_array_equal(np.delete(w, [1, 3, 9], axis=0), np.delete(w0, [1, 3, 9], axis=0))
