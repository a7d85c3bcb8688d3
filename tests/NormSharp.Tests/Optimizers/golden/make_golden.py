#!/usr/bin/python3
"""Golden values for the optimizer, scheduler and clipping tests, computed by PyTorch 1.13.

Run with /usr/bin/python3 (Debian's python3-torch) from this folder:
    /usr/bin/python3 make_golden.py > optimizers.json
The C# tests (OptimizerGoldenTests) replay the same gradients and compare parameters step by step.
"""
import json

import torch
import torch.nn as nn

torch.manual_seed(1234)
SHAPES = [[4, 5], [37]]  # 37: a vector body plus a scalar tail in the fused kernels
STEPS = 5

OPTIMIZERS = [
    ("sgd", "sgd", dict(lr=0.1)),
    ("sgd_momentum_dampening_decay", "sgd", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("sgd_nesterov", "sgd", dict(lr=0.05, momentum=0.9, weight_decay=1e-3, nesterov=True)),
    ("adam", "adam", dict(lr=0.01)),
    ("adam_l2", "adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("adamw", "adamw", dict(lr=0.01, weight_decay=0.1)),
    ("rmsprop", "rmsprop", dict(lr=0.01)),
    ("rmsprop_centered", "rmsprop", dict(lr=0.01, alpha=0.9, centered=True)),
    ("rmsprop_momentum_centered_decay", "rmsprop", dict(lr=0.01, alpha=0.95, eps=1e-6, momentum=0.5,
                                                        centered=True, weight_decay=0.01)),
]
CLASSES = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
           "rmsprop": torch.optim.RMSprop}


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def optimizer_case(name, kind, args):
    params = [torch.randn(*s, requires_grad=True) for s in SHAPES]
    initial = [flat(p) for p in params]
    opt = CLASSES[kind](params, **args)
    grads, expected = [], []
    for _ in range(STEPS):
        step_grads = [torch.randn(*s) for s in SHAPES]
        for p, g in zip(params, step_grads):
            p.grad = g.clone()
        opt.step()
        grads.append([flat(g) for g in step_grads])
        expected.append([flat(p) for p in params])
    args = dict(args)
    if "betas" in args:
        args["beta1"], args["beta2"] = args.pop("betas")
    return dict(name=name, type=kind, args=args, shapes=SHAPES, initial=initial, grads=grads, expected=expected)


def scheduler_case(kind, args, epochs=10):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, **args) if kind == "step" else \
        torch.optim.lr_scheduler.ExponentialLR(opt, **args)
    lrs = []
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return dict(type=kind, base_lr=0.1, args=args, lrs=lrs)


def clip_case(max_norm):
    grads = [torch.randn(*s) for s in SHAPES]
    params = [torch.zeros(*s, requires_grad=True) for s in SHAPES]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    total = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
    return dict(max_norm=max_norm, shapes=SHAPES, grads=[flat(g) for g in grads],
                clipped=[flat(p.grad) for p in params], total_norm=total)


def lenet5_bn():
    """d2l's LeNet with batch normalization on 28x28 inputs (the guide's LeNet5, BatchNorm on)."""
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.BatchNorm2d(6), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
        nn.Linear(84, 10))
    trainable = sum(p.numel() for p in net.parameters())
    running = sum(b.numel() for n, b in net.named_buffers() if n.endswith(("running_mean", "running_var")))
    return dict(trainable=trainable, running_stats=running, output_shape=list(net(torch.zeros(2, 1, 28, 28)).shape))


golden = dict(
    torch_version=torch.__version__,
    optimizers=[optimizer_case(*case) for case in OPTIMIZERS],
    schedulers=[scheduler_case("step", dict(step_size=3, gamma=0.5)), scheduler_case("exponential", dict(gamma=0.9))],
    clip=[clip_case(1.0), clip_case(100.0)],
    lenet5_bn=lenet5_bn(),
)
print(json.dumps(golden, indent=1))
