"""mxcore on CUDA vs PyTorch CUDA eager, side by side in one process.

    PYTHONPATH=bindings/python MXCORE_LIB=build/libmxcore.so python3 bench/bench_gpu.py [--json out.json]

1. float32 GEMM (n x n by n x n): mx.nd.dot vs torch.matmul. Each timing runs
   `reps` products back to back and then waits for the device (mxcore:
   mx.nd.waitall(), torch: torch.cuda.synchronize()), so launch latency is
   amortised the same way for both; best of `trials`.
2. Training (SoftmaxCrossEntropyLoss, SGD lr 0.01) of the seed MLP
   (Dense(100, relu) -> Dense(10), batch 32 and 256) and of the shared
   harness's LeNet (batch 64): Gluon eager and hybridized on mx.gpu(0) vs
   torch eager (nn.Sequential, F.cross_entropy, torch.optim.SGD) on cuda:0.
   Samples/s over a timed window after warm-up; data preloaded on the device.

Prints a table with the mxcore/torch ratio per row. Exits 0 with a message
when no CUDA device is present (mxcore or torch side)."""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def best_of(fn, trials):
    best = float("inf")
    for _ in range(trials):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def gemm_rows(mx, torch, sizes, reps, trials):
    rows = []
    rng = np.random.default_rng(0)
    for n in sizes:
        a_np, b_np = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
        a, b = mx.nd.array(a_np, ctx=mx.gpu(0)), mx.nd.array(b_np, ctx=mx.gpu(0))
        ta, tb = torch.from_numpy(a_np).cuda(), torch.from_numpy(b_np).cuda()
        # same result first: a GEMM that is fast and wrong is no result
        diff = np.abs(mx.nd.dot(a, b).asnumpy() - (ta @ tb).cpu().numpy()).max()

        def run_mx():
            for _ in range(reps):
                mx.nd.dot(a, b)
            mx.nd.waitall()

        def run_torch():
            for _ in range(reps):
                torch.matmul(ta, tb)
            torch.cuda.synchronize()
        run_mx(), run_torch()  # warm-up (cuBLAS handles, heuristics)
        t_mx, t_t = best_of(run_mx, trials), best_of(run_torch, trials)
        flop = 2.0 * n ** 3 * reps
        rows.append({"workload": f"gemm_f32_{n}", "unit": "GFLOP/s", "mxcore": flop / t_mx / 1e9,
                     "torch": flop / t_t / 1e9, "max_abs_diff": float(diff)})
    return rows


def build_mx(nn, kind):
    net = nn.HybridSequential()
    if kind == "mlp":
        net.add(nn.Dense(100, activation="relu"), nn.Dense(10))
    else:  # LeNet, as in the shared harness
        net.add(nn.Conv2D(20, kernel_size=5, activation="relu"), nn.MaxPool2D(pool_size=2),
                nn.Conv2D(50, kernel_size=5, activation="relu"), nn.MaxPool2D(pool_size=2),
                nn.Flatten(), nn.Dense(500, activation="relu"), nn.Dense(10))
    return net


def build_torch(torch, kind):
    nn = torch.nn
    if kind == "mlp":
        return nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
    return nn.Sequential(nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))


def x_shape(kind, batch):
    return (batch, 784) if kind == "mlp" else (batch, 1, 28, 28)


def train_mx(mx, kind, batch, hybrid, seconds):
    gluon, autograd = mx.gluon, mx.autograd
    ctx = mx.gpu(0)
    net = build_mx(gluon.nn, kind)
    net.initialize(ctx=ctx)
    if hybrid:
        net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01})
    rng = np.random.default_rng(0)
    xs = [mx.nd.array(rng.standard_normal(x_shape(kind, batch), dtype=np.float32), ctx=ctx) for _ in range(4)]
    ys = [mx.nd.array(rng.integers(0, 10, batch).astype(np.float32), ctx=ctx) for _ in range(4)]

    def steps(n):
        for j in range(n):
            with autograd.record():
                loss = loss_fn(net(xs[j % 4]), ys[j % 4])
            loss.backward()
            trainer.step(batch)
        mx.nd.waitall()
    return timed_steps(steps, batch, seconds)


def train_torch(torch, kind, batch, seconds):
    import torch.nn.functional as F
    dev = torch.device("cuda:0")
    net = build_torch(torch, kind).to(dev)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    xs = [torch.from_numpy(rng.standard_normal(x_shape(kind, batch), dtype=np.float32)).to(dev) for _ in range(4)]
    ys = [torch.from_numpy(rng.integers(0, 10, batch)).to(dev) for _ in range(4)]

    def steps(n):
        for j in range(n):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(xs[j % 4]), ys[j % 4]).backward()
            opt.step()
        torch.cuda.synchronize()
    return timed_steps(steps, batch, seconds)


def timed_steps(steps, batch, seconds):
    steps(20)  # warm-up: kernel loading, allocator, traces
    n, t0 = 50, time.perf_counter()
    steps(n)
    per = (time.perf_counter() - t0) / n
    n = max(50, int(seconds / max(per, 1e-6)))
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        steps(n)
        best = min(best, (time.perf_counter() - t0) / n)
    return batch / best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096, 8192])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--batches", type=int, nargs="+", default=[32, 256], help="seed MLP batch sizes")
    ap.add_argument("--cnn-batches", type=int, nargs="*", default=[64], help="LeNet batch sizes (none: skip)")
    ap.add_argument("--seconds", type=float, default=1.0, help="per timed window of the MLP runs")
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args()

    import mxcore as mx
    try:
        import torch
    except ImportError:
        print("bench_gpu: torch is not installed; nothing to compare against")
        return 0
    if mx.context.num_gpus() == 0 or not torch.cuda.is_available():
        print("bench_gpu: no CUDA device (mxcore sees %d, torch %s)" % (mx.context.num_gpus(), torch.cuda.is_available()))
        return 0
    torch.backends.cuda.matmul.allow_tf32 = False  # plain float32, as cuBLAS Sgemm computes it

    rows = gemm_rows(mx, torch, args.sizes, args.reps, args.trials)
    runs = [("mlp", b, "seed_mlp_train") for b in args.batches] + [("cnn", b, "lenet_train") for b in args.cnn_batches]
    for kind, b, name in runs:
        t = train_torch(torch, kind, b, args.seconds)
        for hybrid in (False, True):
            rows.append({"workload": f"{name}_b{b}" + ("_hybrid" if hybrid else ""), "unit": "samples/s",
                         "mxcore": train_mx(mx, kind, b, hybrid, args.seconds), "torch": t})

    print(f"device: {torch.cuda.get_device_name(0)}; torch {torch.__version__}")
    print(f"{'workload':28s} {'unit':>10s} {'mxcore':>12s} {'torch':>12s} {'ratio':>7s}")
    for r in rows:
        r["ratio"] = r["mxcore"] / r["torch"]
        extra = f"  (max |diff| {r['max_abs_diff']:.2e})" if "max_abs_diff" in r else ""
        print(f"{r['workload']:28s} {r['unit']:>10s} {r['mxcore']:12.1f} {r['torch']:12.1f} {r['ratio']:7.2f}{extra}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
