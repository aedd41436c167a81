"""Generates the RecordIO reference files in this folder with MXNet 1.9.1 itself.

Runs under MXNet 1.9.1 (plus OpenCV for pack_img), ONCE, never in CI:

    /tmp/mxvenv/bin/pip install mxnet==1.9.1 numpy==1.23.5 "opencv-python-headless<4.9"
    /tmp/mxvenv/bin/python tests/data/mxnet_ref/make_recordio_ref.py

Files (a few KB in all), read by tests/python/test_recordio.py:
  recordio_seq.rec                 MXRecordIO records: empty ones, the magic 0xced7230a at
                                   aligned and unaligned offsets (multi-part records), odd lengths
  recordio_indexed.rec / .idx      MXIndexedRecordIO with int keys written out of order
  recordio_packed.rec              recordio.pack records: scalar and array labels, big ids
  recordio_img.rec / .idx          recordio.pack_img PNG records (cv2-encoded, BGR arrays)
  recordio_ref.json                what went in: payloads as hex, headers, image pixels
"""
import json
import os
import struct

import mxnet as mx
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC = struct.pack('<I', 0xced7230a)


def p(name):
    return os.path.join(HERE, name)


def sequential_payloads():
    rng = np.random.RandomState(0)
    noise = rng.randint(0, 256, size=37).astype(np.uint8).tobytes()
    return [
        b'', b'a', b'ab', b'abc', b'abcd', b'hello recordio',
        MAGIC,                                   # the whole payload is the magic
        MAGIC + MAGIC,                           # two aligned magics back to back
        b'x' + MAGIC + b'yz',                    # unaligned magic: stays one part
        b'xy' + MAGIC, b'xyz' + MAGIC + b'!',    # more unaligned offsets
        b'abcd' + MAGIC + b'ef',                 # aligned at 4
        b'abcd' + MAGIC + b'1234' + MAGIC,       # first, middle and last parts
        b'ab' + MAGIC + b'cd' + MAGIC,           # unaligned then aligned
        MAGIC + b'tail', b'', noise, noise + MAGIC[:2],
    ]


def write_seq(ref):
    payloads = sequential_payloads()
    rec = mx.recordio.MXRecordIO(p('recordio_seq.rec'), 'w')
    for s in payloads:
        rec.write(s)
    rec.close()
    ref['sequential'] = [s.hex() for s in payloads]


def write_indexed(ref):
    keys = [7, 3, 11, 0, 5]
    payloads = [b'seven', MAGIC + b'three' + MAGIC, b'', b'zero' * 3, b'five!' + MAGIC]
    rec = mx.recordio.MXIndexedRecordIO(p('recordio_indexed.idx'), p('recordio_indexed.rec'), 'w')
    for k, s in zip(keys, payloads):
        rec.write_idx(k, s)
    rec.close()
    ref['indexed'] = {'keys': keys, 'payloads': [s.hex() for s in payloads]}


def write_packed(ref):
    cases = [
        (mx.recordio.IRHeader(0, 3.5, 1, 0), b'scalar label'),
        (mx.recordio.IRHeader(9, 2, 2 ** 40 + 5, 7), b'flag is reset to 0 for a number'),
        (mx.recordio.IRHeader(0, [1.0, -2.5, 3.25], 3, 0), b'array label'),
        (mx.recordio.IRHeader(0, np.array([0.5], dtype=np.float32), 4, 2 ** 63), MAGIC + b'x'),
        (mx.recordio.IRHeader(0, 0.0, 5, 0), b''),
    ]
    rec = mx.recordio.MXRecordIO(p('recordio_packed.rec'), 'w')
    out = []
    for header, s in cases:
        packed = mx.recordio.pack(header, s)
        rec.write(packed)
        label = header.label
        out.append({'header': [header.flag, label if np.isscalar(label) else np.asarray(label).tolist(),
                               header.id, header.id2],
                    'payload': s.hex(), 'packed': packed.hex()})
    rec.close()
    ref['packed'] = out


def write_images(ref):
    rng = np.random.RandomState(1)
    images = [rng.randint(0, 256, size=(4, 5, 3)).astype(np.uint8),  # BGR, as cv2 uses
              rng.randint(0, 256, size=(3, 2)).astype(np.uint8)]     # grayscale
    labels = [4.0, [1.0, 2.0]]
    rec = mx.recordio.MXIndexedRecordIO(p('recordio_img.idx'), p('recordio_img.rec'), 'w')
    for i, (img, label) in enumerate(zip(images, labels)):
        rec.write_idx(i, mx.recordio.pack_img(mx.recordio.IRHeader(0, label, i, 0), img,
                                              quality=3, img_fmt='.png'))
    rec.close()
    ref['images'] = [{'label': label, 'pixels': img.tolist()} for img, label in zip(images, labels)]


def main():
    ref = {}
    write_seq(ref)
    write_indexed(ref)
    write_packed(ref)
    write_images(ref)
    with open(p('recordio_ref.json'), 'w') as f:
        json.dump(ref, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
