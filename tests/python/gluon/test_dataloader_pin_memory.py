"""DataLoader(pin_memory=True) hands out batches in cpu_pinned(pin_device_id) memory, every
field of a (data, label) batch, with or without workers, as MXNet 1.9.1 does."""
import numpy as np
import pytest

import mxcore as mx
from mxcore import gluon


@pytest.mark.parametrize('workers', [0, 2])
def test_pin_memory_batches_on_pinned_context(workers):
    X = np.arange(40, dtype='float32').reshape(10, 4)
    Y = np.arange(10, dtype='float32')
    if not workers:  # (MXNet's workers hand out cpu_shared batches)
        assert all(x.context == mx.cpu(0) for x in gluon.data.DataLoader(gluon.data.ArrayDataset(X), 8))
    pinned = gluon.data.DataLoader(gluon.data.ArrayDataset(X), 8, pin_memory=True, num_workers=workers)
    got = list(pinned)
    assert [x.context for x in got] == [mx.cpu_pinned(0)] * 2
    np.testing.assert_array_equal(np.concatenate([x.asnumpy() for x in got]), X)
    pairs = gluon.data.DataLoader(gluon.data.ArrayDataset(X, Y), 4, pin_memory=True, pin_device_id=1,
                                  num_workers=workers)
    for i, (x, y) in enumerate(pairs):
        assert x.context == mx.cpu_pinned(1) and y.context == mx.cpu_pinned(1)
        np.testing.assert_array_equal(y.asnumpy(), Y[i * 4:(i + 1) * 4])
