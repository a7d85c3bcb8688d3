#!/usr/bin/python3
"""Golden values for the normalization-layer tests, computed by PyTorch 1.13.

Run with /usr/bin/python3 (Debian's python3-torch) from this folder:
    /usr/bin/python3 make_golden.py > normalization.json
Each case builds a PyTorch layer, sets random affine parameters, runs several training steps (forward,
backward with a random output gradient: input and parameter gradients, running statistics after each
step), then one eval-mode forward. NormalizationGoldenTests replays the same inputs in NormSharp.
"""
import json

import torch
import torch.nn as nn

torch.manual_seed(2015)  # the year of the BN paper
STEPS = 3

CASES = [
    # name, layer type, constructor kwargs, input shape
    ("bn1d_nc", "BatchNorm1d", dict(num_features=19), [7, 19]),
    ("bn1d_nc_momentum_none", "BatchNorm1d", dict(num_features=5, momentum=None), [6, 5]),
    ("bn1d_ncl", "BatchNorm1d", dict(num_features=3, eps=1e-3), [4, 3, 11]),
    ("bn1d_no_affine", "BatchNorm1d", dict(num_features=4, affine=False), [9, 4]),
    ("bn1d_no_tracking", "BatchNorm1d", dict(num_features=6, track_running_stats=False), [5, 6]),
    ("bn2d", "BatchNorm2d", dict(num_features=4), [3, 4, 5, 5]),
    ("bn2d_momentum_none", "BatchNorm2d", dict(num_features=3, momentum=None), [2, 3, 7, 3]),
    ("bn2d_no_affine_no_tracking", "BatchNorm2d", dict(num_features=2, affine=False, track_running_stats=False), [4, 2, 3, 3]),
    ("layernorm_last", "LayerNorm", dict(normalized_shape=[6]), [4, 6]),
    ("layernorm_2d", "LayerNorm", dict(normalized_shape=[3, 4], eps=1e-4), [5, 3, 4]),
    ("layernorm_no_affine", "LayerNorm", dict(normalized_shape=[17], elementwise_affine=False), [2, 3, 17]),
    ("groupnorm", "GroupNorm", dict(num_groups=2, num_channels=6), [3, 6, 4, 4]),
    ("groupnorm_1d", "GroupNorm", dict(num_groups=3, num_channels=6), [2, 6, 5]),
    ("groupnorm_no_affine", "GroupNorm", dict(num_groups=1, num_channels=4, affine=False), [3, 4, 2, 3]),
    ("instancenorm1d", "InstanceNorm1d", dict(num_features=4), [3, 4, 7]),
    ("instancenorm2d_affine_tracking", "InstanceNorm2d", dict(num_features=3, affine=True, track_running_stats=True), [2, 3, 5, 5]),
    ("instancenorm2d_momentum", "InstanceNorm2d", dict(num_features=2, momentum=0.3, track_running_stats=True), [3, 2, 4, 4]),
]


def flat(t):
    # 9 significant digits round-trip a float32 exactly and keep the file small.
    return [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]


def run_case(name, kind, kwargs, shape):
    layer = getattr(nn, kind)(**kwargs)
    params = dict(layer.named_parameters())
    with torch.no_grad():
        for p in params.values():
            p.copy_(torch.randn_like(p) * 0.5 + (1.0 if p is params.get("weight") else 0.0))
    initial = {k: flat(v) for k, v in params.items()}
    layer.train()
    steps = []
    for _ in range(STEPS):
        x = (torch.randn(*shape) * 2 + 0.5).requires_grad_(True)
        dy = torch.randn(*shape)
        layer.zero_grad()
        y = layer(x)
        y.backward(dy)
        step = dict(x=flat(x), dy=flat(dy), y=flat(y), dx=flat(x.grad))
        for k, p in params.items():
            step["d" + k] = flat(p.grad)
        for k, b in layer.named_buffers():
            step[k] = flat(b.float())
        steps.append(step)
    layer.eval()
    x = torch.randn(*shape).requires_grad_(True)
    dy = torch.randn(*shape)
    layer.zero_grad()
    y = layer(x)
    y.backward(dy)
    evaluation = dict(x=flat(x), dy=flat(dy), y=flat(y), dx=flat(x.grad))
    for k, p in params.items():
        evaluation["d" + k] = flat(p.grad)
    args = {k: v for k, v in kwargs.items()}
    return dict(name=name, type=kind, args=args, shape=shape, initial=initial, steps=steps, eval=evaluation)


def main():
    cases = [run_case(*c) for c in CASES]
    print(json.dumps(dict(torch=torch.__version__, cases=cases), separators=(",", ":")))


if __name__ == "__main__":
    main()
