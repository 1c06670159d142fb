"""Functional forms of the layers, written out so the golden data and the Swift kernels share one meaning."""
import torch
import torch.nn.functional as F

LEAKY_SLOPE = 0.01  # nn.LeakyReLU() default, used by the authors' get_nonlinearity("LeakyReLU")
NORM_EPS = 1e-5     # nn.GroupNorm default eps


def group_norm1(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = NORM_EPS) -> torch.Tensor:
    """x [M, C, H, W] -> [M, C, H, W]; matches nn.GroupNorm(1, C): per sample, biased variance over C*H*W."""
    return F.group_norm(x, 1, weight, bias, eps)


def upsample2x_align_corners(x: torch.Tensor) -> torch.Tensor:
    """x [M, C, h, w] -> [M, C, 2h, 2w]; matches nn.UpsamplingBilinear2d(scale_factor=2)."""
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)


def cross_conv(q: torch.Tensor, v: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """q [B, 1, Cq, H, W], v [B, N, Cv, H, W], weight [F, Cq+Cv, k, k], bias [F] -> [B, N, F, H, W].

    Equals conv2d(cat(q, v_i)) for every entry i, computed the split way (target part with the bias once,
    context part without bias per entry), as the authors' FastCrossConv2d does.
    """
    b, n = v.shape[0], v.shape[1]
    cq = q.shape[2]
    pad = weight.shape[-1] // 2
    oq = F.conv2d(q[:, 0], weight[:, :cq], bias, padding=pad)                       # [B, F, H, W]
    ov = F.conv2d(v.reshape(b * n, *v.shape[2:]), weight[:, cq:], None, padding=pad)  # [B*N, F, H, W]
    ov = ov.reshape(b, n, *ov.shape[1:])
    return ov + oq[:, None]
