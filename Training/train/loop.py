"""The training loop of paper Algorithm 1, resumable and bounded in wall time per call.

Per step: B tasks (one context size n ~ U[0, N] for the batch), augmented; 3 interaction steps, the first
from the ground truth, each later one from the error region of the previous prediction, whose logits are fed
back (detached); loss = sum over steps of soft Dice + focal(20); Adam. Each step's backward runs right after
its forward (the fed-back prediction is detached, so this equals one backward of the sum and holds only one
step's activations).

    >>> cfg = TrainConfig(pack=".pack/train128.npz.xz", out="runs/a", device="cuda", minutes=9)
    >>> run(cfg)   # call again with the same out to resume
"""
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

import numpy as np
import torch

from multiverseg_ref import MultiverSegNet

from .interactions import InteractionSimulator, center_click, Interactions, target_input
from .loss import dice_focal_loss, dice_score
from .pack import load_pack
from .tasks import TaskSampler


@dataclass
class TrainConfig:
    pack: str
    out: str
    device: str = "cpu"
    amp: bool = False                  # bf16 autocast (CUDA only)
    features: int = 32
    levels: int = 4
    resolution: int = 128              # training resolution (the pack's or lower; the net is fully convolutional)
    batch: int = 8
    max_context: int = 16              # N: context size ~ U[0, N]
    interaction_steps: int = 3
    p_synth: float = 0.5
    lr: float = 1e-4
    steps: int = 100000                # total optimiser steps of the run (across calls)
    minutes: float = 9.0               # wall-clock bound of this call
    checkpoint_minutes: float = 3.0
    val_every: int = 500
    val_targets: int = 3               # validation targets per task
    val_context: int = 8
    log_every: int = 10
    threads: int = 0                   # torch CPU threads (0: leave as is)
    seed: int = 0
    init: Optional[str] = None         # start from this checkpoint's model (new optimiser), e.g. a 64x64 run
    note: str = ""
    phases: List[Dict] = field(default_factory=list)


def build_model(cfg: TrainConfig) -> MultiverSegNet:
    return MultiverSegNet(features=cfg.features, levels=cfg.levels)


class ValidationSet:
    """Fixed validation episodes: val-split targets of every training task, context from the task's train split
    (ground truth), scored without interaction and after one center click."""

    def __init__(self, pack: Dict[str, np.ndarray], resolution: int, device, targets: int, context: int, seed: int = 1234):
        train = TaskSampler(pack, "train", resolution, device, p_synth=0.0, augment_tasks=False, seed=seed)
        val = TaskSampler(pack, "val", resolution, device, p_synth=0.0, augment_tasks=False, seed=seed)
        rng = np.random.default_rng(seed)
        self.episodes = []  # (task, x [1, R, R], y, cx [n, 1, R, R], cy)
        for d, tasks in sorted(val.by_dataset.items()):
            for t, rows in sorted(tasks.items()):
                if d not in train.by_dataset or t not in train.by_dataset[d]:
                    continue
                trows = train.by_dataset[d][t]
                for r in rng.choice(rows, min(targets, len(rows)), replace=False):
                    ctx = rng.choice(trows, context, replace=len(trows) < context)
                    x, y = _rows(val, np.array([r]))
                    cx, cy = _rows(train, ctx)
                    self.episodes.append((t, x[0, 0], y[0, 0], cx, cy))

    @torch.no_grad()
    def score(self, model, amp_dtype=None) -> Dict[str, float]:
        model.eval()
        d0, d1, z0 = [], [], []
        dev = self.episodes[0][1].device
        for t, x, y, cx, cy in self.episodes:
            with torch.autocast(dev.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                h, w = x.shape
                empty = Interactions.empty(1, h, w, dev)
                lz = model(target_input(x[None], empty, None), None, None).float()
                l0 = model(target_input(x[None], empty, None), cx[None], cy[None]).float()
                c = center_click(y.cpu().numpy() > 0.5, (l0[0, 0] > 0).cpu().numpy())
                inter = Interactions.empty(1, h, w, dev)
                if c is not None:
                    (inter.pos if c[2] else inter.neg)[0, c[0], c[1]] = 1.0
                l1 = model(target_input(x[None], inter, l0[:, 0]), cx[None], cy[None]).float()
            z0.append(float(dice_score(lz[:, 0] > 0, y[None])))
            d0.append(float(dice_score(l0[:, 0] > 0, y[None])))
            d1.append(float(dice_score(l1[:, 0] > 0, y[None])))
        model.train()
        return {"val_dice_ctx0": float(np.mean(z0)), "val_dice_ctx": float(np.mean(d0)),
                "val_dice_ctx_1click": float(np.mean(d1)), "val_score": float(np.mean(d0) + np.mean(d1)) / 2,
                "val_episodes": len(self.episodes)}


def _rows(sampler: TaskSampler, rows: np.ndarray):
    r = torch.from_numpy(rows.astype(np.int64)).to(sampler.device)
    x = sampler.images[sampler.ex_image_t[r]].float()[:, None] / 255
    y = sampler.masks[r].float()[:, None]
    return sampler._resize(x, False), sampler._resize(y, True)


def _checkpoint_path(out: str) -> str:
    return os.path.join(out, "checkpoint.pt")


def save_checkpoint(path: str, model, opt, step: int, state: Dict) -> None:
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step, **state}, tmp)
    os.replace(tmp, path)  # atomic: a run killed while saving keeps the previous checkpoint


def train_step(model, opt, sampler: TaskSampler, sim: InteractionSimulator, cfg: TrainConfig, gen, amp_dtype):
    n = int(sampler.rng.integers(0, cfg.max_context + 1))
    x, y = sampler.batch(cfg.batch, n, gen)
    b, m, _, h, w = x.shape
    tx, ty = x[:, 0, 0], y[:, 0, 0]
    cx, cy = (x[:, 1:], y[:, 1:]) if n else (None, None)
    opt.zero_grad(set_to_none=True)
    prev, inter, losses = None, None, []
    for j in range(cfg.interaction_steps):
        inter = sim.first_step(ty) if j == 0 else sim.correction_step(ty, prev, inter)
        with torch.autocast(x.device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            logits = model(target_input(tx, inter, prev), cx, cy)
        loss = dice_focal_loss(logits.float(), ty[:, None])
        loss.backward()
        losses.append(float(loss.detach()))
        prev = logits.detach()[:, 0].float()
    opt.step()
    return n, losses


def _validate(model, val: "ValidationSet", cfg: TrainConfig, state: Dict, step: int, amp_dtype, logf, log) -> None:
    """Scores the model, logs it, and keeps it as best.pt when it beats the best so far."""
    scores = val.score(model, amp_dtype)
    rec = {"step": step, **scores, "train_seconds": round(state["train_seconds"], 1), "resolution": cfg.resolution}
    logf.write(json.dumps(rec) + "\n")
    logf.flush()
    log(f"val step {step}: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items() if k != "val_episodes"))
    if scores["val_score"] > state["best_score"]:
        state["best_score"] = scores["val_score"]
        torch.save({"model": model.state_dict(), "step": step, "val": scores,
                    "train_seconds": state["train_seconds"], "phases": state.get("phases", []),
                    "config": asdict(cfg)}, os.path.join(cfg.out, "best.pt"))


def run(cfg: TrainConfig, log=print) -> Dict:
    t_start = time.time()
    os.makedirs(cfg.out, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    amp_dtype = torch.bfloat16 if (cfg.amp and device.type == "cuda") else None
    torch.manual_seed(cfg.seed)
    model = build_model(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    ckpt_path = _checkpoint_path(cfg.out)
    step, state = 0, {"best_score": -1.0, "train_seconds": 0.0, "phases": []}
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step = ck["step"]
        state = {k: ck[k] for k in ("best_score", "train_seconds", "phases") if k in ck}
        log(f"resumed {ckpt_path} at step {step}")
    elif cfg.init:
        ck = torch.load(cfg.init, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        state["phases"] = list(ck.get("phases", [])) + [{"init": cfg.init, "from_step": ck.get("step")}]
        state["train_seconds"] = float(ck.get("train_seconds", 0.0))
        log(f"initialised from {cfg.init} (step {ck.get('step')})")
    for g in opt.param_groups:
        g["lr"] = cfg.lr
    with open(os.path.join(cfg.out, "config.json"), "w") as f:
        json.dump(asdict(cfg), f, indent=1)

    pack = load_pack(cfg.pack)
    sampler = TaskSampler(pack, "train", cfg.resolution, device, p_synth=cfg.p_synth, seed=cfg.seed * 1000 + step)
    val = ValidationSet(pack, cfg.resolution, device, cfg.val_targets, cfg.val_context)
    gen = torch.Generator(device=device)
    gen.manual_seed(cfg.seed * 7919 + step)
    sim = InteractionSimulator(gen)
    logf = open(os.path.join(cfg.out, "log.jsonl"), "a")
    model.train()
    deadline = t_start + 60 * cfg.minutes
    if cfg.init and step == 0:
        # Score the starting model at this phase's resolution, so the best checkpoint of a fine-tune is never
        # worse (on validation) than what it started from.
        _validate(model, val, cfg, state, step, amp_dtype, logf, log)
    last_ckpt, t_seg, window = time.time(), time.time(), []
    start_step = step
    while step < cfg.steps and time.time() < deadline:
        n, losses = train_step(model, opt, sampler, sim, cfg, gen, amp_dtype)
        if not all(math.isfinite(v) for v in losses):
            raise FloatingPointError(f"non-finite loss {losses} at step {step}: lower --lr or disable --amp")
        step += 1
        window.append(sum(losses))
        if step % cfg.log_every == 0:
            now = time.time()
            state["train_seconds"] += now - t_seg
            t_seg = now
            rec = {"step": step, "loss": float(np.mean(window)), "last_steps": losses, "context": n,
                   "train_seconds": round(state["train_seconds"], 1), "resolution": cfg.resolution}
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            log(f"step {step} loss {rec['loss']:.4f} (steps {', '.join(f'{v:.3f}' for v in losses)}) "
                f"n={n} t={state['train_seconds']:.0f}s")
            window = []
        if step % cfg.val_every == 0 or step == cfg.steps:
            _validate(model, val, cfg, state, step, amp_dtype, logf, log)
        if time.time() - last_ckpt > 60 * cfg.checkpoint_minutes:
            state["train_seconds"] += time.time() - t_seg
            t_seg = time.time()
            save_checkpoint(ckpt_path, model, opt, step, state)
            last_ckpt = time.time()
    state["train_seconds"] += time.time() - t_seg
    save_checkpoint(ckpt_path, model, opt, step, state)
    logf.close()
    log(f"stopped at step {step} ({step - start_step} this call, {time.time() - t_start:.0f} s); "
        f"checkpoint {ckpt_path}")
    return {"step": step, **state}
