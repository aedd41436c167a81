"""mx.engine (MXNet 1.x): bulk execution settings. mxcore runs CPU ops
synchronously and device ops on one ordered queue, so there is nothing to
bulk; the calls are accepted and the previous size is reported as MXNet does."""
from __future__ import annotations

import contextlib

_BULK = [15]


def set_bulk_size(size):
    """Set the bulk size; returns the previous one (kept for MXNet code, no effect here)."""
    prev, _BULK[0] = _BULK[0], int(size)
    return prev


@contextlib.contextmanager
def bulk(size):
    prev = set_bulk_size(size)
    try:
        yield
    finally:
        set_bulk_size(prev)
