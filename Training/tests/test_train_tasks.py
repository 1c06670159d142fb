"""Synthetic task generator and augmentations."""
import dataclasses
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from train.augment import SYNTHETIC, TASK, WITHIN_TASK, AugmentSpec, augment, gaussian_kernels, blur, sobel_edges  # noqa: E402
from train.tasks import TaskSampler  # noqa: E402
from train_fixtures import tiny_pack  # noqa: E402

OFF = AugmentSpec(0, (0, 0), 0, (1, 1), 0, (0, 0), (1, 1), 0, (1, 1), (7, 7), 0, 0, (1, 1), 0, (0, 0), (0, 0))


def test_synthetic_label_is_one_whole_superpixel():
    pack = tiny_pack()
    sampler = TaskSampler(pack, "train", device="cpu", p_synth=1.0, seed=0)
    img, labels = sampler.synthetic_labels(20)
    quad = torch.from_numpy(pack["synth_maps"][0].astype(np.int64))
    for lab in labels:
        ids = quad[lab > 0].unique()
        assert len(ids) == 1, "a synthetic label must be exactly one superpixel"
        assert torch.equal(lab > 0, quad == ids[0])
    assert set(img.tolist()) <= set(pack["synth_image"].tolist())


def test_synthetic_batch_without_augmentation_repeats_one_task():
    sampler = TaskSampler(tiny_pack(), "train", device="cpu", p_synth=1.0, augment_tasks=False, seed=1)
    x, y = sampler.batch(3, 4)
    assert x.shape == (3, 5, 1, 32, 32) and y.shape == x.shape
    for b in range(3):
        for m in range(1, 5):
            assert torch.equal(x[b, m], x[b, 0]) and torch.equal(y[b, m], y[b, 0])


def test_augmented_batch_is_in_range_binary_and_nonempty_target():
    sampler = TaskSampler(tiny_pack(), "train", resolution=16, device="cpu", p_synth=0.5, seed=2)
    g = torch.Generator().manual_seed(0)
    for n in (0, 3):
        x, y = sampler.batch(6, n, g)
        assert x.shape == (6, n + 1, 1, 16, 16)
        assert float(x.min()) >= 0 and float(x.max()) <= 1
        assert set(y.unique().tolist()) <= {0.0, 1.0}
        assert bool((y[:, 0].flatten(1).sum(1) > 0).all()), "every target keeps a label"


def test_within_task_parameters_differ_but_task_parameters_are_shared():
    x = torch.rand(8, 1, 16, 16)
    y = (torch.rand(8, 1, 16, 16) > 0.5).float()
    flip_only = dataclasses.replace(OFF, p_hflip=1.0)
    xa, ya = augment(x, y, flip_only, torch.Generator().manual_seed(0), group=4)
    assert torch.allclose(xa, x.flip(-1), atol=1e-5) and torch.equal(ya, y.flip(-1))
    invert_half = dataclasses.replace(OFF, p_invert=0.5)
    g = torch.Generator().manual_seed(3)
    xa, _ = augment(x, y, invert_half, g, group=4)
    inverted = [bool(torch.allclose(xa[k], 1 - x[k])) for k in range(8)]
    assert inverted[:4] == [inverted[0]] * 4 and inverted[4:] == [inverted[4]] * 4


def test_identity_when_every_augmentation_is_off():
    x = torch.rand(5, 1, 12, 12)
    y = (torch.rand(5, 1, 12, 12) > 0.5).float()
    xa, ya = augment(x, y, OFF)
    assert torch.allclose(xa, x) and torch.equal(ya, y)


def test_blur_keeps_constants_and_sobel_outlines_a_square():
    k = gaussian_kernels(torch.tensor([1.0, 0.5]), 5)
    assert torch.allclose(k.sum(1), torch.ones(2))
    c = torch.full((2, 1, 9, 9), 0.3)
    assert torch.allclose(blur(c, k), c, atol=1e-6)
    sq = torch.zeros(1, 1, 9, 9)
    sq[0, 0, 3:6, 3:6] = 1
    e = sobel_edges(sq)[0, 0]
    assert e[4, 4] == 0 and e[3, 3] == 1 and e[0, 0] == 0 and e[4, 2] == 1


def test_paper_tables_probabilities():
    assert SYNTHETIC.p_affine == 0.8 and SYNTHETIC.scale == (0.9, 1.5) and SYNTHETIC.elastic_alpha == (1, 10)
    assert WITHIN_TASK.p_elastic == 0.8 and WITHIN_TASK.p_hflip == 0.0
    assert TASK.degrees == (0, 360) and TASK.p_sobel_label == 0.5 and TASK.p_invert == 0.5
