#!/usr/bin/env python3
"""Core kernel benchmark vs numpy, side by side in one run (issue targets):
  - float32 dot 2048x2048: GFLOP/s, target >= 85% of numpy matmul
  - elementwise add and mul on 16M float32: GB/s, target >= 80% of numpy
  - sum over 16M float32: GB/s, target >= 80% of numpy

Calls the C ABI through the op-test harness (cffi; per-call overhead is
microseconds, negligible at these sizes) with preallocated outputs, like
numpy's out= form, and reports medians and ratios. Usage:
    python3 bench/bench_core.py [--reps 7]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "python", "ops"))
from harness import ffi, from_mx, lib, to_mx, check  # noqa: E402


def invoke_into(name, ins, outs, attrs=None):
    attrs = attrs or {}
    keys = [ffi.new("char[]", k.encode()) for k in attrs]
    vals = [ffi.new("char[]", str(v).encode()) for v in attrs.values()]
    op = ffi.new("mx_op *")
    check(lib.mx_op_lookup(name.encode(), op))
    in_arr = ffi.new("mx_tensor[]", ins)
    out_arr = ffi.new("mx_tensor[]", outs)
    k_arr = ffi.new("const char *[]", keys or [ffi.NULL])
    v_arr = ffi.new("const char *[]", vals or [ffi.NULL])
    n_out = ffi.new("int *")

    def run():
        n_out[0] = len(outs)
        check(lib.mx_op_invoke(op[0], in_arr, len(ins), k_arr, v_arr, len(keys), out_arr, len(outs), n_out))
    return run


def timeit(fn, reps, target=0.3):
    fn()
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t
        if dt >= target / 4:
            break
        n *= 4
    samples = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t) / n)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []

    n = 2048
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty_like(a)
    ma, mb, mc = to_mx(a), to_mx(b), to_mx(c)
    flops = 2 * n ** 3
    t_np = timeit(lambda: np.matmul(a, b, out=c), args.reps)
    t_mx = timeit(invoke_into("dot", [ma, mb], [mc]), args.reps)
    assert np.allclose(from_mx(mc), a @ b, rtol=1e-3, atol=1e-2)
    rows.append(("dot 2048 f32", "GFLOP/s", flops / t_np / 1e9, flops / t_mx / 1e9, 0.85))

    m = 16 * 1024 * 1024
    x = rng.standard_normal(m, dtype=np.float32)
    y = rng.standard_normal(m, dtype=np.float32)
    z = np.empty_like(x)
    mx_, my, mz = to_mx(x), to_mx(y), to_mx(z)
    for op, npf in (("elemwise_add", np.add), ("elemwise_mul", np.multiply)):
        nbytes = 3 * 4 * m
        t_np = timeit(lambda: npf(x, y, out=z), args.reps)
        t_mx = timeit(invoke_into(op, [mx_, my], [mz]), args.reps)
        rows.append((f"{op} 16M f32", "GB/s", nbytes / t_np / 1e9, nbytes / t_mx / 1e9, 0.80))

    s = ffi.new("mx_tensor[1]")
    t_np = timeit(lambda: x.sum(), args.reps)
    ms = to_mx(np.zeros(1, np.float32))
    t_mx = timeit(invoke_into("sum", [mx_], [ms]), args.reps)
    assert abs(float(from_mx(ms)[0]) - float(x.astype(np.float64).sum())) < 1e-2 * m ** 0.5
    rows.append(("sum 16M f32", "GB/s", 4 * m / t_np / 1e9, 4 * m / t_mx / 1e9, 0.80))
    del s

    threads = ffi.new("int *")
    lib.mx_get_num_threads(threads)
    print(f"mxcore threads: {threads[0]}, numpy {np.__version__}")
    print(f"{'workload':<22}{'unit':<9}{'numpy':>10}{'mxcore':>10}{'ratio':>8}{'target':>8}")
    for name, unit, v_np, v_mx, target in rows:
        ratio = v_mx / v_np
        flag = "ok" if ratio >= target else "BELOW"
        print(f"{name:<22}{unit:<9}{v_np:>10.2f}{v_mx:>10.2f}{ratio:>8.2f}{target:>8.2f} {flag}")


if __name__ == "__main__":
    main()
