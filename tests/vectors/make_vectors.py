"""Write tests/vectors/vectors.json: cross-language reference vectors from numpy.

    python3 tests/vectors/make_vectors.py          # rewrite vectors.json
    python3 tests/vectors/make_vectors.py --check  # exit 1 if vectors.json is stale

Format (plain JSON, so R, Scala and Perl read it without numpy):
  {"dtypes": [...every dtype name a binding must round-trip...],
   "cases": [{"op", "attrs": {name: MXNet string form}, "rtol", "atol",
              "inputs":  [{"shape", "dtype", "data": flat C-order list}],
              "outputs": [same]}]}
A binding skips a case whose op is not in the loaded library's manifest (ops
land family by family) and says so; the coverage tests guard the rest.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors.json")


def t(a: np.ndarray) -> dict:
    a = np.asarray(a)
    data = a.ravel().tolist()
    if a.dtype == np.bool_:
        data = [int(x) for x in data]
    return {"shape": list(a.shape), "dtype": a.dtype.name, "data": data}


def case(op, inputs, outputs, attrs=None, rtol=1e-5, atol=1e-6):
    return {"op": op, "attrs": attrs or {}, "rtol": rtol, "atol": atol,
            "inputs": [t(x) for x in inputs], "outputs": [t(y) for y in outputs]}


def build() -> dict:
    rng = np.random.default_rng(20240611)
    f32 = lambda *s: rng.uniform(-2, 2, size=s).astype(np.float32)  # noqa: E731
    a, b = f32(2, 3), f32(2, 3)
    col = f32(2, 1)
    x64 = rng.uniform(-1, 1, size=(3, 4))
    ia, ib = rng.integers(-5, 5, size=(2, 3)).astype(np.int32), rng.integers(-5, 5, size=(2, 3)).astype(np.int32)
    fc_x, fc_w, fc_b = f32(4, 5), f32(3, 5), f32(3)
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    cases = [
        # elementwise binary family
        case("elemwise_add", [a, b], [a + b]),
        case("elemwise_sub", [a, b], [a - b]),
        case("elemwise_mul", [a, b], [a * b]),
        case("elemwise_mul", [ia, ib], [ia * ib]),
        case("elemwise_add", [x64, x64], [x64 + x64], rtol=1e-12, atol=1e-12),
        # broadcast family
        case("broadcast_add", [a, col], [a + col]),
        case("broadcast_mul", [a, col], [a * col]),
        case("broadcast_sub", [col, a], [col - a]),
        # creation-like
        case("zeros_like", [a], [np.zeros_like(a)]),
        case("ones_like", [ia], [np.ones_like(ia)]),
        # unary / activation family
        case("relu", [a], [np.maximum(a, 0)]),
        case("sigmoid", [a], [1 / (1 + np.exp(-a))]),
        case("exp", [a], [np.exp(a)]),
        # reduce family
        case("sum", [a], [a.sum(axis=1)], {"axis": "1"}),
        case("mean", [x64], [x64.mean(axis=0)], {"axis": "0"}, rtol=1e-12, atol=1e-12),
        # linalg / nn family
        case("dot", [a, f32(3, 4)[:, :]], []),
        case("FullyConnected", [fc_x, fc_w, fc_b], [fc_x @ fc_w.T + fc_b], {"num_hidden": "3"}, rtol=1e-4, atol=1e-5),
        case("softmax", [a], [e / e.sum(axis=-1, keepdims=True)], {"axis": "-1"}),
        case("transpose", [a], [a.T]),
    ]
    # fill the dot expectation from its own inputs
    for c in cases:
        if c["op"] == "dot":
            x = np.array(c["inputs"][0]["data"], np.float32).reshape(c["inputs"][0]["shape"])
            y = np.array(c["inputs"][1]["data"], np.float32).reshape(c["inputs"][1]["shape"])
            c["outputs"] = [t(x @ y)]
            c["rtol"], c["atol"] = 1e-4, 1e-5
    dtypes = ["float32", "float64", "float16", "uint8", "int32", "int8", "int64", "bool", "bfloat16"]
    return {"dtypes": dtypes, "cases": cases}


def render() -> str:
    return json.dumps(build(), indent=1) + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        ok = os.path.exists(OUT) and open(OUT).read() == text
        print("vectors.json is", "fresh" if ok else "STALE: rerun tests/vectors/make_vectors.py")
        sys.exit(0 if ok else 1)
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {OUT}: {len(build()['cases'])} cases")
