"""The training loop of paper Algorithm 1, resumable and bounded in wall time per call.

Per step: B tasks (one context size n ~ U[0, N] for the batch), augmented; T interaction steps (T drawn in
[min_interaction_steps, interaction_steps] per batch), the first from the ground truth in the episode's
prompt style, each later one from the error region of the previous prediction, whose logits are fed back
(detached); loss = soft Dice + focal(20) (+ `bce_weight` x pixel BCE) summed over the steps that get a
gradient; Adam. With
`grad_steps = "first-last"` only the first and the last step are backpropagated and the steps between run
without gradient (a third of the cost of a step with one), which buys longer correction sequences per
CPU-second; `"all"` backpropagates every step (the paper). Each step's backward runs right after its forward
(the fed-back prediction is detached, so this equals one backward of the sum and holds only one step's
activations). `amp` is bf16 autocast on CUDA and on CPUs with bf16 instructions. With `ema` > 0 a shadow
copy of the weights follows them (an exponential moving average, decay `ema` per step), as batches of 4 make
single checkpoints noisy; each validation scores both and keeps the better as best.pt.

    >>> cfg = TrainConfig(pack=".pack/train128.npz.xz", out="runs/a", device="cuda", minutes=9)
    >>> run(cfg)   # call again with the same out to resume
"""
import json
import math
import os
import signal
import threading
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
    amp: bool = False                  # bf16 autocast (CUDA, or CPU: 1.5-2.4x faster where AVX512_BF16/AMX)
    features: int = 32
    levels: int = 4
    resolution: int = 128              # training resolution (the pack's or lower; the net is fully convolutional)
    batch: int = 8
    max_context: int = 16              # N: context size ~ U[0, N]
    p_no_context: float = -1.0         # share of batches without a context (then n ~ U[1, N]); < 0: U[0, N] as the paper
    interaction_steps: int = 3         # the most interaction steps per episode
    min_interaction_steps: int = 0     # the fewest (0: always interaction_steps)
    grad_steps: str = "all"            # "all" | "first-last": which steps are backpropagated
    styles: str = "0.15,0.35,0.15,0.1,0.25"  # prompt styles none,clicks,scribbles,box,mixed (interactions.py)
    p_center: float = 0.7              # share of click corrections at the error's center
    bce_weight: float = 0.0            # weight of a pixel BCE term beside Dice + focal (0: the paper's loss)
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
    ema: float = 0.0                   # decay of the weights' moving average per step (0: none), e.g. 0.99
    min_click_gain: float = -1.0       # best.pt only from validations whose val_click_gain reaches this (-1: any)
    init: Optional[str] = None         # start from this checkpoint's model (new optimiser), e.g. a 64x64 run
    note: str = ""
    phases: List[Dict] = field(default_factory=list)


# The click check's bar (Training/tools/check_clicks.py, the campaign's export rule): the Dice gain from 0 to 3
# center-click steps with a context that a model must reach.
CLICK_CHECK_MIN_GAIN = 0.05


def cpu_has_bf16() -> bool:
    """True when the CPU has bf16 instructions (AVX512_BF16 or AMX). Without them PyTorch emulates bf16 and
    CPU autocast is several times slower than float32 (measured: Training/EXPERIMENTS.md)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(f.read().split())
    except OSError:
        return False
    return bool(flags & {"avx512_bf16", "amx_bf16"})


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
    def score(self, model, amp_dtype=None, clicks: int = 3) -> Dict[str, float]:
        """Dice after 0..clicks center-click steps, with the context (val_dice_ctx, _1click, _2click, ...) and
        without it (val_dice_ctx0, val_dice_ctx0_1click, ...). val_score averages the context run's 0, 1 and
        3 click Dice and the context-free run's 1 and 3 click Dice, so a network that ignores clicks cannot
        score well; val_click_gain is the context run's Dice after 3 clicks minus before any;
        val_area_ratio_ctx / _ctx0 is the predicted over the true foreground area after the last click;
        val_click1_gain_pos / _neg is the context run's mean Dice change from the first click where it is
        positive (a missed region) / negative (a false alarm), val_click1_neg_share the share of negatives."""
        model.eval()
        runs = {"ctx": [[] for _ in range(clicks + 1)], "ctx0": [[] for _ in range(clicks + 1)]}
        # Predicted over true foreground area after the last click, per run: a network that paints half the
        # image around a click (what the context-free path did in period 4: 5x the target's area) shows here.
        area = {"ctx": [0.0, 0.0], "ctx0": [0.0, 0.0]}
        # Dice change of the first click with a context, by its sign: which correction the network fails to use.
        first = {True: [], False: []}
        dev = self.episodes[0][1].device
        for t, x, y, cx, cy in self.episodes:
            yn = y.cpu().numpy() > 0.5
            h, w = x.shape
            for name, (c_x, c_y) in (("ctx", (cx[None], cy[None])), ("ctx0", (None, None))):
                inter, prev, sign = Interactions.empty(1, h, w, dev), None, None
                for k in range(clicks + 1 if c_x is not None else clicks):
                    if k > 0 or c_x is None:
                        c = center_click(yn, None if prev is None else (prev[0] > 0).cpu().numpy())
                        if c is not None:
                            (inter.pos if c[2] else inter.neg)[0, c[0], c[1]] = 1.0
                        if k == 1 and c_x is not None and c is not None:
                            sign = c[2]
                    with torch.autocast(dev.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                        logits = model(target_input(x[None], inter, prev), c_x, c_y).float()
                    prev = logits[:, 0]
                    # Without a context, step 0 already has the first click: list it under 1 click.
                    slot = k + 1 if c_x is None else k
                    runs[name][slot].append(float(dice_score(prev > 0, y[None])))
                    if sign is not None and k == 1:
                        first[sign].append(runs[name][1][-1] - runs[name][0][-1])
                area[name][0] += float((prev > 0).sum())
                area[name][1] += float(yn.sum())
        model.train()
        mean = {name: [float(np.mean(v)) if v else float("nan") for v in r] for name, r in runs.items()}
        out = {"val_dice_ctx": mean["ctx"][0]}
        for k in range(1, clicks + 1):
            out[f"val_dice_ctx_{k}click"] = mean["ctx"][k]
        for k in range(1, clicks + 1):
            out[f"val_dice_ctx0_{k}click"] = mean["ctx0"][k]
        c3 = min(3, clicks)
        out["val_click_gain"] = mean["ctx"][c3] - mean["ctx"][0]
        for name in ("ctx", "ctx0"):
            out[f"val_area_ratio_{name}"] = area[name][0] / max(area[name][1], 1.0)
        for sign, tag in ((True, "pos"), (False, "neg")):
            out[f"val_click1_gain_{tag}"] = float(np.mean(first[sign])) if first[sign] else float("nan")
        n_first = len(first[True]) + len(first[False])
        out["val_click1_neg_share"] = len(first[False]) / n_first if n_first else float("nan")
        out["val_score"] = float(np.mean([mean["ctx"][0], mean["ctx"][1], mean["ctx"][c3],
                                          mean["ctx0"][1], mean["ctx0"][c3]]))
        out["val_episodes"] = len(self.episodes)
        return out


def _rows(sampler: TaskSampler, rows: np.ndarray):
    r = torch.from_numpy(rows.astype(np.int64)).to(sampler.device)
    x = sampler.images[sampler.ex_image_t[r]].float()[:, None] / 255
    y = sampler.masks[r].float()[:, None]
    return sampler._resize(x, False), sampler._resize(y, True)


def load_init(path: str, device) -> Dict:
    """A starting point: a training checkpoint (.pt) or exported weights (.safetensors, e.g. the shipped
    Weights/default.safetensors) as {"model": state_dict, "step": ..., "train_seconds": ..., "phases": ...}."""
    if path.endswith(".safetensors"):
        from safetensors import safe_open
        with safe_open(path, "pt", device="cpu") as f:
            meta = f.metadata() or {}
            state = {k: f.get_tensor(k).to(device) for k in f.keys()}
        return {"model": state, "step": int(meta.get("training_steps", 0) or 0),
                "config": {"features": int(meta.get("features", 32)), "levels": int(meta.get("levels", 4))},
                "train_seconds": float(meta.get("training_seconds", 0) or 0),
                "phases": [{"weights": os.path.basename(path), "exported": meta.get("exported")}]}
    return torch.load(path, map_location=device, weights_only=False)


class WeightAverage:
    """An exponential moving average of a model's weights: after each optimiser step every parameter p of
    the shadow becomes decay * shadow + (1 - decay) * p; buffers are copied. A model trained with batches of 4
    moves a lot from step to step; the average is what it has learnt over the last 1 / (1 - decay) steps.

        >>> average = WeightAverage(model, 0.99)
        >>> opt.step(); average.update(model)
        >>> val.score(average.model)
    """

    def __init__(self, model, decay: float, state: Optional[Dict] = None):
        import copy
        self.decay = decay
        self.model = copy.deepcopy(model)
        if state is not None:
            self.model.load_state_dict(state)
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model) -> None:
        for shadow, p in zip(self.model.parameters(), model.parameters()):
            shadow.lerp_(p.detach(), 1.0 - self.decay)
        for shadow, b in zip(self.model.buffers(), model.buffers()):
            shadow.copy_(b)


def _checkpoint_path(out: str) -> str:
    return os.path.join(out, "checkpoint.pt")


def save_checkpoint(path: str, model, opt, step: int, state: Dict, average: Optional[WeightAverage] = None) -> None:
    tmp = path + ".tmp"
    extra = {"ema": average.model.state_dict(), "ema_decay": average.decay} if average is not None else {}
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step, **state, **extra}, tmp)
    os.replace(tmp, path)  # atomic: a run killed while saving keeps the previous checkpoint


def train_step(model, opt, sampler: TaskSampler, sim: InteractionSimulator, cfg: TrainConfig, gen, amp_dtype):
    """One optimiser step on one batch; returns (context size, [loss of each backpropagated step], steps run)."""
    if cfg.p_no_context < 0:
        n = int(sampler.rng.integers(0, cfg.max_context + 1))
    else:
        # The context-free path (the interactive baseline, a project's first image) gets its own share.
        n = 0 if sampler.rng.random() < cfg.p_no_context else int(sampler.rng.integers(1, cfg.max_context + 1))
    lo = cfg.min_interaction_steps or cfg.interaction_steps
    steps = int(sampler.rng.integers(lo, cfg.interaction_steps + 1))
    x, y = sampler.batch(cfg.batch, n, gen)
    b, m, _, h, w = x.shape
    tx, ty = x[:, 0, 0], y[:, 0, 0]
    cx, cy = (x[:, 1:], y[:, 1:]) if n else (None, None)
    opt.zero_grad(set_to_none=True)
    prev, inter, losses = None, None, []
    for j in range(steps):
        inter = sim.first_step(ty, has_context=n > 0) if j == 0 else sim.correction_step(ty, prev, inter)
        grad = cfg.grad_steps == "all" or j == 0 or j == steps - 1
        with torch.set_grad_enabled(grad), \
                torch.autocast(x.device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            logits = model(target_input(tx, inter, prev), cx, cy)
        if grad:
            loss = dice_focal_loss(logits.float(), ty[:, None], cfg.bce_weight)
            loss.backward()
            losses.append(float(loss.detach()))
        prev = logits.detach()[:, 0].float()
    opt.step()
    return n, losses, steps


def _validate(model, val: "ValidationSet", cfg: TrainConfig, state: Dict, step: int, amp_dtype, logf, log,
              extra: Dict = None) -> None:
    """Scores `model` (the run's weight average when it keeps one), logs it (with `extra` fields, e.g. which
    weights), and keeps it as best.pt when it beats the best so far."""
    scores = val.score(model, amp_dtype)
    rec = {"step": step, **scores, "train_seconds": round(state["train_seconds"], 1), "resolution": cfg.resolution,
           **(extra or {})}
    logf.write(json.dumps(rec) + "\n")
    logf.flush()
    log(f"val step {step}: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items() if k != "val_episodes"))
    if scores["val_score"] <= state["best_score"]:
        return
    if scores["val_click_gain"] < cfg.min_click_gain:
        # A better score bought by ignoring clicks with a context (the defect) is not a better model.
        log(f"val step {step}: score {scores['val_score']:.4f} beats the best, but the click gain "
            f"{scores['val_click_gain']:.4f} is below {cfg.min_click_gain}: not kept as best.pt")
        return
    state["best_score"] = scores["val_score"]
    torch.save({"model": model.state_dict(), "step": step, "val": scores,
                "train_seconds": state["train_seconds"], "phases": state.get("phases", []),
                "config": asdict(cfg)}, os.path.join(cfg.out, "best.pt"))


def _weights(average: Optional[WeightAverage]) -> Dict:
    """What a validation record says it scored."""
    return {"weights": f"ema {average.decay}"} if average is not None else {}


def _validate_all(model, average: Optional[WeightAverage], val: "ValidationSet", cfg: TrainConfig, state: Dict,
                  step: int, amp_dtype, logf, log, extra: Dict = None) -> None:
    """Scores the weights and, when the run keeps one, their average; each is a record and either can become
    best.pt. Both, because the average has scored the better guess and the raw weights the better click gain
    (Training/EXPERIMENTS.md, period 4): which one wins is measured, not assumed."""
    extra = extra or {}
    if average is None:
        _validate(model, val, cfg, state, step, amp_dtype, logf, log, extra)
        return
    _validate(model, val, cfg, state, step, amp_dtype, logf, log, {**extra, "weights": "raw"})
    _validate(average.model, val, cfg, state, step, amp_dtype, logf, log, {**extra, **_weights(average)})


def run(cfg: TrainConfig, log=print) -> Dict:
    t_start = time.time()
    os.makedirs(cfg.out, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    amp_dtype = torch.bfloat16 if cfg.amp else None
    if cfg.amp and device.type == "cpu" and not cpu_has_bf16():
        log("warning: --amp on a CPU without bf16 instructions (AVX512_BF16/AMX): bf16 is emulated and slower")
    if cfg.grad_steps not in ("all", "first-last"):
        raise ValueError(f"grad_steps must be 'all' or 'first-last', got {cfg.grad_steps!r}")
    torch.manual_seed(cfg.seed)
    model = build_model(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    ckpt_path = _checkpoint_path(cfg.out)
    step, state = 0, {"best_score": -1.0, "train_seconds": 0.0, "phases": []}
    average_state = None
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step = ck["step"]
        state = {k: ck[k] for k in ("best_score", "train_seconds", "phases", "metric") if k in ck}
        average_state = ck.get("ema")
        log(f"resumed {ckpt_path} at step {step}")
    elif cfg.init:
        ck = load_init(cfg.init, device)
        model.load_state_dict(ck["model"])
        state["phases"] = list(ck.get("phases", [])) + [{"init": cfg.init, "from_step": ck.get("step")}]
        state["train_seconds"] = float(ck.get("train_seconds", 0.0))
        log(f"initialised from {cfg.init} (step {ck.get('step')})")
    for g in opt.param_groups:
        g["lr"] = cfg.lr
    # A checkpoint written without an average starts one from its weights.
    average = WeightAverage(model, cfg.ema, average_state) if cfg.ema > 0 else None
    with open(os.path.join(cfg.out, "config.json"), "w") as f:
        json.dump(asdict(cfg), f, indent=1)

    pack = load_pack(cfg.pack)
    sampler = TaskSampler(pack, "train", cfg.resolution, device, p_synth=cfg.p_synth, seed=cfg.seed * 1000 + step)
    val = ValidationSet(pack, cfg.resolution, device, cfg.val_targets, cfg.val_context)
    gen = torch.Generator(device=device)
    gen.manual_seed(cfg.seed * 7919 + step)
    sim = InteractionSimulator(gen, styles=[float(v) for v in cfg.styles.split(",")], p_center=cfg.p_center)
    logf = open(os.path.join(cfg.out, "log.jsonl"), "a")
    model.train()
    deadline = t_start + 60 * cfg.minutes
    last_val_step = step
    if cfg.init and step == 0:
        # Score the starting model at this phase's resolution, so the best checkpoint of a fine-tune is never
        # worse (on validation) than what it started from.
        _validate_all(model, average, val, cfg, state, step, amp_dtype, logf, log)
    last_ckpt, t_seg, window = time.time(), time.time(), []
    start_step = step
    # SIGTERM / SIGINT end the period after the current step, with a checkpoint (a campaign period can be cut
    # short without losing the minutes since the last periodic checkpoint).
    stop = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, lambda *_: stop.append(True)) for sig in (signal.SIGTERM, signal.SIGINT)}
    while step < cfg.steps and time.time() < deadline and not stop:
        n, losses, _ = train_step(model, opt, sampler, sim, cfg, gen, amp_dtype)
        if not all(math.isfinite(v) for v in losses):
            raise FloatingPointError(f"non-finite loss {losses} at step {step}: lower --lr or disable --amp")
        if average is not None:
            average.update(model)
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
            _validate_all(model, average, val, cfg, state, step, amp_dtype, logf, log)
            last_val_step = step
        if time.time() - last_ckpt > 60 * cfg.checkpoint_minutes:
            state["train_seconds"] += time.time() - t_seg
            t_seg = time.time()
            save_checkpoint(ckpt_path, model, opt, step, state, average)
            last_ckpt = time.time()
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    state["train_seconds"] += time.time() - t_seg
    save_checkpoint(ckpt_path, model, opt, step, state, average)
    if step > last_val_step and not stop:
        # A period rarely ends on a validation step; its last model is scored so it can become best.pt.
        # (After SIGTERM the caller wants the machine back now: campaign.py publish scores it instead.)
        _validate_all(model, average, val, cfg, state, step, amp_dtype, logf, log)
    logf.close()
    log(f"stopped at step {step} ({step - start_step} this call, {time.time() - t_start:.0f} s); "
        f"checkpoint {ckpt_path}")
    return {"step": step, **state}
