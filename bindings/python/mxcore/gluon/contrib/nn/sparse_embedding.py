"""SparseEmbedding (``gluon.contrib.nn``): MXNet 1.9.1's API over dense storage."""
from __future__ import annotations

from ...block import Block

__all__ = ['SparseEmbedding']


class SparseEmbedding(Block):
    """Maps integer indices to vectors of size ``output_dim``, as MXNet's SparseEmbedding:
    the parameter ``<prefix>weight`` of shape (input_dim, output_dim), a (non-hybrid)
    Block whose forward is ``Embedding(x, weight)``.

    mxcore has no sparse storage: the weight and its gradient are dense arrays (stype
    'default', not MXNet's 'row_sparse'); the gradient has zero rows for the indices not
    in the batch. Values and gradients equal MXNet's, and plain SGD updates agree, but
    with weight decay or momentum every row is updated, where MXNet's lazy update skips
    the rows absent from the batch. No Trainer is needed before the forward.
    """

    def __init__(self, input_dim, output_dim, dtype='float32', weight_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'input_dim': input_dim, 'output_dim': output_dim, 'dtype': dtype,
                        'sparse_grad': True}
        self.weight = self.params.get('weight', shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype)

    def forward(self, x):
        from .... import ndarray as nd
        return nd.Embedding(x, self.weight.row_sparse_data(x), name='fwd', **self._kwargs)

    def __repr__(self):
        return '{}({input_dim} -> {output_dim}, {dtype})'.format(type(self).__name__, **self._kwargs)
