"""mx.image.imrotate / random_rotate and gluon transforms Rotate / RandomRotation;
expected values printed by MXNet 1.9.1 for the same inputs."""
import numpy as np
import pytest

import mxcore as mx
from mxcore.gluon.data.vision import transforms

IMG = (np.arange(12).reshape(1, 3, 4) / 11.0).astype("float32")

MXNET = {  # mx.image.imrotate(IMG, deg, zoom_in, zoom_out) in MXNet 1.9.1
    (30, False, False): [[[0.024468, 0.125925, 0.36081, 0.416492], [0.109178, 0.369726, 0.630274, 0.890822],
                          [0.28447, 0.63919, 0.758049, 0.359506]]],
    (30, True, False): [[[0.084133, 0.239192, 0.409186, 0.57918], [0.24501, 0.415003, 0.584997, 0.75499],
                         [0.42082, 0.590814, 0.760808, 0.861497]]],
    (-60, False, True): [[[0.0, 0.211235, 0.019932, 0.0], [0.0, 0.722941, 0.277059, 0.0],
                          [0.0, 0.436212, 0.442077, 0.0]]],
}
MXNET_BATCH = [  # imrotate(stack(IMG, 2 * IMG), nd.array([90, 45]))
    [[[0.113636, 0.409091, 0.772727, 0.477273], [0.068182, 0.318182, 0.681818, 0.431818],
      [0.022727, 0.227273, 0.590909, 0.386364]]],
    [[[0.048408, 0.316567, 0.935718, 1.120212], [0.075034, 0.678588, 1.321412, 1.803645],
      [0.344254, 1.064282, 1.562113, 0.416058]]]]


@pytest.mark.parametrize("deg,zoom_in,zoom_out", sorted(MXNET))
def test_imrotate_matches_mxnet(deg, zoom_in, zoom_out):
    out = mx.image.imrotate(mx.nd.array(IMG), deg, zoom_in=zoom_in, zoom_out=zoom_out)
    assert out.shape == IMG.shape
    np.testing.assert_allclose(out.asnumpy(), MXNET[(deg, zoom_in, zoom_out)], atol=2e-6)


def test_imrotate_batch_takes_one_angle_per_image():
    batch = mx.nd.array(np.stack([IMG, 2 * IMG]))
    out = mx.image.imrotate(batch, mx.nd.array([90, 45]))
    np.testing.assert_allclose(out.asnumpy(), MXNET_BATCH, atol=2e-6)
    np.testing.assert_allclose(mx.image.imrotate(batch, 0).asnumpy(), batch.asnumpy(), atol=1e-6)  # identity


def test_rotation_errors_are_clear():
    x = mx.nd.array(IMG)
    with pytest.raises(ValueError, match="cannot be both True"):
        mx.image.imrotate(x, 10, zoom_in=True, zoom_out=True)
    with pytest.raises(TypeError, match="float32"):
        mx.image.imrotate(x.astype("uint8"), 10)
    with pytest.raises(TypeError, match="scalar"):
        mx.image.imrotate(x, mx.nd.array([10]))
    with pytest.raises(ValueError, match="2 images, 3 angles"):
        mx.image.imrotate(mx.nd.array(np.stack([IMG, IMG])), [1, 2, 3])
    with pytest.raises(ValueError, match="3D and 4D"):
        mx.image.imrotate(mx.nd.ones((4, 4)), 10)
    with pytest.raises(ValueError, match="ordered"):
        transforms.RandomRotation((10, -10))
    with pytest.raises(TypeError, match="ToTensor"):
        transforms.Rotate(10)(mx.nd.ones((3, 4, 4), dtype="uint8"))


def test_rotate_transforms():
    x = mx.nd.array(IMG)
    np.testing.assert_allclose(transforms.Rotate(30, zoom_in=True)(x).asnumpy(), MXNET[(30, True, False)], atol=2e-6)
    # RandomRotation draws its angle with numpy's global generator, as MXNet: same seed, same image
    np.random.seed(4)
    got = transforms.RandomRotation((-40, 40))(x).asnumpy()
    np.random.seed(4)
    np.random.random()  # the rotate-or-not draw
    want = mx.image.imrotate(x, float(np.random.uniform(-40, 40))).asnumpy()
    np.testing.assert_allclose(got, want)
    assert transforms.RandomRotation((-40, 40), rotate_with_proba=0.0)(x) is x
