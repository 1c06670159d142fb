"""A 3-step training run on tiny made-up data: it learns without errors, logs, checkpoints and resumes; the
evaluation and the export of the result work."""
import json
import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from train.evaluate import evaluate_task  # noqa: E402
from train.loop import TrainConfig, run  # noqa: E402
from train.pack import save_pack, unpack_masks  # noqa: E402
from train_fixtures import tiny_pack  # noqa: E402


def _config(tmp_path, **kw):
    pack = str(tmp_path / "tiny.npz.xz")
    if not os.path.exists(pack):
        save_pack(tiny_pack(), pack)
    base = dict(pack=pack, out=str(tmp_path / "run"), device="cpu", features=4, levels=3, resolution=32,
                batch=2, max_context=2, steps=3, val_every=3, val_targets=1, val_context=2, log_every=1,
                threads=1, minutes=5)
    base.update(kw)
    return TrainConfig(**base)


def test_three_step_run_then_resume(tmp_path):
    torch.set_num_threads(1)
    cfg = _config(tmp_path, steps=2)
    out = run(cfg, log=lambda *_: None)
    assert out["step"] == 2
    ck = torch.load(os.path.join(cfg.out, "checkpoint.pt"), weights_only=False)
    assert ck["step"] == 2 and "optimizer" in ck
    before = {k: v.clone() for k, v in ck["model"].items()}
    out = run(_config(tmp_path, steps=3), log=lambda *_: None)
    assert out["step"] == 3, "the second call resumes at step 2 and stops at 3"
    after = torch.load(os.path.join(cfg.out, "checkpoint.pt"), weights_only=False)["model"]
    assert any(not torch.equal(before[k], after[k]) for k in before), "the resumed step changed the weights"
    records = [json.loads(line) for line in open(os.path.join(cfg.out, "log.jsonl"))]
    losses = [r for r in records if "loss" in r]
    vals = [r for r in records if "val_score" in r]
    assert [r["step"] for r in losses] == [1, 2, 3]
    assert all(np.isfinite(r["loss"]) and len(r["last_steps"]) == 3 for r in losses)
    assert vals and 0 <= vals[-1]["val_dice_ctx"] <= 1
    assert os.path.exists(os.path.join(cfg.out, "best.pt"))


def test_fine_tune_from_a_checkpoint_at_another_resolution_scores_its_start(tmp_path):
    torch.set_num_threads(1)
    first = _config(tmp_path, steps=1)
    run(first, log=lambda *_: None)
    tune = _config(tmp_path, out=str(tmp_path / "tune"), resolution=16, steps=1,
                   init=os.path.join(first.out, "best.pt"))
    out = run(tune, log=lambda *_: None)
    vals = [json.loads(line) for line in open(os.path.join(tune.out, "log.jsonl")) if "val_score" in line]
    assert [v["step"] for v in vals] == [0, 1] and all(v["resolution"] == 16 for v in vals)
    assert out["phases"][-1]["from_step"] == 1


def test_evaluate_task_shapes_and_ranges():
    torch.set_num_threads(1)
    from multiverseg_ref import MultiverSegNet
    torch.manual_seed(0)
    net = MultiverSegNet(features=4, levels=2).eval()
    pack = tiny_pack(resolution=16, per_task=6)
    imgs = torch.from_numpy(pack["images"][:6]).float() / 255
    masks = torch.from_numpy(unpack_masks(pack["masks"][:6], 16)).float()
    res = evaluate_task(net, imgs, masks, contexts=(0, 1, 4, 16), clicks=2, targets=3, seeds=(0, 1), batch=2)
    assert sorted(res) == [0, 1, 4], "context 16 is skipped when the task has only 6 images"
    for v in res.values():
        assert v.shape == (6, 3) and np.all((v >= 0) & (v <= 1))


def test_guess_modes_differ_only_where_they_should():
    torch.set_num_threads(1)
    from multiverseg_ref import MultiverSegNet
    from train.evaluate import predict_with_center_clicks
    torch.manual_seed(0)
    net = MultiverSegNet(features=4, levels=2).eval()
    pack = tiny_pack(resolution=16, per_task=6)
    imgs = torch.from_numpy(pack["images"][:6]).float() / 255
    masks = torch.from_numpy(unpack_masks(pack["masks"][:6], 16)).float()
    x, y = imgs[:2], masks[:2]
    cx, cy = imgs[2:6].reshape(2, 2, 1, 16, 16), masks[2:6].reshape(2, 2, 1, 16, 16)
    fed = predict_with_center_clicks(net, x, y, cx, cy, 2, guess="fed-back")
    not_fed = predict_with_center_clicks(net, x, y, cx, cy, 2, guess="not-fed-back")
    none = predict_with_center_clicks(net, x, y, cx, cy, 2, guess="none")
    assert np.array_equal(fed[:, 0], not_fed[:, 0]), "both modes show the same guess at step 0"
    assert np.isnan(none[:, 0]).all() and not np.isnan(none[:, 1:]).any(), "no guess: no step 0, every click scored"
    empty = torch.zeros(2, 0, 1, 16, 16)
    assert not np.array_equal(fed[:, 1], not_fed[:, 1]), "feeding the guess back changes the first click's result"
    assert none.shape == fed.shape == (2, 3)
    with pytest.raises(ValueError, match="guess must be one of"):
        predict_with_center_clicks(net, x, y, empty, empty, 1, guess="maybe")


def test_first_last_gradient_with_bf16_logs_two_losses_and_learns(tmp_path):
    torch.set_num_threads(1)
    cfg = _config(tmp_path, out=str(tmp_path / "fl"), steps=2, amp=True, grad_steps="first-last",
                  interaction_steps=4, min_interaction_steps=2)
    run(cfg, log=lambda *_: None)
    records = [json.loads(line) for line in open(os.path.join(cfg.out, "log.jsonl"))]
    losses = [r for r in records if "loss" in r]
    assert [len(r["last_steps"]) for r in losses] == [2, 2], "only the first and the last step have a loss"
    vals = [r for r in records if "val_score" in r]
    assert vals and all(k in vals[-1] for k in ("val_dice_ctx_3click", "val_dice_ctx0_3click", "val_click_gain"))


def test_init_from_exported_weights(tmp_path):
    torch.set_num_threads(1)
    from multiverseg_ref import MultiverSegNet
    from weights_format import save_weights
    net = MultiverSegNet(features=4, levels=3)
    path = str(tmp_path / "w.safetensors")
    save_weights(net.state_dict(), path, arch="multiverseg", features=4, levels=3, resolution=32,
                 training={"training_steps": 7, "training_seconds": 12})
    out = run(_config(tmp_path, out=str(tmp_path / "ft"), steps=1, init=path), log=lambda *_: None)
    assert any(p.get("weights") == "w.safetensors" for p in out["phases"]) and out["train_seconds"] >= 12


def test_sigterm_ends_the_period_with_a_checkpoint(tmp_path):
    import signal
    import subprocess
    import time
    cfg = _config(tmp_path, out=str(tmp_path / "term"), steps=100000, val_every=100000, minutes=10)
    here = os.path.dirname(os.path.abspath(__file__))
    args = [sys.executable, os.path.join(here, "..", "train.py"), "--pack", cfg.pack, "--out", cfg.out,
            "--features", "4", "--levels", "3", "--resolution", "32", "--batch", "2", "--max-context", "2",
            "--val-every", "100000", "--val-targets", "1", "--val-context", "2", "--log-every", "1",
            "--threads", "1", "--minutes", "10"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = os.path.join(cfg.out, "log.jsonl")
    deadline = time.time() + 120
    while time.time() < deadline and not (os.path.exists(log) and os.path.getsize(log) > 0):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    ck = torch.load(os.path.join(cfg.out, "checkpoint.pt"), weights_only=False)
    assert ck["step"] >= 1 and "stopped at step" in out


def test_weight_average_is_validated_checkpointed_and_resumed(tmp_path):
    torch.set_num_threads(1)
    cfg = _config(tmp_path, out=str(tmp_path / "ema"), steps=2, val_every=2, ema=0.5)
    run(cfg, log=lambda *_: None)
    ck = torch.load(os.path.join(cfg.out, "checkpoint.pt"), weights_only=False)
    assert ck["ema_decay"] == 0.5 and set(ck["ema"]) == set(ck["model"])
    # The average lags the weights: after two steps it is neither the start nor the end.
    assert any(not torch.equal(ck["ema"][k], ck["model"][k]) for k in ck["model"])
    vals = [json.loads(line) for line in open(os.path.join(cfg.out, "log.jsonl")) if "val_score" in line]
    # Each validation scores the raw weights and the average; the better one is best.pt.
    assert [(v["step"], v["weights"]) for v in vals[-2:]] == [(2, "raw"), (2, "ema 0.5")]
    winner = "ema" if vals[-1]["val_score"] > vals[-2]["val_score"] else "model"
    best = torch.load(os.path.join(cfg.out, "best.pt"), weights_only=False)
    assert best["val"]["val_score"] == max(v["val_score"] for v in vals[-2:])
    assert all(torch.equal(best["model"][k], ck[winner][k]) for k in ck[winner]), f"best.pt keeps the {winner}"
    # A resumed run continues the average it saved.
    before = {k: v.clone() for k, v in ck["ema"].items()}
    run(_config(tmp_path, out=cfg.out, steps=3, val_every=3, ema=0.5), log=lambda *_: None)
    after = torch.load(os.path.join(cfg.out, "checkpoint.pt"), weights_only=False)["ema"]
    model = torch.load(os.path.join(cfg.out, "checkpoint.pt"), weights_only=False)["model"]
    for k in before:
        if before[k].is_floating_point():
            # One update: after = 0.5 * before + 0.5 * weights.
            assert torch.allclose(after[k], 0.5 * before[k] + 0.5 * model[k], atol=1e-6), k


def test_share_of_batches_without_a_context(tmp_path):
    from train.loop import train_step
    from train.interactions import InteractionSimulator
    from train.tasks import TaskSampler
    from train.pack import load_pack
    torch.set_num_threads(1)
    counts = {}
    for p in (0.0, 1.0, 0.5):
        cfg = _config(tmp_path, max_context=2, p_no_context=p, interaction_steps=1)
        sampler = TaskSampler(load_pack(cfg.pack), "train", cfg.resolution, torch.device("cpu"), p_synth=0.0, seed=3)
        gen = torch.Generator().manual_seed(0)
        sim = InteractionSimulator(gen)
        from multiverseg_ref import MultiverSegNet
        model = MultiverSegNet(features=4, levels=3)
        opt = torch.optim.Adam(model.parameters())
        counts[p] = [train_step(model, opt, sampler, sim, cfg, gen, None)[0] for _ in range(12)]
    assert all(n > 0 for n in counts[0.0]) and all(n == 0 for n in counts[1.0])
    assert 0 < counts[0.5].count(0) < 12


def test_best_checkpoint_needs_the_click_gain(tmp_path):
    torch.set_num_threads(1)
    # No network gains 2 Dice from clicks: no validation may become best.pt, and the log says why.
    lines = []
    cfg = _config(tmp_path, out=str(tmp_path / "gated"), steps=2, val_every=2, min_click_gain=2.0)
    run(cfg, log=lines.append)
    assert not os.path.exists(os.path.join(cfg.out, "best.pt"))
    assert any("not kept as best.pt" in line for line in lines)
    ungated = _config(tmp_path, out=str(tmp_path / "ungated"), steps=2, val_every=2)
    run(ungated, log=lambda *_: None)
    assert os.path.exists(os.path.join(ungated.out, "best.pt"))


class _ScriptedNet(torch.nn.Module):
    """Answers by rule, not by learning: no click -> a guess 5x too large (image 0) or nothing (image 1); a
    negative click -> nothing; a positive click -> the 5x5 square at rows/cols 4-8 exactly."""

    def forward(self, inp, cx=None, cy=None):
        _, _, h, w = inp.shape
        out = torch.full((1, 1, h, w), -1.0)
        if bool(inp[:, 3].any()):
            return out
        if bool(inp[:, 2].any()):
            out[..., 4:9, 4:9] = 1.0
        elif float(inp[:, 0].mean()) < 0.5:
            out[..., 2:13, 2:13] = 1.0
        return out


def test_validation_splits_the_first_click_gain_by_sign():
    from train.loop import ValidationSet
    y = torch.zeros(16, 16)
    y[4:9, 4:9] = 1.0
    cx = torch.rand(2, 1, 16, 16)
    val = ValidationSet.__new__(ValidationSet)
    # Image 0: the too-large guess's false alarm is the largest error, so the first click is negative and
    # empties the prediction. Image 1: the empty guess gets a positive click that makes it exact.
    val.episodes = [("a", torch.zeros(16, 16), y, cx, (cx > 0.5).float()),
                    ("b", torch.ones(16, 16), y, cx, (cx > 0.5).float())]
    s = val.score(_ScriptedNet())
    guess = 2 * 25 / (121 + 25)
    assert abs(s["val_dice_ctx"] - guess / 2) < 1e-6
    assert abs(s["val_click1_gain_neg"] + guess) < 1e-6
    assert abs(s["val_click1_gain_pos"] - 1.0) < 1e-6
    assert s["val_click1_neg_share"] == 0.5
