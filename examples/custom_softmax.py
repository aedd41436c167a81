"""MXNet 1.x's example/numpy-ops/custom_softmax.py on mxcore: a softmax loss written
in Python with numpy (mx.operator.CustomOp) as the head of a symbolic MLP, trained
with mx.mod.Module.fit, next to the same MLP with the builtin SoftmaxOutput.
The Custom node runs inside the core's graph executor (the core calls the
operator's forward/backward through the Python host handler).

Data: sklearn's bundled 8x8 digits (no download). Prints each head's validation
accuracy per epoch; the two columns agree.

    PYTHONPATH=bindings/python python examples/custom_softmax.py [--epochs N]
"""
import argparse

import numpy as np
from sklearn.datasets import load_digits

import mxcore as mx


class Softmax(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        x = in_data[0].asnumpy()
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.assign(out_data[0], req[0], mx.nd.array(e / e.sum(axis=1, keepdims=True)))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        label = in_data[1].asnumpy().ravel().astype(int)
        grad = out_data[0].asnumpy().copy()
        grad[np.arange(label.shape[0]), label] -= 1.0  # d(cross-entropy)/d(logits)
        self.assign(in_grad[0], req[0], mx.nd.array(grad))


@mx.operator.register("softmax")
class SoftmaxProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=False)  # a loss: no gradient comes from above

    def list_arguments(self):
        return ["data", "label"]

    def list_outputs(self):
        return ["output"]

    def infer_shape(self, in_shape):
        return [in_shape[0], [in_shape[0][0]]], [in_shape[0]], []

    def infer_type(self, in_type):
        return in_type, [in_type[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return Softmax()


def mlp(custom):
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data=data, name="fc1", num_hidden=64)
    act1 = mx.sym.Activation(data=fc1, name="relu1", act_type="relu")
    fc2 = mx.sym.FullyConnected(data=act1, name="fc2", num_hidden=10)
    if custom:
        return mx.sym.Custom(data=fc2, name="softmax", op_type="softmax")
    return mx.sym.SoftmaxOutput(data=fc2, name="softmax")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    d = load_digits()
    x, y = (d.data / 16.0).astype("float32"), d.target.astype("float32")
    order = np.random.RandomState(0).permutation(len(y))
    x, y = x[order], y[order]
    split = int(0.8 * len(y))

    def batches(lo, hi, shuffle):
        return mx.io.NDArrayIter(x[lo:hi], y[lo:hi], batch_size=50, shuffle=shuffle, label_name="softmax_label")

    curves = {}
    for custom in (True, False):
        mx.random.seed(1)  # the same initial weights for both heads
        mod = mx.mod.Module(mlp(custom), context=mx.cpu())
        curve = curves[custom] = []
        mod.fit(batches(0, split, False), num_epoch=args.epochs, optimizer="sgd",
                optimizer_params={"learning_rate": 0.1}, initializer=mx.init.Xavier(),
                epoch_end_callback=lambda *a, m=mod, c=curve: c.append(m.score(batches(split, len(y), False),
                                                                             "acc")[0][1]))
    print("epoch  Custom softmax  SoftmaxOutput")
    for e, (a, b) in enumerate(zip(curves[True], curves[False])):
        print("%5d  %14.4f  %13.4f" % (e, a, b))


if __name__ == "__main__":
    main()
