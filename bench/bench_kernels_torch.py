"""PyTorch side of `normsharp bench kernels`: the same kernels, names, sizes, timing method and line format
(`kernel NAME ms M min A max B gflops G gbs S`), so bench/compare.sh can pair the lines.

Run through compare_torch.py: `/usr/bin/python3 bench/compare_torch.py --kernels --threads 2 [--quick]`.

Timing as BenchTiming.cs: warm up for at least 30 calls and 0.3 s, then `windows` windows of enough calls to
last `window_seconds` each; the median, min and max of seconds per call. PyTorch's autograd is part of what
is timed for BatchNorm and convolution (forward, then backward of a given output gradient), as it is part of
every PyTorch training step. The input's gradient is reset before each backward (x.grad = None), as for an
activation inside a network: left in place, autograd would add each new dx into the old one, a pass that made
PyTorch's BN [500, 500] row ~0.1 ms slower and that NormSharp's layers (dx written, never accumulated) do not make.
Parameter gradients accumulate on both sides.
"""
import time

import torch
import torch.nn as nn


def measure(fn, windows, window_seconds, cpu_time=False):
    start, warm = time.perf_counter(), 0
    while warm < 30 or time.perf_counter() - start < 0.3:
        fn()
        warm += 1
    per_call = (time.perf_counter() - start) / warm
    clock = time.process_time if cpu_time else time.perf_counter
    if cpu_time:
        t0 = clock()
        fn()
        per_call = max(clock() - t0, 1e-6)
    calls = int(min(max(window_seconds / max(per_call, 1e-9), 1), 1_000_000))
    samples = []
    for _ in range(windows):
        t0 = clock()
        for _ in range(calls):
            fn()
        samples.append((clock() - t0) / calls)
    samples.sort()
    return samples[windows // 2], samples[0], samples[-1]


def run_kernels(threads, quick, name_filter, cpu_time=False):
    windows, window_seconds = (3, 0.02) if quick else (7, 0.08)
    print(f"engine: pytorch {torch.__version__}, threads {torch.get_num_threads()}, clock {'cpu' if cpu_time else 'wall'}")

    def report(name, fn, flops=0.0, nbytes=0.0):
        if name_filter and name_filter.lower() not in name.lower():
            return
        med, lo, hi = measure(fn, windows, window_seconds, cpu_time)
        gflops = f"{flops / med / 1e9:.1f}" if flops else "-"
        gbs = f"{nbytes / med / 1e9:.1f}" if nbytes else "-"
        print(f"kernel {name} ms {med * 1e3:.4f} min {lo * 1e3:.4f} max {hi * 1e3:.4f} gflops {gflops} gbs {gbs}")

    with torch.no_grad():
        n = 16 << 20
        a, b, c = torch.empty(n), torch.ones(n), torch.full((n,), 2.0)
        report("triad-3x64MB", lambda: torch.add(b, c, alpha=3.0, out=a), nbytes=3.0 * n * 4)
        del a, b, c
        for n in (256, 512, 1024, 2048):
            a, b, c = torch.rand(n, n) * 2 - 1, torch.rand(n, n) * 2 - 1, torch.empty(n, n)
            report(f"sgemm-nn-{n}", lambda: torch.mm(a, b, out=c), flops=2.0 * n ** 3)
        mlp_gemms(report)

    batch_norm(report, "bn1d-500x500-fwdbwd", nn.BatchNorm1d(500), (500, 500))
    batch_norm(report, "bn1d-500x1024-fwdbwd", nn.BatchNorm1d(1024), (500, 1024))  # a width of a multiple of 512: applied row by row
    batch_norm(report, "bn2d-256x6x28x28-fwdbwd", nn.BatchNorm2d(6), (256, 6, 28, 28))
    batch_norm(report, "bn2d-256x6x24x24-fwdbwd", nn.BatchNorm2d(6), (256, 6, 24, 24))
    conv(report, "conv1-256x1x28x28-k5p2", nn.Conv2d(1, 6, 5, padding=2), (256, 1, 28, 28), input_grad=False)
    conv(report, "conv2-256x6x14x14-k5", nn.Conv2d(6, 16, 5), (256, 6, 14, 14), input_grad=True)


def mlp_gemms(report):
    batch, widths, steps = 500, [784, 500, 400, 300, 200, 100, 50, 25, 10], []
    for layer, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        x, w, dy = torch.rand(batch, n_in) * 2 - 1, torch.rand(n_out, n_in) * 2 - 1, torch.rand(batch, n_out) * 2 - 1
        y, dw, dx = torch.empty(batch, n_out), torch.zeros(n_out, n_in), torch.empty(batch, n_in)
        flops = 2.0 * batch * n_in * n_out
        fwd = (lambda x=x, w=w, y=y: torch.mm(x, w.t(), out=y))
        d_w = (lambda dy=dy, x=x, dw=dw: dw.addmm_(dy.t(), x))
        d_x = (lambda dy=dy, w=w, dx=dx: torch.mm(dy, w, out=dx))
        steps += [(fwd, flops), (d_w, flops)] + ([(d_x, flops)] if layer > 0 else [])
        if layer < 2:
            shape = f"{batch}x{n_in}x{n_out}"
            report(f"sgemm-mlp-fwd-{shape}", fwd, flops=flops)
            report(f"sgemm-mlp-dw-{shape}", d_w, flops=flops)
            report(f"sgemm-mlp-dx-{shape}", d_x, flops=flops)

    def all_steps():
        for run, _ in steps:
            run()
    report("sgemm-mlp-step-all", all_steps, flops=sum(f for _, f in steps))


def batch_norm(report, name, bn, shape):
    bn.train()
    x = torch.randn(*shape, requires_grad=True)
    dy = torch.randn(*shape)

    def step():
        # The input gradient as a network's backward hands it to the layer below: a new tensor, not added into
        # the x.grad of the step before (a leaf accumulates, an extra read and write of dx that NormSharp does not do).
        x.grad = None
        bn(x).backward(dy)
    report(name, step, nbytes=8.0 * x.numel() * 4)


def conv(report, name, layer, shape, input_grad):
    x = torch.rand(*shape) * 2 - 1
    x.requires_grad_(input_grad)
    with torch.no_grad():
        out = layer(x)
    dy = torch.randn_like(out)
    flops = 2.0 * out.numel() * layer.in_channels * layer.kernel_size[0] * layer.kernel_size[1]
    with torch.no_grad():
        report(name + "-fwd", lambda: layer(x), flops=flops)

    def step():
        x.grad = None  # as for BatchNorm: the input gradient is not accumulated across calls
        layer(x).backward(dy)
    report(name + "-fwdbwd", step, flops=flops * (3 if input_grad else 2))
