"""Golden data for one whole prediction: pre-processing, network, post-processing, in PyTorch.

Writes predictor_golden.txt beside this file (run from the repository root):
    python3 Tests/InferenceTests/Fixtures/make_predictor_golden.py

Network: golden/multiverseg_nf8_l3_weights.safetensors (random, resolution 32) run by the reference
model in Training/multiverseg_ref. Everything around it is written here with torch ops, following
the predictor's documented rules:
  image      -> (x - min) / (max - min), zero-pad to a centred square (extra pixel right/bottom),
                F.interpolate bilinear, align_corners=False, to R x R (shrink <= 2: no antialias)
  click      -> pixel floor((x + 0.5 + offset) * R / side), likewise y
  box        -> network pixels whose centre c + 0.5 lies in [(x0 + off) * s, (x1 + 1 + off) * s]
  context    -> image as above; mask thresholded, resized the same way, thresholded at 0.5
  previous   -> raw logits in channel 4
  output     -> logits resized bilinearly to the square, cropped; probability = sigmoid
"""
import math
import pathlib
import sys

import torch
import torch.nn.functional as F

root = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(root / "Training"))
from weights_format import load_weights  # noqa: E402

here = pathlib.Path(__file__).parent
model, meta = load_weights(str(here / "golden" / "multiverseg_nf8_l3_weights.safetensors"))
R = int(meta["resolution"])
torch.manual_seed(11)


def geometry(h, w):
    side = max(h, w)
    return side, (side - h) // 2, (side - w) // 2


def to_net(x):
    h, w = x.shape
    side, top, left = geometry(h, w)
    padded = F.pad(x, (left, side - w - left, top, side - h - top))
    return F.interpolate(padded[None, None], size=(R, R), mode="bilinear", align_corners=False)[0, 0]


def minmax(x):
    return (x - x.min()) / (x.max() - x.min())


def picture(h, w, cx, cy, radius):
    """Integer intensities in an arbitrary range: noise plus a bright disc."""
    y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    disc = ((x - cx) ** 2 + (y - cy) ** 2) < radius ** 2
    return (torch.randint(0, 400, (h, w)) + 1500 * disc).float(), disc


H, W = 30, 45
image, _ = picture(H, W, 22, 14, 8)
side, top, left = geometry(H, W)
s = R / side
clicks_pos = [(20.0, 15.0)]
clicks_neg = [(3.0, 27.0)]
box = (10.0, 5.0, 35.0, 25.0)

target = torch.zeros(5, R, R)
target[0] = to_net(minmax(image))
for channel, clicks in ((2, clicks_pos), (3, clicks_neg)):
    for x, y in clicks:
        c = min(max(math.floor((x + 0.5 + left) * s), 0), R - 1)
        r = min(max(math.floor((y + 0.5 + top) * s), 0), R - 1)
        target[channel, r, c] = 1


def span(a, b, off):
    lo_edge, hi_edge = (min(a, b) + off) * s, (max(a, b) + 1 + off) * s
    return [c for c in range(R) if lo_edge <= c + 0.5 <= hi_edge]


for r in span(box[1], box[3], top):
    for c in span(box[0], box[2], left):
        target[1, r, c] = 1
previous = torch.randn(R, R) * 3
target[4] = previous

contexts = []
for (h, w, cx, cy) in [(40, 40, 18, 20), (50, 30, 12, 30)]:
    img, disc = picture(h, w, cx, cy, 9)
    contexts.append((img, disc))
ctx_images = torch.stack([to_net(minmax(img)) for img, _ in contexts])[None, :, None]
ctx_masks = torch.stack([(to_net(disc.float()) >= 0.5).float() for _, disc in contexts])[None, :, None]

with torch.no_grad():
    logits = model(target[None], ctx_images, ctx_masks)[0, 0]
full = F.interpolate(logits[None, None], size=(side, side), mode="bilinear", align_corners=False)[0, 0]
probabilities = torch.sigmoid(full[top:top + H, left:left + W])


def fmt(t):
    return " ".join(f"{v:.9g}" for v in t.flatten().tolist())


lines = [
    "# generated — regenerate with: python3 Tests/InferenceTests/Fixtures/make_predictor_golden.py",
    f"# torch {torch.__version__}; network golden/multiverseg_nf8_l3_weights.safetensors (R = {R})",
    f"image {H} {W} " + fmt(image),
    "positive_click " + " ".join(f"{v:g}" for p in clicks_pos for v in p),
    "negative_click " + " ".join(f"{v:g}" for p in clicks_neg for v in p),
    "box " + " ".join(f"{v:g}" for v in box),
]
for n, (img, disc) in enumerate(contexts):
    lines.append(f"context_image {img.shape[0]} {img.shape[1]} " + fmt(img))
    lines.append(f"context_mask {img.shape[0]} {img.shape[1]} " + fmt(disc.float()))
lines += ["previous " + fmt(previous), "target " + fmt(target), "logits " + fmt(logits),
          "probabilities " + fmt(probabilities)]
out = here / "predictor_golden.txt"
out.write_text("\n".join(lines) + "\n")
print(f"wrote {out} ({out.stat().st_size} bytes)")
