"""Batched augmentations on the device (paper App. C.2 Table 4, App. C.3 Table 5), all in torch.

Images x and masks y are [K, 1, H, W] float in [0, 1]. Each augmentation is applied to a random subset of
the K images (probability p each) with parameters drawn per image; task augmentations draw parameters per
task and repeat them over the task's entries (`per_task`). Geometric ones move the mask with the image
(bilinear, then threshold 0.5); intensity ones leave the mask alone.

    >>> x, y = augment(x, y, WITHIN_TASK, gen)                 # every image its own parameters
    >>> x, y = augment(x, y, TASK, gen, group=n_entries)       # one draw per task of n_entries images
"""
import math
from dataclasses import dataclass
from typing import Optional, Tuple

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentSpec:
    """Probabilities and ranges of one table (0 probability switches an augmentation off)."""
    p_affine: float
    degrees: Tuple[float, float]
    translate: float          # max shift as a fraction of the size, each axis
    scale: Tuple[float, float]
    p_brightness_contrast: float
    brightness: Tuple[float, float]
    contrast: Tuple[float, float]
    p_elastic: float
    elastic_alpha: Tuple[float, float]
    elastic_sigma: Tuple[float, float]   # pixels at 128x128
    p_sharpness: float
    p_blur: float
    blur_sigma: Tuple[float, float]
    p_noise: float
    noise_mean: Tuple[float, float]
    noise_std: Tuple[float, float]
    p_hflip: float = 0.0
    p_vflip: float = 0.0
    p_sobel_label: float = 0.0
    p_invert: float = 0.0


# Table 4: heavy augmentations that turn one image + superpixel label into a synthetic task.
SYNTHETIC = AugmentSpec(0.8, (-25, 25), 0.2, (0.9, 1.5), 0.5, (-0.1, 0.1), (0.5, 1.5), 0.8, (1, 10), (8, 15),
                        0.5, 0.5, (0.1, 1.5), 0.5, (0, 0.05), (0, 0.05), p_hflip=0.5, p_vflip=0.5)
# Table 5a: within-task, per image.
WITHIN_TASK = AugmentSpec(0.25, (-25, 25), 0.1, (0.9, 1.1), 0.25, (-0.1, 0.1), (0.5, 1.5), 0.8, (1, 2.5), (7, 9),
                          0.25, 0.25, (0.1, 1.0), 0.25, (0, 0.05), (0, 0.05))
# Table 5b: task augmentations, one draw per task.
TASK = AugmentSpec(0.5, (0, 360), 0.2, (0.8, 1.1), 0.5, (-0.1, 0.1), (0.8, 1.2), 0.5, (1, 2), (6, 8),
                   0.5, 0.5, (0.1, 1.1), 0.5, (0, 0.05), (0, 0.05), p_hflip=0.5, p_vflip=0.5,
                   p_sobel_label=0.5, p_invert=0.5)


def _uniform(lo_hi, k, gen, device):
    lo, hi = lo_hi
    return lo + (hi - lo) * torch.rand(k, generator=gen, device=device)


def _coin(p, k, gen, device):
    return torch.rand(k, generator=gen, device=device) < p


def gaussian_kernels(sigma: torch.Tensor, size: int = 5) -> torch.Tensor:
    """sigma [K] -> normalised 1D kernels [K, size] (the k = 5 Gaussian blur of the tables)."""
    r = torch.arange(size, device=sigma.device, dtype=torch.float32) - (size - 1) / 2
    k = torch.exp(-0.5 * (r[None] / sigma[:, None].clamp_min(1e-3)) ** 2)
    return k / k.sum(1, keepdim=True)


def blur(x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """x [K, 1, H, W], kernels [K, s] -> separable per-image blur with reflect padding, [K, 1, H, W]."""
    k, _, h, w = x.shape
    s = kernels.shape[1]
    xs = F.pad(x.reshape(1, k, h, w), (s // 2, s // 2, s // 2, s // 2), mode="reflect")
    xs = F.conv2d(xs, kernels.reshape(k, 1, 1, s), groups=k)
    xs = F.conv2d(xs, kernels.reshape(k, 1, s, 1), groups=k)
    return xs.reshape(k, 1, h, w)


def sharpen(x: torch.Tensor, factor: float = 5.0) -> torch.Tensor:
    """torchvision-style adjust_sharpness: blend with a 3x3 smoothed copy, factor 5 extrapolates away from it."""
    kernel = torch.tensor([[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [1.0, 1.0, 1.0]], device=x.device) / 13.0
    smooth = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel[None, None])
    return (smooth + factor * (x - smooth)).clamp(0, 1)


def sobel_edges(y: torch.Tensor) -> torch.Tensor:
    """Binary mask [K, 1, H, W] -> its boundary (Sobel magnitude > 0), the 'Sobel Edges Label' task change."""
    gx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], device=y.device)
    w = torch.stack([gx, gx.t()])[:, None]
    g = F.conv2d(F.pad(y, (1, 1, 1, 1), mode="replicate"), w)
    return (g.pow(2).sum(1, keepdim=True) > 0.5).float()


def _expand(v: torch.Tensor, group: int) -> torch.Tensor:
    return v.repeat_interleave(group, dim=0) if group > 1 else v


def augment(x: torch.Tensor, y: torch.Tensor, spec: AugmentSpec, gen: Optional[torch.Generator] = None,
            group: int = 1) -> Tuple[torch.Tensor, torch.Tensor]:
    """x, y [K, 1, H, W] -> augmented (x in [0, 1], y in {0, 1}). `group` consecutive images share parameters."""
    k_all, _, h, w = x.shape
    assert k_all % group == 0
    k, dev = k_all // group, x.device

    def draw(lo_hi):
        return _expand(_uniform(lo_hi, k, gen, dev), group)

    def coin(p):
        return _expand(_coin(p, k, gen, dev), group)

    # Geometry: one grid per image = affine then elastic displacement, sampled once.
    use_aff = coin(spec.p_affine)
    ang = draw(spec.degrees) * math.pi / 180
    sc = draw(spec.scale)
    tx, ty = draw((-spec.translate, spec.translate)) * 2, draw((-spec.translate, spec.translate)) * 2
    cos, sin = torch.cos(ang) / sc, torch.sin(ang) / sc
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    eye = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]], device=dev).expand(k_all, 2, 3)
    theta = torch.where(use_aff[:, None, None], theta, eye)
    hflip, vflip = coin(spec.p_hflip), coin(spec.p_vflip)
    flip = torch.stack([torch.where(hflip, -1.0, 1.0), torch.where(vflip, -1.0, 1.0)], 1)
    grid = F.affine_grid(theta, (k_all, 1, h, w), align_corners=False)
    grid = grid * flip[:, None, None, :]  # a flip negates the sampling coordinate of its axis
    use_el = coin(spec.p_elastic)
    if bool(use_el.any()):
        # Uniform noise smoothed by a Gaussian of sigma pixels (given at 128x128), scaled by alpha, in grid units.
        sig = draw(spec.elastic_sigma) * (h / 128.0)
        alpha = draw(spec.elastic_alpha)
        noise = torch.rand((k_all, 2, h, w), generator=gen, device=dev) * 2 - 1
        size = int(2 * math.ceil(3 * float(sig.max())) + 1)
        size = min(size, 2 * (min(h, w) // 2) - 1)
        kern = gaussian_kernels(sig.repeat_interleave(2), size)
        disp = blur(noise.reshape(k_all * 2, 1, h, w), kern).reshape(k_all, 2, h, w)
        # Smoothed noise grows as 1/sigma_px; h/128 keeps the displacement the same at any resolution.
        disp = disp * (alpha * use_el.float())[:, None, None, None] * (h / 128.0)
        grid = grid + disp.permute(0, 2, 3, 1)
    moved = bool(use_aff.any() or hflip.any() or vflip.any() or use_el.any())
    if moved:
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        y = (F.grid_sample(y, grid, mode="bilinear", padding_mode="zeros", align_corners=False) > 0.5).float()

    # Intensity.
    use = coin(spec.p_brightness_contrast)[:, None, None, None]
    bc = x * draw(spec.contrast)[:, None, None, None] + draw(spec.brightness)[:, None, None, None]
    x = torch.where(use, bc.clamp(0, 1), x)
    use = coin(spec.p_blur)
    if bool(use.any()):
        x = torch.where(use[:, None, None, None], blur(x, gaussian_kernels(draw(spec.blur_sigma), 5)), x)
    use = coin(spec.p_sharpness)
    if bool(use.any()):
        x = torch.where(use[:, None, None, None], sharpen(x), x)
    use = coin(spec.p_noise)[:, None, None, None]
    noise = torch.randn(x.shape, generator=gen, device=dev) * draw(spec.noise_std)[:, None, None, None] \
        + draw(spec.noise_mean)[:, None, None, None]
    x = torch.where(use, (x + noise).clamp(0, 1), x)
    use = coin(spec.p_invert)[:, None, None, None]
    x = torch.where(use, 1 - x, x)
    use = coin(spec.p_sobel_label)[:, None, None, None]
    if bool(use.any()):
        y = torch.where(use, sobel_edges(y), y)
    return x.clamp(0, 1), y
