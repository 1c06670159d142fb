"""The data split: subjects never straddle splits, held-out datasets never reach training."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from train.split import split_ids, subject_of  # noqa: E402
from train.pack import SPLIT_CODES, load_pack, save_pack, unpack_masks  # noqa: E402
from train.tasks import TaskSampler  # noqa: E402
from train_fixtures import tiny_pack  # noqa: E402


@pytest.mark.parametrize("dataset,image_id,subject", [
    ("LGG_kaggle3m", "TCGA_CS_4941_19960909_s11", "TCGA_CS_4941"),
    ("BraTS2015_DeepMedic", "pat0003_1_t1c_ax2_077", "pat0003"),
    ("LiverCT_mini", "flipped_10001_103", "10001"),
    ("MoNuSeg", "TCGA-18-5592-01Z-00-DX1_q10", "TCGA-18-5592-01Z-00-DX1"),
    ("DDTI", "case042_img1", "case042"),
    ("PH2", "IMD002", "IMD002"),          # no subject pattern: one subject per image
])
def test_subject_of_reads_the_ids(dataset, image_id, subject):
    assert subject_of(dataset, image_id) == subject


def test_split_keeps_each_subject_in_one_split_and_is_about_60_20_20():
    ids = [f"TCGA_AB_{p:04d}_19990101_s{s:02d}" for p in range(40) for s in range(5)]
    split = split_ids("LGG_kaggle3m", ids)
    by_subject = {}
    for i, s in split.items():
        by_subject.setdefault(subject_of("LGG_kaggle3m", i), set()).add(s)
    assert all(len(v) == 1 for v in by_subject.values()), "a subject is in two splits"
    counts = {k: sum(1 for v in split.values() if v == k) for k in ("train", "val", "test")}
    assert counts == {"train": 120, "val": 40, "test": 40}
    assert split == split_ids("LGG_kaggle3m", list(reversed(ids))), "the split must not depend on order"


def test_split_of_few_subjects_falls_back_to_images_with_three_nonempty_parts():
    ids = [f"s01_t{t:03d}" for t in range(6)] + [f"s02_t{t:03d}" for t in range(6)]
    split = split_ids("CTC_Fluo-C2DL-MSC", ids)
    assert {v for v in split.values()} == {"train", "val", "test"}


def test_tiny_task_still_gets_all_splits():
    split = split_ids("MedScribble", [f"im{i}" for i in range(5)])
    assert sorted(split.values()) == ["test", "train", "train", "train", "val"]


def test_pack_round_trip_and_heldout_never_sampled(tmp_path):
    pack = tiny_pack()
    path = str(tmp_path / "p.npz.xz")
    save_pack(pack, path)
    back = load_pack(path)
    assert set(back) == set(pack)
    np.testing.assert_array_equal(back["images"], pack["images"])
    masks = unpack_masks(back["masks"], 32)
    assert masks.shape == (30, 32, 32) and masks.max() == 1
    sampler = TaskSampler(back, "train", device="cpu", p_synth=0.0, augment_tasks=False)
    held_task = 2
    assert held_task not in {t for tasks in sampler.by_dataset.values() for t in tasks}
    train_images = set(back["ex_image"][back["ex_split"] == SPLIT_CODES["train"]].tolist())
    held_images = set(back["ex_image"][back["ex_split"] == SPLIT_CODES["heldout"]].tolist())
    for _ in range(50):
        assert set(sampler.ex_image[sampler.real_task(3)].tolist()) <= train_images
    assert not train_images & held_images
    assert not set(back["synth_image"]) & held_images, "synthetic tasks must not start from held-out images"


def test_pack_data_on_a_made_up_folder(tmp_path):
    pytest.importorskip("PIL")
    pytest.importorskip("skimage")
    from PIL import Image
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    import pack_data
    rng = np.random.default_rng(0)
    for dataset, task, ids in [("DDTI", "thyroid", [f"case{p:03d}_img{k}" for p in range(6) for k in (1, 2)]),
                               ("PH2", "lesion", [f"IMD{i:03d}" for i in range(5)])]:
        for sub in ("images", "masks"):
            os.makedirs(tmp_path / dataset / task / sub)
        for i in ids:
            img = rng.integers(0, 255, (64, 64)).astype(np.uint8)
            m = np.zeros((64, 64), np.uint8)
            m[20:40, 10:30] = 255
            Image.fromarray(img).save(tmp_path / dataset / task / "images" / f"{i}.png")
            Image.fromarray(m).save(tmp_path / dataset / task / "masks" / f"{i}.png")
    arrays = pack_data.build(str(tmp_path), 32, ("PH2",), 0, 0, log=lambda *_: None)
    assert arrays["images"].shape == (17, 32, 32)
    names = arrays["image_names"]
    split = arrays["ex_split"]
    assert all(split[k] == 3 for k in range(len(names)) if str(names[arrays["ex_image"][k]]).startswith("PH2/"))
    per_subject = {}
    for k in range(len(split)):
        n = str(names[arrays["ex_image"][k]])
        if n.startswith("DDTI/"):
            per_subject.setdefault(n.split("/")[1].split("_")[0], set()).add(int(split[k]))
    assert all(len(v) == 1 for v in per_subject.values())
    m = unpack_masks(arrays["masks"][:1], 32)[0]
    assert m[10:20, 5:15].all() and m.sum() == 100
