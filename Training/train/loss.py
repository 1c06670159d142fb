"""Segmentation loss of each interaction step: soft Dice + focal (gamma = 20), as the paper's ScribblePrompt
recipe; Algorithm 1 sums it over the steps. An optional plain binary cross-entropy term (nnU-Net's Dice + CE)
calibrates each pixel: with gamma = 20 the focal term all but vanishes for pixels that are not confidently
wrong, and soft Dice alone rewards unsure foreground, so an undertrained network paints a halo around the
target (Training/EXPERIMENTS.md, period 6).

    >>> loss = dice_focal_loss(logits, y)                   # logits, y [B, 1, H, W] -> scalar
    >>> loss = dice_focal_loss(logits, y, bce_weight=1.0)   # + 1.0 * mean pixel BCE
"""
import torch
import torch.nn.functional as F

FOCAL_GAMMA = 20.0


def soft_dice_loss(logits: torch.Tensor, y: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """[B, ...] -> [B]: 1 - (2 sum(p y) + eps) / (sum p + sum y + eps), p = sigmoid(logits)."""
    p = torch.sigmoid(logits.float()).flatten(1)
    t = y.float().flatten(1)
    return 1 - (2 * (p * t).sum(1) + eps) / (p.sum(1) + t.sum(1) + eps)


def focal_loss(logits: torch.Tensor, y: torch.Tensor, gamma: float = FOCAL_GAMMA) -> torch.Tensor:
    """[B, ...] -> [B]: mean over pixels of (1 - p_t)^gamma * BCE, p_t the probability of the true class."""
    bce = F.binary_cross_entropy_with_logits(logits.float(), y.float(), reduction="none")
    p_t = torch.exp(-bce)
    return ((1 - p_t) ** gamma * bce).flatten(1).mean(1)


def dice_focal_loss(logits: torch.Tensor, y: torch.Tensor, bce_weight: float = 0.0) -> torch.Tensor:
    """Mean over the batch of soft Dice + focal (+ bce_weight * the pixels' mean binary cross-entropy)."""
    loss = (soft_dice_loss(logits, y) + focal_loss(logits, y)).mean()
    if bce_weight:
        loss = loss + bce_weight * F.binary_cross_entropy_with_logits(logits.float(), y.float())
    return loss


def dice_score(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Binary Dice [B] of pred, y [B, ...] in {0, 1}; 1 when both are empty."""
    p, t = pred.float().flatten(1), y.float().flatten(1)
    inter, total = (p * t).sum(1), p.sum(1) + t.sum(1)
    return torch.where(total > 0, 2 * inter / total.clamp_min(1e-9), torch.ones_like(total))
