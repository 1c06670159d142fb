"""Experiment-2 style evaluation (paper §7): Dice against context size with ground-truth context, without
interactions and after k center clicks (paper §5.3 protocol, train/interactions.center_click).

    >>> rows = evaluate_task(model, images, masks, contexts=(0, 1, 4, 16), clicks=3, targets=40, seeds=2)
"""
from typing import Dict, Iterable, List, Sequence

import numpy as np
import torch

from .interactions import Interactions, center_click, target_input
from .loss import dice_score


GUESS_MODES = ("fed-back", "not-fed-back", "none")


@torch.no_grad()
def predict_with_center_clicks(model, x: torch.Tensor, y: torch.Tensor, cx: torch.Tensor, cy: torch.Tensor,
                               clicks: int, guess: str = "fed-back") -> np.ndarray:
    """x, y [B, H, W]; cx, cy [B, n, 1, H, W] (n may be 0) -> Dice [B, clicks + 1]: column k after k clicks.

    Step 0 is the in-context prediction with no interaction (the guess); each later step adds one center click
    of the largest error component and feeds the previous logits back. `guess` says what the first click sees:
    "fed-back" (as trained, and as the app does) places it against the guess and feeds the guess's logits back;
    "not-fed-back" places it against the guess but feeds nothing back; "none" skips the guess (column 0 is
    NaN), so the first click goes to the center of the largest target component, as without a context.
    """
    if guess not in GUESS_MODES:
        raise ValueError(f"guess must be one of {GUESS_MODES}, not {guess!r}")
    b, h, w = x.shape
    inter = Interactions.empty(b, h, w, x.device)
    prev = None
    out = np.zeros((b, clicks + 1))
    ynp = y.cpu().numpy() > 0.5
    for k in range(clicks + 1):
        if k == 0 and guess == "none":
            out[:, 0] = np.nan
            continue
        if k > 0:
            pred = (prev.reshape(b, h, w) > 0).cpu().numpy() if prev is not None else np.zeros_like(ynp)
            for i in range(b):
                # Every click, the first too, goes to the largest error region of the prediction before it
                # (for an empty prediction that is the center of the largest label component).
                c = center_click(ynp[i], pred[i])
                if c is None:
                    continue
                r, cc, positive = c
                (inter.pos if positive else inter.neg)[i, r, cc] = 1.0
            if k == 1 and guess == "not-fed-back":
                prev = None
        logits = model(target_input(x, inter, prev), cx if cx.shape[1] else None, cy if cy.shape[1] else None)
        out[:, k] = dice_score(logits[:, 0] > 0, y).cpu().numpy()
        prev = logits[:, 0]
    return out


def evaluate_task(model, images: torch.Tensor, masks: torch.Tensor, contexts: Sequence[int] = (0, 1, 4, 16),
                  clicks: int = 3, targets: int = 40, seeds: Iterable[int] = (0,), batch: int = 8,
                  guess: str = "fed-back") -> Dict[int, np.ndarray]:
    """images, masks [N, H, W] of one task -> {context size: Dice array [runs, clicks + 1]}.

    For each seed, `targets` target images are drawn; each gets its own random context of the given size from
    the other images (ground-truth masks). Context sizes larger than N - 1 are skipped. `guess`: see
    predict_with_center_clicks.
    """
    n = images.shape[0]
    res: Dict[int, List[np.ndarray]] = {c: [] for c in contexts if c <= n - 1}
    for seed in seeds:
        rng = np.random.default_rng(seed)
        tgt = rng.choice(n, min(targets, n), replace=False)
        for c in res:
            ctx = [rng.choice(np.delete(np.arange(n), t), c, replace=False) for t in tgt]
            for s in range(0, len(tgt), batch):
                ti = torch.as_tensor(tgt[s:s + batch])
                ci = torch.as_tensor(np.stack(ctx[s:s + batch])) if c else torch.zeros((len(ti), 0), dtype=torch.long)
                cx = images[ci][:, :, None] if c else images.new_zeros((len(ti), 0, 1) + images.shape[1:])
                cy = masks[ci][:, :, None] if c else cx
                res[c].append(predict_with_center_clicks(model, images[ti], masks[ti], cx, cy, clicks, guess))
    return {c: np.concatenate(v) for c, v in res.items()}
