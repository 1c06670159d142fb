"""Soft Dice + focal loss, and the Dice metric, on hand-computable inputs."""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from train.loss import dice_focal_loss, dice_score, focal_loss, soft_dice_loss  # noqa: E402


def test_perfect_prediction_has_near_zero_loss():
    y = torch.zeros(2, 1, 8, 8)
    y[:, :, 2:6, 2:6] = 1
    logits = torch.where(y > 0, 30.0, -30.0)
    assert float(dice_focal_loss(logits, y)) < 1e-6


def test_soft_dice_of_half_probability_by_hand():
    y = torch.zeros(1, 1, 2, 2)
    y[0, 0, 0, 0] = 1
    # p = 0.5 everywhere: 1 - 2*0.5 / (2 + 1) = 2/3
    assert abs(float(soft_dice_loss(torch.zeros(1, 1, 2, 2), y)[0]) - 2 / 3) < 1e-5


def test_focal_gamma_20_by_hand():
    y = torch.tensor([[1.0, 0.0]])
    logits = torch.tensor([[-2.0, -2.0]])
    p1 = 1 / (1 + math.exp(2.0))                  # probability of the true class at the positive pixel
    expected = ((1 - p1) ** 20 * -math.log(p1) + (p1) ** 20 * -math.log(1 - p1)) / 2
    assert abs(float(focal_loss(logits, y, gamma=20)[0]) - expected) < 1e-6


def test_focal_ignores_easy_pixels_far_more_than_bce():
    y = torch.tensor([[0.0]])
    easy = float(focal_loss(torch.tensor([[-1.0]]), y))      # p_t = 0.73
    assert easy < 1e-10


def test_dice_score_values():
    a = torch.tensor([[1, 1, 0, 0]])
    b = torch.tensor([[1, 0, 0, 0]])
    assert abs(float(dice_score(a, b)[0]) - 2 / 3) < 1e-6
    z = torch.zeros(1, 4)
    assert float(dice_score(z, z)[0]) == 1.0
    assert float(dice_score(a, z)[0]) == 0.0


def test_bce_term_by_hand():
    # Logits 0 everywhere: p = 1/2, so every pixel's BCE is ln 2, and the term adds bce_weight * ln 2.
    y = torch.zeros(1, 1, 4, 4)
    y[..., :2, :] = 1
    logits = torch.zeros(1, 1, 4, 4)
    base = float(dice_focal_loss(logits, y))
    assert abs(float(dice_focal_loss(logits, y, bce_weight=0.5)) - (base + 0.5 * math.log(2))) < 1e-6
    # A halo of unsure foreground (p = 0.6 where y = 0) costs little under soft Dice + focal but clearly under BCE.
    halo = torch.where(y > 0, 4.0, math.log(0.6 / 0.4))
    sharp = torch.where(y > 0, 4.0, -4.0)
    gap_paper = float(dice_focal_loss(halo, y) - dice_focal_loss(sharp, y))
    gap_bce = float(dice_focal_loss(halo, y, 1.0) - dice_focal_loss(sharp, y, 1.0))
    assert gap_bce > gap_paper + 0.4
