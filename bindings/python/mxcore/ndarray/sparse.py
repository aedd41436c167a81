"""Sparse storage is not supported by mxcore; these names exist so MXNet code
that only references them imports cleanly, and fails clearly when used."""
from ..base import MXNetError


def _unsupported(*args, **kwargs):
    raise MXNetError("sparse NDArrays (csr/row_sparse) are not supported by mxcore; use dense arrays")


csr_matrix = row_sparse_array = zeros = array = _unsupported
