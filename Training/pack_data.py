"""Packs shared/data into one compact archive for training (`.pack/`, ignored by git: never commit data).

    python3 Training/pack_data.py --data ../shared/data --out .pack/train128.npz.xz

Images are resized 256 -> --resolution with an antialiased bilinear filter (as the app's pre-processing),
masks by area > 50%. Every dataset is split 60/20/20 by subject (Training/train/split.py); the --heldout
datasets are marked split 3 and never reach training. Superpixel maps (Felzenszwalb, scale lambda ~ U[1, 500]
as paper App. C.2) are computed here once so training needs no scikit-image.
Needs Pillow and scikit-image (Training/requirements-train.txt).
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train.pack import SPLIT_CODES, save_pack  # noqa: E402
from train.split import split_ids  # noqa: E402

DEFAULT_HELDOUT = ("PH2", "CCA_US_Momot")


def read_grey(path: str, resolution: int) -> np.ndarray:
    from PIL import Image
    with Image.open(path) as im:
        im = im.convert("L")
        if im.size != (resolution, resolution):
            im = im.resize((resolution, resolution), Image.BILINEAR, reducing_gap=None)
        return np.asarray(im, dtype=np.uint8)


def read_mask(path: str, resolution: int) -> np.ndarray:
    from PIL import Image
    with Image.open(path) as im:
        m = (np.asarray(im.convert("L"), dtype=np.float32) > 127).astype(np.float32)
    h, w = m.shape
    if (h, w) != (resolution, resolution):
        if h % resolution == 0 and w % resolution == 0:
            f = h // resolution
            m = m.reshape(resolution, f, resolution, f).mean(axis=(1, 3))
        else:
            from PIL import Image as I
            m = np.asarray(I.fromarray((m * 255).astype(np.uint8)).resize((resolution, resolution), I.BILINEAR),
                           dtype=np.float32) / 255
    out = (m > 0.5).astype(np.uint8)
    if out.sum() == 0:  # a tiny structure vanished: keep its most covered pixel rather than an empty label
        out.flat[int(np.argmax(m))] = 1
    return out


def superpixels(image: np.ndarray, scale: float) -> np.ndarray:
    from skimage.segmentation import felzenszwalb
    seg = felzenszwalb(image.astype(np.float32) / 255.0, scale=scale, sigma=0.8, min_size=16)
    return seg.astype(np.uint16)


def discover(data: str):
    """[(dataset, task, [ids])] for every labelled task folder, sorted."""
    out = []
    for dataset in sorted(os.listdir(data)):
        droot = os.path.join(data, dataset)
        if dataset.startswith(("_", ".")) or dataset == "tools" or not os.path.isdir(droot):
            continue
        for task in sorted(os.listdir(droot)):
            troot = os.path.join(droot, task)
            if not os.path.isdir(os.path.join(troot, "images")) or not os.path.isdir(os.path.join(troot, "masks")):
                continue
            ids = sorted(f[:-4] for f in os.listdir(os.path.join(troot, "masks")) if f.endswith(".png"))
            out.append((dataset, task, ids))
    return out


def build(data: str, resolution: int, heldout, seed: int, max_unlabeled: int, log=print):
    rng = np.random.default_rng(seed)
    tasks = discover(data)
    datasets = sorted({d for d, _, _ in tasks})
    missing = [h for h in heldout if h not in datasets]
    if missing:
        raise SystemExit(f"held-out dataset(s) {missing} not found under {data}; choose among {datasets}")
    images, image_names, image_index = [], [], {}
    masks, ex_task, ex_image, ex_split = [], [], [], []
    task_names, task_dataset = [], []
    splits = {d: split_ids(d, [i for dd, _, ids in tasks if dd == d for i in ids]) for d in datasets}
    for t, (dataset, task, ids) in enumerate(tasks):
        task_names.append(f"{dataset}/{task}")
        task_dataset.append(datasets.index(dataset))
        for i in ids:
            key = f"{dataset}/{i}"
            if key not in image_index:
                image_index[key] = len(images)
                images.append(read_grey(os.path.join(data, dataset, task, "images", i + ".png"), resolution))
                image_names.append(key)
            masks.append(np.packbits(read_mask(os.path.join(data, dataset, task, "masks", i + ".png"), resolution)))
            ex_task.append(t)
            ex_image.append(image_index[key])
            ex_split.append(SPLIT_CODES["heldout"] if dataset in heldout else SPLIT_CODES[splits[dataset][i]])
        log(f"  {dataset}/{task}: {len(ids)} examples")
    ex_split = np.array(ex_split, np.int8)
    ex_image = np.array(ex_image, np.int32)
    # Synthetic tasks start from training-split images and the unlabelled pool only.
    synth = sorted(set(ex_image[ex_split == SPLIT_CODES["train"]].tolist()))
    unl_root = os.path.join(data, "_unlabeled")
    unl = []
    if os.path.isdir(unl_root):
        for source in sorted(os.listdir(unl_root)):
            iroot = os.path.join(unl_root, source, "images")
            if os.path.isdir(iroot) and source.split("_")[0] not in heldout:
                unl += [(source, f[:-4]) for f in sorted(os.listdir(iroot)) if f.endswith(".png")]
    if max_unlabeled and len(unl) > max_unlabeled:
        keep = rng.choice(len(unl), max_unlabeled, replace=False)
        unl = [unl[k] for k in sorted(keep)]
    for source, i in unl:
        image_index[f"_unlabeled/{source}/{i}"] = len(images)
        images.append(read_grey(os.path.join(unl_root, source, "images", i + ".png"), resolution))
        image_names.append(f"_unlabeled/{source}/{i}")
        synth.append(len(images) - 1)
    log(f"  unlabelled pool: {len(unl)} images; synthetic-task sources: {len(synth)}")
    t0 = time.time()
    scales = rng.uniform(1.0, 500.0, size=len(synth)).astype(np.float32)
    maps = np.stack([superpixels(images[k], float(s)) for k, s in zip(synth, scales)])
    log(f"  superpixels: {len(synth)} maps in {time.time() - t0:.0f} s, "
        f"median {int(np.median(maps.reshape(len(synth), -1).max(1))) + 1} segments")
    return {
        "images": np.stack(images).astype(np.uint8),
        "image_names": np.array(image_names),
        "masks": np.stack(masks).astype(np.uint8),
        "ex_task": np.array(ex_task, np.int32),
        "ex_image": ex_image,
        "ex_split": ex_split,
        "task_names": np.array(task_names),
        "task_dataset": np.array(task_dataset, np.int32),
        "dataset_names": np.array(datasets),
        "heldout": np.array([d in heldout for d in datasets]),
        "synth_image": np.array(synth, np.int32),
        "synth_maps": maps,
        "synth_scale": scales,
        "meta": np.array([f"resolution={resolution}", f"seed={seed}", f"source={os.path.abspath(data)}",
                          f"heldout={','.join(heldout)}", "felzenszwalb=sigma 0.8, min_size 16, scale U[1,500]"]),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join("..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(".pack", "train128.npz.xz"))
    ap.add_argument("--resolution", type=int, default=128)
    ap.add_argument("--heldout", nargs="+", default=list(DEFAULT_HELDOUT))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-unlabeled", type=int, default=0, help="cap on unlabelled images (0: all)")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.data):
        raise SystemExit(f"no data folder at {args.data}: pass --data /path/to/shared/data")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    t0 = time.time()
    arrays = build(args.data, args.resolution, tuple(args.heldout), args.seed, args.max_unlabeled)
    size = save_pack(arrays, args.out)
    n = arrays["ex_split"]
    print(f"wrote {args.out}: {size / 2**20:.1f} MiB, {len(arrays['images'])} images, {len(n)} examples "
          f"(train {int((n == 0).sum())}, val {int((n == 1).sum())}, test {int((n == 2).sum())}, "
          f"held-out {int((n == 3).sum())}), {len(arrays['task_names'])} tasks, "
          f"{len(arrays['synth_image'])} synthetic sources, {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
