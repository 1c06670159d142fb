"""Exports a trained checkpoint (train.py's best.pt or checkpoint.pt) to our weights format with the training
facts in its metadata, and optionally to ONNX (for the side-by-side benchmark).

    python3 Training/tools/export_trained.py .scratch/runs/cpu128/best.pt -o Weights/default.safetensors \\
        --training-data "shared/data: 23 datasets, 39 tasks (train split) + synthetic" \\
        --hardware "2-core AMD EPYC (CPU)" --onnx .scratch/default_ctx16.onnx
"""
import argparse
import datetime
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # Training/
from weights_format import build_model, save_file_deterministic, weights_metadata  # noqa: E402


def _context(cfg) -> str:
    """The context-size distribution of the last phase, as train/loop.py draws it."""
    n, p = cfg.get("max_context"), cfg.get("p_no_context", -1.0)
    if p is None or p < 0:
        return f"context U[0,{n}]"
    return f"no context in {p:g} of batches, else context U[1,{n}]"


def _steps(cfg) -> str:
    """'3' or '2-5 (first and last backpropagated)' from a run's config."""
    hi, lo = cfg.get("interaction_steps"), cfg.get("min_interaction_steps") or cfg.get("interaction_steps")
    text = f"{lo}-{hi}" if lo != hi else f"{hi}"
    return text + (" (first and last backpropagated)" if cfg.get("grad_steps") == "first-last" else "")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--training-data", required=True, help="metadata: what the weights were trained on")
    ap.add_argument("--hardware", required=True, help="metadata: where they were trained")
    ap.add_argument("--heldout", default="PH2,CCA_US_Momot")
    ap.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--onnx", help="also write an ONNX export here (context --context)")
    ap.add_argument("--context", type=int, default=16)
    a = ap.parse_args(argv)
    ck = torch.load(a.checkpoint, map_location="cpu", weights_only=False)
    cfg = ck.get("config", {})
    features, levels = int(cfg.get("features", 32)), int(cfg.get("levels", 4))
    model = build_model("multiverseg", features, levels)
    model.load_state_dict(ck["model"], strict=True)
    # Paths in the phases are recorded relative to the repository (no machine's folders in shipped metadata).
    phases = [{k: (os.path.relpath(v) if k == "init" and isinstance(v, str) and os.path.isabs(v) else v)
               for k, v in p.items()} for p in ck.get("phases", []) if p]
    # A fine-tune counts its steps from 0; the phases it started from add theirs.
    total_steps = int(ck["step"]) + sum(int(p.get("from_step") or 0) for p in phases)
    training = {
        "training_data": a.training_data,
        "training_steps": str(total_steps),
        "training_seconds": f"{float(ck.get('train_seconds', 0)):.0f}",
        "training_hardware": a.hardware,
        "training_resolution": str(cfg.get("resolution")),
        "training_phases": json.dumps(phases + [{"resolution": cfg.get("resolution"), "steps": ck["step"]}]),
        "training_recipe": (f"Algorithm 1: batch {cfg.get('batch')}, {_context(cfg)}, "
                            f"{_steps(cfg)} interaction steps, p_synth {cfg.get('p_synth')}, "
                            f"Adam lr {cfg.get('lr')}, loss soft Dice + focal(20)"
                            + (f" + {cfg['bce_weight']} x pixel BCE" if cfg.get("bce_weight") else "")
                            + (f", prompt styles none/clicks/scribbles/box/mixed {cfg['styles']}, "
                               f"{cfg.get('p_center')} of click corrections at the error's center"
                               if cfg.get("styles") else "")
                            + (", bf16 autocast" if cfg.get("amp") else "")),
        "heldout_datasets": a.heldout,
        "validation": json.dumps(ck.get("val", {})),
        "previous_prediction": "logits",
        "exported": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
    }
    extra = dict(kv.split("=", 1) for kv in a.meta)
    meta = weights_metadata("multiverseg", features, levels, 128, training, extra)
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    save_file_deterministic(model.state_dict(), a.output, meta)
    print(f"wrote {a.output} ({os.path.getsize(a.output) / 1e6:.2f} MB)")
    for k, v in meta.items():
        print(f"  {k} = {v}")
    if a.onnx:
        from export_weights import export_onnx
        export_onnx(a.output, a.onnx, a.context)
        print(f"wrote {a.onnx} (context {a.context})")


if __name__ == "__main__":
    main()
