#!/usr/bin/env python3
"""Peak memory of a hybridized ResNet-18 forward pass, same script on mxcore
and on MXNet 1.9.1 (issue target: mxcore's peak <= MXNet's).

    MXPKG=mxcore PYTHONPATH=bindings/python python3 bench/bench_resnet_memory.py
    MXPKG=mxnet /tmp/mxvenv/bin/python bench/bench_resnet_memory.py
    python3 bench/bench_resnet_memory.py --compare /tmp/mxvenv/bin/python   # both, one table

Measures the growth of the process's peak RSS (ru_maxrss) from just before
the first hybridized forward to after the third. Both frameworks defer
parameter allocation to that first call, so the number is the parameters
(11.7M floats, 44.6 MiB) plus activations and workspace. Batch 8, 3x224x224,
inference (no autograd)."""
import argparse
import importlib
import json
import os
import resource
import subprocess
import sys


def measure(pkg_name, batch):
    mx = importlib.import_module(pkg_name)
    from importlib import import_module
    vision = import_module(pkg_name + ".gluon.model_zoo.vision")
    net = vision.resnet18_v1()
    net.initialize(mx.init.Xavier())
    x = mx.nd.random.uniform(shape=(batch, 3, 224, 224))
    net.hybridize()  # before the first call: no eager pass sets the peak
    mx.nd.waitall()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(3):
        y = net(x)
        y.wait_to_read()
    mx.nd.waitall()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"framework": pkg_name, "batch": batch, "peak_growth_mib": (peak - base) / 1024.0,
            "output_shape": list(y.shape)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--compare", metavar="MXNET_PYTHON", help="also run under this interpreter with MXPKG=mxnet")
    args = ap.parse_args()
    if args.compare:
        rows = []
        for py, pkg in ((sys.executable, "mxcore"), (args.compare, "mxnet")):
            env = dict(os.environ, MXPKG=pkg)
            out = subprocess.run([py, __file__, "--batch", str(args.batch)], env=env, capture_output=True, text=True,
                                 check=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
        for r in rows:
            print(f"{r['framework']:<8} batch {r['batch']}: peak RSS growth {r['peak_growth_mib']:.1f} MiB")
        print(f"mxnet/mxcore ratio: {rows[1]['peak_growth_mib'] / max(rows[0]['peak_growth_mib'], 1e-9):.2f} (>1: mxcore uses less)")
        return
    print(json.dumps(measure(os.environ.get("MXPKG", "mxcore"), args.batch)))


if __name__ == "__main__":
    main()
