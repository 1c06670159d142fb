"""The click check of the model issue: on the validation split of the training tasks, does Dice rise with
center clicks once there is a context? Prints Dice after 0..3 center-click steps with a context of
--context ground-truth entries and without one, and exits 1 when the gain from 0 to 3 clicks with the
context is below --min-gain (the shipped weights of 2026-11 fail it: clicks did nothing).

    python3 Training/tools/check_clicks.py --weights Weights/default.safetensors --pack .pack/train128.npz.xz
    python3 Training/tools/check_clicks.py ... --clicks 10     # where the two curves go after the gate

The same episodes and scoring as the training loop's validation (train/loop.py, ValidationSet), so the
figure is comparable with the campaign's curve. The Swift side's figure is `multiverseg eval --experiments 2`.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # Training/
from train.loop import CLICK_CHECK_MIN_GAIN, ValidationSet, load_init  # noqa: E402
from train.pack import load_pack  # noqa: E402
from weights_format import build_model  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True, help=".safetensors (our format) or a train.py checkpoint")
    ap.add_argument("--pack", required=True)
    ap.add_argument("--context", type=int, default=8)
    ap.add_argument("--targets", type=int, default=3, help="validation targets per task")
    ap.add_argument("--clicks", type=int, default=3,
                    help="center-click steps to run (>= 3; the gate stays at 3, more show where the curves go)")
    ap.add_argument("--min-gain", type=float, default=CLICK_CHECK_MIN_GAIN)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args(argv)
    if a.clicks < 3:
        ap.error("--clicks must be at least 3 (the gate is the gain from 0 to 3 clicks)")
    torch.set_num_threads(a.threads)
    ck = load_init(a.weights, "cpu")
    state = ck["model"]
    cfg = ck.get("config", {})
    model = build_model("multiverseg", int(cfg.get("features", 32)), int(cfg.get("levels", 4)))
    model.load_state_dict(state, strict=True)
    pack = load_pack(a.pack)
    val = ValidationSet(pack, 128, torch.device("cpu"), a.targets, a.context)
    scores = val.score(model, clicks=a.clicks)
    n = a.clicks
    print(f"{os.path.basename(a.weights)}: {scores['val_episodes']} validation episodes, context {a.context}")
    print("  with context:   " + " -> ".join(f"{scores[k]:.3f}" for k in
                                              ["val_dice_ctx"] + [f"val_dice_ctx_{i}click" for i in range(1, n + 1)])
          + f"  (0..{n} center clicks)")
    print("  without context:        " + " -> ".join(f"{scores[f'val_dice_ctx0_{i}click']:.3f}" for i in range(1, n + 1))
          + f"  (1..{n} center clicks)")
    print(f"  first click with context: positive {scores['val_click1_gain_pos']:+.3f}, negative "
          f"{scores['val_click1_gain_neg']:+.3f} Dice ({scores['val_click1_neg_share']:.0%} negative)")
    gain = scores["val_click_gain"]
    ok = gain >= a.min_gain
    print(f"  click gain 0 -> 3 with context: {gain:+.3f} ({'PASS' if ok else 'FAIL'}: needs >= {a.min_gain:+.3f})")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(scores, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
