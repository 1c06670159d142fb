"""Reference PyTorch implementation of the networks the Swift side ports.

MultiverSegNet (CrossBlock UNet) and ScribblePromptUNet, with state_dict names identical to the authors'
released checkpoints (see Training/ARCHITECTURE.md). Example:

    >>> from multiverseg_ref import MultiverSegNet
    >>> net = MultiverSegNet(features=32, levels=4)
    >>> logits = net(torch.zeros(1, 5, 128, 128), torch.zeros(1, 3, 1, 128, 128), torch.zeros(1, 3, 1, 128, 128))
"""
from .layers import cross_conv, group_norm1, upsample2x_align_corners
from .multiverseg import ConvBranch, CrossConvLayer, CrossBlock, MultiverSegNet, expected_multiverseg_params
from .scribbleprompt import ScribblePromptUNet, expected_scribbleprompt_params

__all__ = [
    "cross_conv", "group_norm1", "upsample2x_align_corners",
    "ConvBranch", "CrossConvLayer", "CrossBlock", "MultiverSegNet", "expected_multiverseg_params",
    "ScribblePromptUNet", "expected_scribbleprompt_params",
]
