"""Experiment-2 style figures on the held-out datasets of a pack (paper §7): Dice against context size with
ground-truth context, without interactions and after 1 and 3 center clicks (paper §5.3 protocol).

    python3 Training/tools/evaluate_heldout.py --weights Weights/default.safetensors --pack .pack/train128.npz.xz \\
        --contexts 0 1 4 16 --targets 40 --seeds 0 1 --json .scratch/heldout.json
    # what the first click sees: the guess fed back (as trained), not fed back, or no guess at all
    python3 Training/tools/evaluate_heldout.py --contexts 0 4 16 --targets 20 --clicks 10 --columns 1 2 3 5 10 \
        --guess fed-back not-fed-back none

Evaluation runs at the weights' resolution (128x128 masks from the pack); prints a Markdown table per task
and guess mode.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # Training/
from train.evaluate import GUESS_MODES, evaluate_task  # noqa: E402
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


def summarise(res):
    """{context: Dice [runs, clicks+1]} -> {context: {"n", "dice_k", "ci95_k" for every k}} (means and 95% CI;
    None where there is no prediction, i.e. step 0 without a guess)."""
    out = {}
    for c, v in sorted(res.items()):
        row = {"n": int(v.shape[0])}
        for k in range(v.shape[1]):
            col = v[:, k]
            if np.isnan(col).all():
                row[f"dice_{k}"] = row[f"ci95_{k}"] = None
                continue
            row[f"dice_{k}"] = float(col.mean())
            row[f"ci95_{k}"] = float(1.96 * col.std(ddof=1) / np.sqrt(len(col))) if len(col) > 1 else 0.0
        out[c] = row
    return out


def markdown(name, summary, columns):
    head = "| context | n | " + " | ".join("no click" if k == 0 else f"{k} click{'s' if k > 1 else ''}" for k in columns) + " |"
    lines = [f"**{name}**", "", head, "|---:|---:|" + "---:|" * len(columns)]
    for c, row in summary.items():
        cells = ["–" if row[f"dice_{k}"] is None else f"{row[f'dice_{k}']:.3f} ± {row[f'ci95_{k}']:.3f}" for k in columns]
        lines.append(f"| {c} | {row['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default="Weights/default.safetensors")
    ap.add_argument("--pack", default=".pack/train128.npz.xz")
    ap.add_argument("--contexts", type=int, nargs="+", default=[0, 1, 4, 16])
    ap.add_argument("--clicks", type=int, default=3)
    ap.add_argument("--columns", type=int, nargs="+", default=[0, 1, 3],
                    help="click counts to print (all up to --clicks go to --json)")
    ap.add_argument("--guess", nargs="+", default=["fed-back"], choices=GUESS_MODES,
                    help="what the first click sees (train/evaluate.py predict_with_center_clicks)")
    ap.add_argument("--targets", type=int, default=40, help="targets per task and seed")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args(argv)
    if any(k < 0 or k > a.clicks for k in a.columns):
        ap.error(f"--columns must lie in 0..--clicks ({a.clicks})")
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
        for guess in a.guess:
            t0 = time.time()
            res = evaluate_task(model, imgs.to(a.device), masks.to(a.device), a.contexts, a.clicks, a.targets,
                                a.seeds, guess=guess)
            summary = summarise(res)
            key = name if a.guess == ["fed-back"] else f"{name} (guess {guess})"
            report["tasks"][key] = {"images": int(imgs.shape[0]), "guess": guess,
                                    "seconds": round(time.time() - t0, 1),
                                    "by_context": {str(c): v for c, v in summary.items()}}
            print(markdown(f"{key} ({imgs.shape[0]} images, {time.time() - t0:.0f} s)", summary, a.columns), flush=True)
            print()
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
