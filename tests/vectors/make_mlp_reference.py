"""The seed-MLP parity reference: one dataset, one initial .params file and
Python's 20 training losses, which every binding (R, Scala, Perl) reproduces
with its own load/save functions, generated op functions and autograd.

    python3 make_mlp_reference.py [--out DIR]          # write DIR (default tests/vectors/mlp)
    python3 make_mlp_reference.py --check [--out DIR]  # exit 1 if DIR differs from a fresh run
    python3 make_mlp_reference.py --verify F.params [--out DIR]
        # F = weights a binding trained and saved: they must match Python's
        #     trained weights (DIR/trained.params) and predict the same classes

Needs the Python package (`PYTHONPATH=bindings/python MXCORE_LIB=.../libmxcore.so`).
The files are generated at test time by tests/bindings/run_all.sh (never
committed), so they always come from the library under test.

Files in DIR:
  data.params     {"X": (64, 784) float32, "y": (64,) float32 class ids}
  init.params     {"fc1_weight": (100, 784), "fc1_bias": (100,),
                   "fc2_weight": (10, 100), "fc2_bias": (10,)} float32
  trained.params  the same four after 20 steps (Python's)
  losses.json     {"steps": 20, "lr": 0.1, "batch": 64, "losses": [20 floats], "ops": [...]}

One step, with the SAME registry ops in every language:
  h   = FullyConnected(X, fc1_weight, fc1_bias, num_hidden=100)
  a   = Activation(h, act_type="relu")
  o   = FullyConnected(a, fc2_weight, fc2_bias, num_hidden=10)
  l   = softmax_cross_entropy(o, y)            # summed over the batch, shape (1,)
  backward(l); for each parameter p:
        sgd_update(p, grad(p), lr=0.1, rescale_grad=1/64, out=p)
  loss recorded = l / 64 (the mean), taken before the update.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "mlp")
N, D, H, C = 64, 784, 100, 10
STEPS, LR = 20, 0.1
PARAMS = ("fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias")
OPS = ["FullyConnected", "Activation", "softmax_cross_entropy", "sgd_update"]


def make_data() -> tuple[dict, dict]:
    rs = np.random.RandomState(20240611)
    x = rs.uniform(-1, 1, size=(N, D)).astype(np.float32)
    teacher = rs.normal(0, 1, size=(D, C)).astype(np.float32)
    y = np.argmax(x @ teacher, axis=1).astype(np.float32)
    init = {
        "fc1_weight": rs.normal(0, 0.03, size=(H, D)).astype(np.float32),
        "fc1_bias": np.zeros(H, np.float32),
        "fc2_weight": rs.normal(0, 0.1, size=(C, H)).astype(np.float32),
        "fc2_bias": np.zeros(C, np.float32),
    }
    return {"X": x, "y": y}, init


def train(mx, data: dict, params: dict) -> list[float]:
    """20 SGD steps in place on `params` (name -> NDArray); returns the losses."""
    x, y = data["X"], data["y"]
    for p in params.values():
        p.attach_grad()
    losses = []
    for _ in range(STEPS):
        with mx.autograd.record():
            h = mx.nd.FullyConnected(x, params["fc1_weight"], params["fc1_bias"], num_hidden=H)
            a = mx.nd.Activation(h, act_type="relu")
            o = mx.nd.FullyConnected(a, params["fc2_weight"], params["fc2_bias"], num_hidden=C)
            loss = mx.nd.softmax_cross_entropy(o, y)
        loss.backward()
        losses.append(float(loss.asnumpy().reshape(-1)[0]) / N)
        for name in PARAMS:
            p = params[name]
            mx.nd.sgd_update(p, p.grad, lr=LR, rescale_grad=1.0 / N, out=p)
    return losses


def predict(mx, x, params: dict) -> np.ndarray:
    h = mx.nd.FullyConnected(x, params["fc1_weight"], params["fc1_bias"], num_hidden=H)
    a = mx.nd.Activation(h, act_type="relu")
    o = mx.nd.FullyConnected(a, params["fc2_weight"], params["fc2_bias"], num_hidden=C)
    return o.asnumpy()


def generate(out: str) -> None:
    import mxcore as mx

    os.makedirs(out, exist_ok=True)
    data_np, init_np = make_data()
    data = {k: mx.nd.array(v, dtype="float32") for k, v in data_np.items()}
    params = {k: mx.nd.array(v, dtype="float32") for k, v in init_np.items()}
    mx.nd.save(os.path.join(out, "data.params"), data)
    mx.nd.save(os.path.join(out, "init.params"), params)
    losses = train(mx, data, params)
    mx.nd.save(os.path.join(out, "trained.params"), params)
    with open(os.path.join(out, "losses.json"), "w") as f:
        json.dump({"steps": STEPS, "lr": LR, "batch": N, "num_hidden": [H, C], "ops": OPS,
                   "losses": [float(np.float32(v)) for v in losses]}, f, indent=1)
        f.write("\n")
    if not losses[-1] < losses[0]:
        sys.exit(f"make_mlp_reference: loss did not decrease: {losses}")


def check(out: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        names = ("data.params", "init.params", "trained.params", "losses.json")
        bad = [n for n in names if not os.path.isfile(os.path.join(out, n))
               or not filecmp.cmp(os.path.join(tmp, n), os.path.join(out, n), shallow=False)]
    if bad:
        print(f"make_mlp_reference: stale or missing in {out}: {bad}; rerun tests/vectors/make_mlp_reference.py")
        return 1
    print(f"make_mlp_reference: {out} is fresh")
    return 0


def verify(out: str, trained_files: list[str]) -> int:
    """Each file must hold the four parameters, equal to Python's trained ones
    (atol 1e-5) and predicting the same classes on X."""
    import mxcore as mx

    ref = mx.nd.load(os.path.join(out, "trained.params"))
    x = mx.nd.load(os.path.join(out, "data.params"))["X"]
    ref_pred = predict(mx, x, ref)
    failed = 0
    for path in trained_files:
        got = mx.nd.load(path)
        problems = []
        if sorted(got) != sorted(PARAMS):
            problems.append(f"names {sorted(got)}")
        else:
            for k in PARAMS:
                a, b = got[k].asnumpy(), ref[k].asnumpy()
                if a.shape != b.shape or a.dtype != b.dtype:
                    problems.append(f"{k}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}")
                elif not np.allclose(a, b, rtol=1e-5, atol=1e-5):
                    problems.append(f"{k}: max |diff| {np.abs(a - b).max():.3g}")
            if not problems:
                pred = predict(mx, x, got)
                if not np.allclose(pred, ref_pred, rtol=1e-4, atol=1e-4):
                    problems.append(f"outputs differ by {np.abs(pred - ref_pred).max():.3g}")
                if (pred.argmax(1) != ref_pred.argmax(1)).any():
                    problems.append("predicted classes differ")
        if problems:
            failed += 1
            print(f"FAIL {path}: " + "; ".join(problems))
        else:
            print(f"ok   {path}: weights and predictions match Python's")
    return 1 if failed else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="reference directory")
    ap.add_argument("--check", action="store_true", help="compare DIR with a fresh run")
    ap.add_argument("--verify", nargs="+", metavar="PARAMS", help="check weights trained by a binding")
    args = ap.parse_args()
    if args.check:
        sys.exit(check(args.out))
    if args.verify:
        sys.exit(verify(args.out, args.verify))
    generate(args.out)
    print(f"make_mlp_reference: wrote {args.out}")


if __name__ == "__main__":
    main()
