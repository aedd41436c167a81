"""GEMM throughput of a device backend vs the CPU BLAS on the same machine.

    MXCORE_LIB=build/libmxcore.so python3 bench/bench_opencl.py [--device opencl|cuda] [--sizes 256 512 1024]

Times mx `dot` (float32, n x n by n x n) on CPU tensors (OpenBLAS, or the
builtin GEMM) and on device tensors; a device run ends with a read of the
result, so queued work is included. Prints GFLOP/s and the device/CPU ratio.
--trials repeats CPU and device measurements interleaved (the machine may be
shared) and reports each trial plus the median ratio; --variants runs the
OpenCL GEMM variants (MXCORE_OPENCL_GEMM=packed|tiled, optional :<tile>) one
subprocess each, e.g. --variants packed packed:4x4 tiled."""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python", "ops"))
import harness as H  # noqa: E402

DEV_TYPES = {"opencl": 10, "cuda": 2}


def put(a, dev_type):
    h = H.to_mx(a)
    if dev_type == 1:
        return h
    out = H.ffi.new("mx_tensor *")
    H.check(H.lib.mx_tensor_to_device(h, {"type": dev_type, "id": 0}, out))
    return H.ffi.gc(out[0], H._release)


def gemm_gflops(n: int, dev_type: int, reps: int) -> float:
    rng = np.random.default_rng(0)
    a, b = (put(rng.standard_normal((n, n), dtype=np.float32), dev_type) for _ in range(2))
    H.from_mx(H.invoke_handles("dot", [a, b])[0])  # warm-up (program build / cache load)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        r = H.invoke_handles("dot", [a, b])[0]
        H.from_mx(r)  # waits for the device
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n ** 3 / best / 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default=os.environ.get("MXCORE_TEST_DEVICE", "opencl"), choices=list(DEV_TYPES))
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--trials", type=int, default=1)
    ap.add_argument("--variants", nargs="*", default=[])
    args = ap.parse_args()
    dev = DEV_TYPES[args.device]
    cnt = H.ffi.new("int *")
    if H.lib.mx_device_count(dev, cnt) != 0 or cnt[0] == 0:
        print(f"no {args.device} device (backend module not loaded; see mx_runtime_features_json)")
        return
    if args.variants:
        for v in args.variants:
            kind, _, tile = v.partition(":")
            env = dict(os.environ, MXCORE_OPENCL_GEMM=kind)
            if tile:
                env["MXCORE_OPENCL_GEMM_TILE"] = tile
            print(f"== variant {v}", flush=True)
            cmd = [sys.executable, __file__, "--device", args.device, "--reps", str(args.reps),
                   "--trials", str(args.trials), "--sizes", *map(str, args.sizes)]
            subprocess.run(cmd, env=env, check=True)
        return
    print(f"{'n':>6} {'cpu GFLOP/s':>12} {args.device + ' GFLOP/s':>16} {'ratio':>8}")
    for n in args.sizes:
        ratios = []
        for _ in range(args.trials):
            cpu = gemm_gflops(n, 1, args.reps)
            dv = gemm_gflops(n, dev, args.reps)
            ratios.append(dv / cpu)
            print(f"{n:>6} {cpu:>12.1f} {dv:>16.1f} {dv / cpu:>8.3f}", flush=True)
        if args.trials > 1:
            print(f"{n:>6} median ratio {statistics.median(ratios):.3f}", flush=True)

if __name__ == "__main__":
    main()
