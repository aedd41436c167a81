"""mx.nd.image ops (the registry ops behind hybridized vision transforms):
to_tensor and normalize give MXNet 1.9.1's values; flips and crop against
numpy (MXNet 1.9.1's uint8 flip_left_right corrupts the middle column of odd
widths, which we do not reproduce); gradients by finite differences."""
import numpy as np
from harness import autograd_grads, check_grad, check_op, expect_error, run_op

IMG = np.random.RandomState(0).randint(0, 256, (2, 3, 3)).astype("uint8")


def test_to_tensor_and_normalize_match_mxnet():
    t = run_op("_image_to_tensor", [IMG])[0]
    assert t.shape == (3, 2, 3) and t.dtype == np.float32
    np.testing.assert_allclose(t.ravel()[:4], [0.6745098, 0.7529412, 0.7647059, 0.827451], rtol=1e-6)
    batch = run_op("_image_to_tensor", [np.stack([IMG, IMG])])[0]
    assert batch.shape == (2, 3, 2, 3) and np.array_equal(batch[1], t)
    n = run_op("_image_normalize", [t], {"mean": (0.5, 0.4, 0.3), "std": (0.2, 0.25, 0.5)})[0]
    np.testing.assert_allclose(n.ravel()[:4], [0.8725491, 1.2647059, 1.3235295, 1.637255], rtol=1e-6)
    np.testing.assert_allclose(run_op("_image_normalize", [t], {"mean": 0.5, "std": 0.2})[0], (t - 0.5) / 0.2, rtol=1e-6)
    g = autograd_grads("_image_normalize", [t], {"mean": (0.5, 0.4, 0.3), "std": (0.2, 0.25, 0.5)}, [0],
                       np.ones_like(t))[0]
    np.testing.assert_allclose(g[:, 0, 0], [5, 4, 2])  # MXNet's: 1 / std per channel
    expect_error("_image_normalize", [t], {"mean": (0.1, 0.2), "std": 1}, contains=("normalize", "3 channels"))


def test_flips_and_crop():
    a = np.arange(2 * 3 * 3 * 3).reshape(2, 3, 3, 3).astype("f")
    check_op("_image_flip_left_right", [a], {}, lambda x: x[:, :, ::-1])
    check_op("_image_flip_top_bottom", [a[0]], {}, lambda x: x[::-1])
    check_op("_image_crop", [a], {"x": 1, "y": 0, "width": 2, "height": 2}, lambda x: x[:, 0:2, 1:3])
    assert run_op("_image_crop", [IMG], {"x": 1, "y": 0, "width": 2, "height": 2})[0].tolist() == IMG[0:2, 1:3].tolist()
    check_grad("_image_crop", [a[0].astype(np.float64)], {"x": 1, "y": 1, "width": 2, "height": 2})
    check_grad("_image_flip_left_right", [a[0].astype(np.float64)], {})
    expect_error("_image_crop", [IMG], {"x": 2, "y": 0, "width": 2, "height": 2}, contains=("crop", "does not fit"))
