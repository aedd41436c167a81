"""Model-zoo architectures run eagerly and hybridized with identical outputs."""
import numpy as np
import pytest

import mxcore as mx
from mxcore.gluon.model_zoo import vision


@pytest.mark.parametrize("name,size", [("squeezenet1.0", 224), ("squeezenet1.1", 224), ("mobilenet0.25", 64),
                                       ("mobilenetv2_0.25", 64), ("densenet121", 224), ("inceptionv3", 299),
                                       ("resnet18_v1", 64)])
def test_zoo_model_hybridizes(name, size):
    net = vision.get_model(name, classes=7)
    net.initialize(mx.init.Xavier())
    x = mx.nd.random.uniform(shape=(1, 3, size, size))
    ye = net(x)
    net.hybridize()
    yh = net(x)
    assert ye.shape == (1, 7)
    np.testing.assert_allclose(yh.asnumpy(), ye.asnumpy(), rtol=1e-4, atol=1e-5)


def test_get_model_lists_and_refuses_pretrained():
    with pytest.raises(ValueError):
        vision.get_model("densenet121", pretrained=True)
    with pytest.raises(ValueError, match="Available"):
        vision.get_model("nope")
