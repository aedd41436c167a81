"""Gluon utilities: split_data, split_and_load, clip_global_norm, check_sha1."""
from __future__ import annotations

import hashlib
import math
import os
import warnings


def _nd():
    from .. import ndarray as nd
    return nd


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """Split ``data`` into ``num_slice`` slices along ``batch_axis``."""
    nd = _nd()
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            'data with shape %s cannot be evenly split into %d slices along axis %d. Use a '
            'batch size that\'s multiple of %d or set even_split=False to allow uneven '
            'partitioning of data.' % (str(data.shape), num_slice, batch_axis, num_slice))
    # MXNet 1.9.1: the first size % num_slice slices get one extra row; with more slices
    # than rows the last ones are empty
    each, extras = divmod(size, num_slice)
    bounds = [0]
    for i in range(num_slice):
        bounds.append(bounds[-1] + each + (1 if i < extras else 0))
    if num_slice == 1:
        return [data]
    if batch_axis == 0:
        return [data[bounds[i]:bounds[i + 1]] for i in range(num_slice)]
    return [nd.slice_axis(data, axis=batch_axis, begin=bounds[i], end=bounds[i + 1])
            for i in range(num_slice)]


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """Split ``data`` and copy slice i to ``ctx_list[i]``."""
    nd = _nd()
    if not isinstance(data, nd.NDArray):
        data = nd.array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        out = [data.as_in_context(ctx_list[0])]
    else:
        slices = split_data(data, len(ctx_list), batch_axis, even_split)
        out = [i.as_in_context(ctx) for i, ctx in zip(slices, ctx_list)]
    from ..numpy_extension._mode import is_np_array
    if is_np_array():  # numpy mode: the parts are mx.np arrays
        from ..numpy._core import as_np
        out = [as_np(o) for o in out]
    return out


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Rescale ``arrays`` in place so their joint L2 norm is at most ``max_norm``. Returns
    the norm before clipping: a float, or (check_isfinite=False, which skips the host
    sync in MXNet) a (1,) NDArray on the first array's context, as MXNet returns."""
    nd = _nd()
    assert len(arrays) > 0
    total = 0.0
    for a in arrays:
        total += float(nd.sum(nd.square(a)).asscalar())
    total_norm = math.sqrt(total)
    if check_isfinite and not math.isfinite(total_norm):
        warnings.warn(UserWarning('nan or inf is detected. Clipping results will be '
                                  'undefined.'), stacklevel=2)
    scale = max_norm / (total_norm + 1e-8)
    if scale < 1.0:
        for a in arrays:
            a[:] = a * scale
    if not check_isfinite:
        return nd.array([total_norm], ctx=arrays[0].context, dtype='float32')
    return total_norm


def check_sha1(filename, sha1_hash):
    sha1 = hashlib.sha1()
    with open(filename, 'rb') as f:
        while True:
            data = f.read(1048576)
            if not data:
                break
            sha1.update(data)
    return sha1.hexdigest() == sha1_hash


def download_file(url, dest, sha1_hash=None, retries=2, timeout=60, verify_ssl=True):
    """Download ``url`` to the file ``dest`` (via a temporary name, renamed into place
    only once its sha1 matched) and return ``dest``; after ``retries`` further failed
    attempts the last error is raised."""
    import shutil
    import ssl
    import urllib.request
    import uuid
    ctx = None if verify_ssl else ssl._create_unverified_context()  # noqa: SLF001 - MXNet's verify_ssl=False
    print('Downloading %s from %s...' % (dest, url))
    last_err = None
    for attempt in range(retries + 1):
        if attempt:
            print('download failed due to %r, retrying, %d attempt%s left'
                  % (last_err, retries + 1 - attempt, 's' if retries - attempt else ''))
        tmp = '%s.part-%s' % (dest, uuid.uuid4().hex)
        try:
            with urllib.request.urlopen(url, timeout=timeout, context=ctx) as resp, open(tmp, 'wb') as out:
                shutil.copyfileobj(resp, out, 1 << 20)
            if sha1_hash and not check_sha1(tmp, sha1_hash):
                raise OSError('the downloaded file\'s sha1 does not match %s: the repository '
                              'may be outdated or the download incomplete' % sha1_hash)
            os.replace(tmp, dest)  # atomic: readers never see a half-written file
            return dest
        except Exception as err:  # noqa: BLE001 - any failure is retried, then reported
            last_err = err
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise last_err


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5,
             verify_ssl=True):
    """MXNet's gluon.utils.download: fetch ``url`` to ``path`` (a file, a directory, or
    the current directory when None) and return the file name. An existing file is kept
    unless ``overwrite`` or its sha1 differs from ``sha1_hash``."""
    if path is None:
        fname = url.split('/')[-1]
    elif os.path.isdir(os.path.expanduser(path)):
        fname = os.path.join(os.path.expanduser(path), url.split('/')[-1])
    else:
        fname = os.path.expanduser(path)
    if not fname:
        raise ValueError('download: cannot derive a file name from %r; pass path=' % url)
    if os.path.exists(fname) and not overwrite and (not sha1_hash or check_sha1(fname, sha1_hash)):
        return fname
    dirname = os.path.dirname(os.path.abspath(fname))
    os.makedirs(dirname, exist_ok=True)
    return download_file(url, fname, sha1_hash, retries=max(int(retries), 0), verify_ssl=verify_ssl)
