"""Readers for the on-disk formats of MNIST (idx, gzip) and CIFAR (binary batches, tar).

They check headers and sizes, so a truncated download or a wrong file fails here
with a message naming the file instead of surfacing later as a reshape error.
"""
from __future__ import annotations

import gzip
import os
import shutil
import struct
import tarfile
import uuid
import zlib

import numpy as np

IDX_UBYTE = 0x08  # idx type code of unsigned bytes, the only one MNIST uses


class DatasetFormatError(ValueError):
    """A dataset file is truncated, corrupt or not in the expected format."""


def _read_all(path):
    """Bytes of ``path``, gunzipped when its name ends in ``.gz``."""
    if not path.endswith('.gz'):
        with open(path, 'rb') as f:
            return f.read()
    try:
        with gzip.open(path, 'rb') as f:
            return f.read()
    except EOFError as err:  # gzip stream cut short: typical of an interrupted download
        raise DatasetFormatError('%s is truncated (the gzip stream ends early: %s); '
                                 'delete it and fetch it again' % (path, err)) from err
    except (OSError, zlib.error) as err:
        raise DatasetFormatError('%s is not a valid gzip file (%s); delete it and fetch it '
                                 'again' % (path, err)) from err


def read_idx(path, ndim):
    """Parse an idx file of unsigned bytes with ``ndim`` dimensions into a uint8 array.

    Layout: magic (two zero bytes, type code, ndim), ``ndim`` big-endian uint32 sizes,
    then the values in C order. Magic 2051 = 3-d images, 2049 = 1-d labels.
    """
    raw = _read_all(path)
    if len(raw) < 4:
        raise DatasetFormatError('%s is truncated: %d bytes, too short for an idx header'
                                 % (path, len(raw)))
    magic = struct.unpack('>I', raw[:4])[0]
    expected = (IDX_UBYTE << 8) | ndim
    if magic != expected:
        raise DatasetFormatError(
            '%s: bad idx magic number %d (0x%08x); expected %d (0x%08x: unsigned bytes, %d '
            'dimension%s). Is it the right file?'
            % (path, magic, magic, expected, expected, ndim, '' if ndim == 1 else 's'))
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetFormatError('%s is truncated: %d bytes, the idx header alone needs %d'
                                 % (path, len(raw), header))
    shape = struct.unpack('>%dI' % ndim, raw[4:header])
    size = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != size:
        what = 'truncated' if len(raw) - header < size else 'too long'
        raise DatasetFormatError(
            '%s is %s: the header declares shape %s (%d bytes of data) but %d bytes follow it'
            % (path, what, tuple(shape), size, len(raw) - header))
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_cifar_batch(path, label_bytes, label_limits):
    """Parse a CIFAR binary batch into (N, 32, 32, 3) uint8 images and label columns.

    Each record is ``label_bytes`` label bytes then 3072 pixel bytes stored as three
    32x32 planes (R, G, B); images are returned in MXNet's HWC layout. Returns
    ``(images, labels)`` with ``labels`` of shape (N, label_bytes), checked against
    ``label_limits`` (the number of classes of each label byte).
    """
    record = label_bytes + 3 * 32 * 32
    raw = _read_all(path)
    if not raw or len(raw) % record:
        raise DatasetFormatError(
            '%s: size %d bytes is not a positive multiple of the %d-byte CIFAR record (%d '
            'label byte%s + 3072 pixels): truncated or not this CIFAR variant'
            % (path, len(raw), record, label_bytes, '' if label_bytes == 1 else 's'))
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(-1, record)
    labels = rows[:, :label_bytes]
    for col, limit in enumerate(label_limits):
        bad = np.flatnonzero(labels[:, col] >= limit)
        if bad.size:
            raise DatasetFormatError(
                '%s: record %d has label %d, outside [0, %d): not a file of this CIFAR '
                'variant' % (path, bad[0], labels[bad[0], col], limit))
    images = rows[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def extract_flat(archive, dest_dir):
    """Extract the regular files of a tar archive into ``dest_dir`` by base name.

    Member paths are never used as destinations (so a hostile archive cannot write
    outside ``dest_dir``), and each file is written under a temporary name and then
    renamed, so a truncated archive leaves no half-written file behind.
    """
    os.makedirs(dest_dir, exist_ok=True)
    try:
        with tarfile.open(archive) as tar:
            for member in tar:
                name = os.path.basename(member.name)
                if not member.isfile() or name in ('', '.', '..'):
                    continue
                dest = os.path.join(dest_dir, name)
                tmp = '%s.part-%s' % (dest, uuid.uuid4().hex)
                try:
                    with tar.extractfile(member) as src, open(tmp, 'wb') as out:
                        shutil.copyfileobj(src, out, 1 << 20)
                    os.replace(tmp, dest)
                finally:
                    if os.path.exists(tmp):
                        os.remove(tmp)
    except (tarfile.TarError, EOFError, zlib.error) as err:
        raise DatasetFormatError('%s is truncated or not a valid tar archive (%s); delete it '
                                 'and fetch it again' % (archive, err)) from err

