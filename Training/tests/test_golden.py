"""The committed golden files agree with independent NumPy formulas and with the float32 reference model.

Run `python3 Training/fixtures/make_golden.py` first only if you changed the generator; these tests read the
committed files under Tests/InferenceTests/Fixtures/golden.
"""
import os
import sys

import numpy as np
import pytest
import torch
from safetensors import safe_open

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
GOLDEN = os.path.join(ROOT, "Tests", "InferenceTests", "Fixtures", "golden")
sys.path.insert(0, os.path.join(ROOT, "Training"))
from weights_format import load_weights  # noqa: E402


def read(name):
    with safe_open(os.path.join(GOLDEN, name), framework="np") as f:
        return {k: f.get_tensor(k).astype(np.float64) for k in f.keys()}, dict(f.metadata())


def close(got, want, atol=1e-5, rtol=1e-5, what=""):
    diff = np.abs(np.asarray(got, np.float64) - want)
    print(f"{what}: max |diff| {diff.max():.3g}")
    assert got.shape == want.shape and np.all(diff <= atol + rtol * np.abs(want)), what


def np_conv(x, w, b, pad):
    m, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = h + 2 * pad - k + 1, wd + 2 * pad - k + 1
    y = np.zeros((m, o, ho, wo)) + b[None, :, None, None]
    for dy in range(k):
        for dx in range(k):
            patch = xp[:, :, dy:dy + ho, dx:dx + wo]
            y += np.einsum("mchw,oc->mohw", patch, w[:, :, dy, dx])
    return y


def np_group_norm(x, w, b, eps):
    mu = x.mean(axis=(1, 2, 3), keepdims=True)
    var = ((x - mu) ** 2).mean(axis=(1, 2, 3), keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w[None, :, None, None] + b[None, :, None, None]


def np_leaky(x, s=0.01):
    return np.where(x >= 0, x, s * x)


def test_every_file_says_how_it_was_generated():
    names = [n for n in os.listdir(GOLDEN) if n.endswith(".safetensors")]
    assert len(names) >= 14
    for n in names:
        _, meta = read(n)
        assert meta["generated"].startswith("generated — do not edit"), n


@pytest.mark.parametrize("name,pad", [("conv3x3.safetensors", 1), ("conv3x3_wide.safetensors", 1),
                                      ("conv1x1.safetensors", 0)])
def test_conv(name, pad):
    t, _ = read(name)
    close(np_conv(t["input"], t["weight"], t["bias"], pad), t["output"], what=name)


def test_conv3x3_zero_padding_at_the_corner():
    t, _ = read("conv3x3.safetensors")
    x, w, b = t["input"], t["weight"], t["bias"]
    corner = b[0] + np.sum(x[0, :, 0:2, 0:2] * w[0, :, 1:3, 1:3])  # only the in-image taps count
    assert abs(corner - t["output"][0, 0, 0, 0]) < 1e-5


def test_group_norm():
    t, meta = read("group_norm.safetensors")
    close(np_group_norm(t["input"], t["weight"], t["bias"], float(meta["eps"])), t["output"], what="group_norm")
    # the constant entry normalises to exactly its bias
    close(t["output"][2], np.broadcast_to(t["bias"][:, None, None], t["output"][2].shape), what="constant entry")


def test_max_pool():
    t, _ = read("max_pool.safetensors")
    for i, o in (("input", "output"), ("input_odd", "output_odd")):
        x = t[i]
        h, w = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
        want = x[:, :, :h, :w].reshape(*x.shape[:2], h // 2, 2, w // 2, 2).max(axis=(3, 5))
        close(want, t[o], what=o)


def test_upsample_align_corners():
    t, _ = read("upsample_bilinear.safetensors")
    x = t["input"]
    h, w = x.shape[2:]
    ys, xs = np.arange(2 * h) * (h - 1) / (2 * h - 1), np.arange(2 * w) * (w - 1) / (2 * w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    g = lambda a, b: x[:, :, a][:, :, :, b]  # noqa: E731
    want = (g(y0, x0) * (1 - fy) * (1 - fx) + g(y0, x1) * (1 - fy) * fx
            + g(y1, x0) * fy * (1 - fx) + g(y1, x1) * fy * fx)
    close(want, t["output"], what="upsample")
    close(t["output"][:, :, 0, 0], x[:, :, 0, 0], what="corner kept")
    close(t["output"][:, :, -1, -1], x[:, :, -1, -1], what="corner kept")


def test_activations():
    t, meta = read("activations.safetensors")
    close(np_leaky(t["input"], float(meta["leaky_relu_slope"])), t["leaky_relu"], what="leaky")
    a = t["prelu_weight"][0]
    close(np.maximum(t["input"], 0) + a * np.minimum(t["input"], 0), t["prelu"], what="prelu")


def test_cross_block():
    t, meta = read("cross_block.safetensors")
    q, v = t["target"], t["context"]
    n = v.shape[0]
    w, b = t["cross.cross_conv.weight"], t["cross.cross_conv.bias"]
    cat = np.concatenate([np.repeat(q[None], n, 0), v], axis=1)
    cc = np_conv(cat, w, b, 1)
    close(cc, t["cross_conv"], what="cross_conv")
    close(np_leaky(cc), t["z"], what="z")
    close(t["z"].mean(0), t["z_mean"], what="z_mean")

    def branch(x, side):
        y = np_leaky(np_conv(x, t[f"{side}.vmapped.conv.weight"], t[f"{side}.vmapped.conv.bias"], 1))
        return np_group_norm(y, t[f"{side}.vmapped.norml.weight"], t[f"{side}.vmapped.norml.bias"], 1e-5)

    close(branch(t["z_mean"][None], "target")[0], t["target_out"], atol=1e-4, what="target_out")
    close(branch(t["z"], "support"), t["support_out"], atol=1e-4, what="support_out")


@pytest.mark.parametrize("n", [0, 1, 5])
def test_multiverseg_float32_model_reproduces_golden(n):
    t, meta = read(f"multiverseg_ctx{n}.safetensors")
    model, wmeta = load_weights(os.path.join(GOLDEN, meta["weights"]))
    assert wmeta["arch"] == "multiverseg" and int(wmeta["features"]) == int(meta["features"])
    target = torch.from_numpy(t["target"]).float()[None]
    with torch.no_grad():
        if n == 0:
            half = torch.full((1, 1, 1) + target.shape[-2:], 0.5)
            y = model(target, half, half)
        else:
            c = torch.from_numpy(t["context"]).float()[None]
            y = model(target, c[:, :, 0:1], c[:, :, 1:2])
    close(y[0, 0].numpy(), t["logits"], atol=1e-4, rtol=1e-4, what=f"multiverseg ctx{n}")


def test_scribbleprompt_float32_model_reproduces_golden():
    t, meta = read("scribbleprompt.safetensors")
    model, wmeta = load_weights(os.path.join(GOLDEN, meta["weights"]))
    assert wmeta["arch"] == "scribbleprompt-unet"
    with torch.no_grad():
        y = model(torch.from_numpy(t["target"]).float()[None])
    close(y[0, 0].numpy(), t["logits"], atol=1e-4, rtol=1e-4, what="scribbleprompt")
