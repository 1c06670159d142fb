"""CrossBlock UNet with the authors' module tree (so state_dict keys match MultiverSeg_v1_nf256_res128.pt)."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .layers import LEAKY_SLOPE, cross_conv, upsample2x_align_corners


def _kaiming(conv: nn.Conv2d) -> None:
    # The authors initialise every conv with kaiming-normal (leaky_relu gain) and zero bias.
    nn.init.kaiming_normal_(conv.weight, nonlinearity="leaky_relu")
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)


class ConvBranch(nn.Sequential):
    """Conv -> LeakyReLU -> GroupNorm(1, C), the order the authors' ConvOp Sequential runs in.

    Children are named `conv`, `nonlin`, `norml` like theirs. `norm=False, activation=False` gives the
    output conv (`out_conv`).
    """

    def __init__(self, cin: int, cout: int, kernel: int = 3, activation: bool = True, norm: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=True)
        if activation:
            self.nonlin = nn.LeakyReLU(LEAKY_SLOPE)
        if norm:
            self.norml = nn.GroupNorm(1, cout)
        _kaiming(self.conv)


class _Vmap(nn.Module):
    """Applies `vmapped` to every entry of a [B, N, C, H, W] tensor (the child name matches the authors')."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.vmapped = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n = x.shape[:2]
        y = self.vmapped(x.reshape(b * n, *x.shape[2:]))
        return y.reshape(b, n, *y.shape[1:])


class CrossConvLayer(nn.Module):
    """Holds `cross_conv` (an nn.Conv2d over target+context channels) and applies LeakyReLU."""

    def __init__(self, cin_target: int, cin_context: int, features: int):
        super().__init__()
        self.cin_target = cin_target
        self.cross_conv = nn.Conv2d(cin_target + cin_context, features, 3, padding=1, bias=True)
        _kaiming(self.cross_conv)

    def forward(self, q: torch.Tensor, v: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        z = F.leaky_relu(cross_conv(q, v, self.cross_conv.weight, self.cross_conv.bias), LEAKY_SLOPE)
        return z.mean(dim=1, keepdim=True), z


class CrossBlock(nn.Module):
    """(q [B,1,Cq,H,W], v [B,N,Cv,H,W]) -> (q' [B,1,F,H,W], v' [B,N,F,H,W]).

    z_i = A(CrossConv(q, v_i)); q' = N(A(Conv(mean_i z_i))); v_i' = N(A(Conv(z_i))).
    """

    def __init__(self, cin_target: int, cin_context: int, features: int):
        super().__init__()
        self.cross = CrossConvLayer(cin_target, cin_context, features)
        self.target = _Vmap(ConvBranch(features, features))
        self.support = _Vmap(ConvBranch(features, features))

    def forward(self, q, v, intermediates: Optional[Dict[str, torch.Tensor]] = None):
        zmean, z = self.cross(q, v)
        q2, v2 = self.target(zmean), self.support(z)
        if intermediates is not None:
            intermediates.update(z=z, z_mean=zmean, target_out=q2, support_out=v2)
        return q2, v2


class MultiverSegNet(nn.Module):
    """The authors' MultiverSegNet with equal features per level.

    features=256, levels=4 is the released model (4 encoder, 3 decoder CrossBlocks). Input channels
    default to 5 (target) and 2 (context [image, mask]).
    """

    def __init__(self, features: int = 256, levels: int = 4, in_target: int = 5, in_context: int = 2):
        super().__init__()
        assert levels >= 1
        self.features, self.levels = features, levels
        self.in_target, self.in_context = in_target, in_context
        self.enc_blocks = nn.ModuleList()
        self.dec_blocks = nn.ModuleList()
        ct, cv = in_target, in_context
        for _ in range(levels):
            self.enc_blocks.append(CrossBlock(ct, cv, features))
            ct = cv = features
        for _ in range(levels - 1):
            self.dec_blocks.append(CrossBlock(2 * features, 2 * features, features))
        self.out_conv = ConvBranch(features, 1, kernel=1, activation=False, norm=False)

    @staticmethod
    def dummy_context(target: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The authors' stand-in for an empty context: one entry whose image and mask are all 0.5."""
        b, _, h, w = target.shape
        half = torch.full((b, 1, 1, h, w), 0.5, dtype=target.dtype, device=target.device)
        return half, half.clone()

    def forward(self, target: torch.Tensor, context_images: Optional[torch.Tensor] = None,
                context_labels: Optional[torch.Tensor] = None,
                trace: Optional[Dict[str, torch.Tensor]] = None) -> torch.Tensor:
        """target [B, 5, H, W], context_images/labels [B, N, 1, H, W] (N may be 0) -> logits [B, 1, H, W]."""
        if context_images is None or context_images.shape[1] == 0:
            context_images, context_labels = self.dummy_context(target)
        q = target[:, None]
        v = torch.cat([context_images, context_labels], dim=2)
        skips: List[Tuple[torch.Tensor, torch.Tensor]] = []
        for i, block in enumerate(self.enc_blocks):
            q, v = block(q, v)
            if trace is not None:
                trace[f"enc{i}.target"], trace[f"enc{i}.context"] = q, v
            if i == self.levels - 1:
                break
            skips.append((q, v))
            q, v = _pool(q), _pool(v)
        for j, block in enumerate(self.dec_blocks):
            qs, vs = skips.pop()
            q = torch.cat([_up(q), qs], dim=2)
            v = torch.cat([_up(v), vs], dim=2)
            q, v = block(q, v)
            if trace is not None:
                trace[f"dec{j}.target"], trace[f"dec{j}.context"] = q, v
        return self.out_conv(q[:, 0])


def _pool(x: torch.Tensor) -> torch.Tensor:
    b, n = x.shape[:2]
    y = F.max_pool2d(x.reshape(b * n, *x.shape[2:]), 2, 2)
    return y.reshape(b, n, *y.shape[1:])


def _up(x: torch.Tensor) -> torch.Tensor:
    b, n = x.shape[:2]
    y = upsample2x_align_corners(x.reshape(b * n, *x.shape[2:]))
    return y.reshape(b, n, *y.shape[1:])


def expected_multiverseg_params(features: int, levels: int, in_target: int = 5, in_context: int = 2):
    """The table of Training/ARCHITECTURE.md §1.2 as an ordered list of (name, shape)."""
    f = features
    out = []

    def block(prefix, cin):
        out.append((f"{prefix}.cross.cross_conv.weight", (f, cin, 3, 3)))
        out.append((f"{prefix}.cross.cross_conv.bias", (f,)))
        for side in ("target", "support"):
            out.append((f"{prefix}.{side}.vmapped.conv.weight", (f, f, 3, 3)))
            out.append((f"{prefix}.{side}.vmapped.conv.bias", (f,)))
            out.append((f"{prefix}.{side}.vmapped.norml.weight", (f,)))
            out.append((f"{prefix}.{side}.vmapped.norml.bias", (f,)))

    for i in range(levels):
        block(f"enc_blocks.{i}", in_target + in_context if i == 0 else 2 * f)
    for j in range(levels - 1):
        block(f"dec_blocks.{j}", 4 * f)
    out.append(("out_conv.conv.weight", (1, f, 1, 1)))
    out.append(("out_conv.conv.bias", (1,)))
    return out
