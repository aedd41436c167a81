"""MXNet 1.x's ``mx.recordio``: read and write RecordIO (``.rec``) files in pure Python.

The on-disk format is dmlc-core's RecordIO, byte for byte, so files written here are
read by MXNet 1.9.1 (``ImageRecordIter``, ``mx.recordio``) and the other way round.
A record is stored as one or more parts, each::

    uint32 magic 0xced7230a | uint32 lrec | payload | zero padding to 4 bytes

``lrec`` keeps the part length in its lower 29 bits and a continuation flag in the
upper 3 (0: whole record, 1: first part, 2: middle part, 3: last part). The writer
splits a payload wherever the magic number occurs at a 4-byte-aligned offset and
drops that magic from the stream; the reader puts it back between parts. That is how
a reader scanning for the magic can always find the start of a record.

``pack``/``unpack`` add MXNet's image-record header (``IRHeader``) in front of a
payload; ``pack_img``/``unpack_img`` also encode/decode the image, with Pillow
standing in for OpenCV (arrays are BGR, as cv2 gives them).
"""
from __future__ import annotations

import io
import numbers
import os
import struct
import threading
from collections import namedtuple

import numpy as np

from .base import MXNetError

__all__ = ['IRHeader', 'MXIndexedRecordIO', 'MXRecordIO', 'RecordIOError',
           'pack', 'pack_img', 'unpack', 'unpack_img']

_MAGIC = 0xced7230a
_MAGIC_BYTES = struct.pack('<I', _MAGIC)
_PART_HEAD = struct.Struct('<II')  # magic, lrec (dmlc writes native order; all its hosts are little-endian)
_LEN_BITS = 29
_LEN_MASK = (1 << _LEN_BITS) - 1
# Continuation flags of a part: a whole record, or the first/middle/last part of one.
_WHOLE, _FIRST, _MIDDLE, _LAST = 0, 1, 2, 3


class RecordIOError(MXNetError):
    """A RecordIO file is truncated or is not RecordIO at all (MXNet raises MXNetError)."""


def _pad4(n):
    return (n + 3) & ~3


def _encode_record(buf):
    """The bytes dmlc's ``RecordIOWriter::WriteRecord`` writes for payload ``buf``."""
    n = len(buf)
    if n > _LEN_MASK:
        raise ValueError('RecordIO records must be shorter than 2**29 bytes, got %d' % n)
    lower_align = n & ~3  # only whole aligned words are checked for the magic
    out = []
    start = 0  # first payload byte not yet written
    hit = buf.find(_MAGIC_BYTES, 0, lower_align)
    while hit >= 0:
        if hit % 4 == 0:
            flag = _FIRST if start == 0 else _MIDDLE
            out += [_PART_HEAD.pack(_MAGIC, (flag << _LEN_BITS) | (hit - start)), buf[start:hit]]
            start = hit + 4
            hit = buf.find(_MAGIC_BYTES, start, lower_align)
        else:  # unaligned magic bytes are ordinary payload
            hit = buf.find(_MAGIC_BYTES, hit + 1, lower_align)
    flag = _LAST if start != 0 else _WHOLE
    out += [_PART_HEAD.pack(_MAGIC, (flag << _LEN_BITS) | (n - start)), buf[start:],
            b'\0' * (_pad4(n) - n)]
    return b''.join(out)


class MXRecordIO:
    """Sequential reader/writer of a RecordIO file, as ``mx.recordio.MXRecordIO``.

    Parameters
    ----------
    uri : str or os.PathLike
        Path of the record file (local files only).
    flag : {'r', 'w'}
        'r' to read, 'w' to write (truncates the file).

    Example::

        with mx.recordio.MXRecordIO('tmp.rec', 'w') as rec:
            rec.write(b'record_0')
        rec = mx.recordio.MXRecordIO('tmp.rec', 'r')
        rec.read()   # b'record_0'; None at the end of the file
    """

    def __init__(self, uri, flag):
        self.uri = os.fspath(uri)
        self.flag = flag
        self.pid = None
        self.is_open = False
        self.writable = None
        self._file = None
        self.open()

    # -------------------------------------------------------------- life cycle
    def open(self):
        """Open the record file (``flag`` 'w' truncates it)."""
        if self.flag == 'w':
            self._file = open(self.uri, 'wb')
            self.writable = True
        elif self.flag == 'r':
            self._file = open(self.uri, 'rb')
            self.writable = False
        else:
            raise ValueError("Invalid flag %r for %s: expected 'r' or 'w'" % (self.flag, self.uri))
        self.pid = os.getpid()
        self.is_open = True

    def close(self):
        """Close the record file; closing twice is a no-op."""
        if not self.is_open:
            return
        self._file.close()
        self._file = None
        self.is_open = False
        self.pid = None

    def reset(self):
        """Go back to the first record; a writer truncates the file to empty."""
        self.close()
        self.open()

    def __del__(self):
        if getattr(self, 'is_open', False):
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # File objects and locks do not pickle: the copy reopens the file itself (as in
    # MXNet, so a DataLoader worker process gets its own reader).
    _UNPICKLABLE = ('_file',)

    def __getstate__(self):
        if self.is_open and self.writable:
            self._file.flush()
        state = dict(self.__dict__)
        for key in self._UNPICKLABLE:
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        was_open = self.is_open
        self.is_open = False
        self._file = None
        if was_open:
            self.open()

    def _check_pid(self, allow_reset=False):
        """Refuse to share one open file between processes (its offset would be shared too)."""
        if self.pid != os.getpid():
            if allow_reset:
                self.reset()
            else:
                raise RuntimeError('Forbidden operation in multiple processes: %s was opened by '
                                   'process %s' % (self.uri, self.pid))

    def _require(self, writable, what):
        if not self.is_open:
            raise ValueError('%s: %s on a closed record file' % (self.uri, what))
        if self.writable != writable:
            raise ValueError("%s: %s needs flag %r, the file was opened with %r"
                             % (self.uri, what, 'w' if writable else 'r', self.flag))

    # -------------------------------------------------------------- records
    def write(self, buf):
        """Append one record; ``buf`` is bytes-like (bytes, bytearray, memoryview)."""
        self._require(True, 'write()')
        self._check_pid(allow_reset=False)
        if isinstance(buf, str):
            raise TypeError('MXRecordIO.write expects bytes, got str; encode it first')
        self._file.write(_encode_record(bytes(buf)))

    def read(self):
        """Return the next record as bytes, or None at the end of the file."""
        self._require(False, 'read()')
        self._check_pid(allow_reset=False)
        f = self._file
        parts = []
        while True:
            offset = f.tell()
            head = f.read(_PART_HEAD.size)
            if not head:
                if parts:
                    raise self._corrupt(offset, 'the file ends inside a multi-part record')
                return None
            if len(head) != _PART_HEAD.size:
                raise self._corrupt(offset, 'expected an 8-byte record header, found %d bytes'
                                    % len(head))
            magic, lrec = _PART_HEAD.unpack(head)
            if magic != _MAGIC:
                raise self._corrupt(offset, 'expected the magic number 0x%08x, found 0x%08x'
                                    % (_MAGIC, magic))
            flag, length = lrec >> _LEN_BITS, lrec & _LEN_MASK
            expected = (_WHOLE, _FIRST) if not parts else (_MIDDLE, _LAST)
            if flag not in expected:
                raise self._corrupt(offset, 'continuation flag %d where %s was expected'
                                    % (flag, ' or '.join(map(str, expected))))
            body = f.read(_pad4(length))
            if len(body) != _pad4(length):
                raise self._corrupt(offset, 'the record needs %d payload bytes, the file has %d'
                                    % (_pad4(length), len(body)))
            parts.append(body[:length])
            if flag in (_WHOLE, _LAST):
                return _MAGIC_BYTES.join(parts)

    def _corrupt(self, offset, why):
        return RecordIOError('Invalid RecordIO file %s at byte %d: %s' % (self.uri, offset, why))


class MXIndexedRecordIO(MXRecordIO):
    """Random-access RecordIO: a ``.rec`` file plus a text index of ``key\\toffset`` lines.

    Parameters
    ----------
    idx_path : str or os.PathLike
        Path of the index file.
    uri : str or os.PathLike
        Path of the record file.
    flag : {'r', 'w'}
        'r' to read, 'w' to write (truncates both files).
    key_type : type, default int
        Converts keys read from (and written to) the index.

    Example::

        rec = mx.recordio.MXIndexedRecordIO('tmp.idx', 'tmp.rec', 'w')
        for i in range(5):
            rec.write_idx(i, b'record_%d' % i)
        rec.close()
        rec = mx.recordio.MXIndexedRecordIO('tmp.idx', 'tmp.rec', 'r')
        rec.read_idx(3)   # b'record_3'
    """

    _UNPICKLABLE = ('_file', 'fidx', '_lock')

    def __init__(self, idx_path, uri, flag, key_type=int):
        self.idx_path = os.fspath(idx_path)
        self.idx = {}
        self.keys = []
        self.key_type = key_type
        self.fidx = None
        # read_idx is seek + read on one file: a DataLoader's worker threads must take turns.
        self._lock = threading.Lock()
        super().__init__(uri, flag)

    def open(self):
        super().open()
        self.idx = {}
        self.keys = []
        try:
            self.fidx = open(self.idx_path, self.flag)
            if not self.writable:
                self._load_index()
        except BaseException:
            super().close()
            if self.fidx is not None:
                self.fidx.close()
                self.fidx = None
            raise

    def _load_index(self):
        for lineno, line in enumerate(self.fidx, 1):
            line = line.strip()
            if not line:
                continue
            fields = line.split('\t')
            try:
                key, pos = self.key_type(fields[0]), int(fields[1])
            except (IndexError, ValueError) as err:
                raise RecordIOError('Invalid index file %s, line %d: expected "key<TAB>offset", '
                                    'found %r (%s)' % (self.idx_path, lineno, line, err)) from None
            self.idx[key] = pos
            self.keys.append(key)

    def close(self):
        if not self.is_open:
            return
        super().close()
        self.fidx.close()
        self.fidx = None

    def __setstate__(self, state):
        self.fidx = None
        self._lock = threading.Lock()
        super().__setstate__(state)

    def seek(self, idx):
        """Move the read position to the record of key ``idx``."""
        self._require(False, 'seek()')
        self._check_pid(allow_reset=True)  # a new process reopens its own file
        self._file.seek(self.idx[idx])

    def tell(self):
        """Byte offset where the next record will be written."""
        self._require(True, 'tell()')
        return self._file.tell()

    def read_idx(self, idx):
        """Return the record stored under key ``idx``."""
        with self._lock:
            self.seek(idx)
            return self.read()

    def write_idx(self, idx, buf):
        """Append record ``buf`` under key ``idx`` (written to the index as ``str(key)``)."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self.fidx.write('%s\t%d\n' % (str(key), pos))
        self.idx[key] = pos
        self.keys.append(key)


# ------------------------------------------------------------------ image records

IRHeader = namedtuple('HEADER', ['flag', 'label', 'id', 'id2'])
IRHeader.__doc__ = """Header of an image record, as MXNet's ``IRHeader``.

flag : int
    0 for a scalar label; otherwise the number of float32 labels stored after the header.
label : float or array of float
    The label(s).
id : int
    Record id (uint64).
id2 : int
    Higher bits of the id, usually 0 (uint64).
"""
_IR_FORMAT = struct.Struct('<IfQQ')  # MXNet's 'IfQQ' in native order: same 24 bytes, no padding


def pack(header, s):
    """Prefix payload ``s`` (bytes) with the image-record header ``header``.

    A numeric ``header.label`` is stored in the header (flag 0); an array label is
    stored as float32 values after the header, with flag set to its size.
    """
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(header.label, dtype=np.float32)
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + bytes(s)
    return _IR_FORMAT.pack(*header) + bytes(s)


def unpack(s):
    """Split a packed record into ``(IRHeader, payload)``; array labels come back as float32."""
    if len(s) < _IR_FORMAT.size:
        raise ValueError('unpack: a packed record starts with a %d-byte IRHeader, got %d bytes'
                         % (_IR_FORMAT.size, len(s)))
    header = IRHeader(*_IR_FORMAT.unpack(s[:_IR_FORMAT.size]))
    s = s[_IR_FORMAT.size:]
    if header.flag > 0:
        if len(s) < 4 * header.flag:
            raise ValueError('unpack: the header announces %d float32 labels, only %d bytes follow'
                             % (header.flag, len(s)))
        header = header._replace(label=np.frombuffer(s, np.float32, header.flag))
        s = s[4 * header.flag:]
    return header, s


def _pil_image():
    """Pillow's Image module: mxcore has no image codec of its own (MXNet uses OpenCV)."""
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError('mx.recordio.pack_img/unpack_img encode and decode images with '
                          'Pillow, which is not installed: pip install pillow') from err
    return Image


def pack_img(header, img, quality=95, img_fmt='.jpg'):
    """Encode ``img`` and pack it with ``header`` (see ``pack``).

    ``img`` is a uint8 array HxW (gray), HxWx3 (BGR) or HxWx4 (BGRA): OpenCV's layout,
    as MXNet expects. ``quality`` is the JPEG quality (1-100) or, for '.png', the
    compression level (0-9; larger values are clipped as OpenCV does).
    """
    image_mod = _pil_image()
    arr = img.asnumpy() if hasattr(img, 'asnumpy') else np.asarray(img)
    if arr.dtype != np.uint8:
        raise TypeError('pack_img: expected a uint8 image, got dtype %s' % arr.dtype)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        arr = arr[:, :, [2, 1, 0, 3][:arr.shape[2]]]  # BGR(A) -> RGB(A)
    elif arr.ndim != 2:
        raise ValueError('pack_img: expected an HxW, HxWx1, HxWx3 or HxWx4 image, got shape %s'
                         % (arr.shape,))
    pil = image_mod.fromarray(np.ascontiguousarray(arr))
    fmt = image_mod.registered_extensions().get(img_fmt.lower())
    if fmt is None:
        raise ValueError('pack_img: Pillow cannot encode %r images' % img_fmt)
    options = {}
    if fmt == 'JPEG':
        options['quality'] = quality
        if pil.mode == 'RGBA':
            pil = pil.convert('RGB')  # JPEG has no alpha; OpenCV drops it too
    elif fmt == 'PNG':
        options['compress_level'] = min(max(int(quality), 0), 9)
    out = io.BytesIO()
    pil.save(out, format=fmt, **options)
    return pack(header, out.getvalue())


def unpack_img(s, iscolor=-1):
    """Split a packed image record into ``(IRHeader, image)``; the image a numpy uint8 array.

    ``iscolor`` follows ``cv2.imdecode``: 1 gives HxWx3 BGR, 0 gives HxW gray, -1
    keeps the stored layout (HxW gray, HxWx3 BGR or HxWx4 BGRA with alpha).
    """
    header, s = unpack(s)
    image_mod = _pil_image()
    with image_mod.open(io.BytesIO(s)) as pil:
        if iscolor == 0 or (iscolor < 0 and pil.mode in ('1', 'L', 'I', 'I;16', 'F')):
            mode = 'L'
        elif iscolor < 0 and (pil.mode in ('RGBA', 'LA', 'PA') or 'transparency' in pil.info):
            mode = 'RGBA'
        else:
            mode = 'RGB'
        arr = np.asarray(pil.convert(mode), dtype=np.uint8)
    if arr.ndim == 3:
        arr = np.ascontiguousarray(arr[:, :, [2, 1, 0, 3][:arr.shape[2]]])  # RGB(A) -> BGR(A)
    return header, arr
