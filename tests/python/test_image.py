"""mx.image: decoding (Pillow), OpenCV-style resizing, crops, augmenters and ImageIter.

Expected values come from MXNet 1.9.1 (its bundled OpenCV 3.4.2) run on the same
inputs, hard-coded here, or from numpy formulas checked against it. Test images are
drawn with np.random.RandomState, whose stream numpy keeps stable.
"""
import hashlib
import io
import json
import random
import sys

import mxcore as mx
import numpy as np
import pytest
from mxcore.base import MXNetError

Image = pytest.importorskip('PIL.Image')


def png_bytes(arr):
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format='PNG')
    return buf.getvalue()


def rand_img(shape, seed=0):
    return np.random.RandomState(seed).randint(0, 256, shape).astype(np.uint8)


def libpng_gray(rgb):
    """What OpenCV's PNG decoder (libpng's rgb_to_gray) gives for flag=0: truncated."""
    rgb = rgb.astype(np.int64)
    return ((9797 * rgb[..., 0] + 19234 * rgb[..., 1] + 3737 * rgb[..., 2]) >> 15).astype(np.uint8)


# ------------------------------------------------------------------ decode / read

def test_imdecode_png_color_bgr_and_inputs():
    rgb = rand_img((7, 10, 3))
    data = png_bytes(rgb)
    img = mx.image.imdecode(data)
    assert isinstance(img, mx.nd.NDArray) and img.shape == (7, 10, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img.asnumpy(), rgb)
    np.testing.assert_array_equal(mx.image.imdecode(data, to_rgb=0).asnumpy(), rgb[:, :, ::-1])
    # Any buffer type MXNet takes: bytearray, numpy uint8, NDArray uint8.
    for buf in (bytearray(data), np.frombuffer(data, np.uint8),
                mx.nd.array(np.frombuffer(data, np.uint8), dtype=np.uint8)):
        np.testing.assert_array_equal(mx.image.imdecode(buf).asnumpy(), rgb)
    assert mx.image.imdecode(data, flag=2).shape == (7, 10, 3)  # any non-zero flag is color
    assert mx.img is mx.image


def test_imdecode_gray_matches_opencv():
    px = np.array([[[0, 0, 0], [255, 255, 255], [255, 0, 0]],
                   [[0, 255, 0], [0, 0, 255], [12, 200, 77]]], np.uint8)
    gray = mx.image.imdecode(png_bytes(px), flag=0)
    assert gray.shape == (2, 3, 1) and gray.dtype == np.uint8
    assert gray.asnumpy()[:, :, 0].tolist() == [[0, 255, 76], [149, 29, 129]]  # MXNet 1.9.1
    # Pixels whose exact luma is a hair above an integer: libpng's truncated coefficients
    # (9797/19234/3737) land below it. MXNet 1.9.1 gives 167 and 157 (not 168, 158).
    edge = np.array([[[136, 208, 46], [204, 147, 94]]], np.uint8)
    assert mx.image.imdecode(png_bytes(edge), flag=0).asnumpy()[:, :, 0].tolist() == [[167, 157]]
    rgb = rand_img((9, 11, 3), seed=3)
    np.testing.assert_array_equal(mx.image.imdecode(png_bytes(rgb), flag=0).asnumpy()[:, :, 0],
                                  libpng_gray(rgb))
    # RGBA: alpha is dropped, not composited, in both modes.
    rgba = rand_img((4, 6, 4), seed=4)
    np.testing.assert_array_equal(mx.image.imdecode(png_bytes(rgba)).asnumpy(), rgba[:, :, :3])
    np.testing.assert_array_equal(mx.image.imdecode(png_bytes(rgba), flag=0).asnumpy()[:, :, 0],
                                  libpng_gray(rgba[:, :, :3]))


def test_imdecode_gray_png_and_jpeg():
    g = rand_img((6, 5), seed=1)
    as_color = mx.image.imdecode(png_bytes(g))
    np.testing.assert_array_equal(as_color.asnumpy(), np.repeat(g[:, :, None], 3, axis=2))
    np.testing.assert_array_equal(mx.image.imdecode(png_bytes(g), flag=0).asnumpy(), g[:, :, None])
    # JPEG is lossy: compare with Pillow's own decode and shape only.
    yy, xx = np.mgrid[0:16, 0:24]
    smooth = np.stack([xx * 10, yy * 15, (xx + yy) * 5], -1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(smooth).save(buf, format='JPEG', quality=95)
    jpg = mx.image.imdecode(buf.getvalue())
    assert jpg.shape == (16, 24, 3)
    assert np.abs(jpg.asnumpy().astype(int) - smooth).max() < 20
    assert mx.image.imdecode(buf.getvalue(), flag=0).shape == (16, 24, 1)


def test_imdecode_out_buffer():
    rgb = rand_img((3, 4, 3))
    out = mx.nd.zeros((3, 4, 3), dtype=np.uint8)
    assert mx.image.imdecode(png_bytes(rgb), out=out) is out
    np.testing.assert_array_equal(out.asnumpy(), rgb)
    with pytest.raises(ValueError, match='out has shape'):
        mx.image.imdecode(png_bytes(rgb), out=mx.nd.zeros((4, 4, 3), dtype=np.uint8))


def test_imdecode_errors():
    with pytest.raises(ValueError, match='got str'):
        mx.image.imdecode('image.png')
    with pytest.raises(ValueError, match='encoded image data'):
        mx.image.imdecode(12)
    with pytest.raises(MXNetError, match='cannot identify'):
        mx.image.imdecode(b'definitely not an image')
    with pytest.raises(mx.image.ImageDecodeError, match='empty'):
        mx.image.imdecode(b'')
    with pytest.raises(MXNetError, match='broken or truncated'):
        mx.image.imdecode(png_bytes(rand_img((20, 20, 3)))[:60])
    for flag in (-1, 0.5, 'color'):
        with pytest.raises(ValueError, match='flag must be 0'):
            mx.image.imdecode(png_bytes(rand_img((2, 2, 3))), flag=flag)


def test_imread(tmp_path):
    rgb = rand_img((5, 8, 3), seed=2)
    path = tmp_path / 'a.png'
    path.write_bytes(png_bytes(rgb))
    np.testing.assert_array_equal(mx.image.imread(str(path)).asnumpy(), rgb)
    np.testing.assert_array_equal(mx.image.imread(path, to_rgb=0).asnumpy(), rgb[:, :, ::-1])
    assert mx.image.imread(str(path), 0).shape == (5, 8, 1)
    with pytest.raises(FileNotFoundError):
        mx.image.imread(str(tmp_path / 'missing.png'))
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'not a png at all')
    with pytest.raises(MXNetError, match='bad.png'):
        mx.image.imread(str(bad))


def test_missing_pillow_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, 'PIL', None)  # makes `from PIL import Image` fail
    with pytest.raises(ImportError, match='pip install pillow'):
        mx.image.imdecode(b'\x89PNG')


# ------------------------------------------------------------------ resize

# MXNet 1.9.1's imresize of this 4x5 single-channel image to (w, h) = (3, 2), (7, 6), (8, 3),
# per interpolation code, as hex bytes.
_SMALL = rand_img((4, 5, 1))
_SMALL_SIZES = [(3, 2), (7, 6), (8, 3)]
_SMALL_HEX = {
    0: ['ac2fc015f257',
        'acac2f7575c043acac2f7575c043fbfbc3676709d31515f2242457461515f224245746d8d8588c8c3ac1',
        'acac2f2f75c0c043fbfbc3c3670909d31515f2f224575746'],
    1: ['b56e7e865870',
        'ac644375aa8a43d4a0766e67758bd4cfab5c2a5dbb3b9fb52f42525d77918f584d6284d88f678c5174c1',
        'b9874a65819e7a5b88acd1743f31648db799727868427cac'],
    2: ['c474847d526a',
        'af502676cd992af2a669745d749ddee8bb5a004ed916b8d8243752535b949a52486079f5855195436cd7',
        'c684415a8ba57e5372c1f37a191e5e99bf976d7b663e79b7'],
    3: ['af6e7c89646c',
        'ac613d75b18e43d49d776e66748bfbd9b1671c5ad3159ac9244d5046779295584b6084d88b628c4a70c1',
        'c095546b7892786788a9db634130678da7977f7468417ba2'],
    4: ['ca7b8776516b',
        'a6541f73d79622ffa2647b5f71a8d8e6c7580052d70fc2de23265f524f8e97514d686cff7f57974462e2',
        'd2873b5497a67d5867c6fb8309176698ba8f6c7d694476b3'],
}

# sha256 over MXNet's outputs for larger images (see _resize_digest), per interp code.
_DIGESTS = {
    0: '3a3ebc9cd9452d9beb30210e6611d05d70344dbacb498255702027032c9cc1cd',
    1: '6b562cc9826f31f7414eff6ab0167fe4e62b044ec16c79ab3bafff6f9c5ddbcb',
    2: '80f51cacd815561e4acecf913241c173095e00b47b227692f11d1a8e4910be7e',
    3: '752771e00b78c80f6d6479728b207146c59fb3767fdab64cce6c27f01a86cce0',
    4: 'bbb635ff6a5360b0653f685a4f6c2327ef16dcf2b63494705d5c75baa055d7da',
}


@pytest.mark.parametrize('interp', range(5))
def test_imresize_small_matches_mxnet(interp):
    for (w, h), expected in zip(_SMALL_SIZES, _SMALL_HEX[interp]):
        out = mx.image.imresize(mx.nd.array(_SMALL, dtype=np.uint8), w, h, interp=interp)
        assert out.shape == (h, w, 1) and out.dtype == np.uint8
        want = np.frombuffer(bytes.fromhex(expected), np.uint8).reshape(h, w, 1)
        np.testing.assert_array_equal(out.asnumpy(), want, err_msg='interp=%d size=%s' % (interp, (w, h)))


def _resize_digest(interp):
    """Shrink, enlarge, mixed, identity and whole-factor (2x, 3x, 4x) cases on RGB images."""
    digest = hashlib.sha256()
    cases = ((rand_img((37, 53, 3), 0), [(20, 15), (80, 60), (30, 50), (53, 37), (7, 5)]),
             (rand_img((36, 48, 3), 1), [(24, 18), (16, 12), (12, 9), (50, 30)]))
    for src, sizes in cases:
        for w, h in sizes:
            digest.update(mx.image.imresize(mx.nd.array(src, dtype=np.uint8), w, h, interp).asnumpy().tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize('interp', range(5))
def test_imresize_uint8_is_bit_exact_with_mxnet(interp):
    assert _resize_digest(interp) == _DIGESTS[interp]


def test_imresize_nearest_formula_and_float():
    src = rand_img((9, 13, 3), seed=5)
    out = mx.image.imresize(mx.nd.array(src, dtype=np.uint8), 5, 4, interp=0).asnumpy()
    rows = np.minimum((np.arange(4) * (9 / 4)).astype(int), 8)
    cols = np.minimum((np.arange(5) * (13 / 5)).astype(int), 12)
    np.testing.assert_array_equal(out, src[rows][:, cols])
    # float32 images keep their dtype and agree with the uint8 path to rounding.
    for interp in range(5):
        f = mx.image.imresize(mx.nd.array(src.astype(np.float32)), 7, 11, interp=interp)
        u = mx.image.imresize(mx.nd.array(src, dtype=np.uint8), 7, 11, interp=interp)
        assert f.dtype == np.float32 and f.shape == (11, 7, 3)
        assert np.abs(np.clip(np.rint(f.asnumpy()), 0, 255) - u.asnumpy()).max() <= 1
    # A uniform image stays uniform whatever the filter.
    flat = np.full((6, 9, 3), 77, np.uint8)
    for interp in range(5):
        assert (mx.image.imresize(mx.nd.array(flat, dtype=np.uint8), 4, 13, interp).asnumpy() == 77).all()


def test_imresize_args():
    src = mx.nd.array(rand_img((6, 8, 3)), dtype=np.uint8)
    assert mx.image.imresize(src, 4, 3, 1).shape == (3, 4, 3)  # interp positional, as MXNet
    assert mx.image.imresize(rand_img((6, 8, 3)), 4, 3).shape == (3, 4, 3)  # numpy accepted
    assert mx.image.imresize(src.astype('int32'), 4, 3).dtype == np.int32
    out = mx.nd.zeros((3, 4, 3), dtype=np.uint8)
    assert mx.image.imresize(src, 4, 3, out=out) is out
    with pytest.raises(ValueError, match='w must be a positive int'):
        mx.image.imresize(src, 0, 3)
    with pytest.raises(ValueError, match='Unknown interp method 7'):
        mx.image.imresize(src, 4, 3, interp=7)
    with pytest.raises(TypeError, match='NDArray or numpy'):
        mx.image.imresize([[1, 2]], 4, 3)


# ------------------------------------------------------------------ crops and friends

def test_scale_down_and_center_crop_arithmetic():
    assert mx.image.scale_down((640, 480), (720, 120)) == (640, 106)
    assert mx.image.scale_down((17, 31), (30, 12)) == (17, 6)
    assert mx.image.scale_down((100, 100), (50, 200)) == (25, 100)
    src = rand_img((31, 17, 3))
    img = mx.nd.array(src, dtype=np.uint8)
    out, rect = mx.image.center_crop(img, (10, 12))
    assert rect == (3, 9, 10, 12)
    np.testing.assert_array_equal(out.asnumpy(), src[9:21, 3:13])
    out, rect = mx.image.center_crop(img, (30, 12))  # bigger than the image: crop, then upscale
    assert rect == (0, 12, 17, 6) and out.shape == (12, 30, 3)
    np.testing.assert_array_equal(out.asnumpy(), mx.image.imresize(src[12:18], 30, 12, 2).asnumpy())


def test_fixed_crop_and_resize_short():
    src = rand_img((31, 17, 3))
    img = mx.nd.array(src, dtype=np.uint8)
    np.testing.assert_array_equal(mx.image.fixed_crop(img, 2, 3, 7, 9).asnumpy(), src[3:12, 2:9])
    resized = mx.image.fixed_crop(img, 2, 3, 7, 9, size=(14, 5), interp=1)
    np.testing.assert_array_equal(resized.asnumpy(), mx.image.imresize(src[3:12, 2:9], 14, 5, 1).asnumpy())
    assert mx.image.resize_short(img, 8).shape == (14, 8, 3)
    assert mx.image.resize_short(mx.nd.zeros((10, 25, 3), dtype=np.uint8), 4).shape == (4, 10, 3)
    # interp 9 picks bicubic to enlarge, area to shrink, bilinear otherwise.
    np.testing.assert_array_equal(mx.image.resize_short(img, 40, interp=9).asnumpy(),
                                  mx.image.imresize(src, 40, 72, 2).asnumpy())
    np.testing.assert_array_equal(mx.image.resize_short(img, 8, interp=9).asnumpy(),
                                  mx.image.imresize(src, 8, 14, 3).asnumpy())
    np.testing.assert_array_equal(mx.image.ForceResizeAug((13, 40), interp=9)(img).asnumpy(),
                                  mx.image.imresize(src, 13, 40, 1).asnumpy())
    random.seed(4)
    assert [mx.image.ops._get_interp_method(10) for _ in range(6)] == [1, 2, 0, 3, 3, 1]  # MXNet


def test_random_crops_follow_python_random():
    img = mx.nd.zeros((31, 17, 3), dtype=np.uint8)
    # Rectangles MXNet 1.9.1 draws after random.seed(s).
    expected_rc = {0: (6, 13, 10, 12), 1: (2, 18, 10, 12), 2: (0, 2, 10, 12)}
    expected_rsc = {0: [(2, 7, 15, 17), (0, 9, 17, 22)], 1: [(0, 8, 12, 10), (0, 6, 17, 18)],
                    2: [(2, 21, 8, 10), (1, 6, 13, 24)]}
    for seed in range(3):
        random.seed(seed)
        out, rect = mx.image.random_crop(img, (10, 12))
        assert rect == expected_rc[seed] and out.shape == (12, 10, 3)
        out, rect = mx.image.random_crop(img, (20, 40))
        assert rect == (0, 0, 15, 31) and out.shape == (40, 20, 3)
        random.seed(seed)
        out, rect = mx.image.random_size_crop(img, (9, 11), 0.1, (0.75, 1.333))
        assert rect == expected_rsc[seed][0] and out.shape == (11, 9, 3)
        assert mx.image.random_size_crop(img, (9, 11), (0.5, 0.9), (0.5, 2.0))[1] == expected_rsc[seed][1]
    random.seed(0)  # no fit in 10 tries: centre crop
    assert mx.image.random_size_crop(img, (9, 11), (0.99, 1.0), (5.0, 6.0))[1] == (4, 10, 9, 11)


def test_color_normalize_in_place():
    src = rand_img((4, 5, 3)).astype(np.float32)
    img = mx.nd.array(src)
    out = mx.image.color_normalize(img, mx.nd.array([1, 2, 3]), mx.nd.array([2, 4, 8]))
    assert out is img  # MXNet works in place
    np.testing.assert_allclose(img.asnumpy(), (src - [1, 2, 3]) / [2, 4, 8], rtol=1e-6)
    img = mx.nd.array(src)
    np.testing.assert_allclose(mx.image.color_normalize(img, np.array([100.0])).asnumpy(), src - 100)
    np.testing.assert_allclose(mx.image.color_normalize(mx.nd.array(src), None, 2.0).asnumpy(), src / 2)


def test_copy_make_border():
    src = mx.nd.array(np.arange(6).reshape(2, 3, 1), dtype=np.uint8)
    # MXNet 1.9.1 (OpenCV border types).
    expected = {
        1: [[0, 0, 0, 1, 2, 2, 2], [0, 0, 0, 1, 2, 2, 2], [3, 3, 3, 4, 5, 5, 5], [3, 3, 3, 4, 5, 5, 5]],
        2: [[1, 0, 0, 1, 2, 2, 1], [1, 0, 0, 1, 2, 2, 1], [4, 3, 3, 4, 5, 5, 4], [4, 3, 3, 4, 5, 5, 4]],
        4: [[5, 4, 3, 4, 5, 4, 3], [2, 1, 0, 1, 2, 1, 0], [5, 4, 3, 4, 5, 4, 3], [2, 1, 0, 1, 2, 1, 0]],
    }
    for border, want in expected.items():
        out = mx.image.copyMakeBorder(src, 1, 1, 2, 2, type=border)
        assert out.asnumpy()[:, :, 0].tolist() == want
    const = mx.image.copyMakeBorder(src, 1, 1, 2, 2, value=7).asnumpy()[:, :, 0]
    assert const.tolist() == [[7] * 7, [7, 7, 0, 1, 2, 7, 7], [7, 7, 3, 4, 5, 7, 7], [7] * 7]
    rgb = mx.nd.array(np.arange(12).reshape(2, 2, 3), dtype=np.uint8)
    assert mx.image.copyMakeBorder(rgb, 1, 0, 0, 0, values=(7, 8, 9)).asnumpy()[0].tolist() == [[7, 8, 9]] * 2
    assert mx.image.copyMakeBorder(src, 1, 2, 3, 4).shape == (5, 10, 1)
    with pytest.raises(ValueError, match='type must be'):
        mx.image.copyMakeBorder(src, 1, 1, 1, 1, type=5)


# ------------------------------------------------------------------ augmenters

def test_create_augmenter_list_and_dumps():
    augs = mx.image.CreateAugmenter((3, 12, 10), resize=20, rand_crop=True, rand_resize=True,
                                    rand_mirror=True, mean=True, std=True, brightness=0.1,
                                    contrast=0.2, saturation=0.3, hue=0.1, pca_noise=0.05,
                                    rand_gray=0.1, inter_method=1)
    dumps = [a.dumps() for a in augs]
    # As MXNet 1.9.1 dumps them.
    assert dumps[:4] == [
        '["resizeaug", {"size": 20, "interp": 1}]',
        '["randomsizedcropaug", {"size": [10, 12], "area": 0.08, "ratio": [0.75, 1.3333333333333333], '
        '"interp": 1}]',
        '["horizontalflipaug", {"p": 0.5}]',
        '["castaug", {"type": "float32"}]']
    assert dumps[4] == ['colorjitteraug', ['["brightnessjitteraug", {"brightness": 0.1}]',
                                           '["contrastjitteraug", {"contrast": 0.2}]',
                                           '["saturationjitteraug", {"saturation": 0.3}]']]
    assert dumps[5] == '["huejitteraug", {"hue": 0.1}]'
    assert json.loads(dumps[6])[0] == 'lightingaug'
    assert dumps[7] == '["randomgrayaug", {"p": 0.1}]'
    name, args = json.loads(dumps[8])
    assert name == 'colornormalizeaug'
    np.testing.assert_allclose(args['mean'], [123.68, 116.28, 103.53], rtol=1e-6)
    np.testing.assert_allclose(args['std'], [58.395, 57.12, 57.375], rtol=1e-6)
    assert [a.dumps() for a in mx.image.CreateAugmenter((3, 12, 10))] == [
        '["centercropaug", {"size": [10, 12], "interp": 2}]', '["castaug", {"type": "float32"}]']


def test_create_augmenter_normalizes_with_imagenet_values():
    x = mx.nd.full((1, 1, 3), 200.0)
    for aug in mx.image.CreateAugmenter((3, 1, 1), mean=True, std=True):
        x = aug(x)
    np.testing.assert_allclose(x.asnumpy().ravel(), [1.306961178779602, 1.465686321258545, 1.681394338607788],
                               rtol=1e-6)  # MXNet 1.9.1
    with pytest.raises(ValueError, match='rand_crop'):
        mx.image.CreateAugmenter((3, 4, 4), rand_resize=True)
    with pytest.raises(TypeError, match='mean must be'):
        mx.image.CreateAugmenter((3, 4, 4), mean=[1, 2, 3])
    with pytest.raises(ValueError, match='1 or 3 values'):
        mx.image.CreateAugmenter((3, 4, 4), std=np.ones(2))


def test_geometric_augmenters_draw_like_mxnet():
    src = rand_img((20, 16, 3), seed=6)
    augs = mx.image.CreateAugmenter((3, 8, 6), rand_crop=True, rand_mirror=True)
    for seed in range(4):
        random.seed(seed)
        out = mx.nd.array(src, dtype=np.uint8)
        for aug in augs:
            out = aug(out)
        # The same draws by hand: crop x0, y0, then the flip coin.
        random.seed(seed)
        x0, y0 = random.randint(0, 10), random.randint(0, 12)
        want = src[y0:y0 + 8, x0:x0 + 6].astype(np.float32)
        if random.random() < 0.5:
            want = want[:, ::-1]
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out.asnumpy(), want)
    flipped = mx.image.HorizontalFlipAug(1.0)(mx.nd.array(src, dtype=np.uint8))
    np.testing.assert_array_equal(flipped.asnumpy(), src[:, ::-1])
    assert mx.image.ForceResizeAug((13, 7))(mx.nd.array(src, dtype=np.uint8)).shape == (7, 13, 3)
    assert mx.image.ResizeAug(10)(mx.nd.array(src, dtype=np.uint8)).shape == (12, 10, 3)
    assert mx.image.CenterCropAug((6, 8))(mx.nd.array(src, dtype=np.uint8)).shape == (8, 6, 3)


def test_color_augmenters_formulas():
    src = rand_img((5, 4, 3), seed=7).astype(np.float64)
    coef = np.array([0.299, 0.587, 0.114])

    def run(aug):
        random.seed(3)
        return aug(mx.nd.array(src)).asnumpy()

    random.seed(3)
    alpha = 1.0 + random.uniform(-0.5, 0.5)
    np.testing.assert_allclose(run(mx.image.BrightnessJitterAug(0.5)), src * alpha, rtol=1e-5)
    gray_mean = (src * coef).sum() * 3.0 / src.size
    np.testing.assert_allclose(run(mx.image.ContrastJitterAug(0.5)),
                               src * alpha + (1 - alpha) * gray_mean, rtol=1e-5)
    gray = (src * coef).sum(axis=2, keepdims=True)
    np.testing.assert_allclose(run(mx.image.SaturationJitterAug(0.5)),
                               src * alpha + (1 - alpha) * gray, rtol=1e-5)
    np.testing.assert_allclose(run(mx.image.RandomGrayAug(1.0)),
                               src @ np.array([[0.21] * 3, [0.72] * 3, [0.07] * 3]), rtol=1e-5)
    random.seed(3)
    hue = random.uniform(-0.5, 0.5)
    u, w = np.cos(hue * np.pi), np.sin(hue * np.pi)
    aug = mx.image.HueJitterAug(0.5)
    t = (aug.ityiq @ np.array([[1, 0, 0], [0, u, -w], [0, w, u]]) @ aug.tyiq).T
    np.testing.assert_allclose(run(aug), src @ t, rtol=1e-4, atol=1e-3)
    # LightingAug draws from numpy's random.
    np.random.seed(5)
    noise = np.random.normal(0, 0.1, size=(3,))
    eigval, eigvec = np.array([55.46, 4.794, 1.148]), np.eye(3)
    np.random.seed(5)
    lit = mx.image.LightingAug(0.1, eigval, eigvec)(mx.nd.array(src)).asnumpy()
    np.testing.assert_allclose(lit, src + eigvec * noise @ eigval, rtol=1e-5)


def test_random_order_and_sequential():
    src = mx.nd.array(rand_img((3, 3, 3)).astype(np.float32))
    ts = [mx.image.CastAug(), mx.image.ColorNormalizeAug([1, 2, 3], None)]
    out = mx.image.SequentialAug(ts)(src.copy())
    np.testing.assert_allclose(out.asnumpy(), src.asnumpy() - [1, 2, 3])
    assert mx.image.SequentialAug(ts).dumps()[0] == 'sequentialaug'
    order = mx.image.RandomOrderAug([mx.image.BrightnessJitterAug(0.1), mx.image.ContrastJitterAug(0.1)])
    random.seed(1)
    order(src.copy())
    random.seed(1)
    names = ['b', 'c']
    random.shuffle(names)
    assert [type(t).__name__[0].lower() for t in order.ts] == names
    with pytest.raises(NotImplementedError):
        mx.image.Augmenter()(src)


# ------------------------------------------------------------------ ImageIter

N_IMAGES = 7


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    """7 PNGs of different sizes, a .lst with two labels each and .rec files (indexed)."""
    root = tmp_path_factory.mktemp('images')
    shapes = [(20, 30), (31, 17), (24, 24), (16, 40), (50, 22), (19, 19), (28, 35)]
    images = []
    with open(root / 'two.lst', 'w') as lst:
        for i, (h, w) in enumerate(shapes):
            img = rand_img((h, w, 3), seed=10 + i)
            images.append(img)
            (root / ('%d.png' % i)).write_bytes(png_bytes(img))
            lst.write('%d\t%d\t%.1f\t%d.png\n' % (i, i % 3, i * 0.5, i))
    for name, label in (('one', lambda i: float(i % 3)), ('two', lambda i: [i, i * 2.0])):
        rec = mx.recordio.MXIndexedRecordIO(str(root / (name + '.idx')), str(root / (name + '.rec')), 'w')
        for i in range(N_IMAGES):
            header = mx.recordio.IRHeader(0, label(i), i, 0)
            rec.write_idx(i, mx.recordio.pack(header, (root / ('%d.png' % i)).read_bytes()))
        rec.close()
    return root, images


def center8(img):
    """What the default augmenters make of an image for data_shape (3, 8, 8), CHW float32."""
    out, _ = mx.image.center_crop(mx.nd.array(img, dtype=np.uint8), (8, 8))
    return out.asnumpy().transpose(2, 0, 1).astype(np.float32)


def epoch(it):
    return [(b.data[0].asnumpy(), b.label[0].asnumpy(), b.pad) for b in it]


def test_image_iter_rec_sequential_pad(dataset):
    root, images = dataset
    it = mx.image.ImageIter(3, (3, 8, 8), path_imgrec=str(root / 'one.rec'))
    assert it.provide_data == [('data', (3, 3, 8, 8))] and it.provide_label == [('softmax_label', (3,))]
    assert isinstance(it, mx.io.DataIter)
    for _ in range(2):  # two epochs, the same
        batches = epoch(it)
        assert [b[2] for b in batches] == [0, 0, 2]
        order = [0, 1, 2, 3, 4, 5, 6, 0, 1]  # the last batch is padded from the start
        data = np.concatenate([b[0] for b in batches])
        labels = np.concatenate([b[1] for b in batches])
        assert data.dtype == np.float32 and data.shape == (9, 3, 8, 8)
        for row, i in enumerate(order):
            np.testing.assert_array_equal(data[row], center8(images[i]))
        assert labels.tolist() == [i % 3 for i in order]
        it.reset()


def test_image_iter_discard_and_roll_over(dataset):
    root, _ = dataset
    kw = dict(path_imgrec=str(root / 'one.rec'), path_imgidx=str(root / 'one.idx'))
    it = mx.image.ImageIter(3, (3, 8, 8), last_batch_handle='discard', **kw)
    assert [b[1].tolist() for b in epoch(it)] == [[0, 1, 2], [0, 1, 2]]
    it = mx.image.ImageIter(3, (3, 8, 8), last_batch_handle='roll_over', **kw)
    seen = []
    for _ in range(3):
        seen.append([(b[1].tolist(), b[2]) for b in epoch(it)])
        it.reset()
    # MXNet: leftovers open the next epoch, and that batch reports batch_size - leftovers as pad.
    assert seen == [[([0, 1, 2], 0), ([0, 1, 2], 0)],
                    [([0, 0, 1], 2), ([2, 0, 1], 0)],
                    [([2, 0, 0], 1), ([1, 2, 0], 0), ([1, 2, 0], 0)]]
    with pytest.raises(ValueError, match='last_batch_handle'):
        mx.image.ImageIter(3, (3, 8, 8), last_batch_handle='keep', **kw)


def test_image_iter_shuffle_and_parts(dataset):
    root, images = dataset
    kw = dict(path_imgrec=str(root / 'one.rec'), path_imgidx=str(root / 'one.idx'))
    random.seed(11)
    it = mx.image.ImageIter(7, (3, 8, 8), shuffle=True, **kw)
    random.seed(11)
    order = list(range(N_IMAGES))
    random.shuffle(order)  # the shuffle reset() does in __init__
    data = next(it).data[0].asnumpy()
    for row, i in enumerate(order):
        np.testing.assert_array_equal(data[row], center8(images[i]))
    part = mx.image.ImageIter(2, (3, 8, 8), num_parts=2, part_index=1, **kw)
    assert [(b[1].tolist(), b[2]) for b in epoch(part)] == [([0, 1], 0), ([2, 0], 1)]  # keys 3, 4, 5
    with pytest.raises(ValueError, match='path_imgidx'):
        mx.image.ImageIter(2, (3, 8, 8), path_imgrec=str(root / 'one.rec'), shuffle=True)


def test_image_iter_multi_label_rec_and_lists(dataset):
    root, images = dataset
    it = mx.image.ImageIter(4, (3, 8, 8), label_width=2, path_imgrec=str(root / 'two.rec'),
                            path_imgidx=str(root / 'two.idx'))
    assert it.provide_label == [('softmax_label', (4, 2))]
    batches = epoch(it)
    assert batches[0][1].tolist() == [[i, 2.0 * i] for i in range(4)]
    assert batches[1][1].tolist() == [[4, 8], [5, 10], [6, 12], [0, 0]] and batches[1][2] == 1
    # .lst with files under path_root, labels from the list.
    it = mx.image.ImageIter(4, (3, 8, 8), label_width=2, path_imglist=str(root / 'two.lst'),
                            path_root=str(root))
    batches = epoch(it)
    assert batches[0][1].tolist() == [[i % 3, i * 0.5] for i in range(4)]
    np.testing.assert_array_equal(batches[1][0][2], center8(images[6]))
    # .lst plus .rec: images from the records, labels from the list.
    it = mx.image.ImageIter(4, (3, 8, 8), label_width=2, path_imglist=str(root / 'two.lst'),
                            path_imgrec=str(root / 'one.rec'), path_imgidx=str(root / 'one.idx'))
    assert epoch(it)[0][1].tolist() == [[i % 3, i * 0.5] for i in range(4)]


def test_image_iter_imglist_and_aug_list(dataset):
    root, images = dataset
    it = mx.image.ImageIter(4, (3, 8, 8), imglist=[[1, '0.png'], [2.5, '1.png'], [3, '2.png']],
                            path_root=str(root), data_name='img', label_name='lab')
    # MXNet's ImageIter describes its outputs with plain (name, shape) pairs
    assert it.provide_data == [('img', (4, 3, 8, 8))] and it.provide_label == [('lab', (4,))]
    (_, labels, pad), = epoch(it)
    assert labels.tolist() == [1, 2.5, 3, 1] and pad == 1
    augs = [mx.image.ForceResizeAug((8, 8), interp=1), mx.image.CastAug()]
    it = mx.image.ImageIter(2, (3, 8, 8), label_width=2, path_root=str(root), aug_list=augs,
                            imglist=[[1, 2, '0.png'], [[3, 4], '1.png'], [5, 6, '2.png']])
    batches = epoch(it)
    assert [b[1].tolist() for b in batches] == [[[1, 2], [3, 4]], [[5, 6], [1, 2]]]
    want = mx.image.imresize(images[1], 8, 8, 1).asnumpy().transpose(2, 0, 1)
    np.testing.assert_array_equal(batches[0][0][1], want)


def test_image_iter_errors(dataset, tmp_path):
    root, _ = dataset
    with pytest.raises(ValueError, match='needs path_imgrec'):
        mx.image.ImageIter(2, (3, 8, 8))
    with pytest.raises(ValueError, match='3 channels'):
        mx.image.ImageIter(2, (1, 8, 8), path_imgrec=str(root / 'one.rec'))
    with pytest.raises(ValueError, match='length 3'):
        mx.image.ImageIter(2, (8, 8), path_imgrec=str(root / 'one.rec'))
    with pytest.raises(ValueError, match='label dtype'):
        mx.image.ImageIter(2, (3, 8, 8), path_imgrec=str(root / 'one.rec'), dtype='uint8')
    (tmp_path / 'bad.png').write_bytes(b'garbage')
    it = mx.image.ImageIter(1, (3, 8, 8), imglist=[[0, 'bad.png']], path_root=str(tmp_path))
    with pytest.raises(RuntimeError, match='Broken image filename: bad.png'):
        next(it)
    it = mx.image.ImageIter(1, (3, 8, 8), path_imgrec=str(root / 'two.rec'))  # 2 labels, width 1
    with pytest.raises(ValueError, match='label_width is 1'):
        next(it)
    (tmp_path / 'short.lst').write_text('0\tonly-two-fields\n')
    with pytest.raises(ValueError, match='short.lst, line 1'):
        mx.image.ImageIter(1, (3, 8, 8), path_imglist=str(tmp_path / 'short.lst'))
