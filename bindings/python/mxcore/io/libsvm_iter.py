"""mx.io.LibSVMIter: MXNet 1.x's iterator over a LibSVM text file, giving CSR batches.

Each line is ``label idx:value idx:value ...`` with zero-based feature ids (MXNet's
convention); blank lines are skipped. The label is dense (batch_size,) (or
(batch_size,) + label_shape) from the first field, or, with ``label_libsvm``, a CSR
batch read from that file's ``idx:value`` fields. ``round_batch`` (the only mode
MXNet's sparse loader has) fills the last batch from the file's start and sets ``pad``;
the next epoch then starts after the samples that filled it, as in MXNet.
``num_parts``/``part_index`` split the file by bytes into parts of whole lines (a line
belongs to the part its first byte falls in), as MXNet's input split does.
"""
from __future__ import annotations

import numpy as np

from ..base import MXNetError
from . import DataBatch, DataDesc, _CurrentBatchIter


def _parse(path, ncols, num_parts, part_index, what):
    """(labels, rows) of the part's lines: rows are (sorted ids, values) per sample."""
    with open(path, "rb") as f:
        raw = f.read()
    step = (len(raw) + num_parts - 1) // num_parts if num_parts > 1 else len(raw) + 1
    lo, hi = step * part_index, step * (part_index + 1)
    labels, rows, pos = [], [], 0
    for lineno, line in enumerate(raw.split(b"\n"), 1):
        start, pos = pos, pos + len(line) + 1
        if not (lo <= start < hi) or not line.strip():
            continue
        fields = line.split()
        try:
            labels.append(float(fields[0]))
            pairs = [f.split(b":") for f in fields[1:]]
            ids = np.array([int(p[0]) for p in pairs], dtype=np.int64)
            vals = np.array([float(p[1]) for p in pairs], dtype=np.float32)
        except (ValueError, IndexError):
            raise MXNetError(f"LibSVMIter: {what} {path}:{lineno}: expected 'label idx:value ...', got "
                             f"{line[:60].decode(errors='replace')!r}") from None
        if ids.size and (ids.min() < 0 or ids.max() >= ncols):
            raise MXNetError(f"LibSVMIter: {what} {path}:{lineno}: feature id {int(ids.max() if ids.max() >= ncols else ids.min())} "
                             f"out of range [0, {ncols}) of shape ({ncols},)")
        order = np.argsort(ids, kind="stable")
        rows.append((ids[order], vals[order]))
    return labels, rows


def _csr_batch(rows, ncols):
    from ..ndarray.sparse import csr_matrix
    indptr = np.zeros(len(rows) + 1, np.int64)
    np.cumsum([len(r[0]) for r in rows], out=indptr[1:])
    ids = np.concatenate([r[0] for r in rows]) if rows else np.zeros(0, np.int64)
    vals = np.concatenate([r[1] for r in rows]) if rows else np.zeros(0, np.float32)
    return csr_matrix((vals, ids, indptr), shape=(len(rows), ncols), dtype=np.float32)


class LibSVMIter(_CurrentBatchIter):
    """CSR data batches (and dense or CSR labels) from LibSVM text files."""

    def __init__(self, data_libsvm, data_shape, label_libsvm=None, label_shape=(1,), batch_size=1,
                 round_batch=True, num_parts=1, part_index=0, data_name="data", label_name="softmax_label", **kwargs):
        super().__init__(batch_size)
        data_shape, label_shape = tuple(data_shape), tuple(label_shape)
        if len(data_shape) != 1:
            raise MXNetError(f"LibSVMIter: data_shape must be 1-d (num_features,), got {data_shape}")
        if not round_batch:
            raise MXNetError("LibSVMIter: round_batch=False is not supported (MXNet's sparse batch loader "
                             "does not support it either)")
        if not 0 <= part_index < num_parts:
            raise MXNetError(f"LibSVMIter: part_index {part_index} out of range for num_parts {num_parts}")
        if batch_size < 1:
            raise MXNetError(f"LibSVMIter: batch_size must be positive, got {batch_size}")
        self._ncols = data_shape[0]
        self._labels, self._rows = _parse(data_libsvm, self._ncols, num_parts, part_index, "data")
        self._label_rows = None
        if label_libsvm is not None:
            _, self._label_rows = _parse(label_libsvm, label_shape[0], num_parts, part_index, "label")
            if len(self._label_rows) != len(self._rows):
                raise MXNetError(f"LibSVMIter: {label_libsvm} has {len(self._label_rows)} rows but {data_libsvm} "
                                 f"has {len(self._rows)}")
        if not self._rows:
            raise MXNetError(f"LibSVMIter: {data_libsvm} has no samples in part {part_index} of {num_parts}")
        self._label_shape = label_shape
        lshape = (batch_size,) if label_shape == (1,) else (batch_size,) + label_shape
        self.provide_data = [DataDesc(data_name, (batch_size,) + data_shape)]
        self.provide_label = [DataDesc(label_name, lshape)]
        self._carry = 0
        self.reset()

    def reset(self):
        self._cursor = self._carry
        self._done = False

    def iter_next(self):
        n, bs = len(self._rows), self.batch_size
        if self._done or self._cursor >= n:
            return False
        take = list(range(self._cursor, min(self._cursor + bs, n)))
        pad = bs - len(take)
        take += [i % n for i in range(pad)]
        self._cursor += bs
        if self._cursor >= n:
            self._done = True
            self._carry = pad % n if pad else 0
        data = _csr_batch([self._rows[i] for i in take], self._ncols)
        if self._label_rows is not None:
            label = _csr_batch([self._label_rows[i] for i in take], self._label_shape[0])
        else:
            from ..ndarray.ndarray import array
            lab = np.array([self._labels[i] for i in take], np.float32)
            label = array(lab.reshape(self.provide_label[0].shape))
        self.current_batch = DataBatch([data], [label], pad=pad, provide_data=self.provide_data,
                                       provide_label=self.provide_label)
        return True
