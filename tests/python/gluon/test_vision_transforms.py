"""gluon.data.vision.transforms: the deterministic ones give MXNet 1.9.1's exact
uint8 results (checksums MXNet printed for the same calls); the random ones keep
shapes and dtypes and do what they say (a crop of the padded image, one
brightness factor per image, one lighting offset per channel)."""
import numpy as np
import pytest

import mxcore as mx
from mxcore.gluon.data.vision import transforms as T

IMG = np.random.RandomState(0).randint(0, 256, (7, 9, 3)).astype("uint8")

# (shape, sum, sum of value * flat index) of MXNet 1.9.1's outputs for the same calls
MXNET = {
    "resize_5x4": ((4, 5, 3), 7365, 212304),
    "resize_keep_4": ((4, 5, 3), 7365, 212304),
    "center_3x2": ((2, 3, 3), 1864, 15581),
    "center_big": ((8, 8, 3), 24039, 2156902),
    "cropresize": ((3, 3, 3), 3555, 44901),
}
CALLS = {
    "resize_5x4": T.Resize((5, 4)),
    "resize_keep_4": T.Resize(4, keep_ratio=True),
    "center_3x2": T.CenterCrop((3, 2)),
    "center_big": T.CenterCrop(8),  # larger than the image: crop at scale, resize up
    "cropresize": T.CropResize(1, 2, 5, 4, size=(3, 3), interpolation=1),
}


@pytest.mark.parametrize("name", sorted(MXNET))
def test_deterministic_transforms_equal_mxnet(name):
    out = CALLS[name](mx.nd.array(IMG, dtype="uint8")).asnumpy()
    assert out.dtype == np.uint8
    v = out.astype("int64")
    assert (out.shape, int(v.sum()), int((v * np.arange(v.size).reshape(v.shape)).sum())) == MXNET[name]


def test_random_crops():
    img = mx.nd.array(IMG, dtype="uint8")
    assert T.RandomResizedCrop(5)(img).shape == (5, 5, 3)
    assert T.RandomResizedCrop((6, 4), scale=(0.5, 1.0))(img).shape == (4, 6, 3)
    padded = np.pad(IMG, ((2, 2), (2, 2), (0, 0)))
    for _ in range(5):
        out = T.RandomCrop((4, 3), pad=2)(img).asnumpy()  # a window of the zero-padded image
        assert out.shape == (3, 4, 3)
        hits = [(y, x) for y in range(padded.shape[0] - 2) for x in range(padded.shape[1] - 3)
                if (padded[y:y + 3, x:x + 4] == out).all()]
        assert hits


def test_color_jitter_transforms():
    img = mx.nd.array(IMG, dtype="uint8")
    out = T.RandomBrightness(0.3)(img).asnumpy()
    assert out.dtype == np.uint8 and out.shape == IMG.shape
    mask = (IMG > 20) & (out < 255)  # one factor for the image: out ~ IMG * alpha
    ratios = out[mask] / IMG[mask]
    assert 0.7 - 0.03 <= ratios.min() and ratios.max() <= 1.3 + 0.03 and np.ptp(ratios) < 0.06
    f = mx.nd.array(IMG.astype("float32"))
    lit = T.RandomLighting(0.1)(f).asnumpy() - IMG  # one offset per channel
    assert np.allclose(lit, lit[0, 0], atol=1e-4)
    for t in (T.RandomContrast(0.4), T.RandomSaturation(0.4), T.RandomHue(0.1),
              T.RandomColorJitter(0.4, 0.4, 0.4, 0.1)):
        o = t(img)
        assert o.dtype == np.uint8 and o.shape == IMG.shape
        assert t(f).dtype == np.float32
    pipeline = T.Compose([T.RandomResizedCrop(6), T.RandomFlipLeftRight(), T.RandomColorJitter(0.2, 0.2, 0.2),
                          T.RandomLighting(0.1), T.ToTensor(), T.Normalize(0.5, 0.25)])
    assert pipeline(img).shape == (3, 6, 6)


def test_to_tensor_normalize_hybridize_and_export(tmp_path):
    """ToTensor and Normalize are registry ops (_image_to_tensor, _image_normalize),
    so a transform chain hybridizes and exports as MXNet's does."""
    import json
    chain = mx.gluon.nn.HybridSequential()
    chain.add(T.ToTensor(), T.Normalize(mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.5)))
    img = mx.nd.array(IMG, dtype="uint8")
    eager = chain(img).asnumpy()
    want = (IMG.transpose(2, 0, 1) / np.float32(255) - np.array([0.5, 0.4, 0.3], "f")[:, None, None]) / \
        np.array([0.2, 0.25, 0.5], "f")[:, None, None]
    np.testing.assert_allclose(eager, want, rtol=1e-5)
    chain.hybridize()
    np.testing.assert_allclose(chain(img).asnumpy(), eager, rtol=1e-6)
    chain.export(str(tmp_path / "t"))
    ops = [n["op"] for n in json.load(open(tmp_path / "t-symbol.json"))["nodes"]]
    assert "_image_to_tensor" in ops and "_image_normalize" in ops
