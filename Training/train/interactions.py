"""Interaction simulation, batched on the device (paper §3.3 "Prompt Simulation", after ScribblePrompt).

State per example: box, positive and negative channels [B, H, W] in [0, 1], and the episode's prompt
*style*. Each episode draws one style, as a user keeps one way of working through an image:

- ``NONE``: no prompt in the first step (the pure in-context guess; only when there is a context), then
  click corrections;
- ``CLICKS``: clicks only (half of them a single click at the label's center), corrected by clicks, most
  of them at the center of the error region as the evaluation protocol and most users do;
- ``SCRIBBLES``: scribbles only, corrected by scribbles;
- ``BOX``: a bounding box (sometimes with one click), corrected by clicks;
- ``MIXED``: the paper's mix: 1-3 positive and 0-3 negative clicks or scribbles, a box with p = 0.5,
  corrected by 1-3 clicks or scribbles from the error region.

Why: with only the mixed style, an episode whose only prompts are clicks was rare (5.7%, a single click
1.8%) and the trained network ignored single clicks (Training/EXPERIMENTS.md).

    >>> sim = InteractionSimulator(gen)
    >>> state = sim.first_step(y, has_context=True)  # y [B, H, W] in {0, 1}
    >>> inp = target_input(x, state, prev_logits)      # [B, 5, H, W]
    >>> state = sim.correction_step(y, logits, state)
"""
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

NONE, CLICKS, SCRIBBLES, BOX, MIXED = range(5)
STYLE_NAMES = ("none", "clicks", "scribbles", "box", "mixed")
# Probabilities of NONE, CLICKS, SCRIBBLES, BOX, MIXED (NONE is redrawn as CLICKS without a context).
DEFAULT_STYLES = (0.15, 0.35, 0.15, 0.1, 0.25)


@dataclass
class Interactions:
    box: torch.Tensor   # [B, H, W]
    pos: torch.Tensor   # [B, H, W] positive clicks + scribbles
    neg: torch.Tensor   # [B, H, W] negative clicks + scribbles
    style: Optional[torch.Tensor] = None   # [B] long, the episode's prompt style (None: MIXED)

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


def deepest_points(region: torch.Tensor, gen: Optional[torch.Generator] = None):
    """region [B, H, W] bool -> (points [B, 1] flat index of a pixel farthest from the region's boundary in
    chessboard distance, ties broken at random; has [B] bool). A batched stand-in for the evaluation's center
    click (the distance-transform maximum of the largest component), by repeated 3x3 erosion; the image
    border counts as boundary."""
    b, h, w = region.shape
    cur = region.float()[:, None]
    depth = torch.zeros_like(cur)
    for _ in range((min(h, w) + 1) // 2):
        if not bool(cur.any()):
            break
        depth += cur
        cur = -F.max_pool2d(-F.pad(cur, (1, 1, 1, 1), value=0.0), 3, stride=1)
    noise = torch.rand(depth.shape, generator=gen, device=region.device) * 0.5
    score = torch.where(depth > 0, depth + noise, torch.zeros_like(depth)).reshape(b, -1)
    return score.argmax(1, keepdim=True), region.reshape(b, -1).any(1)


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
    """Random clicks, scribbles and boxes as in training (all batched; `gen` makes it reproducible).

    `styles` gives the probabilities of NONE, CLICKS, SCRIBBLES, BOX, MIXED; `(0, 0, 0, 0, 1)` is the
    paper's mix alone (this project's recipe before the click fix). `p_center` is the share of click
    corrections placed at the center of the error region rather than anywhere in it."""

    def __init__(self, gen: Optional[torch.Generator] = None, p_box: float = 0.5, p_scribble: float = 0.5,
                 n_pos=(1, 3), n_neg=(0, 3), n_cor=(1, 3), scribble_points=(2, 4),
                 styles: Sequence[float] = DEFAULT_STYLES, p_center: float = 0.7):
        self.gen, self.p_box, self.p_scribble = gen, p_box, p_scribble
        self.n_pos, self.n_neg, self.n_cor = n_pos, n_neg, n_cor
        self.scribble_points = scribble_points
        if len(styles) != 5 or min(styles) < 0 or sum(styles) <= 0:
            raise ValueError(f"styles must be 5 non-negative weights (none, clicks, scribbles, box, mixed), got {styles}")
        self.styles = torch.tensor([float(p) for p in styles]) / sum(styles)
        self.p_center = p_center

    def _randint(self, lo_hi, b, device):
        lo, hi = lo_hi
        return torch.randint(lo, hi + 1, (b,), generator=self.gen, device=device)

    def _rand(self, b, device):
        return torch.rand(b, generator=self.gen, device=device)

    def _one(self, region: torch.Tensor, active: torch.Tensor, out: torch.Tensor,
             p_scribble: Optional[torch.Tensor] = None) -> None:
        """Adds one click or scribble inside region [B, H, W] to out, where active [B] and region non-empty.
        p_scribble [B] overrides the simulator's scribble probability per example."""
        b, h, w = region.shape
        k = int(torch.randint(self.scribble_points[0], self.scribble_points[1] + 1, (1,), generator=self.gen,
                              device=region.device))
        pts, has = sample_points(region, k, self.gen)
        active = active & has
        p = p_scribble if p_scribble is not None else torch.full((b,), self.p_scribble, device=region.device)
        scribble = self._rand(b, region.device) < p
        line = polyline(pts, h, w) * region.float()       # the part of the stroke that stays in the region
        click = torch.zeros_like(out)
        draw_points(click, pts[:, :1], torch.ones_like(active))
        add = torch.where(scribble[:, None, None], torch.maximum(line, click), click)
        out += add * active.float()[:, None, None]
        out.clamp_(0, 1)

    def _styles(self, b: int, has_context: bool, device) -> torch.Tensor:
        style = torch.multinomial(self.styles.to(device).expand(b, -1), 1, generator=self.gen).flatten()
        if not has_context:
            # Without a context the first prediction needs a prompt: NONE episodes become click episodes.
            style = torch.where(style == NONE, torch.full_like(style, CLICKS), style)
        return style

    def first_step(self, y: torch.Tensor, has_context: bool = True) -> Interactions:
        """y [B, H, W] binary ground truth -> the first step's interactions (each example in its style)."""
        b, h, w = y.shape
        dev = y.device
        inter = Interactions.empty(b, h, w, dev)
        style = self._styles(b, has_context, dev)
        inter.style = style
        fg, bg = y > 0.5, y <= 0.5
        is_ = {k: style == k for k in range(5)}
        npos, nneg = self._randint(self.n_pos, b, dev), self._randint(self.n_neg, b, dev)
        single = is_[CLICKS] & (self._rand(b, dev) < 0.5)
        npos = torch.where(single, torch.ones_like(npos), npos)
        nneg = torch.where(single | is_[BOX], torch.zeros_like(nneg), nneg)
        # A box episode gets one extra click inside the box one time in three.
        npos = torch.where(is_[BOX], (self._rand(b, dev) < 1 / 3).long(), npos)
        npos = torch.where(is_[NONE], torch.zeros_like(npos), npos)
        nneg = torch.where(is_[NONE], torch.zeros_like(nneg), nneg)
        p_scr = torch.where(is_[SCRIBBLES], 1.0, torch.where(is_[MIXED], self.p_scribble, 0.0))
        center, has = deepest_points(fg, self.gen)
        draw_points(inter.pos, center, single & has)
        for j in range(self.n_pos[1]):
            self._one(fg, (npos > j) & ~single, inter.pos, p_scr)
        for j in range(self.n_neg[1]):
            self._one(bg, nneg > j, inter.neg, p_scr)
        use_box = is_[BOX] | (is_[MIXED] & (self._rand(b, dev) < self.p_box))
        inter.box = bounding_box(fg, self.gen) * use_box.float()[:, None, None]
        return inter

    def correction_step(self, y: torch.Tensor, logits: torch.Tensor, inter: Interactions) -> Interactions:
        """Adds corrections inside the error region of logits [B, H, W] (> 0 is foreground): one click (most
        at the error's center) for click-corrected styles, 1-3 scribbles for SCRIBBLES, 1-3 clicks or
        scribbles for MIXED. A missed pixel gets a positive correction, a false alarm a negative one."""
        b, h, w = y.shape
        dev = y.device
        pred = logits.reshape(b, h, w) > 0
        fn, fp = (y > 0.5) & ~pred, (y <= 0.5) & pred
        style = inter.style if inter.style is not None else torch.full((b,), MIXED, device=dev, dtype=torch.long)
        inter = Interactions(inter.box.clone(), inter.pos.clone(), inter.neg.clone(), style)
        by_click = (style == NONE) | (style == CLICKS) | (style == BOX)
        ncor = torch.where(by_click, torch.ones_like(style), self._randint(self.n_cor, b, dev))
        # Center click: the deepest pixel of the whole error region; its label decides the sign.
        err = fn | fp
        center, has = deepest_points(err, self.gen)
        at_center = by_click & has & (self._rand(b, dev) < self.p_center)
        positive_center = y.reshape(b, -1).gather(1, center)[:, 0] > 0.5
        draw_points(inter.pos, center, at_center & positive_center)
        draw_points(inter.neg, center, at_center & ~positive_center)
        p_scr = torch.where(style == SCRIBBLES, 1.0, torch.where(style == MIXED, self.p_scribble, 0.0))
        a_fn, a_fp = fn.reshape(b, -1).sum(1).float(), fp.reshape(b, -1).sum(1).float()
        for j in range(self.n_cor[1]):
            # Each correction picks the false-negative or the false-positive region in proportion to its area.
            u = self._rand(b, dev) * (a_fn + a_fp)
            positive = u < a_fn
            active = (ncor > j) & ((a_fn + a_fp) > 0) & ~at_center
            self._one(fn, active & positive, inter.pos, p_scr)
            self._one(fp, active & ~positive, inter.neg, p_scr)
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
