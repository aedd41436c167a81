"""mx.image.detection: ImageDetIter (.rec, .lst, imglist), its label format, and the detection augmenters.

Reference values were produced by MXNet 1.9.1 (numpy 1.23.5) on the same files, built
here the same way: five PNG images of np.random.RandomState pixels, packed with
multi-label IRHeaders. Random augmenters draw from Python's ``random`` in MXNet's order,
so after the same ``random.seed`` they pick MXNet's crops, pads and flips; those
outputs are hard-coded too. Geometric constraints are also checked as properties.
"""
import io
import json
import random
import sys

import mxcore as mx
import numpy as np
import pytest

Image = pytest.importorskip('PIL.Image')

SIZES = [(20, 24), (16, 16), (24, 20), (18, 22), (20, 20)]
LABELS = [
    [2, 5, 0, 0.1, 0.2, 0.6, 0.7, 1, 0.5, 0.4, 0.9, 0.95],
    [2, 5, 3, 0.25, 0.25, 0.75, 0.75],
    [2, 5, 1, 0.0, 0.0, 0.5, 0.5, 2, 0.6, 0.1, 0.3, 0.8, 0, 0.3, 0.5, 1.0, 1.0],  # middle box: xmax < xmin
    [2, 5, 4, 0.05, 0.1, 0.95, 0.9],
    [2, 5, 2, 0.2, 0.3, 0.4, 0.6, 1, 0.45, 0.05, 0.7, 0.35],
]


def pixels(i):
    h, w = SIZES[i]
    return np.random.RandomState(100 + i).randint(0, 256, size=(h, w, 3)).astype(np.uint8)


def png(i):
    buf = io.BytesIO()
    Image.fromarray(pixels(i)).save(buf, format='PNG')
    return buf.getvalue()


def objects(i):
    """Image i's label rows as ImageDetIter parses them (boxes without area dropped)."""
    rows = np.array(LABELS[i][2:], np.float32).reshape(-1, 5)
    return rows[(rows[:, 3] > rows[:, 1]) & (rows[:, 4] > rows[:, 2])]


def padded(i, count=2):
    out = np.full((count, 5), -1, np.float32)
    out[:len(objects(i))] = objects(i)
    return out


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp('det')
    rec = mx.recordio.MXIndexedRecordIO(str(d / 'det.idx'), str(d / 'det.rec'), 'w')
    with open(d / 'det.lst', 'w') as lst:
        for i in range(5):
            (d / ('img%d.png' % i)).write_bytes(png(i))
            header = mx.recordio.IRHeader(0, np.array(LABELS[i], np.float32), i, 0)
            rec.write_idx(i, mx.recordio.pack(header, png(i)))
            lst.write('%d\t%s\timg%d.png\n' % (i, '\t'.join('%g' % v for v in LABELS[i]), i))
    rec.close()
    return {'root': str(d), 'rec': str(d / 'det.rec'), 'idx': str(d / 'det.idx'), 'lst': str(d / 'det.lst'),
            'imglist': [LABELS[i] + ['img%d.png' % i] for i in range(5)]}


def channel_sums(batch):
    return batch.data[0].asnumpy().sum(axis=(2, 3)).ravel()


# ------------------------------------------------------------------ iterator

def test_rec_sequential_pad(files):
    it = mx.image.ImageDetIter(2, (3, 16, 16), path_imgrec=files['rec'])
    assert it.label_shape == (2, 5)
    assert it.provide_label == [('label', (2, 2, 5))]
    assert it.provide_data == [('data', (2, 3, 16, 16))]
    batches = list(it)
    assert [b.pad for b in batches] == [0, 0, 1]
    # MXNet 1.9.1: per image and channel sums of the batch data
    want = [[32864, 31725, 32287, 33568, 32194, 33402], [33032, 33220, 32053, 31980, 32741, 30763],
            [32960, 32098, 32403, 32864, 31725, 32287]]
    for batch, sums, ids in zip(batches, want, [(0, 1), (2, 3), (4, 0)]):
        assert batch.data[0].shape == (2, 3, 16, 16) and batch.label[0].shape == (2, 2, 5)
        np.testing.assert_array_equal(channel_sums(batch), sums)
        np.testing.assert_array_equal(batch.label[0].asnumpy(), np.stack([padded(i) for i in ids]))
    # image 1 is 16 x 16 already: the force resize keeps its pixels
    np.testing.assert_array_equal(batches[0].data[0].asnumpy()[1], pixels(1).transpose(2, 0, 1))
    it.reset()
    assert len(list(it)) == 3


def test_rec_indexed_flip_and_resize(files):
    augs = [mx.image.DetHorizontalFlipAug(1), mx.image.DetBorrowAug(mx.image.ForceResizeAug((12, 14), 1)),
            mx.image.DetBorrowAug(mx.image.CastAug())]
    it = mx.image.ImageDetIter(3, (3, 14, 12), path_imgrec=files['rec'], path_imgidx=files['idx'], aug_list=augs)
    b1, b2 = list(it)
    assert (b1.pad, b2.pad) == (0, 1)
    # MXNet 1.9.1
    np.testing.assert_array_equal(channel_sums(b1), [21603, 21085, 21035, 22060, 21111, 21868, 21721, 21799, 20574])
    np.testing.assert_array_equal(channel_sums(b2), [20998, 21594, 19658, 21960, 20965, 21270, 21603, 21085, 21035])

    def flipped(i):
        rows = padded(i)
        keep = rows[:, 0] >= 0
        rows[keep, 1], rows[keep, 3] = 1 - rows[keep, 3], 1 - rows[keep, 1]
        return rows
    np.testing.assert_allclose(b1.label[0].asnumpy(), np.stack([flipped(i) for i in (0, 1, 2)]), atol=1e-7)
    np.testing.assert_allclose(b2.label[0].asnumpy(), np.stack([flipped(i) for i in (3, 4, 0)]), atol=1e-7)


def test_lst_discard_with_normalization(files):
    it = mx.image.ImageDetIter(2, (3, 16, 16), path_imglist=files['lst'], path_root=files['root'],
                               last_batch_handle='discard', mean=True, std=True)
    batches = list(it)
    assert len(batches) == 2 and all(b.pad == 0 for b in batches)
    # MXNet 1.9.1
    np.testing.assert_allclose(channel_sums(batches[0]), [20.58258057, 34.26681137, 100.79860687,
                                                          32.63840866, 42.4776001, 120.23216248], rtol=1e-4)
    np.testing.assert_allclose(channel_sums(batches[1]), [23.45953751, 60.43978119, 96.72018433,
                                                          5.4442997, 52.05392838, 74.23651886], rtol=1e-4)
    np.testing.assert_array_equal(batches[1].label[0].asnumpy(), np.stack([padded(2), padded(3)]))


def test_imglist_roll_over_and_reshape(files):
    it = mx.image.ImageDetIter(3, (3, 16, 16), imglist=files['imglist'], path_root=files['root'],
                               last_batch_handle='roll_over', resize=18, inter_method=1)
    first = list(it)
    assert len(first) == 1 and first[0].pad == 0
    # MXNet 1.9.1
    np.testing.assert_array_equal(channel_sums(first[0]), [32831, 31629, 32163, 33429, 32042, 33295,
                                                           32836, 33332, 32071])
    it.reset()
    second = list(it)
    assert [b.pad for b in second] == [1, 0]
    np.testing.assert_array_equal(channel_sums(second[0]), [32072, 32824, 30809, 32813, 32005, 32430,
                                                            32831, 31629, 32163])
    np.testing.assert_array_equal(second[0].label[0].asnumpy(), np.stack([padded(i) for i in (3, 4, 0)]))
    np.testing.assert_array_equal(second[1].label[0].asnumpy(), np.stack([padded(i) for i in (1, 2, 3)]))

    it.reshape(label_shape=(5, 5))
    assert it.provide_label == [('label', (3, 5, 5))] and it.label_shape == (5, 5)
    it.reset()
    # the epoch's leftover (image 4) completed from the start; that batch was allocated before the
    # reshape and keeps 2 label rows, as in MXNet 1.9.1
    batch = next(iter(it))
    assert batch.pad == 2 and batch.label[0].shape == (3, 2, 5)
    np.testing.assert_array_equal(batch.label[0].asnumpy(), np.stack([padded(i) for i in (4, 0, 1)]))
    np.testing.assert_array_equal(channel_sums(batch), [32813, 32005, 32430, 32831, 31629, 32163,
                                                        33429, 32042, 33295])
    it.hard_reset()
    batch = next(iter(it))
    assert batch.pad == 0 and batch.label[0].shape == (3, 5, 5)
    np.testing.assert_array_equal(batch.label[0].asnumpy(), np.stack([padded(i, 5) for i in (0, 1, 2)]))


def test_seeded_random_pipeline_matches_mxnet(files):
    random.seed(7)
    np.random.seed(7)
    it = mx.image.ImageDetIter(5, (3, 20, 20), path_imgrec=files['rec'], path_imgidx=files['idx'], rand_crop=1,
                               rand_pad=0.5, rand_mirror=True, area_range=(0.2, 2.0), inter_method=1)
    batch = next(iter(it))
    # MXNet 1.9.1 after random.seed(7): the same crops, pads and flips
    want = [[[0, 0, 0.272727, 1, 1], [-1] * 5],
            [[3, 0.071429, 0.166667, 0.571429, 0.611111], [-1] * 5],
            [[1, 0, 0.217391, 0.454545, 0.652174], [0, 0.272727, 0.652174, 0.818182, 0.956522]],
            [[4, 0.041667, 0.05, 0.75, 0.71], [-1] * 5],
            [[2, 0.647059, 0.142857, 0.882353, 0.428571], [1, 0.294118, 0.095238, 0.588235, 0.190476]]]
    np.testing.assert_allclose(batch.label[0].asnumpy(), want, atol=2e-6)
    np.testing.assert_array_equal(channel_sums(batch), [54690, 49706, 49803, 50846, 51758, 51839, 51717, 51202,
                                                        49296, 50431, 51528, 48819, 51213, 51670, 50543])


def test_label_width_and_extra_fields(files):
    # header width 4 (two extra header values), objects of width 6: the sixth column is carried along
    label = [4, 6, 24, 20, 1, 0.1, 0.1, 0.5, 0.5, 7, 2, 0.5, 0.5, 0.9, 0.9, 8]
    it = mx.image.ImageDetIter(1, (3, 16, 16), imglist=[label + ['img1.png']], path_root=files['root'], aug_list=[])
    assert it.label_shape == (2, 6) and it.provide_label == [('label', (1, 2, 6))]
    rows = it._parse_label(np.array(label, np.float32))
    np.testing.assert_allclose(rows, [[1, 0.1, 0.1, 0.5, 0.5, 7], [2, 0.5, 0.5, 0.9, 0.9, 8]])
    batch = next(iter(it))
    np.testing.assert_allclose(batch.label[0].asnumpy()[0], rows)
    np.testing.assert_array_equal(batch.data[0].asnumpy()[0], pixels(1).transpose(2, 0, 1))  # uint8 kept as is


@pytest.mark.parametrize('label, match', [
    ([2, 5, 1, 0.1], 'too short'),
    ([2, 5, 1, 0.1, 0.1, 0.5, 0.5, 3], 'inconsistent with annotation width 5'),
    ([2, 4, 1, 0.1, 0.1, 0.5, 0.5, 3], 'object width 4 invalid'),
    ([1, 5, 1, 0.1, 0.1, 0.5, 0.5, 3], 'header width 1 invalid'),
    ([2, 5, 1, 0.5, 0.1, 0.2, 0.5], 'no valid label'),
])
def test_malformed_labels_raise(files, label, match):
    with pytest.raises(RuntimeError, match=match):
        mx.image.ImageDetIter(1, (3, 8, 8), imglist=[label + ['img1.png']], path_root=files['root'])


def test_label_shape_checks_and_sync(files):
    a = mx.image.ImageDetIter(2, (3, 16, 16), path_imgrec=files['rec'])
    b = mx.image.ImageDetIter(2, (3, 16, 16), imglist=[files['imglist'][1]], path_root=files['root'])
    assert b.label_shape == (1, 5)
    with pytest.raises(ValueError, match='reduce label count from 2 to 1'):
        a.reshape(label_shape=(1, 5))
    with pytest.raises(ValueError, match='object width inconsistent: 5 vs 6'):
        a.reshape(label_shape=(3, 6))
    with pytest.raises(ValueError, match='length 2'):
        a.check_label_shape((3,))
    assert a.sync_label_shape(b) is b
    assert a.label_shape == b.label_shape == (2, 5)
    assert b.provide_label == [('label', (2, 2, 5))]
    np.testing.assert_array_equal(next(iter(b)).label[0].asnumpy(), np.stack([padded(1), padded(1)]))
    a.reshape(data_shape=(3, 10, 12))
    assert a.provide_data == [('data', (2, 3, 10, 12))] and a.data_shape == (3, 10, 12)
    with pytest.raises(TypeError, match='ImageDetIter'):
        a.sync_label_shape(mx.image.ImageIter(1, (3, 8, 8), imglist=[[1, 'img1.png']], path_root=files['root']))


def test_draw_next_matches_mxnet(files):
    it = mx.image.ImageDetIter(2, (3, 16, 16), path_imgrec=files['rec'])
    images = list(it.draw_next(color=(255, 0, 10)))
    assert len(images) == 5 and all(im.shape == (16, 16, 3) and im.dtype == np.uint8 for im in images)
    # MXNet 1.9.1 (cv2.rectangle, thickness 2; the colour is reversed again for every image, as there)
    sums = [[14894, 13216, 52341], [44889, 20554, 23844], [17079, 16395, 48923], [49355, 15496, 16449],
            [23424, 21588, 43357]]
    assert [im.reshape(-1, 3).sum(0).tolist() for im in images] == sums
    assert images[0][2, :12, 0].tolist() == [128, 10, 10, 10, 10, 10, 10, 10, 10, 10, 105, 115]
    assert images[0][5:10, 3, 0].tolist() == [183, 140, 115, 91, 104]
    np.random.seed(5)
    it.reset()
    sums = [[36201, 38843, 30486], [39860, 33026, 30079], [26866, 20646, 43166], [24554, 30148, 25543],
            [32250, 30839, 31103]]
    assert [im.reshape(-1, 3).sum(0).tolist() for im in it.draw_next(mean=np.array([1., 2, 3]))] == sums


# ------------------------------------------------------------------ augmenters

def box_label():
    return np.array(LABELS[0][2:], np.float32).reshape(-1, 5)


def test_flip_label_transform():
    img = mx.nd.array(pixels(0))
    out, lab = mx.image.DetHorizontalFlipAug(1)(img, box_label())
    np.testing.assert_array_equal(out.asnumpy(), pixels(0)[:, ::-1])
    np.testing.assert_allclose(lab, [[0, 0.4, 0.2, 0.9, 0.7], [1, 0.1, 0.4, 0.5, 0.95]], atol=1e-7)
    out, lab = mx.image.DetHorizontalFlipAug(0)(img, box_label())
    assert out is img
    np.testing.assert_array_equal(lab, box_label())


def test_seeded_augmenters_match_mxnet():
    """MXNet 1.9.1's run after random.seed(11): 12 crops, 6 pads, 6 random selections, in this order."""
    random.seed(11)
    img = mx.nd.array(pixels(0))
    got = []
    for moc in (0.1, 0.5, 0.9):
        aug = mx.image.DetRandomCropAug(min_object_covered=moc, area_range=(0.1, 1.0), min_eject_coverage=0.5)
        for _ in range(4):
            out, lab = aug(img, box_label())
            got.append((out.shape, float(out.asnumpy().sum()), lab))
    # (shape, pixel sum, label)
    want = [((15, 15, 3), 85112, [[0, 0, 0.066667, 0.493333, 0.733333], [1, 0.333333, 0.333333, 0.973333, 1]]),
            ((16, 17, 3), 103067, [[0, 0.023529, 0.1875, 0.729412, 0.8125], [1, 0.588235, 0.4375, 1, 1]]),
            ((13, 16, 3), 79326, [[0, 0.0875, 0.153846, 0.8375, 0.923077]]),
            ((13, 14, 3), 68885, [[1, 0.142857, 0.076923, 0.828571, 0.923077]]),
            ((16, 19, 3), 115869, [[0, 0, 0.1875, 0.547368, 0.8125], [1, 0.421053, 0.4375, 0.926316, 1]]),
            ((16, 12, 3), 72731, [[0, 0.2, 0.25, 1, 0.875]]),
            ((14, 17, 3), 91036, [[0, 0, 0.214286, 0.611765, 0.928571], [1, 0.470588, 0.5, 1, 1]]),
            ((17, 18, 3), 116080, [[0, 0, 0.235294, 0.633333, 0.823529], [1, 0.5, 0.470588, 1, 1]]),
            ((18, 24, 3), 163987, [[0, 0.1, 0.222222, 0.6, 0.777778], [1, 0.5, 0.444444, 0.9, 1]]),
            ((18, 24, 3), 163987, [[0, 0.1, 0.222222, 0.6, 0.777778], [1, 0.5, 0.444444, 0.9, 1]]),
            ((20, 24, 3), 182173, [[0, 0.1, 0.2, 0.6, 0.7], [1, 0.5, 0.4, 0.9, 0.95]]),  # no crop fitted
            ((16, 19, 3), 116414, [[0, 0.021053, 0.0625, 0.652632, 0.6875], [1, 0.526316, 0.3125, 1, 1]])]
    for (shape, total, lab), (wshape, wtotal, wlab) in zip(got, want):
        assert shape == wshape and total == wtotal
        np.testing.assert_allclose(lab, wlab, atol=2e-6)

    pads = [((29, 37, 3), [[0, 0.118919, 0.275862, 0.443243, 0.62069], [1, 0.378378, 0.413793, 0.637838, 0.793103]]),
            ((28, 32, 3), [[0, 0.1375, 0.428571, 0.5125, 0.785714], [1, 0.4375, 0.571429, 0.7375, 0.964286]]),
            ((30, 36, 3), [[0, 0.261111, 0.466667, 0.594445, 0.8], [1, 0.527778, 0.6, 0.794444, 0.966667]]),
            ((29, 30, 3), [[0, 0.18, 0.310345, 0.58, 0.655172], [1, 0.5, 0.448276, 0.82, 0.827586]]),
            ((28, 32, 3), [[0, 0.16875, 0.357143, 0.54375, 0.714286], [1, 0.46875, 0.5, 0.76875, 0.892857]]),
            ((30, 38, 3), [[0, 0.3, 0.233333, 0.61579, 0.566667], [1, 0.552632, 0.366667, 0.805263, 0.733333]])]
    sums = [185731, 184669, 185773, 260173, 265373, None]  # MXNet fills channels 2-3 of pad_val=200 with garbage
    for k, pv in enumerate(((1, 2, 3), 200)):
        aug = mx.image.DetRandomPadAug(area_range=(1.5, 2.5), pad_val=pv)
        for (wshape, wlab), wsum in zip(pads[3 * k:3 * k + 3], sums[3 * k:3 * k + 3]):
            out, lab = aug(img, box_label())
            assert out.shape == wshape
            np.testing.assert_allclose(lab, wlab, atol=2e-6)
            if wsum is not None:
                assert float(out.asnumpy().sum()) == wsum

    sel = mx.image.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.7], area_range=[(0.1, 1.0), (0.3, 0.9)],
                                                skip_prob=0.3)
    want = [[[0, 0, 0.1875, 0.525, 0.8125], [1, 0.375, 0.4375, 0.975, 1]],
            [[0, 0.114286, 0.166667, 0.685714, 0.722222], [1, 0.571429, 0.388889, 1, 1]],
            [[0, 0.023529, 0.2, 0.729412, 0.7], [1, 0.588235, 0.4, 1, 0.95]],
            [[0, 0, 0.157895, 0.542857, 0.684211], [1, 0.428571, 0.368421, 0.885714, 0.947368]],
            [[0, 0, 0.2, 0.7125, 0.7], [1, 0.5625, 0.4, 1, 0.95]],
            [[0, 0.1, 0.2, 0.6, 0.7], [1, 0.5, 0.4, 0.9, 0.95]]]  # skipped
    for wlab in want:
        np.testing.assert_allclose(sel(img, box_label())[1], wlab, atol=2e-6)


def test_crop_constraints_hold():
    random.seed(3)
    height, width = SIZES[0]
    src = box_label()
    found = 0
    for moc, area, ratio in [(0.1, (0.1, 1.0), (0.5, 2.0)), (0.7, (0.3, 0.9), (0.75, 1.33)), (0.0, 0.5, 1.0)]:
        aug = mx.image.DetRandomCropAug(min_object_covered=moc, area_range=area, aspect_ratio_range=ratio,
                                        min_eject_coverage=0.3)
        lo, hi = area if isinstance(area, tuple) else (area, area)
        for _ in range(30):
            proposal = aug._random_crop_proposal(src, height, width)  # () when no window fits
            if not proposal:
                continue
            found += 1
            x, y, w, h, lab = proposal
            assert lo * height * width <= w * h <= hi * height * width
            assert 0 <= x <= width - w and 0 <= y <= height - h
            r = ratio if isinstance(ratio, tuple) else (ratio, ratio)
            assert r[0] - 1.0 / h <= w / h <= r[1] + 1.0 / h  # w is rounded from h * ratio
            assert np.all((lab[:, 1:] >= 0) & (lab[:, 1:] <= 1))
            # every object the window touches keeps more than min_object_covered of its area
            px = src[:, 1:] * [width, height, width, height]
            iw = np.clip(np.minimum(px[:, 2], x + w) - np.maximum(px[:, 0], x), 0, None)
            ih = np.clip(np.minimum(px[:, 3], y + h) - np.maximum(px[:, 1], y), 0, None)
            cover = iw * ih / ((px[:, 2] - px[:, 0]) * (px[:, 3] - px[:, 1]))
            assert np.all(cover[cover > 0] > moc - 1e-6)
            # objects keeping <= min_eject_coverage are dropped, the others kept
            assert sorted(lab[:, 0]) == sorted(src[cover > 0.3 + 1e-6, 0])
    assert found >= 60
    # the augmenter crops the pixels of such a window
    random.seed(4)
    img = mx.nd.array(pixels(0))
    out, lab = mx.image.DetRandomCropAug(area_range=(0.3, 0.5))(img, box_label())
    assert 0.3 * 480 <= out.shape[0] * out.shape[1] <= 0.5 * 480
    flat = pixels(0)
    hits = [(y, x) for y in range(21 - out.shape[0]) for x in range(25 - out.shape[1])
            if np.array_equal(flat[y:y + out.shape[0], x:x + out.shape[1]], out.asnumpy())]
    assert len(hits) == 1


def test_crop_gives_up_and_removes_nothing():
    # a crop window of at most 5% cannot keep > 90% of the big box: after max_attempts, unchanged
    big = np.array([[0, 0.0, 0.0, 1.0, 1.0]], np.float32)
    img = mx.nd.array(pixels(0))
    out, lab = mx.image.DetRandomCropAug(0.9, area_range=(0.01, 0.05), max_attempts=5)(img, big)
    assert out is img and lab is big


def test_pad_geometry():
    random.seed(5)
    img = mx.nd.array(pixels(1).astype(np.float32))
    for pv, fill in (((1, 2, 3), [1, 2, 3]), (200, [200, 0, 0])):  # a single value fills channel 0, as MXNet
        aug = mx.image.DetRandomPadAug(aspect_ratio_range=(0.5, 2.0), area_range=(1.0, 4.0), pad_val=pv)
        for _ in range(10):
            out, lab = aug(img, box_label())
            arr = out.asnumpy()
            h, w, _ = arr.shape
            assert h - 16 >= 2 and w - 16 >= 2
            assert 0.5 - 1.0 / h <= w / h <= 2.0 + 1.0 / h
            assert np.all((lab[:, 1:] > 0) & (lab[:, 1:] < 1))
            # the image sits where the moved boxes say; the rest is the canvas colour
            x0 = int(round(lab[0, 1] * w - 0.1 * 16))
            y0 = int(round(lab[0, 2] * h - 0.2 * 16))
            np.testing.assert_array_equal(arr[y0:y0 + 16, x0:x0 + 16], pixels(1))
            canvas = np.ones((h, w), bool)
            canvas[y0:y0 + 16, x0:x0 + 16] = False
            assert np.all(arr[canvas] == fill)
            np.testing.assert_allclose(lab[:, (1, 3)], (box_label()[:, (1, 3)] * 16 + x0) / w, rtol=1e-6)
            np.testing.assert_allclose(lab[:, (2, 4)], (box_label()[:, (2, 4)] * 16 + y0) / h, rtol=1e-6)


def test_random_select_and_skip():
    img = mx.nd.array(pixels(0))
    sel = mx.image.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.7], area_range=[(0.1, 1.0), (0.3, 0.9)],
                                                skip_prob=0.3)
    assert len(sel.aug_list) == 2 and sel.aug_list[1].area_range == (0.3, 0.9)
    assert sel.aug_list[1].aspect_ratio_range == (0.75, 1.33) and sel.skip_prob == 0.3
    assert mx.image.DetRandomSelectAug([], skip_prob=0).skip_prob == 1
    out, lab = mx.image.DetRandomSelectAug([mx.image.DetHorizontalFlipAug(1)], skip_prob=1)(img, box_label())
    assert out is img
    with pytest.raises(ValueError, match='DetAugmenter'):
        mx.image.DetRandomSelectAug([mx.image.CastAug()])
    with pytest.raises(ValueError, match='same length'):
        mx.image.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.7], max_attempts=[1, 2, 3])


def test_dumps_match_mxnet():
    augs = mx.image.CreateDetAugmenter((3, 300, 300), resize=256, rand_crop=0.5, rand_pad=0.5, rand_mirror=True,
                                       mean=True, std=True, brightness=0.1, hue=0.1, pca_noise=0.1, rand_gray=0.1)
    dumps = [a.dumps() for a in augs]
    # MXNet 1.9.1
    crop = ('["detrandomcropaug", {"min_object_covered": 0.1, "aspect_ratio_range": [0.75, 1.33], '
            '"area_range": [0.05, 3.0], "min_eject_coverage": 0.3, "max_attempts": 50}]')
    pad = ('["detrandompadaug", {"aspect_ratio_range": [0.75, 1.33], "area_range": [1.0, 3.0], '
           '"max_attempts": 50, "pad_val": [127, 127, 127]}]')
    assert dumps[:6] == [['detborrowaug', '["resizeaug", {"size": 256, "interp": 2}]'],
                         ['detrandomselectaug', [crop]], '["dethorizontalflipaug", {"p": 0.5}]',
                         ['detrandomselectaug', [pad]],
                         ['detborrowaug', '["forceresizeaug", {"size": [300, 300], "interp": 2}]'],
                         ['detborrowaug', '["castaug", {"type": "float32"}]']]
    assert [d[1] if isinstance(d, list) else d for d in dumps[6:]][-1] == (
        '["colornormalizeaug", {"mean": [123.68, 116.28, 103.53], "std": [58.395, 57.12, 57.375]}]')
    assert [json.loads(d[1])[0] if isinstance(d[1], str) else d[1][0] for d in dumps[6:]] == [
        'colorjitteraug', 'huejitteraug', 'lightingaug', 'randomgrayaug', 'colornormalizeaug']
    assert mx.image.DetRandomCropAug(area_range=0.5, aspect_ratio_range=1.0).dumps() == (
        '["detrandomcropaug", {"min_object_covered": 0.1, "aspect_ratio_range": [1.0, 1.0], '
        '"area_range": [0.5, 0.5], "min_eject_coverage": 0.3, "max_attempts": 50}]')
    assert mx.image.DetRandomPadAug(pad_val=3).dumps() == (
        '["detrandompadaug", {"aspect_ratio_range": [0.75, 1.33], "area_range": [1.0, 3.0], '
        '"max_attempts": 50, "pad_val": 3}]')
    # only the standard list: resize to data_shape, cast
    assert [type(a.augmenter).__name__ for a in mx.image.CreateDetAugmenter((3, 8, 8))] == ['ForceResizeAug',
                                                                                           'CastAug']


def test_bad_augmenter_parameters():
    with pytest.raises(ValueError, match='area_range'):
        mx.image.DetRandomCropAug(area_range=(0.5, 0.2))
    with pytest.raises(ValueError, match='aspect_ratio_range'):
        mx.image.DetRandomCropAug(aspect_ratio_range=(0, 1))
    with pytest.raises(ValueError, match='high > 1'):
        mx.image.DetRandomPadAug(area_range=(0.5, 0.9))
    with pytest.raises(TypeError, match='pad_val'):
        mx.image.DetRandomPadAug(pad_val='grey')
    with pytest.raises(TypeError, match='Augmenter'):
        mx.image.DetBorrowAug(mx.image.DetHorizontalFlipAug(1))
    with pytest.raises(ValueError, match='data_shape'):
        mx.image.CreateDetAugmenter((300, 300))


def test_module_names():
    assert mx.image.det is mx.image.detection
    for name in ('DetAugmenter', 'DetBorrowAug', 'DetRandomSelectAug', 'DetHorizontalFlipAug', 'DetRandomCropAug',
                 'DetRandomPadAug', 'CreateMultiRandCropAugmenter', 'CreateDetAugmenter', 'ImageDetIter'):
        assert getattr(mx.image, name) is getattr(mx.image.detection, name)
    assert issubclass(mx.image.ImageDetIter, mx.image.ImageIter)


def test_draw_next_without_opencv(files, monkeypatch):
    monkeypatch.setitem(sys.modules, 'cv2', None)  # as on a machine without OpenCV
    it = mx.image.ImageDetIter(2, (3, 16, 16), path_imgrec=files['rec'])
    with pytest.warns(UserWarning, match='class names need OpenCV'):
        images = list(it.draw_next(color=(255, 0, 10), id2labels={0: 'cat'}))
    assert len(images) == 5  # boxes drawn all the same
    it.reset()
    with pytest.raises(ImportError, match='opencv'):
        next(it.draw_next(waitKey=1))
    with pytest.raises(ValueError, match='mean must be True, None or a numpy array'):
        next(it.draw_next(mean=[1, 2, 3]))
