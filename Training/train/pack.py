"""The packed training archive: one lzma-compressed .npz holding everything a run needs (uint8 images at
the pack resolution, bit-packed masks, the split, superpixel maps for synthetic tasks).

Layout of the arrays (R = resolution):
    images        uint8  [I, R, R]      every distinct image once (labelled sets, then the unlabelled pool)
    image_names   str    [I]            "dataset/id" (unlabelled: "_unlabeled/source/id")
    masks         uint8  [E, R*R/8]     np.packbits of the binary mask of each example
    ex_task       int32  [E]            task index of each example
    ex_image      int32  [E]            image index of each example
    ex_split      int8   [E]            0 train, 1 val, 2 test, 3 held-out dataset
    task_names    str    [T]            "dataset/task"
    task_dataset  int32  [T]            dataset index of each task
    dataset_names str    [D]
    heldout       bool   [D]            True for the datasets kept out of training
    synth_image   int32  [S]            images that synthetic tasks may start from (train split + unlabelled)
    synth_maps    uint16 [S, R, R]      a Felzenszwalb superpixel map of each, segment ids 0..k-1
    synth_scale   float32[S]            the scale parameter lambda each map was made with
    meta          str    [K]            "key=value" facts (resolution, sources, seed)

    >>> pack = load_pack(".pack/train128.npz.xz")
    >>> pack["images"].shape
"""
import io
import lzma
from typing import Dict

import numpy as np

SPLIT_CODES = {"train": 0, "val": 1, "test": 2, "heldout": 3}


def save_pack(arrays: Dict[str, np.ndarray], path: str) -> int:
    """Writes the arrays as an .npz inside an xz stream (xz packs the masks and maps far better than zip)."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = lzma.compress(buf.getvalue(), preset=9 | lzma.PRESET_EXTREME)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def load_pack(path: str) -> Dict[str, np.ndarray]:
    """Reads a pack written by save_pack (an uncompressed .npz is accepted too)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:6] == b"\xfd7zXZ\x00":
        raw = lzma.decompress(raw)
    with np.load(io.BytesIO(raw), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def unpack_masks(packed: np.ndarray, resolution: int) -> np.ndarray:
    """[E, R*R/8] bits -> uint8 [E, R, R] in {0, 1}."""
    bits = np.unpackbits(packed, axis=-1, count=resolution * resolution)
    return bits.reshape(-1, resolution, resolution)
