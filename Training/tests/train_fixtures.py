"""Tiny made-up data for the training tests (no shared/ data needed): a pack of geometric shapes."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from train.pack import SPLIT_CODES  # noqa: E402


def disk(r: int, cy: float, cx: float, rad: float) -> np.ndarray:
    yy, xx = np.mgrid[:r, :r]
    return ((yy - cy) ** 2 + (xx - cx) ** 2 <= rad ** 2).astype(np.uint8)


def tiny_pack(resolution: int = 32, per_task: int = 10, seed: int = 0):
    """Two training datasets (a bright-disk task and a dark-square task) plus one held-out dataset; every
    image has a 4-region superpixel map (its quadrants)."""
    rng = np.random.default_rng(seed)
    r = resolution
    images, masks, ex_task, ex_image, ex_split, names = [], [], [], [], [], []
    specs = [("Disks", "disk", 0), ("Squares", "square", 1), ("Held", "disk", 2)]
    splits = ["train"] * 6 + ["val"] * 2 + ["test"] * 2
    for t, (dataset, kind, d) in enumerate(specs):
        for i in range(per_task):
            cy, cx, rad = rng.uniform(r * 0.3, r * 0.7, 2).tolist() + [rng.uniform(r * 0.12, r * 0.25)]
            if kind == "disk":
                m = disk(r, cy, cx, rad)
                img = 60 + 150 * m + rng.integers(0, 30, (r, r))
            else:
                m = np.zeros((r, r), np.uint8)
                a = int(rad)
                m[int(cy) - a:int(cy) + a, int(cx) - a:int(cx) + a] = 1
                img = 200 - 150 * m + rng.integers(0, 30, (r, r))
            images.append(np.clip(img, 0, 255).astype(np.uint8))
            masks.append(np.packbits(m))
            ex_task.append(t)
            ex_image.append(len(images) - 1)
            ex_split.append(SPLIT_CODES["heldout"] if dataset == "Held" else SPLIT_CODES[splits[i % 10]])
            names.append(f"{dataset}/{i:03d}")
    ex_split = np.array(ex_split, np.int8)
    synth = np.array([ex_image[k] for k in range(len(ex_image)) if ex_split[k] == 0], np.int32)
    quad = np.zeros((r, r), np.uint16)
    quad[: r // 2, r // 2:], quad[r // 2:, : r // 2], quad[r // 2:, r // 2:] = 1, 2, 3
    return {
        "images": np.stack(images), "image_names": np.array(names), "masks": np.stack(masks),
        "ex_task": np.array(ex_task, np.int32), "ex_image": np.array(ex_image, np.int32), "ex_split": ex_split,
        "task_names": np.array([f"{d}/{k}" for d, k, _ in specs]), "task_dataset": np.array([0, 1, 2], np.int32),
        "dataset_names": np.array(["Disks", "Squares", "Held"]), "heldout": np.array([False, False, True]),
        "synth_image": synth, "synth_maps": np.stack([quad] * len(synth)),
        "synth_scale": np.full(len(synth), 100.0, np.float32), "meta": np.array([f"resolution={r}"]),
    }
