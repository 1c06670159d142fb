"""tools/check_clicks.py: the click gate on a tiny network and pack; --clicks runs past the gate's 3 clicks."""
import json
import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import check_clicks  # noqa: E402
from train.pack import save_pack  # noqa: E402
from train_fixtures import tiny_pack  # noqa: E402
from weights_format import build_model  # noqa: E402


def _files(tmp_path):
    torch.manual_seed(0)
    pack, weights = str(tmp_path / "tiny.npz.xz"), str(tmp_path / "tiny.pt")
    save_pack(tiny_pack(), pack)
    model = build_model("multiverseg", 4, 3)
    torch.save({"model": model.state_dict(), "config": {"features": 4, "levels": 3}}, weights)
    return pack, weights


def test_more_clicks_print_and_record_the_whole_curve(tmp_path, capsys):
    torch.set_num_threads(1)
    pack, weights = _files(tmp_path)
    out = str(tmp_path / "clicks.json")
    # A gate no network can fail, then one none can pass: the exit code follows the gain after 3 clicks.
    args = ["--weights", weights, "--pack", pack, "--targets", "1", "--context", "2", "--threads", "1",
            "--clicks", "5", "--json", out]
    assert check_clicks.main(args + ["--min-gain", "-2"]) == 0
    assert check_clicks.main(args + ["--min-gain", "2"]) == 1
    text = capsys.readouterr().out
    ctx = next(line for line in text.splitlines() if "with context:" in line)
    ctx0 = next(line for line in text.splitlines() if "without context:" in line)
    assert ctx.count("->") == 5 and "(0..5 center clicks)" in ctx
    assert ctx0.count("->") == 4 and "(1..5 center clicks)" in ctx0
    scores = json.load(open(out))
    assert all(0.0 <= scores[f"val_dice_ctx_{k}click"] <= 1.0 for k in range(1, 6))
    assert all(0.0 <= scores[f"val_dice_ctx0_{k}click"] <= 1.0 for k in range(1, 6))
    # The gate and the score keep their 3-click definitions whatever --clicks is.
    assert abs(scores["val_click_gain"] - (scores["val_dice_ctx_3click"] - scores["val_dice_ctx"])) < 1e-12


def test_fewer_than_three_clicks_is_refused(tmp_path):
    pack, weights = _files(tmp_path)
    with pytest.raises(SystemExit) as e:
        check_clicks.main(["--weights", weights, "--pack", pack, "--clicks", "2"])
    assert e.value.code == 2
