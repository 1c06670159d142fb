"""Plots the training loss and validation Dice of one or more runs (log.jsonl of train.py, in order, e.g. a
64x64 phase then its 128x128 fine-tune) into one PNG.

    python3 Training/tools/plot_curves.py .scratch/runs/cpu64 .scratch/runs/cpu128 -o Weights/validation_curve.png
"""
import argparse
import json
import os

import numpy as np


def read_runs(run_dirs):
    """-> (loss records, val records) with cumulative step and training seconds over the runs given."""
    losses, vals = [], []
    step0 = 0
    for d in run_dirs:
        recs = [json.loads(line) for line in open(os.path.join(d, "log.jsonl"))]
        last = step0
        for r in recs:
            r = dict(r, run=os.path.basename(d.rstrip("/")), global_step=step0 + r["step"])
            (vals if "val_score" in r else losses).append(r)
            last = max(last, r["global_step"])
        step0 = last
    return losses, vals


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--title", default="MultiverSeg nf=32 training")
    ap.add_argument("--mark", action="append", default=[], metavar="STEP:TEXT",
                    help="a recipe change to draw as a vertical line at STEP on both panels (repeatable)")
    a = ap.parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    losses, vals = read_runs(a.runs)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    s = np.array([r["global_step"] for r in losses])
    v = np.array([r["loss"] for r in losses])
    ax1.plot(s, v, lw=0.6, alpha=0.4, color="tab:blue", label="loss (sum over backpropagated steps)")
    if len(v) >= 10:
        k = max(5, len(v) // 30)
        ax1.plot(s[k - 1:], np.convolve(v, np.ones(k) / k, mode="valid"), color="tab:blue", label=f"mean of {k}")
    ax1.set_xlabel("optimiser step")
    ax1.set_ylabel("training loss, summed over backpropagated steps")
    for mark in a.mark:
        step, _, text = mark.partition(":")
        for ax in (ax1, ax2):
            ax.axvline(float(step), color="grey", ls=":", lw=1)
        ax1.annotate(text, (float(step), 1), xycoords=("data", "axes fraction"), xytext=(-4, -4),
                     textcoords="offset points", ha="right", va="top", fontsize=8, color="grey")
    ax1.legend(loc="lower left")
    ax1.grid(alpha=0.3)
    # A run with a weight average scores the raw weights too (records with weights "raw"): those are drawn
    # thin and dashed in the same colour, the average (or a run's only weights) as the main line.
    main = [r for r in vals if r.get("weights") != "raw"]
    raw = [r for r in vals if r.get("weights") == "raw"]
    for key, label in (("val_dice_ctx0_1click", "context 0, 1 center click"),
                       ("val_dice_ctx0_3click", "context 0, 3 center clicks"),
                       ("val_dice_ctx", "context 8, no click"),
                       ("val_dice_ctx_1click", "context 8, 1 center click"),
                       ("val_dice_ctx_3click", "context 8, 3 center clicks")):
        line, = ax2.plot([r["global_step"] for r in main], [r.get(key, np.nan) for r in main], marker="o", ms=3,
                         label=label)
        if raw:
            ax2.plot([r["global_step"] for r in raw], [r.get(key, np.nan) for r in raw], ls="--", lw=0.8,
                     marker=".", ms=2, color=line.get_color())
    if raw:
        ax2.plot([], [], ls="--", lw=0.8, color="grey", label="dashed: raw weights (solid: their average)")
    bounds = {}
    for r in vals:
        bounds.setdefault((r["run"], r.get("resolution")), r["global_step"])
    for (run, res), st in list(bounds.items())[1:]:
        ax2.axvline(st, color="grey", ls="--", lw=0.8)
        ax2.text(st, 0.02, f" {res}x{res}", color="grey")
    ax2.set_ylim(0, 1)
    ax2.set_xlabel("optimiser step")
    ax2.set_ylabel("validation Dice (val split of training tasks)")
    ax2.legend(loc="upper left")
    ax2.grid(alpha=0.3)
    fig.suptitle(a.title)
    fig.tight_layout()
    fig.savefig(a.output, dpi=90)
    print(f"wrote {a.output}")


if __name__ == "__main__":
    main()
