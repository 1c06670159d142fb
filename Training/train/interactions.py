"""Interaction simulation, batched on the device (paper §3.3 "Prompt Simulation", after ScribblePrompt).

State per example: box, positive and negative channels [B, H, W] in [0, 1]. The first step draws 1-3
positive and 0-3 negative interactions, each a click or a scribble, and (p = 0.5) a bounding box, all
from the ground truth; every later step adds 1-3 corrections inside the error region of the previous
prediction (false negatives -> positive, false positives -> negative).

    >>> sim = InteractionSimulator(gen)
    >>> state = sim.first_step(y)                  # y [B, H, W] in {0, 1}
    >>> inp = target_input(x, state, prev_logits)  # [B, 5, H, W]
    >>> state = sim.correction_step(y, logits, state)
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch


@dataclass
class Interactions:
    box: torch.Tensor   # [B, H, W]
    pos: torch.Tensor   # [B, H, W] positive clicks + scribbles
    neg: torch.Tensor   # [B, H, W] negative clicks + scribbles

    @staticmethod
    def empty(b: int, h: int, w: int, device) -> "Interactions":
        z = torch.zeros((b, h, w), device=device)
        return Interactions(z, z.clone(), z.clone())


def target_input(x: torch.Tensor, inter: Interactions, prev_logits: Optional[torch.Tensor]) -> torch.Tensor:
    """x [B, H, W] image in [0, 1] -> [B, 5, H, W]: image, box, positive, negative, previous logits (0 if none)."""
    prev = torch.zeros_like(x) if prev_logits is None else prev_logits.reshape(x.shape)
    return torch.stack([x, inter.box, inter.pos.clamp(0, 1), inter.neg.clamp(0, 1), prev], 1)


def sample_points(region: torch.Tensor, k: int, gen: Optional[torch.Generator] = None):
    """region [B, H, W] bool -> (points [B, k] flat pixel indices, uniform over the region; has [B] bool)."""
    b = region.shape[0]
    wts = region.reshape(b, -1).float()
    has = wts.sum(1) > 0
    wts = torch.where(has[:, None], wts, torch.ones_like(wts))
    return torch.multinomial(wts, k, replacement=True, generator=gen), has


def draw_points(channel: torch.Tensor, points: torch.Tensor, active: torch.Tensor) -> None:
    """Sets channel[b].flat[points[b, j]] = 1 where active[b] (in place). channel [B, H, W], points [B, k]."""
    flat = channel.view(channel.shape[0], -1)
    val = active.float()[:, None].expand_as(points)
    flat.scatter_reduce_(1, points, val, reduce="amax")


def polyline(points: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """points [B, k] flat indices -> [B, H, W] 1-px polyline through them in order (k >= 2)."""
    b, k = points.shape
    py, px = (points // w).float(), (points % w).float()
    steps = 2 * max(h, w)
    t = torch.linspace(0, 1, steps, device=points.device)
    ys = py[:, :-1, None] + (py[:, 1:, None] - py[:, :-1, None]) * t          # [B, k-1, steps]
    xs = px[:, :-1, None] + (px[:, 1:, None] - px[:, :-1, None]) * t
    idx = (ys.round().long().clamp(0, h - 1) * w + xs.round().long().clamp(0, w - 1)).reshape(b, -1)
    out = torch.zeros((b, h * w), device=points.device)
    out.scatter_(1, idx, 1.0)
    return out.reshape(b, h, w)


def bounding_box(y: torch.Tensor, gen: Optional[torch.Generator] = None, jitter: float = 0.05) -> torch.Tensor:
    """y [B, H, W] -> [B, H, W] filled box around the label, each side moved by up to jitter * size."""
    b, h, w = y.shape
    rows, cols = y.any(2), y.any(1)
    ar_h = torch.arange(h, device=y.device)
    ar_w = torch.arange(w, device=y.device)
    big = 10 ** 6
    y0 = torch.where(rows, ar_h, big).min(1).values
    y1 = torch.where(rows, ar_h, -1).max(1).values
    x0 = torch.where(cols, ar_w, big).min(1).values
    x1 = torch.where(cols, ar_w, -1).max(1).values
    j = (torch.rand((b, 4), generator=gen, device=y.device) * 2 - 1) * jitter
    y0 = (y0 + (j[:, 0] * h).round().long()).clamp(0, h - 1)
    y1 = (y1 + (j[:, 1] * h).round().long()).clamp(0, h - 1)
    x0 = (x0 + (j[:, 2] * w).round().long()).clamp(0, w - 1)
    x1 = (x1 + (j[:, 3] * w).round().long()).clamp(0, w - 1)
    inside = ((ar_h[None, :, None] >= y0[:, None, None]) & (ar_h[None, :, None] <= y1[:, None, None])
              & (ar_w[None, None, :] >= x0[:, None, None]) & (ar_w[None, None, :] <= x1[:, None, None]))
    return (inside & rows.any(1)[:, None, None]).float()


class InteractionSimulator:
    """Random clicks, scribbles and boxes as in training (all batched; `gen` makes it reproducible)."""

    def __init__(self, gen: Optional[torch.Generator] = None, p_box: float = 0.5, p_scribble: float = 0.5,
                 n_pos=(1, 3), n_neg=(0, 3), n_cor=(1, 3), scribble_points=(2, 4)):
        self.gen, self.p_box, self.p_scribble = gen, p_box, p_scribble
        self.n_pos, self.n_neg, self.n_cor = n_pos, n_neg, n_cor
        self.scribble_points = scribble_points

    def _randint(self, lo_hi, b, device):
        lo, hi = lo_hi
        return torch.randint(lo, hi + 1, (b,), generator=self.gen, device=device)

    def _one(self, region: torch.Tensor, active: torch.Tensor, out: torch.Tensor) -> None:
        """Adds one click or scribble inside region [B, H, W] to out, where active [B] and region non-empty."""
        b, h, w = region.shape
        k = int(torch.randint(self.scribble_points[0], self.scribble_points[1] + 1, (1,), generator=self.gen,
                              device=region.device))
        pts, has = sample_points(region, k, self.gen)
        active = active & has
        scribble = torch.rand(b, generator=self.gen, device=region.device) < self.p_scribble
        line = polyline(pts, h, w) * region.float()       # the part of the stroke that stays in the region
        click = torch.zeros_like(out)
        draw_points(click, pts[:, :1], torch.ones_like(active))
        add = torch.where(scribble[:, None, None], torch.maximum(line, click), click)
        out += add * active.float()[:, None, None]
        out.clamp_(0, 1)

    def first_step(self, y: torch.Tensor) -> Interactions:
        """y [B, H, W] binary ground truth -> the first step's interactions."""
        b, h, w = y.shape
        dev = y.device
        inter = Interactions.empty(b, h, w, dev)
        fg, bg = y > 0.5, y <= 0.5
        npos, nneg = self._randint(self.n_pos, b, dev), self._randint(self.n_neg, b, dev)
        for j in range(self.n_pos[1]):
            self._one(fg, npos > j, inter.pos)
        for j in range(self.n_neg[1]):
            self._one(bg, nneg > j, inter.neg)
        use_box = torch.rand(b, generator=self.gen, device=dev) < self.p_box
        inter.box = bounding_box(fg, self.gen) * use_box.float()[:, None, None]
        return inter

    def correction_step(self, y: torch.Tensor, logits: torch.Tensor, inter: Interactions) -> Interactions:
        """Adds 1-3 corrections inside the error region of logits [B, H, W] (> 0 is foreground)."""
        b, h, w = y.shape
        dev = y.device
        pred = logits.reshape(b, h, w) > 0
        fn, fp = (y > 0.5) & ~pred, (y <= 0.5) & pred
        inter = Interactions(inter.box.clone(), inter.pos.clone(), inter.neg.clone())
        ncor = self._randint(self.n_cor, b, dev)
        a_fn, a_fp = fn.reshape(b, -1).sum(1).float(), fp.reshape(b, -1).sum(1).float()
        for j in range(self.n_cor[1]):
            # Each correction picks the false-negative or the false-positive region in proportion to its area.
            u = torch.rand(b, generator=self.gen, device=dev) * (a_fn + a_fp)
            positive = u < a_fn
            active = (ncor > j) & ((a_fn + a_fp) > 0)
            self._one(fn, active & positive, inter.pos)
            self._one(fp, active & ~positive, inter.neg)
        return inter


# ----- the evaluation protocol (paper §5.3 center clicks), on the CPU with SciPy ------------------------------

def component_center(region: np.ndarray):
    """region [H, W] bool -> (row, col) of the pixel farthest from the boundary of its largest component,
    or None if empty. The image border counts as boundary."""
    from scipy import ndimage
    if not region.any():
        return None
    lab, n = ndimage.label(region)
    if n > 1:
        sizes = np.bincount(lab.ravel())[1:]
        region = lab == (1 + int(np.argmax(sizes)))
    dist = ndimage.distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]
    r, c = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return int(r), int(c)


def center_click(y: np.ndarray, pred: Optional[np.ndarray]):
    """The next center click: (row, col, positive) or None when nothing is wrong. pred None = first click
    (center of the largest label component). Otherwise the largest error component of pred vs y decides:
    a missed region gets a positive click, a false alarm a negative one."""
    y = y.astype(bool)
    if pred is None:
        rc = component_center(y)
        return None if rc is None else (rc[0], rc[1], True)
    from scipy import ndimage
    err = y ^ pred.astype(bool)
    if not err.any():
        return None
    lab, n = ndimage.label(err)
    sizes = np.bincount(lab.ravel())[1:]
    comp = lab == (1 + int(np.argmax(sizes)))
    r, c = component_center(comp)
    return r, c, bool(y[r, c])
