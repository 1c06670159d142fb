"""Golden data for the predictor's resampling kernels, from PyTorch's F.interpolate.

Writes resample_golden.txt beside this file:
    python3 Tests/InferenceTests/Fixtures/make_resample_golden.py

Each case: a random image, then the reference output of
  plain:   F.interpolate(x, size, mode="bilinear", align_corners=False, antialias=aa)
  to_net:  zero-pad to a centred square (extra pixel right/bottom), then resize to R x R
  from_net: resize an R x R map to the square of side max(h, w), then crop the centred h x w
"""
import pathlib

import torch
import torch.nn.functional as F

torch.manual_seed(7)
out = pathlib.Path(__file__).with_name("resample_golden.txt")
lines = ["# generated — regenerate with: python3 Tests/InferenceTests/Fixtures/make_resample_golden.py",
         f"# torch {torch.__version__}; format: 'case KIND H W OH OW AA', 'input ...', 'output ...'"]


def fmt(t):
    return " ".join(f"{v:.8g}" for v in t.flatten().tolist())


def resize(x, size, aa):
    return F.interpolate(x[None, None], size=size, mode="bilinear", align_corners=False, antialias=aa)[0, 0]


def emit(kind, x, size, aa, y):
    h, w = x.shape
    lines.append(f"case {kind} {h} {w} {size[0]} {size[1]} {int(aa)}")
    lines.append("input " + fmt(x))
    lines.append("output " + fmt(y))


for (h, w), size, aa in [((7, 5), (3, 4), False), ((6, 6), (13, 9), False), ((40, 33), (6, 5), True),
                         ((12, 20), (5, 3), True), ((5, 4), (11, 8), True)]:
    x = torch.rand(h, w)
    emit("plain", x, size, aa, resize(x, size, aa))

for (h, w), r, aa in [((9, 5), 4, False), ((5, 9), 4, False), ((6, 9), 8, False), ((30, 17), 8, True),
                      ((17, 30), 6, True)]:
    x = torch.rand(h, w)
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    padded = F.pad(x, (left, side - w - left, top, side - h - top))
    emit("to_net", x, (r, r), aa, resize(padded, (r, r), aa))

for (h, w), r, aa in [((9, 5), 4, False), ((5, 12), 6, False), ((3, 2), 8, True)]:
    x = torch.randn(r, r)
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    full = resize(x, (side, side), aa)
    lines.append(f"case from_net {r} {r} {h} {w} {int(aa)}")
    lines.append("input " + fmt(x))
    lines.append("output " + fmt(full[top:top + h, left:left + w]))

out.write_text("\n".join(lines) + "\n")
print(f"wrote {out} ({out.stat().st_size} bytes)")
