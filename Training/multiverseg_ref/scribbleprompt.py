"""ScribblePrompt-UNet with the authors' module tree (state_dict keys match ScribblePrompt_unet_v1_nf192_res128.pt)."""
from typing import List

import torch
from torch import nn


class _ConvPReLU(nn.Module):
    """`conv` = Sequential(Conv2d, PReLU) (or Conv2d alone), named like the authors' Conv2d wrapper."""

    def __init__(self, cin: int, cout: int, kernel: int, activation: bool = True):
        super().__init__()
        layers: List[nn.Module] = [nn.Conv2d(cin, cout, kernel, padding=(kernel - 1) // 2)]
        if activation:
            layers.append(nn.PReLU())
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class ScribblePromptUNet(nn.Module):
    """Plain UNet: one conv+PReLU per level, L max-pools, bottleneck, L align-corners upsamplings.

    features=192, levels=4, in_channels=5 is the released model. Input [B, 5, H, W] with H, W divisible by
    2^levels; output logits [B, 1, H, W].
    """

    def __init__(self, features: int = 192, levels: int = 4, in_channels: int = 5):
        super().__init__()
        self.features, self.levels, self.in_channels = features, levels, in_channels
        # `ups` is registered before `downs`, as in the authors' class, so state_dict order matches.
        self.ups = nn.ModuleList()
        self.downs = nn.ModuleList()
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        cin = in_channels
        for _ in range(levels):
            self.downs.append(_ConvPReLU(cin, features, 3))
            cin = features
        for _ in range(levels):
            self.ups.append(nn.UpsamplingBilinear2d(scale_factor=2))
            self.ups.append(_ConvPReLU(2 * features, features, 3))
        self.bottleneck = _ConvPReLU(features, features, 3)
        self.final_conv = _ConvPReLU(features, 1, 1, activation=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for k in range(self.levels):
            x = self.ups[2 * k](x)
            x = self.ups[2 * k + 1](torch.cat([skips[-1 - k], x], dim=1))  # skip first, then upsampled
        return self.final_conv(x)


def expected_scribbleprompt_params(features: int, levels: int, in_channels: int = 5):
    """The table of Training/ARCHITECTURE.md §2.2 as an ordered list of (name, shape)."""
    f = features
    out = []

    def conv(prefix, cin, k=3, prelu=True):
        out.append((f"{prefix}.conv.0.weight", (f if prelu else 1, cin, k, k)))
        out.append((f"{prefix}.conv.0.bias", (f if prelu else 1,)))
        if prelu:
            out.append((f"{prefix}.conv.1.weight", (1,)))

    for k in range(levels):
        conv(f"ups.{2 * k + 1}", 2 * f)
    for i in range(levels):
        conv(f"downs.{i}", in_channels if i == 0 else f)
    conv("bottleneck", f)
    conv("final_conv", f, k=1, prelu=False)
    return out
