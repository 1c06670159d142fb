"""The reference networks have the authors' parameter names and shapes, and run."""
import os
import sys

import pytest
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from multiverseg_ref import (MultiverSegNet, ScribblePromptUNet, cross_conv,  # noqa: E402
                             expected_multiverseg_params, expected_scribbleprompt_params)


def _table(model):
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


def test_multiverseg_nf256_matches_released_table():
    with torch.device("meta"):
        net = MultiverSegNet(features=256, levels=4)
    got = _table(net)
    assert got == expected_multiverseg_params(256, 4)
    assert len(got) == 72
    assert got[0] == ("enc_blocks.0.cross.cross_conv.weight", (256, 7, 3, 3))
    assert dict(got)["dec_blocks.2.cross.cross_conv.weight"] == (256, 1024, 3, 3)
    print("MultiverSeg nf256 L4 parameters:", sum(torch.Size(s).numel() for _, s in got))


def test_scribbleprompt_nf192_matches_released_table():
    with torch.device("meta"):
        net = ScribblePromptUNet(features=192, levels=4)
    got = _table(net)
    assert got == expected_scribbleprompt_params(192, 4)
    assert len(got) == 29
    assert got[0] == ("ups.1.conv.0.weight", (192, 384, 3, 3))
    assert dict(got)["downs.0.conv.0.weight"] == (192, 5, 3, 3)
    print("ScribblePrompt nf192 L4 parameters:", sum(torch.Size(s).numel() for _, s in got))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_multiverseg_forward_shapes_and_determinism(n):
    torch.manual_seed(0)
    net = MultiverSegNet(features=8, levels=3).eval()
    t = torch.rand(2, 5, 32, 32)
    ci, cl = torch.rand(2, n, 1, 32, 32), (torch.rand(2, n, 1, 32, 32) > 0.5).float()
    with torch.no_grad():
        y = net(t, ci, cl)
        assert y.shape == (2, 1, 32, 32) and torch.isfinite(y).all()
        assert torch.equal(y, net(t, ci, cl))


def test_empty_context_equals_explicit_half_entry():
    torch.manual_seed(1)
    net = MultiverSegNet(features=4, levels=2).eval()
    t = torch.rand(1, 5, 16, 16)
    half = torch.full((1, 1, 1, 16, 16), 0.5)
    with torch.no_grad():
        assert torch.equal(net(t), net(t, half, half))
        assert torch.equal(net(t, torch.zeros(1, 0, 1, 16, 16), torch.zeros(1, 0, 1, 16, 16)), net(t, half, half))


def test_context_order_does_not_matter_but_content_does():
    torch.manual_seed(2)
    net = MultiverSegNet(features=4, levels=2).eval()
    t, ci, cl = torch.rand(1, 5, 16, 16), torch.rand(1, 3, 1, 16, 16), torch.rand(1, 3, 1, 16, 16)
    perm = torch.tensor([2, 0, 1])
    with torch.no_grad():
        a, b = net(t, ci, cl), net(t, ci[:, perm], cl[:, perm])
        c = net(t, ci, 1 - cl)
    assert torch.allclose(a, b, atol=1e-5)
    assert not torch.allclose(a, c, atol=1e-3)


def test_split_cross_conv_equals_concatenated_conv():
    torch.manual_seed(3)
    q, v = torch.randn(2, 1, 3, 9, 9), torch.randn(2, 4, 2, 9, 9)
    w, b = torch.randn(6, 5, 3, 3), torch.randn(6)
    got = cross_conv(q, v, w, b)
    for i in range(4):
        ref = F.conv2d(torch.cat([q[:, 0], v[:, i]], dim=1), w, b, padding=1)
        assert torch.allclose(got[:, i], ref, atol=1e-5)


def test_scribbleprompt_forward():
    torch.manual_seed(4)
    net = ScribblePromptUNet(features=8, levels=3).eval()
    with torch.no_grad():
        y = net(torch.rand(1, 5, 32, 32))
    assert y.shape == (1, 1, 32, 32) and torch.isfinite(y).all()


ARCH_DOC = open(os.path.join(os.path.dirname(__file__), "..", "ARCHITECTURE.md")).read()


def test_architecture_doc_lists_every_released_parameter_name():
    import re
    with torch.device("meta"):
        mvs, sp = MultiverSegNet(256, 4), ScribblePromptUNet(192, 4)
    for k in mvs.state_dict():
        suffix = re.sub(r"^(enc|dec)_blocks\.\d+\.", "", k)
        assert f"`{suffix}`" in ARCH_DOC, k
    for k in sp.state_dict():
        generic = re.sub(r"^ups\.\d+\.", "ups.{2k+1}.", re.sub(r"^downs\.\d+\.", "downs.{i}.", k))
        assert f"`{generic}" in ARCH_DOC, k
