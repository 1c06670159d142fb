"""Task sampling for Algorithm 1: hierarchical (dataset, then task, then images) over real tasks, and
synthetic tasks from superpixels (paper App. C.2) with probability p_synth; then the augmentations.

A batch is B tasks sharing one context size n: x, y [B, 1 + n, 1, H, W], entry 0 the target.

    >>> sampler = TaskSampler(load_pack(path), split="train", resolution=64, device="cuda")
    >>> x, y = sampler.batch(8, n=4, gen=torch_gen)
"""
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

from .augment import SYNTHETIC, TASK, WITHIN_TASK, augment
from .pack import SPLIT_CODES, unpack_masks

MIN_SEGMENT_FRACTION = 0.005  # superpixels smaller than this share of the image are not used as labels


class TaskSampler:
    """Holds one split of a pack on the device and draws augmented tasks from it."""

    def __init__(self, pack: Dict[str, np.ndarray], split: str = "train", resolution: Optional[int] = None,
                 device="cpu", p_synth: float = 0.5, augment_tasks: bool = True, seed: int = 0):
        self.device = torch.device(device)
        self.pack_resolution = int(pack["images"].shape[-1])
        self.resolution = resolution or self.pack_resolution
        self.p_synth = p_synth if split == "train" else 0.0
        self.augment_tasks = augment_tasks
        self.rng = np.random.default_rng(seed)
        code = SPLIT_CODES[split]
        sel = np.flatnonzero(pack["ex_split"] == code)
        if len(sel) == 0:
            raise ValueError(f"the pack has no examples in split {split!r}")
        self.images = torch.from_numpy(pack["images"]).to(self.device)
        self.masks = torch.from_numpy(unpack_masks(pack["masks"][sel], self.pack_resolution)).to(self.device)
        self.ex_image = pack["ex_image"][sel]
        self.ex_image_t = torch.from_numpy(self.ex_image.astype(np.int64)).to(self.device)
        ex_task = pack["ex_task"][sel]
        self.task_names = [str(t) for t in pack["task_names"]]
        task_dataset = pack["task_dataset"]
        # dataset -> task -> row indices into self.masks
        self.by_dataset: Dict[int, Dict[int, np.ndarray]] = {}
        for t in np.unique(ex_task):
            rows = np.flatnonzero(ex_task == t)
            self.by_dataset.setdefault(int(task_dataset[t]), {})[int(t)] = rows
        self.datasets: List[int] = sorted(self.by_dataset)
        self.synth_image = pack["synth_image"]
        self.synth_maps = None
        if self.p_synth > 0 and len(self.synth_image):
            self.synth_maps = torch.from_numpy(pack["synth_maps"].astype(np.int32)).to(self.device)

    def _resize(self, t: torch.Tensor, is_mask: bool) -> torch.Tensor:
        if self.resolution == self.pack_resolution:
            return t
        t = F.interpolate(t, size=(self.resolution, self.resolution), mode="area")
        return (t > 0.5).float() if is_mask else t

    def real_task(self, n: int, dataset: Optional[int] = None, task: Optional[int] = None) -> np.ndarray:
        """Rows (target first, then n context entries) of one real task, drawn hierarchically."""
        d = dataset if dataset is not None else self.datasets[self.rng.integers(len(self.datasets))]
        tasks = sorted(self.by_dataset[d])
        t = task if task is not None else tasks[self.rng.integers(len(tasks))]
        rows = self.by_dataset[d][t]
        target = rows[self.rng.integers(len(rows))]
        others = rows[rows != target] if len(rows) > 1 else rows
        ctx = self.rng.choice(others, n, replace=len(others) < n)
        return np.concatenate([[target], ctx]).astype(np.int64)

    def synthetic_labels(self, count: int):
        """count (image index, binary label [R, R]) pairs: one random superpixel of a random source image."""
        picks = self.rng.integers(len(self.synth_image), size=count)
        maps = self.synth_maps[torch.from_numpy(picks).to(self.device)]              # [count, R, R]
        r2 = maps.shape[-1] * maps.shape[-2]
        labels = []
        for k in range(count):
            areas = torch.bincount(maps[k].flatten())
            ok = torch.nonzero(areas >= MIN_SEGMENT_FRACTION * r2).flatten()
            if len(ok) == 0:
                ok = torch.argmax(areas)[None]
            c = ok[int(self.rng.integers(len(ok)))]
            labels.append(maps[k] == c)
        return self.synth_image[picks], torch.stack(labels).float()

    def batch(self, b: int, n: int, gen: Optional[torch.Generator] = None):
        """B tasks with n context entries: x, y [B, 1 + n, 1, R, R] float on the device, augmented."""
        m = n + 1
        synth = self.rng.random(b) < self.p_synth if self.synth_maps is not None else np.zeros(b, bool)
        xs = torch.empty((b, m, 1, self.pack_resolution, self.pack_resolution), device=self.device)
        ys = torch.empty_like(xs)
        for i in np.flatnonzero(~synth):
            rows = torch.from_numpy(self.real_task(n)).to(self.device)
            xs[i, :, 0] = self.images[self.ex_image_t[rows]].float() / 255
            ys[i, :, 0] = self.masks[rows].float()
        idx = np.flatnonzero(synth)
        if len(idx):
            img, lab = self.synthetic_labels(len(idx))
            it = torch.from_numpy(idx).to(self.device)
            xs[it] = (self.images[torch.from_numpy(img).to(self.device)].float() / 255)[:, None, None].expand(-1, m, 1, -1, -1)
            ys[it] = lab[:, None, None].expand(-1, m, 1, -1, -1)
        r = self.resolution
        x = self._resize(xs.reshape(b * m, 1, *xs.shape[-2:]), False)
        y = self._resize(ys.reshape(b * m, 1, *ys.shape[-2:]), True)
        if self.augment_tasks:
            x0, y0 = x, y
            if len(idx):
                sel = (torch.from_numpy(synth).to(self.device)[:, None].expand(b, m).reshape(-1))
                xa, ya = augment(x, y, SYNTHETIC, gen)
                x = torch.where(sel[:, None, None, None], xa, x)
                y = torch.where(sel[:, None, None, None], ya, y)
            x, y = augment(x, y, WITHIN_TASK, gen)
            x, y = augment(x, y, TASK, gen, group=m)
            # A task whose target label left the frame teaches nothing: fall back to the plain task.
            empty = (y.reshape(b, m, -1)[:, 0].sum(-1) == 0)[:, None].expand(b, m).reshape(-1)
            x = torch.where(empty[:, None, None, None], x0, x)
            y = torch.where(empty[:, None, None, None], y0, y)
        return x.reshape(b, m, 1, r, r), y.reshape(b, m, 1, r, r)
