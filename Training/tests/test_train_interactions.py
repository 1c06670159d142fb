"""The interaction simulator: clicks and scribbles land where they should, with the right sign."""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from train.interactions import (InteractionSimulator, Interactions, bounding_box, center_click, component_center,  # noqa: E402
                                polyline, target_input)


def _labels(b=16, h=32, w=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.zeros(b, h, w)
    for i in range(b):
        y0, x0 = torch.randint(2, 14, (2,), generator=g).tolist()
        s = int(torch.randint(4, 14, (1,), generator=g))
        y[i, y0:y0 + s, x0:x0 + s] = 1
    return y


def test_first_step_positives_on_label_negatives_off_it():
    y = _labels()
    sim = InteractionSimulator(torch.Generator().manual_seed(1))
    inter = sim.first_step(y)
    assert float((inter.pos * (1 - y)).sum()) == 0
    assert float((inter.neg * y).sum()) == 0
    assert bool((inter.pos.flatten(1).sum(1) >= 1).all()), "at least one positive interaction"
    assert set(inter.pos.unique().tolist()) <= {0.0, 1.0}
    for box, lab in zip(inter.box, y):
        if box.sum() == 0:
            continue
        rows, cols = box.any(1), box.any(0)
        assert torch.equal(box, (rows[:, None] & cols[None, :]).float()), "a box is one filled rectangle"
        assert float((box * lab).sum()) > 0, "the box overlaps its label"
    assert 0 < int((inter.box.flatten(1).sum(1) > 0).sum()) < len(y), "boxes are drawn for some examples only"


def test_corrections_land_in_the_error_region_with_the_right_sign():
    y = _labels(seed=2)
    logits = torch.where(torch.roll(y, 3, dims=2) > 0, 5.0, -5.0)     # shifted: both misses and false alarms
    sim = InteractionSimulator(torch.Generator().manual_seed(3))
    before = Interactions.empty(*y.shape, "cpu")
    after = sim.correction_step(y, logits, before)
    new_pos, new_neg = after.pos - before.pos, after.neg - before.neg
    pred = logits > 0
    fn, fp = (y > 0) & ~pred, (y == 0) & pred
    assert float(new_pos[~fn].clamp_min(0).sum()) == 0, "positive corrections only on missed pixels"
    assert float(new_neg[~fp].clamp_min(0).sum()) == 0, "negative corrections only on false alarms"
    assert bool(((new_pos + new_neg).flatten(1).sum(1) >= 1).all()), "every example gets a correction"


def test_no_correction_when_prediction_is_perfect():
    y = _labels(seed=4)
    sim = InteractionSimulator(torch.Generator().manual_seed(5))
    before = sim.first_step(y)
    after = sim.correction_step(y, torch.where(y > 0, 4.0, -4.0), before)
    assert torch.equal(after.pos, before.pos) and torch.equal(after.neg, before.neg)


def test_bounding_box_is_tight_without_jitter():
    y = torch.zeros(1, 10, 10)
    y[0, 2:5, 3:8] = 1
    box = bounding_box(y > 0, jitter=0.0)
    assert torch.equal(box, y)


def test_polyline_joins_its_points():
    pts = torch.tensor([[0 * 8 + 0, 0 * 8 + 7, 7 * 8 + 7]])
    line = polyline(pts, 8, 8)[0]
    assert line[0].sum() == 8 and line[:, 7].sum() == 8 and line.sum() == 15


def test_target_input_channel_order():
    x = torch.full((1, 4, 4), 0.25)
    inter = InteractionSimulator(torch.Generator().manual_seed(0)).first_step(torch.ones(1, 4, 4))
    prev = torch.full((1, 4, 4), -3.0)
    t = target_input(x, inter, prev)
    assert t.shape == (1, 5, 4, 4)
    assert torch.equal(t[:, 0], x) and torch.equal(t[:, 2], inter.pos) and torch.equal(t[:, 4], prev)


def test_center_click_protocol():
    y = np.zeros((20, 20), bool)
    y[2:9, 2:9] = True          # big component, center (5, 5)
    y[15:17, 15:17] = True      # small one
    assert component_center(y) == (5, 5)
    assert center_click(y, np.zeros_like(y)) == (5, 5, True)
    pred = y.copy()
    pred[10:19, 0:9] = True     # a large false alarm
    r, c, positive = center_click(y, pred)
    assert not positive and pred[r, c] and not y[r, c] and (r, c) == (14, 4)
    assert center_click(y, y) is None
