"""The interaction simulator: clicks and scribbles land where they should, with the right sign."""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from train.interactions import (BOX, CLICKS, MIXED, NONE, SCRIBBLES, InteractionSimulator, Interactions,  # noqa: E402
                                bounding_box, center_click, component_center, deepest_points, polyline,
                                target_input)

PAPER_MIX = (0, 0, 0, 0, 1)


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
    sim = InteractionSimulator(torch.Generator().manual_seed(1), styles=PAPER_MIX)
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
    sim = InteractionSimulator(torch.Generator().manual_seed(3), styles=PAPER_MIX)
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


def test_styles_make_click_only_episodes_common():
    y = _labels(b=64, h=48, w=48, seed=6)
    sim = InteractionSimulator(torch.Generator().manual_seed(7))
    counts = {k: 0 for k in range(5)}
    for _ in range(8):
        inter = sim.first_step(y, has_context=True)
        for i in range(len(y)):
            style = int(inter.style[i])
            counts[style] += 1
            pos, neg, box = inter.pos[i], inter.neg[i], inter.box[i]
            if style == NONE:
                assert pos.sum() == 0 and neg.sum() == 0 and box.sum() == 0, "no prompt at all"
            if style == CLICKS:
                # At most 3 clicks each way, one pixel each: no stroke (a scribble crosses the label).
                assert box.sum() == 0 and 1 <= pos.sum() <= 3 and neg.sum() <= 3
            if style == SCRIBBLES:
                assert box.sum() == 0 and pos.sum() >= 1
            if style == BOX:
                assert box.sum() > 0 and neg.sum() == 0 and pos.sum() <= 1
    total = sum(counts.values())
    assert counts[CLICKS] / total > 0.25, f"click-only episodes are common: {counts}"
    assert all(counts[k] > 0 for k in (NONE, SCRIBBLES, BOX, MIXED)), counts


def test_no_prompt_free_episode_without_a_context():
    y = _labels(b=64, seed=8)
    sim = InteractionSimulator(torch.Generator().manual_seed(9), styles=(1, 0, 0, 0, 0))
    inter = sim.first_step(y, has_context=False)
    assert bool((inter.style == CLICKS).all())
    assert bool((inter.pos.flatten(1).sum(1) >= 1).all())


def test_deepest_point_is_the_center_of_a_square_and_respects_the_border():
    r = torch.zeros(2, 11, 11, dtype=torch.bool)
    r[0, 2:9, 1:8] = True                     # 7x7 square, center (5, 4)
    r[1, :, :] = True                         # the whole image: its center, the border is boundary
    pts, has = deepest_points(r, torch.Generator().manual_seed(0))
    assert has.tolist() == [True, True]
    assert divmod(int(pts[0, 0]), 11) == (5, 4) and divmod(int(pts[1, 0]), 11) == (5, 5)
    _, has = deepest_points(torch.zeros(1, 5, 5, dtype=torch.bool))
    assert has.tolist() == [False]


def test_click_corrections_are_one_center_click_of_the_right_sign():
    y = torch.zeros(1, 20, 20)
    y[0, 2:9, 2:9] = 1                        # the label
    logits = torch.full((1, 20, 20), -5.0)    # nothing predicted: the error is the whole label
    sim = InteractionSimulator(torch.Generator().manual_seed(1), p_center=1.0)
    before = Interactions.empty(1, 20, 20, "cpu")
    before.style = torch.tensor([CLICKS])
    after = sim.correction_step(y, logits, before)
    assert after.pos.sum() == 1 and after.neg.sum() == 0 and after.pos[0, 5, 5] == 1
    alarm = torch.where(y > 0, 5.0, -5.0)
    alarm[0, 12:19, 12:19] = 5.0              # a false alarm, center (15, 15)
    again = sim.correction_step(y, alarm, after)
    assert again.neg.sum() == 1 and again.neg[0, 15, 15] == 1 and torch.equal(again.pos, after.pos)
    assert bool((again.style == CLICKS).all()), "the episode keeps its style"
