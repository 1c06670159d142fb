#!/usr/bin/env python3
"""Write weights in our safetensors format (Docs/weights-format.md), fixed-seed random weights, or an ONNX export.

Examples (run from the repository root):

    # a checkpoint from the authors or from our training -> our format
    python3 Training/tools/export_weights.py --from-pt MultiverSeg_v1_nf256_res128.pt --arch multiverseg \
        --features 256 --levels 4 -o multiverseg_v1_nf256.safetensors
    # fixed-seed random-init weights for benchmarks (nf=32, 4 levels, 128x128)
    python3 Training/tools/export_weights.py --random --arch multiverseg --features 32 --levels 4 \
        --seed 0 -o .scratch/random_nf32.safetensors
    # ONNX of the network in one of our files, for a fixed context size
    python3 Training/tools/export_weights.py --onnx .scratch/random_nf32_ctx16.onnx --weights \
        .scratch/random_nf32.safetensors --context 16
"""
import argparse
import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # Training/
from weights_format import ARCHS, build_model, load_weights, save_weights  # noqa: E402


def state_dict_from_pt(path: str):
    """Accepts {"model": state_dict} (MultiverSeg) or a bare state_dict (ScribblePrompt)."""
    obj = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(obj, dict) and "model" in obj and isinstance(obj["model"], dict):
        obj = obj["model"]
    if not isinstance(obj, dict):
        raise SystemExit(f"{path}: expected a state_dict or {{'model': state_dict}}, got {type(obj).__name__}")
    return obj


def random_state_dict(arch: str, features: int, levels: int, seed: int):
    """Kaiming-initialised weights like the authors' init; norm/PReLU parameters perturbed so that no
    parameter is trivially 1 or 0 (a port that ignores them would still fail comparisons)."""
    torch.manual_seed(seed)
    model = build_model(arch, features, levels)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif p.dim() == 1:  # GroupNorm scale, PReLU slope
                p.copy_(1.0 + 0.1 * torch.randn_like(p) if "norml" in name else 0.25 + 0.05 * torch.randn_like(p))
    return model.state_dict()


class _OnnxWrapper(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, target, context_images, context_labels):
        return self.net(target, context_images, context_labels)


def export_onnx(weights: str, out: str, context: int, resolution: int = 128, opset: int = 17) -> None:
    """ONNX graph with inputs target [1,5,R,R], context_images/labels [1,N,1,R,R] (N fixed, >= 1);
    for ScribblePrompt only `target`."""
    model, meta = load_weights(weights)
    r = resolution
    target = torch.zeros(1, 5, r, r)
    if meta["arch"] == "multiverseg":
        if context < 1:
            raise SystemExit("--context must be >= 1 for ONNX (context 0 is the same graph with one 0.5 entry)")
        args = (target, torch.zeros(1, context, 1, r, r), torch.zeros(1, context, 1, r, r))
        names = ["target", "context_images", "context_labels"]
        module = _OnnxWrapper(model)
    else:
        args, names, module = (target,), ["target"], model
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about the empty-context branch; the graph is built for a fixed N >= 1 on purpose.
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, out, input_names=names, output_names=["logits"], opset_version=opset,
                          dynamo=False)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--from-pt", metavar="CKPT", help="convert a torch.save checkpoint")
    mode.add_argument("--random", action="store_true", help="fixed-seed random-init weights")
    mode.add_argument("--onnx", metavar="OUT.onnx", help="export the network in --weights to ONNX")
    ap.add_argument("--arch", choices=ARCHS, default="multiverseg")
    ap.add_argument("--features", type=int, default=32)
    ap.add_argument("--levels", type=int, default=4)
    ap.add_argument("--resolution", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--training-data", help="metadata: what the weights were trained on")
    ap.add_argument("--training-steps", help="metadata: number of optimiser steps")
    ap.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="extra metadata")
    ap.add_argument("--weights", help="(--onnx) our safetensors file")
    ap.add_argument("--context", type=int, default=16, help="(--onnx) number of context entries")
    ap.add_argument("-o", "--output", help="output safetensors path")
    a = ap.parse_args(argv)

    if a.onnx:
        if not a.weights:
            ap.error("--onnx needs --weights")
        export_onnx(a.weights, a.onnx, a.context, a.resolution)
        print(f"wrote {a.onnx} (context {a.context})")
        return
    if not a.output:
        ap.error("-o/--output is required")
    training = {}
    if a.training_data:
        training["training_data"] = a.training_data
    if a.training_steps:
        training["training_steps"] = a.training_steps
    extra = dict(kv.split("=", 1) for kv in a.meta)
    if a.random:
        sd = random_state_dict(a.arch, a.features, a.levels, a.seed)
        extra.setdefault("init", f"random seed {a.seed} (not trained)")
    else:
        sd = state_dict_from_pt(a.from_pt)
        # Strict load catches a wrong --arch/--features/--levels before we write anything.
        build_model(a.arch, a.features, a.levels).load_state_dict(sd, strict=True)
        extra.setdefault("source", os.path.basename(a.from_pt))
    meta = save_weights(sd, a.output, a.arch, a.features, a.levels, a.resolution, training, extra)
    print(f"wrote {a.output}: {len(sd)} tensors, metadata {meta}")


if __name__ == "__main__":
    main()
