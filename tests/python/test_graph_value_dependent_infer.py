"""An op whose output shape depends on input values (boolean_mask) fails a graph's shape
inference (shape-only tensors) with a message naming it, instead of reading absent data."""
import mxcore as mx
import numpy as np
import pytest
from mxcore.base import MXNetError


def test_boolean_mask_in_shape_inference():
    s = mx.sym.contrib.boolean_mask(mx.sym.var("x"), mx.sym.var("m"))
    with pytest.raises(MXNetError, match="boolean_mask: its output shape depends on the values of index"):
        s.infer_shape(x=(3, 2), m=(3,))
    # eagerly it runs
    out = mx.nd.contrib.boolean_mask(mx.nd.array(np.arange(6).reshape(3, 2)), mx.nd.array([1, 0, 1]))
    np.testing.assert_array_equal(out.asnumpy(), [[0, 1], [4, 5]])
