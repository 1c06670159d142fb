"""Experiment-2 style figures on the held-out datasets of a pack (paper §7): Dice against context size with
ground-truth context, without interactions and after 1 and 3 center clicks (paper §5.3 protocol).

    python3 Training/tools/evaluate_heldout.py --weights Weights/default.safetensors --pack .pack/train128.npz.xz \\
        --contexts 0 1 4 16 --targets 40 --seeds 0 1 --json .scratch/heldout.json

Evaluation runs at the weights' resolution (128x128 masks from the pack); prints a Markdown table.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # Training/
from train.evaluate import evaluate_task  # noqa: E402
from train.pack import SPLIT_CODES, load_pack, unpack_masks  # noqa: E402
from weights_format import load_weights  # noqa: E402


def heldout_tasks(pack):
    """[(task name, images [N, R, R] float in [0,1], masks [N, R, R] float)] for split 3 (held-out) tasks."""
    r = pack["images"].shape[-1]
    out = []
    for t, name in enumerate(pack["task_names"]):
        sel = np.flatnonzero((pack["ex_task"] == t) & (pack["ex_split"] == SPLIT_CODES["heldout"]))
        if len(sel):
            imgs = torch.from_numpy(pack["images"][pack["ex_image"][sel]]).float() / 255
            masks = torch.from_numpy(unpack_masks(pack["masks"][sel], r)).float()
            out.append((str(name), imgs, masks))
    return out


def summarise(res, clicks):
    """{context: Dice [runs, clicks+1]} -> {context: {"n", "dice_0", "dice_1", "dice_3", ...}} (means and 95% CI)."""
    out = {}
    for c, v in sorted(res.items()):
        row = {"n": int(v.shape[0])}
        for k in range(v.shape[1]):
            if k in (0, 1, 3) or k == clicks:
                row[f"dice_{k}"] = float(v[:, k].mean())
                row[f"ci95_{k}"] = float(1.96 * v[:, k].std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0
        out[c] = row
    return out


def markdown(name, summary, clicks):
    cols = [k for k in (0, 1, 3) if k <= clicks]
    head = "| context | n | " + " | ".join("no click" if k == 0 else f"{k} click{'s' if k > 1 else ''}" for k in cols) + " |"
    lines = [f"**{name}**", "", head, "|---:|---:|" + "---:|" * len(cols)]
    for c, row in summary.items():
        lines.append(f"| {c} | {row['n']} | " + " | ".join(f"{row[f'dice_{k}']:.3f} ± {row[f'ci95_{k}']:.3f}" for k in cols) + " |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default="Weights/default.safetensors")
    ap.add_argument("--pack", default=".pack/train128.npz.xz")
    ap.add_argument("--contexts", type=int, nargs="+", default=[0, 1, 4, 16])
    ap.add_argument("--clicks", type=int, default=3)
    ap.add_argument("--targets", type=int, default=40, help="targets per task and seed")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    model, meta = load_weights(a.weights)
    model = model.to(a.device)
    pack = load_pack(a.pack)
    res_r = int(meta.get("resolution", 128))
    if pack["images"].shape[-1] != res_r:
        raise SystemExit(f"pack resolution {pack['images'].shape[-1]} != weights resolution {res_r}")
    report = {"weights": a.weights, "metadata": meta, "contexts": a.contexts, "clicks": a.clicks,
              "targets": a.targets, "seeds": a.seeds, "tasks": {}}
    for name, imgs, masks in heldout_tasks(pack):
        t0 = time.time()
        res = evaluate_task(model, imgs.to(a.device), masks.to(a.device), a.contexts, a.clicks, a.targets, a.seeds)
        summary = summarise(res, a.clicks)
        report["tasks"][name] = {"images": int(imgs.shape[0]), "seconds": round(time.time() - t0, 1),
                                 "by_context": {str(c): v for c, v in summary.items()}}
        print(markdown(f"{name} ({imgs.shape[0]} images, {time.time() - t0:.0f} s)", summary, a.clicks), flush=True)
        print()
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
