#!/usr/bin/python3
"""PyTorch side of the training benchmark: the workloads of `normsharp bench train`, identical shapes,
optimizer and thread count, on synthetic random data.

    /usr/bin/python3 bench/compare_torch.py --model mlp --bn --batch-size 500 --steps 50 --threads 2

mlp:   784-H1-...-Hk-10 (default H = 500,400,300,200,100,50,25), Linear -> [BatchNorm1d] -> ReLU, Adam lr 1e-3.
       A layer right before BN has no bias (the BN's mean cancels it), as in NormSharp's ModelZoo.
lenet: d2l's LeNet-5 on 1x28x28 (Conv 1->6 k5 p2, [BN2d], sigmoid, AvgPool 2; Conv 6->16 k5, [BN2d], sigmoid,
       AvgPool 2; Linear 400->120, [BN1d], sigmoid; Linear 120->84, [BN1d], sigmoid; Linear 84->10), SGD lr 0.1.
Loss: softmax cross-entropy. The last line printed is `examples_per_second: N`.

    /usr/bin/python3 bench/compare_torch.py --kernels --threads 2

times the kernels of `normsharp bench kernels` (same names, same line format, see bench_kernels_torch.py).
"""
import argparse
import os
import sys
import time


def _pin_library_threads():
    """OpenBLAS (libopenblas0-pthread) sizes its own pool from the environment when it loads, before
    torch.set_num_threads can reach it: set it from --threads first, so `--threads 1` is one core."""
    for i, arg in enumerate(sys.argv):
        value = arg.split("=", 1)[1] if arg.startswith("--threads=") else (
            sys.argv[i + 1] if arg == "--threads" and i + 1 < len(sys.argv) else None)
        if value is not None:
            for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ.setdefault(name, value)


_pin_library_threads()
import torch  # noqa: E402  (after the thread environment is set)
import torch.nn as nn


ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


def mlp(hidden, bn, activation="relu"):
    layers, width = [], 784
    for h in hidden:
        layers.append(nn.Linear(width, h, bias=not bn))  # BN's mean cancels the bias (NormSharp's ModelZoo drops it too)
        if bn:
            layers.append(nn.BatchNorm1d(h))
        layers.append(ACTIVATIONS[activation]())
        width = h
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def lenet(bn, activation="sigmoid"):
    act = ACTIVATIONS[activation]

    def block(*mods):
        return [m for m in mods if m is not None]
    return nn.Sequential(
        *block(nn.Conv2d(1, 6, 5, padding=2, bias=not bn), nn.BatchNorm2d(6) if bn else None, act(), nn.AvgPool2d(2, 2)),
        *block(nn.Conv2d(6, 16, 5, bias=not bn), nn.BatchNorm2d(16) if bn else None, act(), nn.AvgPool2d(2, 2)),
        nn.Flatten(),
        *block(nn.Linear(400, 120, bias=not bn), nn.BatchNorm1d(120) if bn else None, act()),
        *block(nn.Linear(120, 84, bias=not bn), nn.BatchNorm1d(84) if bn else None, act()),
        nn.Linear(84, 10))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["mlp", "lenet"])
    parser.add_argument("--kernels", action="store_true", help="time single kernels instead of training")
    parser.add_argument("--quick", action="store_true", help="with --kernels: fewer, shorter windows")
    parser.add_argument("--filter", default="", help="with --kernels: only names containing this")
    parser.add_argument("--cpu-time", action="store_true", help="with --kernels: time in process CPU seconds")
    parser.add_argument("--activation", default=None, choices=sorted(ACTIVATIONS))
    parser.add_argument("--hidden", default="500,400,300,200,100,50,25")
    parser.add_argument("--bn", action="store_true")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.batch_size < 2 or args.steps < 1 or args.warmup < 0 or args.threads < 1:
        parser.error("batch size must be >= 2, steps >= 1, warmup >= 0, threads >= 1")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.kernels:
        from bench_kernels_torch import run_kernels
        return run_kernels(args.threads, args.quick, args.filter, args.cpu_time)
    if args.model is None:
        parser.error("--model is required (or --kernels)")
    if args.model == "mlp":
        model = mlp([int(h) for h in args.hidden.split(",") if h], args.bn, args.activation or "relu")
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        shape = (args.batch_size, 784)
    else:
        model = lenet(args.bn, args.activation or "sigmoid")
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        shape = (args.batch_size, 1, 28, 28)
    loss_fn = nn.CrossEntropyLoss()
    pool = min(args.steps + args.warmup, 8)  # a few distinct batches, generated before timing
    xs = [torch.randn(*shape) for _ in range(pool)]
    ys = [torch.randint(0, 10, (args.batch_size,)) for _ in range(pool)]
    params = sum(p.numel() for p in model.parameters())
    print(f"engine: pytorch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"workload: {args.model}{' +bn' if args.bn else ''}, {params} parameters, batch {args.batch_size}, "
          f"optimizer {type(optimizer).__name__}")
    model.train()

    def step(i):
        optimizer.zero_grad(set_to_none=False)
        loss = loss_fn(model(xs[i % pool]), ys[i % pool])
        loss.backward()
        optimizer.step()
        return loss.item()

    start = time.perf_counter()
    for i in range(args.warmup):
        step(i)
    warmup = time.perf_counter() - start
    print(f"warmup: {args.warmup} steps in {warmup:.3f} s")
    start, cpu_start = time.perf_counter(), time.process_time()
    loss = float("nan")
    for i in range(args.steps):
        loss = step(args.warmup + i)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    print(f"measured: {args.steps} steps in {seconds:.3f} s, {1000 * seconds / args.steps:.3f} ms/step, last loss {loss:.4f}")
    print(f"examples_per_cpu_second: {args.steps * args.batch_size / cpu_seconds:.1f}")
    print(f"examples_per_second: {args.steps * args.batch_size / seconds:.1f}")


if __name__ == "__main__":
    main()
