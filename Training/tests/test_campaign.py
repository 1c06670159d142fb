"""campaign.py's end-of-period validation: a period that stops between validation steps has its last checkpoint
scored, the raw weights and their average each as a record, the better of the two kept as best.pt."""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import campaign  # noqa: E402
from test_train_smoke import _config  # noqa: E402
from train.loop import run  # noqa: E402


def test_period_end_scores_raw_weights_and_average(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    cfg = _config(tmp_path, out=str(tmp_path / "campaign"), steps=2, val_every=100, ema=0.5)
    run(cfg, log=lambda *_: None)   # ends on step 2 without a validation step: the loop scores it itself
    monkeypatch.setattr(campaign, "RUN", cfg.out)
    log = os.path.join(cfg.out, "log.jsonl")
    before = sum(1 for line in open(log) if "val_score" in line)
    state = torch.load(os.path.join(cfg.out, "checkpoint.pt"), map_location="cpu", weights_only=False)
    best_path = os.path.join(cfg.out, "best.pt")
    os.remove(best_path)
    campaign._validate_checkpoint(argparse.Namespace(pack=cfg.pack, threads=1), state, best_path)
    vals = [json.loads(line) for line in open(log) if "val_score" in line]
    assert len(vals) == before + 2
    assert [(v["step"], v["weights"]) for v in vals[-2:]] == [(2, "raw"), (2, "ema 0.5")]
    best = torch.load(best_path, map_location="cpu", weights_only=False)
    assert best["val"]["val_score"] == max(v["val_score"] for v in vals[-2:])
    kept = state["ema"] if vals[-1]["val_score"] > vals[-2]["val_score"] else state["model"]
    assert all(torch.equal(best["model"][k], kept[k]) for k in kept)
    # The loop's own records and these score the same weights the same way (fixed episodes, no dropout).
    assert [v["val_score"] for v in vals[-4:-2]] == [v["val_score"] for v in vals[-2:]]


def test_curve_marks_recipe_changes(tmp_path):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
    import plot_curves
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with open(run_dir / "log.jsonl", "w") as f:
        for step in range(10, 130, 10):
            f.write(json.dumps({"step": step, "loss": 1.0 + step / 1000, "last_steps": [0.5, 0.5]}) + "\n")
        f.write(json.dumps({"step": 120, "val_dice_ctx": 0.3, "val_score": 0.3, "weights": "raw"}) + "\n")
    out = tmp_path / "curve.png"
    plot_curves.main([str(run_dir), "-o", str(out), "--mark", "50:+ pixel BCE", *campaign.MARKS])
    assert out.stat().st_size > 1000
    # A mark without its step is a usage error, not a silent plot.
    try:
        plot_curves.main([str(run_dir), "-o", str(out), "--mark", "later:oops"])
    except ValueError:
        pass
    else:
        raise AssertionError("a mark whose step is not a number must fail")


def test_export_needs_click_gain_and_a_lead_over_the_shipped_score():
    bar = 0.3787
    ok = {"val_score": bar + campaign.EXPORT_MARGIN + 0.001, "val_click_gain": campaign.MIN_CLICK_GAIN + 0.1}
    assert campaign.export_refusal(3500, ok, bar) is None
    # Period 7's step 3,500: a 0.003 lead is within the spread of nearby validations.
    small_lead = dict(ok, val_score=bar + 0.003)
    assert "by 0.01" in campaign.export_refusal(3500, small_lead, bar)
    # A high score whose clicks do nothing with a context (period 5's step 2,250), or a record without the gain.
    no_gain = dict(ok, val_score=0.9, val_click_gain=campaign.MIN_CLICK_GAIN - 0.001)
    assert "step 2250" in campaign.export_refusal(2250, no_gain, bar)
    assert campaign.export_refusal(2250, {"val_score": 0.9}, bar) is not None
    # Shipped weights from outside the campaign (no score to beat): the gain alone decides.
    assert campaign.export_refusal(10, dict(ok, val_score=0.1), None) is None
