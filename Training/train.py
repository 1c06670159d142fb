"""Trains the MultiverSeg CrossBlock UNet (paper Algorithm 1) on a pack made by pack_data.py.

Each call trains for at most --minutes and then checkpoints; call it again with the same --out to resume
(GPU machines: one call per ~9-minute slot). Examples:

    # CUDA, bf16 autocast, 128x128
    python3 Training/train.py --pack .pack/train128.npz.xz --out runs/gpu --device cuda --amp \\
        --batch 16 --max-context 16 --lr 1e-4 --minutes 9
    # CPU, low resolution first, then fine-tune at 128 from the best low-resolution model
    nice -n 10 python3 Training/train.py --pack .pack/train128.npz.xz --out runs/cpu64 --threads 2 \\
        --resolution 64 --batch 4 --max-context 8 --lr 5e-4 --minutes 60
    nice -n 10 python3 Training/train.py --pack .pack/train128.npz.xz --out runs/cpu128 --threads 2 \\
        --resolution 128 --init runs/cpu64/best.pt --minutes 15
"""
import argparse
import dataclasses
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train.loop import TrainConfig, run  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for f in dataclasses.fields(TrainConfig):
        name = "--" + f.name.replace("_", "-")
        if f.name == "phases":
            continue
        if f.type in ("bool", bool):
            ap.add_argument(name, action="store_true")
        elif f.name in ("pack", "out"):
            ap.add_argument(name, required=True)
        else:
            kind = {"int": int, "float": float, "str": str, "Optional[str]": str}.get(str(f.type), str) \
                if isinstance(f.type, str) else f.type
            if kind not in (int, float, str):
                kind = str
            ap.add_argument(name, type=kind, default=f.default)
    args = ap.parse_args(argv)
    cfg = TrainConfig(**{k: v for k, v in vars(args).items()})
    if cfg.device.startswith("cuda"):
        import torch
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda asked for, but torch sees no CUDA device: use --device cpu")
    run(cfg)


if __name__ == "__main__":
    main()
