#!/usr/bin/env python3
"""NormSharp <-> PyTorch interop check, driven by tests/NormSharp.Tests/Inference/TorchInteropTests.cs.

Two directions, each a sub-command:

  predict  --model M --input X --out Y
      Rebuilds the PyTorch equivalent of the NormSharp model saved in M (its architecture JSON is in the
      safetensors metadata, key "normsharp.architecture"), loads M's weights with load_state_dict(strict=True)
      -- running_mean/var and the int64 num_batches_tracked included -- and writes the eval-mode output for
      the tensor "x" of X as the tensor "y" of Y.

  export   --architecture A --seed S --input X --out-model W --out Y
      Builds the PyTorch model described by the architecture JSON file A, gives every parameter and BN
      buffer seeded random values, saves its state_dict to W (weights only, as safetensors.torch.save_file
      would) and its eval-mode output for X to Y. NormSharp then loads W and must predict the same.

  batch    --jobs J
      Runs every argument list of the JSON array J (e.g. [["predict", "--model", ...], ["export", ...]]) in this
      one process, so the slow `import torch` is paid once.

Debian's python3-torch has no `safetensors` package, so the format (an 8-byte little-endian header length,
a JSON header, then the raw little-endian tensors; https://github.com/huggingface/safetensors) is read and
written here with json + struct + torch.frombuffer.
"""
import argparse
import json
import struct
import sys

import torch
from torch import nn

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {dtype: name for name, dtype in DTYPES.items()}


def read_safetensors(path):
    """Returns ({name: tensor}, {metadata key: value}) of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_length].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    body = data[8 + header_length:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        if end > begin:
            flat = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype)
        else:
            flat = torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"]).clone()
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} (contiguous, little-endian) with string metadata."""
    header = {}
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        raw = tensor.detach().contiguous().cpu().numpy().tobytes() if tensor.numel() > 0 else b""
        header[name] = {"dtype": NAMES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # pad the header to 8 bytes, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for chunk in chunks:
            f.write(chunk)


class Residual(nn.Module):
    """NormSharp's Residual: body(x) + shortcut(x), the shortcut the identity when absent. The attribute names make
    the state-dict keys NormSharp's (body.0.weight, shortcut.1.running_mean)."""

    def __init__(self, body, shortcut=None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut  # None registers no submodule, so no shortcut.* keys

    def forward(self, x):
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))


def build(node):
    """The torch.nn module for one node of NormSharp's architecture JSON ({"type": ..., "args": {...}})."""
    kind, args = node["type"], node.get("args", {})
    if kind == "Sequential":
        return nn.Sequential(*[build(layer) for layer in args["layers"]])
    if kind == "Dense":
        return nn.Linear(args["inFeatures"], args["outFeatures"], bias=args.get("bias", True))
    if kind == "Conv2d":
        return nn.Conv2d(args["inChannels"], args["outChannels"], args["kernelSize"], stride=args.get("stride", 1),
                         padding=args.get("padding", 0), bias=args.get("bias", True))
    if kind in ("BatchNorm1d", "BatchNorm2d"):
        layer = nn.BatchNorm1d if kind == "BatchNorm1d" else nn.BatchNorm2d
        return layer(args["numFeatures"], eps=args.get("eps", 1e-5), momentum=args.get("momentum", 0.1),
                     affine=args.get("affine", True), track_running_stats=args.get("trackRunningStats", True))
    if kind in ("MaxPool2d", "AvgPool2d"):
        layer = nn.MaxPool2d if kind == "MaxPool2d" else nn.AvgPool2d
        return layer(args["kernelSize"], stride=args.get("stride"), padding=args.get("padding", 0))
    simple = {"Flatten": nn.Flatten, "Identity": nn.Identity, "ReLU": nn.ReLU, "Sigmoid": nn.Sigmoid,
              "Tanh": nn.Tanh, "SELU": nn.SELU}
    if kind in simple:
        return simple[kind]()
    if kind == "LeakyReLU":
        return nn.LeakyReLU(args.get("negativeSlope", 0.01))
    if kind == "ELU":
        return nn.ELU(args.get("alpha", 1.0))
    if kind == "PReLU":
        return nn.PReLU(args.get("numParameters", 1), init=args.get("init", 0.25))
    if kind == "RReLU":  # eval mode: leaky ReLU with the slope (lower + upper)/2, as NormSharp
        return nn.RReLU(args.get("lower", 1.0 / 8.0), args.get("upper", 1.0 / 3.0))
    if kind == "Dropout":
        return nn.Dropout(args.get("p", 0.5))
    if kind == "Residual":
        shortcut = args.get("shortcut")
        return Residual(build(args["body"]), build(shortcut) if shortcut is not None else None)
    raise SystemExit(f"check_torch.py: no PyTorch equivalent for NormSharp layer type '{kind}'")


def architecture_model(text):
    document = json.loads(text)
    if document.get("format") != "normsharp-architecture":
        raise SystemExit("check_torch.py: not a NormSharp architecture JSON")
    return build(document["model"])


def predict(args):
    tensors, metadata = read_safetensors(args.model)
    if "normsharp.architecture" not in metadata:
        raise SystemExit(f"check_torch.py: {args.model} has no architecture metadata")
    model = architecture_model(metadata["normsharp.architecture"])
    for name, tensor in tensors.items():
        if name.endswith("num_batches_tracked") and tensor.dtype != torch.int64:
            raise SystemExit(f"check_torch.py: {name} is {tensor.dtype}, PyTorch keeps it as int64")
    model.load_state_dict(tensors, strict=True)
    model.eval()
    x = read_safetensors(args.input)[0]["x"]
    with torch.no_grad():
        y = model(x)
    write_safetensors(args.out, {"y": y})


def export(args):
    torch.manual_seed(args.seed)  # Linear/Conv2d keep PyTorch's own (seeded) initialisation
    with open(args.architecture, encoding="utf-8") as f:
        model = architecture_model(f.read())
    generator = torch.Generator().manual_seed(args.seed + 1)

    def uniform(tensor, low, high):
        tensor.copy_(torch.rand(tensor.shape, generator=generator) * (high - low) + low)

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.PReLU):  # distinct slopes, negative ones included, so a misplaced one shows
                uniform(module.weight, -0.5, 0.8)
            if not isinstance(module, nn.modules.batchnorm._BatchNorm):
                continue
            if module.affine:  # non-trivial BN state, so a lost or misplaced statistic changes the output
                uniform(module.weight, 0.5, 1.5)
                uniform(module.bias, -0.5, 0.5)
            if module.track_running_stats:
                uniform(module.running_mean, -0.3, 0.3)
                uniform(module.running_var, 0.5, 2.0)
                module.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=generator)))
    model.eval()
    x = read_safetensors(args.input)[0]["x"]
    with torch.no_grad():
        y = model(x)
    write_safetensors(args.out_model, dict(model.state_dict()), {"format": "pt"})
    write_safetensors(args.out, {"y": y})


def batch(args):
    with open(args.jobs, encoding="utf-8") as f:
        jobs = json.load(f)
    for job in jobs:
        job_args = parser().parse_args(job)
        if job_args.command == "batch":
            raise SystemExit("check_torch.py: batch jobs cannot nest")
        job_args.run(job_args)


def parser():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("predict")
    p.add_argument("--model", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(run=predict)
    e = commands.add_parser("export")
    e.add_argument("--architecture", required=True)
    e.add_argument("--seed", type=int, required=True)
    e.add_argument("--input", required=True)
    e.add_argument("--out-model", required=True)
    e.add_argument("--out", required=True)
    e.set_defaults(run=export)
    b = commands.add_parser("batch")
    b.add_argument("--jobs", required=True)
    b.set_defaults(run=batch)
    return parser


def main():
    args = parser().parse_args()
    torch.set_num_threads(1)
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
