"""SparseEmbedding (``gluon.contrib.nn``): MXNet 1.9.1's API over dense storage."""
from __future__ import annotations

from ...block import Block

__all__ = ['SparseEmbedding']


class SparseEmbedding(Block):
    """Maps integer indices to vectors of size ``output_dim``, as MXNet's SparseEmbedding:
    the parameter ``<prefix>weight`` of shape (input_dim, output_dim), a (non-hybrid)
    Block whose forward is ``Embedding(x, weight)``.

    The gradient is row_sparse (``weight.grad().stype == 'row_sparse'``, the rows of the
    batch) and Trainer's lazy updates (``lazy_update=True``, the default) touch only those
    rows, as in MXNet. The weight is declared row_sparse as in MXNet (optimizers without a
    dense-weight lazy kernel, FTRL, stay lazy for it) but stored dense, so ``weight.data()``
    works; its values after training equal MXNet's. No Trainer is
    needed before the forward.
    """

    def __init__(self, input_dim, output_dim, dtype='float32', weight_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'input_dim': input_dim, 'output_dim': output_dim, 'dtype': dtype,
                        'sparse_grad': True}
        self.weight = self.params.get('weight', shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype, stype='row_sparse',
                                      grad_stype='row_sparse')

    def forward(self, x):
        from .... import autograd
        from .... import ndarray as nd
        if autograd.is_recording():
            self.weight._note_rows(x)  # the row_sparse gradient's rows
        return nd.Embedding(x, self.weight.row_sparse_data(x), name='fwd', **self._kwargs)

    def __repr__(self):
        return '{}({input_dim} -> {output_dim}, {dtype})'.format(type(self).__name__, **self._kwargs)
