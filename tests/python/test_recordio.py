"""mx.recordio: dmlc RecordIO files, byte-compatible with MXNet 1.9.1.

The reference files in tests/data/mxnet_ref/recordio_* were written by MXNet 1.9.1
(make_recordio_ref.py there); recordio_ref.json holds what went into them.
"""
import json
import os
import pickle
import struct
import sys
from concurrent.futures import ThreadPoolExecutor

import mxcore as mx
import numpy as np
import pytest
from mxcore import recordio
from mxcore.base import MXNetError

REF = os.path.join(os.path.dirname(__file__), "..", "data", "mxnet_ref")
MAGIC = struct.pack('<I', 0xced7230a)


def ref_path(name):
    return os.path.join(REF, name)


@pytest.fixture(scope='module')
def ref():
    with open(ref_path('recordio_ref.json')) as f:
        return json.load(f)


def read_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def read_all(rec):
    out = []
    while True:
        item = rec.read()
        if item is None:
            return out
        out.append(item)


def write_seq(path, payloads):
    with recordio.MXRecordIO(str(path), 'w') as rec:
        for s in payloads:
            rec.write(s)


def parts(path):
    """(continuation flag, length) of every part in a .rec file, parsed independently."""
    data = read_bytes(path)
    out, pos = [], 0
    while pos < len(data):
        magic, lrec = struct.unpack_from('<II', data, pos)
        assert magic == 0xced7230a
        length = lrec & ((1 << 29) - 1)
        out.append((lrec >> 29, length))
        pos += 8 + (length + 3) // 4 * 4
    assert pos == len(data)
    return out


# ---------------------------------------------------------------- round trips

def test_sequential_round_trip_and_reset(tmp_path):
    payloads = [b'record_%d' % i for i in range(5)] + [bytearray(b'ba'), memoryview(b'mv'), b'']
    path = tmp_path / 'seq.rec'
    write_seq(path, payloads)
    rec = recordio.MXRecordIO(str(path), 'r')
    assert read_all(rec) == [bytes(p) for p in payloads]
    assert rec.read() is None  # stays at the end
    rec.reset()
    assert rec.read() == b'record_0'
    rec.close()
    rec.close()  # twice is fine
    assert not rec.is_open


def test_path_like_and_mx_namespace(tmp_path):
    assert mx.recordio is recordio
    write_seq(tmp_path / 'a.rec', [b'x'])
    with mx.recordio.MXRecordIO(tmp_path / 'a.rec', 'r') as rec:
        assert rec.read() == b'x'
    assert not rec.is_open


def test_writer_reset_truncates(tmp_path):
    path = tmp_path / 'w.rec'
    rec = recordio.MXRecordIO(str(path), 'w')
    rec.write(b'gone')
    rec.reset()
    rec.write(b'kept')
    rec.close()
    assert read_all(recordio.MXRecordIO(str(path), 'r')) == [b'kept']


def test_empty_payload_is_a_bare_header(tmp_path):
    path = tmp_path / 'e.rec'
    write_seq(path, [b''])
    assert read_bytes(path) == MAGIC + b'\0\0\0\0'
    assert read_all(recordio.MXRecordIO(str(path), 'r')) == [b'']


def test_padding_to_four_bytes(tmp_path):
    path = tmp_path / 'p.rec'
    write_seq(path, [b'abc', b'abcde'])
    assert read_bytes(path) == (MAGIC + struct.pack('<I', 3) + b'abc\0'
                                       + MAGIC + struct.pack('<I', 5) + b'abcde\0\0\0')


def test_indexed_round_trip(tmp_path):
    idx, rec_path = str(tmp_path / 'i.idx'), str(tmp_path / 'i.rec')
    rec = recordio.MXIndexedRecordIO(idx, rec_path, 'w')
    positions = []
    for i in range(5):
        positions.append(rec.tell())
        rec.write_idx(i, b'record_%d' % i)
    rec.close()
    assert positions == [0, 16, 32, 48, 64]  # MXNet's documented tell() values
    assert read_bytes(idx).decode() == ''.join('%d\t%d\n' % (i, p) for i, p in enumerate(positions))
    rec = recordio.MXIndexedRecordIO(idx, rec_path, 'r')
    assert rec.keys == [0, 1, 2, 3, 4]
    assert rec.idx == dict(enumerate(positions))
    for i in (3, 0, 4, 1):
        assert rec.read_idx(i) == b'record_%d' % i
    assert rec.read() == b'record_2'  # read() continues after the last read_idx
    rec.reset()
    assert rec.read() == b'record_0'
    with pytest.raises(KeyError):
        rec.read_idx(99)
    rec.close()


def test_indexed_str_keys(tmp_path):
    idx, rec_path = str(tmp_path / 's.idx'), str(tmp_path / 's.rec')
    with recordio.MXIndexedRecordIO(idx, rec_path, 'w', key_type=str) as rec:
        for key in ('cat', 'dog', '7'):
            rec.write_idx(key, key.encode() * 2)
    with recordio.MXIndexedRecordIO(idx, rec_path, 'r', key_type=str) as rec:
        assert rec.keys == ['cat', 'dog', '7']
        assert rec.read_idx('dog') == b'dogdog'


# ---------------------------------------------------------------- multi-part records

@pytest.mark.parametrize('offset', range(9))
def test_magic_at_every_offset(tmp_path, offset):
    payload = b'p' * offset + MAGIC + b'q' * 5
    path = tmp_path / 'm.rec'
    write_seq(path, [payload, b'after'])
    # Only a magic at a 4-aligned offset splits the record (dmlc drops it from the stream).
    if offset % 4 == 0:
        assert parts(path)[:2] == [(1, offset), (3, 5)]
    else:
        assert parts(path)[0] == (0, len(payload))
    assert read_all(recordio.MXRecordIO(str(path), 'r')) == [payload, b'after']


def test_many_magics(tmp_path):
    payloads = [MAGIC, MAGIC * 4, b'abcd' + MAGIC + b'1234' + MAGIC, MAGIC + b'z', b'ab' + MAGIC * 3,
                (b'xyz' + MAGIC) * 7, MAGIC[:3], MAGIC + MAGIC[:3]]
    path = tmp_path / 'mm.rec'
    write_seq(path, payloads)
    assert parts(path)[:2] == [(1, 0), (3, 0)]
    assert read_all(recordio.MXRecordIO(str(path), 'r')) == payloads


def test_random_payloads_with_magics(tmp_path):
    rng = np.random.RandomState(0)
    payloads = []
    for _ in range(40):
        chunks = [rng.bytes(rng.randint(0, 9)) if rng.rand() < 0.6 else MAGIC
                  for _ in range(rng.randint(0, 8))]
        payloads.append(b''.join(chunks))
    path = tmp_path / 'r.rec'
    write_seq(path, payloads)
    assert read_all(recordio.MXRecordIO(str(path), 'r')) == payloads


# ---------------------------------------------------------------- pack / unpack

def test_pack_scalar_label():
    s = recordio.pack(recordio.IRHeader(5, 3.5, 42, 1), b'payload')
    assert s == struct.pack('<IfQQ', 0, 3.5, 42, 1) + b'payload'
    header, payload = recordio.unpack(s)
    assert header == (0, 3.5, 42, 1)  # a numeric label forces flag 0
    assert type(header).__name__ == 'HEADER'
    assert payload == b'payload'


def test_pack_array_label():
    s = recordio.pack((0, [1, 2.5, -3], 7, 0), b'img')
    assert s[:24] == struct.pack('<IfQQ', 3, 0.0, 7, 0)
    header, payload = recordio.unpack(s)
    assert header.flag == 3 and header.id == 7
    assert header.label.dtype == np.float32
    np.testing.assert_array_equal(header.label, [1, 2.5, -3])
    assert payload == b'img'
    header, _ = recordio.unpack(recordio.pack((0, np.float32(2), 0, 0), b''))
    assert header.flag == 0 and header.label == 2.0  # numpy scalars are numbers


def test_unpack_too_short():
    with pytest.raises(ValueError, match='24-byte IRHeader'):
        recordio.unpack(b'short')
    with pytest.raises(ValueError, match='4 float32 labels'):
        recordio.unpack(struct.pack('<IfQQ', 4, 0, 0, 0) + b'\0' * 8)


# ---------------------------------------------------------------- errors

def _rec_with(tmp_path, data, name='bad.rec'):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize('size, why', [(19, 'at byte 16: expected an 8-byte record header, found 3'),
                                       (10, 'at byte 0: the record needs 8 payload bytes, the file has 2'),
                                       (28, 'at byte 28: the file ends inside a multi-part record')])
def test_truncated_file(tmp_path, size, why):
    full = tmp_path / 'full.rec'
    write_seq(full, [b'abcdefgh', b'abcd' + MAGIC + b'efgh'])  # 16 bytes, then 12 + 12
    path = _rec_with(tmp_path, read_bytes(full)[:size])
    rec = recordio.MXRecordIO(path, 'r')
    with pytest.raises(recordio.RecordIOError, match=why) as err:
        read_all(rec)
    assert path in str(err.value)
    assert isinstance(err.value, MXNetError)


def test_not_a_record_file(tmp_path):
    path = _rec_with(tmp_path, b'this is not recordio')
    with pytest.raises(recordio.RecordIOError, match=r'bad\.rec at byte 0: expected the magic'):
        recordio.MXRecordIO(path, 'r').read()


def test_bad_continuation_flags(tmp_path):
    middle_first = MAGIC + struct.pack('<I', 2 << 29)
    with pytest.raises(recordio.RecordIOError, match='continuation flag 2 where 0 or 1'):
        recordio.MXRecordIO(_rec_with(tmp_path, middle_first), 'r').read()
    first_then_whole = MAGIC + struct.pack('<I', 1 << 29) + MAGIC + struct.pack('<I', 0)
    with pytest.raises(recordio.RecordIOError, match='at byte 8: continuation flag 0'):
        recordio.MXRecordIO(_rec_with(tmp_path, first_then_whole, 'b2.rec'), 'r').read()


def test_index_pointing_inside_a_record(tmp_path):
    idx, rec_path = str(tmp_path / 'x.idx'), str(tmp_path / 'x.rec')
    write_seq(rec_path, [b'abcdefgh'])
    with open(idx, 'w') as f:
        f.write('0\t0\n1\t4\n')
    rec = recordio.MXIndexedRecordIO(idx, rec_path, 'r')
    assert rec.read_idx(0) == b'abcdefgh'
    with pytest.raises(recordio.RecordIOError, match='x.rec at byte 4'):
        rec.read_idx(1)


def test_bad_index_file(tmp_path):
    idx, rec_path = str(tmp_path / 'y.idx'), str(tmp_path / 'y.rec')
    write_seq(rec_path, [b'a'])
    with open(idx, 'w') as f:
        f.write('0\t0\n\nnot-a-line\n')
    with pytest.raises(recordio.RecordIOError, match=r'y\.idx, line 3: expected "key<TAB>offset"'):
        recordio.MXIndexedRecordIO(idx, rec_path, 'r')


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        recordio.MXRecordIO(str(tmp_path / 'nope.rec'), 'r')
    write_seq(tmp_path / 'z.rec', [b'a'])
    with pytest.raises(FileNotFoundError):
        recordio.MXIndexedRecordIO(str(tmp_path / 'nope.idx'), str(tmp_path / 'z.rec'), 'r')


def test_misuse(tmp_path):
    path = str(tmp_path / 'u.rec')
    with pytest.raises(ValueError, match="Invalid flag 'a'"):
        recordio.MXRecordIO(path, 'a')
    rec = recordio.MXRecordIO(path, 'w')
    with pytest.raises(TypeError, match='expects bytes'):
        rec.write('text')
    with pytest.raises(ValueError, match="read\\(\\) needs flag 'r'"):
        rec.read()
    rec.close()
    with pytest.raises(ValueError, match='closed'):
        rec.write(b'x')
    rec = recordio.MXRecordIO(path, 'r')
    with pytest.raises(ValueError, match="write\\(\\) needs flag 'w'"):
        rec.write(b'x')


# ---------------------------------------------------------------- processes, threads, pickling

def test_pickle_reopens(tmp_path):
    path = str(tmp_path / 'k.rec')
    write_seq(path, [b'a', b'b'])
    rec = recordio.MXRecordIO(path, 'r')
    assert rec.read() == b'a'
    copy = pickle.loads(pickle.dumps(rec))
    assert copy.is_open and copy.read() == b'a'  # a fresh reader starts at the beginning
    assert rec.read() == b'b'  # the original is left alone
    rec.close()
    closed = pickle.loads(pickle.dumps(rec))
    assert not closed.is_open


def test_pickle_indexed(tmp_path):
    idx, rec_path = str(tmp_path / 'k.idx'), str(tmp_path / 'k.rec')
    with recordio.MXIndexedRecordIO(idx, rec_path, 'w') as rec:
        for i in range(3):
            rec.write_idx(i, b'%d' % i)
    rec = recordio.MXIndexedRecordIO(idx, rec_path, 'r')
    copy = pickle.loads(pickle.dumps(rec))
    assert copy.keys == [0, 1, 2] and copy.read_idx(2) == b'2'


def test_other_process_must_not_share_the_file(tmp_path):
    idx, rec_path = str(tmp_path / 'q.idx'), str(tmp_path / 'q.rec')
    with recordio.MXIndexedRecordIO(idx, rec_path, 'w') as rec:
        rec.write_idx(0, b'zero')
    rec = recordio.MXIndexedRecordIO(idx, rec_path, 'r')
    rec.pid = -1  # as if this object had been inherited by a forked worker
    with pytest.raises(RuntimeError, match='multiple processes'):
        rec.read()
    assert rec.read_idx(0) == b'zero'  # seek reopens the file in the new process
    assert rec.pid == os.getpid()


def test_read_idx_from_threads(tmp_path):
    idx, rec_path = str(tmp_path / 't.idx'), str(tmp_path / 't.rec')
    with recordio.MXIndexedRecordIO(idx, rec_path, 'w') as rec:
        for i in range(200):
            rec.write_idx(i, b'%d' % i * (i % 13) + (MAGIC if i % 5 == 0 else b''))
    rec = recordio.MXIndexedRecordIO(idx, rec_path, 'r')
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(rec.read_idx, list(range(200)) * 3))
    assert got == [b'%d' % i * (i % 13) + (MAGIC if i % 5 == 0 else b'') for i in range(200)] * 3


# ---------------------------------------------------------------- MXNet 1.9.1 compatibility

def test_reads_mxnet_sequential_file(ref):
    rec = recordio.MXRecordIO(ref_path('recordio_seq.rec'), 'r')
    assert read_all(rec) == [bytes.fromhex(s) for s in ref['sequential']]


def test_writes_mxnet_sequential_bytes(tmp_path, ref):
    path = tmp_path / 'seq.rec'
    write_seq(path, [bytes.fromhex(s) for s in ref['sequential']])
    assert read_bytes(path) == read_bytes(ref_path('recordio_seq.rec'))


def test_reads_mxnet_indexed_file(ref):
    rec = recordio.MXIndexedRecordIO(ref_path('recordio_indexed.idx'),
                                     ref_path('recordio_indexed.rec'), 'r')
    assert rec.keys == ref['indexed']['keys']
    expected = dict(zip(ref['indexed']['keys'], ref['indexed']['payloads']))
    for key in sorted(expected):
        assert rec.read_idx(key) == bytes.fromhex(expected[key])


def test_writes_mxnet_indexed_bytes(tmp_path, ref):
    idx, rec_path = tmp_path / 'i.idx', tmp_path / 'i.rec'
    with recordio.MXIndexedRecordIO(str(idx), str(rec_path), 'w') as rec:
        for key, s in zip(ref['indexed']['keys'], ref['indexed']['payloads']):
            rec.write_idx(key, bytes.fromhex(s))
    assert read_bytes(rec_path) == read_bytes(ref_path('recordio_indexed.rec'))
    assert read_bytes(idx) == read_bytes(ref_path('recordio_indexed.idx'))


def test_packed_records_match_mxnet(tmp_path, ref):
    rec = recordio.MXRecordIO(ref_path('recordio_packed.rec'), 'r')
    records = read_all(rec)
    assert len(records) == len(ref['packed'])
    path = tmp_path / 'packed.rec'
    writer = recordio.MXRecordIO(str(path), 'w')
    for got, case in zip(records, ref['packed']):
        flag, label, id_, id2 = case['header']
        assert got == bytes.fromhex(case['packed'])
        mine = recordio.pack(recordio.IRHeader(flag, label, id_, id2), bytes.fromhex(case['payload']))
        assert mine == got  # pack() gives MXNet's bytes
        writer.write(mine)
        header, payload = recordio.unpack(got)
        assert payload == bytes.fromhex(case['payload'])
        assert (header.id, header.id2) == (id_, id2)
        if isinstance(label, list):
            assert header.flag == len(label)
            np.testing.assert_array_equal(header.label, np.float32(label))
        else:
            assert header.flag == 0 and header.label == np.float32(label)
    writer.close()
    assert read_bytes(path) == read_bytes(ref_path('recordio_packed.rec'))


# ---------------------------------------------------------------- images (Pillow)

def test_image_functions_name_pillow_when_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, 'PIL', None)  # makes `from PIL import Image` fail
    with pytest.raises(ImportError, match='pillow'):
        recordio.pack_img((0, 1, 0, 0), np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ImportError, match='pillow'):
        recordio.unpack_img(recordio.pack((0, 1, 0, 0), b'\x89PNG'))


def test_unpack_img_reads_mxnet_png_records(ref):
    pytest.importorskip('PIL')
    rec = recordio.MXIndexedRecordIO(ref_path('recordio_img.idx'), ref_path('recordio_img.rec'), 'r')
    for key, case in zip(rec.keys, ref['images']):
        header, img = recordio.unpack_img(rec.read_idx(key))
        expected = np.array(case['pixels'], dtype=np.uint8)  # BGR or gray, as cv2 had it
        np.testing.assert_array_equal(img, expected)
        np.testing.assert_array_equal(header.label, case['label'])


@pytest.mark.parametrize('shape', [(5, 6, 3), (5, 6), (5, 6, 4), (5, 6, 1)])
def test_pack_img_png_round_trip(shape):
    pytest.importorskip('PIL')
    img = np.random.RandomState(0).randint(0, 256, size=shape).astype(np.uint8)
    s = recordio.pack_img(recordio.IRHeader(0, [1, 2], 9, 0), img, quality=9, img_fmt='.png')
    header, out = recordio.unpack_img(s)
    assert header.id == 9
    np.testing.assert_array_equal(out, img[:, :, 0] if shape == (5, 6, 1) else img)
    assert recordio.unpack_img(s, 1)[1].shape == (5, 6, 3)
    assert recordio.unpack_img(s, 0)[1].shape == (5, 6)


def test_pack_img_jpeg_keeps_channel_order():
    pytest.importorskip('PIL')
    img = np.zeros((16, 16, 3), np.uint8)
    img[:, :, 0] = 200  # pure blue in BGR
    header, out = recordio.unpack_img(recordio.pack_img((0, 3, 1, 0), img, quality=95), 1)
    assert header.label == 3.0
    assert out.shape == (16, 16, 3)
    assert np.abs(out.astype(int) - img).max() <= 8
    with pytest.raises(TypeError, match='uint8'):
        recordio.pack_img((0, 3, 1, 0), img.astype(np.float32))
