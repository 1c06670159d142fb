#!/usr/bin/env python3
"""Golden data for the Swift kernel and network tests.

    python3 Training/make_golden.py            # writes Tests/InferenceTests/Fixtures/golden/*.safetensors

Every file is safetensors (float32) with `__metadata__` saying how it was generated and the case
parameters; tensor names are documented in Tests/InferenceTests/Fixtures/golden/README.md. Seeds are
fixed, so re-running gives byte-identical tensors on the same PyTorch version. Expected outputs are computed
in float64 from the float32 inputs/weights and then rounded to float32, so they are as exact as float32 can
hold; any difference the Swift side sees is its own rounding.
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from multiverseg_ref import MultiverSegNet, ScribblePromptUNet  # noqa: E402
from multiverseg_ref.layers import LEAKY_SLOPE, NORM_EPS, cross_conv, group_norm1, upsample2x_align_corners  # noqa: E402
from multiverseg_ref.multiverseg import CrossBlock  # noqa: E402
from weights_format import save_file_deterministic, weights_metadata  # noqa: E402

GENERATED = "generated — do not edit; regenerate with python3 Training/make_golden.py"
DEFAULT_OUT = os.path.join(HERE, "..", "Tests", "InferenceTests", "Fixtures", "golden")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randn(g, *shape, scale=1.0):
    return (torch.randn(*shape, generator=g) * scale).float()


def _rand(g, *shape):
    return torch.rand(*shape, generator=g).float()


def _f64(*ts):
    return [t.double() for t in ts]


class Writer:
    def __init__(self, out_dir: str):
        self.out_dir = out_dir
        os.makedirs(out_dir, exist_ok=True)
        self.written = []

    def write(self, name: str, tensors, meta):
        meta = {"generated": GENERATED, "torch_version": torch.__version__,
                **{k: str(v) for k, v in meta.items()}}
        path = os.path.join(self.out_dir, name)
        save_file_deterministic(tensors, path, meta)
        self.written.append((name, os.path.getsize(path)))


# --------------------------------------------------------------------------------------------- kernels

def case_conv3x3(w: Writer):
    # x [M, Cin, H, W], weight [Cout, Cin, 3, 3], bias [Cout] -> y [M, Cout, H, W]; F.conv2d(padding=1)
    g = _gen(101)
    x, wt, b = _randn(g, 2, 3, 7, 6), _randn(g, 4, 3, 3, 3, scale=0.5), _randn(g, 4)
    y = F.conv2d(*_f64(x, wt, b), padding=1)
    w.write("conv3x3.safetensors", dict(input=x, weight=wt, bias=b, output=y),
            dict(case="conv3x3", op="torch.nn.functional.conv2d(padding=1), zero padding, with bias"))


def case_conv3x3_wide(w: Writer):
    # more channels than a micro-kernel tile (24 in, 40 out), so blocked/packed code paths are exercised
    g = _gen(108)
    x, wt, b = _randn(g, 2, 24, 9, 11), _randn(g, 40, 24, 3, 3, scale=0.2), _randn(g, 40)
    y = F.conv2d(*_f64(x, wt, b), padding=1)
    w.write("conv3x3_wide.safetensors", dict(input=x, weight=wt, bias=b, output=y),
            dict(case="conv3x3_wide", op="torch.nn.functional.conv2d(padding=1), 24 -> 40 channels, 9x11"))


def case_conv1x1(w: Writer):
    g = _gen(102)
    x, wt, b = _randn(g, 2, 6, 5, 4), _randn(g, 3, 6, 1, 1, scale=0.5), _randn(g, 3)
    y = F.conv2d(*_f64(x, wt, b))
    w.write("conv1x1.safetensors", dict(input=x, weight=wt, bias=b, output=y),
            dict(case="conv1x1", op="torch.nn.functional.conv2d, kernel 1, no padding, with bias"))


def case_group_norm(w: Writer):
    # x [M, C, H, W] -> y; nn.GroupNorm(1, C): per entry, biased variance over C*H*W, eps, affine per channel
    g = _gen(103)
    x = _randn(g, 3, 4, 5, 6, scale=2.0) + 0.7
    x[2] = 1.25  # a constant entry: variance 0, so the output is exactly `bias` broadcast
    wt, b = 1.0 + _randn(g, 4, scale=0.3), _randn(g, 4, scale=0.3)
    y = group_norm1(*_f64(x, wt, b), eps=NORM_EPS)
    w.write("group_norm.safetensors", dict(input=x, weight=wt, bias=b, output=y),
            dict(case="group_norm", op="torch.nn.GroupNorm(1, C) (the authors' norm='layer')", eps=NORM_EPS))


def case_max_pool(w: Writer):
    g = _gen(104)
    x = _randn(g, 2, 3, 8, 6)
    x_odd = _randn(g, 1, 2, 7, 5)
    w.write("max_pool.safetensors",
            dict(input=x, output=F.max_pool2d(x, 2, 2), input_odd=x_odd, output_odd=F.max_pool2d(x_odd, 2, 2)),
            dict(case="max_pool", op="torch.nn.MaxPool2d(2, 2); odd sizes floor (7x5 -> 3x2)"))


def case_upsample(w: Writer):
    g = _gen(105)
    x = _randn(g, 2, 3, 4, 5)
    y = upsample2x_align_corners(x.double())
    w.write("upsample_bilinear.safetensors", dict(input=x, output=y),
            dict(case="upsample_bilinear", op="torch.nn.UpsamplingBilinear2d(scale_factor=2) = align_corners=True"))


def case_activations(w: Writer):
    g = _gen(106)
    x = torch.cat([_randn(g, 61, scale=3.0), torch.tensor([0.0, -0.0, 1e-30, -1e-30, -1e4, 1e4, -1.0])])
    slope = _rand(g, 1) * 0.5
    w.write("activations.safetensors",
            dict(input=x, leaky_relu=F.leaky_relu(x.double(), LEAKY_SLOPE),
                 prelu_weight=slope, prelu=F.prelu(x.double(), slope.double())),
            dict(case="activations", op="torch.nn.LeakyReLU() (slope 0.01) and torch.nn.PReLU()",
                 leaky_relu_slope=LEAKY_SLOPE))


def case_cross_block(w: Writer):
    # q [Cq, H, W], context [N, Cv, H, W] -> z [N, F, H, W], z_mean [F, H, W], target_out, support_out
    g = _gen(107)
    cq, cv, f, n, h, wd = 5, 2, 6, 3, 12, 10
    torch.manual_seed(107)
    blk = CrossBlock(cq, cv, f)
    _perturb(blk, g)
    q, v = _rand(g, 1, 1, cq, h, wd), _rand(g, 1, n, cv, h, wd)
    inter = {}
    with torch.no_grad():
        blk64 = CrossBlock(cq, cv, f).double()
        blk64.load_state_dict({k: t.double() for k, t in blk.state_dict().items()})
        blk64(q.double(), v.double(), inter)
        cc = cross_conv(q.double(), v.double(), blk64.cross.cross_conv.weight, blk64.cross.cross_conv.bias)
    tensors = {k: t for k, t in blk.state_dict().items()}
    tensors.update(target=q[0, 0], context=v[0], cross_conv=cc[0], z=inter["z"][0], z_mean=inter["z_mean"][0, 0],
                   target_out=inter["target_out"][0, 0], support_out=inter["support_out"][0])
    w.write("cross_block.safetensors", tensors,
            dict(case="cross_block", target_channels=cq, context_channels=cv, features=f, context=n,
                 height=h, width=wd))


def _perturb(module: torch.nn.Module, g: torch.Generator):
    """Non-trivial biases, norm scales/shifts and PReLU slopes, so a port that ignores one of them fails."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("bias"):
                p.copy_(_randn(g, *p.shape, scale=0.1))
            elif p.dim() == 1 and "norml" in name:
                p.copy_(1.0 + _randn(g, *p.shape, scale=0.2))
            elif p.dim() == 1:
                p.copy_(0.25 + _randn(g, *p.shape, scale=0.1))


# --------------------------------------------------------------------------------------------- networks

def _target_input(g, r):
    """[5, r, r]: image, box, positive clicks, negative clicks, previous logits."""
    t = torch.zeros(5, r, r)
    t[0] = _rand(g, r, r)
    t[1, r // 4: 3 * r // 4, r // 5: 3 * r // 4] = 1.0
    t[2, r // 2, r // 2] = 1.0
    t[2, r // 2 + 1, r // 3: r // 3 + 5] = 1.0   # a short positive scribble
    t[3, 2, r - 3] = 1.0
    t[4] = _randn(g, r, r, scale=2.0)
    return t


def _context(g, n, r):
    """[n, 2, r, r]: image in [0,1], binary mask (a random disc per entry)."""
    c = torch.zeros(n, 2, r, r)
    yy, xx = torch.meshgrid(torch.arange(r), torch.arange(r), indexing="ij")
    for i in range(n):
        c[i, 0] = _rand(g, r, r)
        cy, cx, rad = (_rand(g, 3) * torch.tensor([r / 2, r / 2, r / 4]) + torch.tensor([r / 4, r / 4, r / 8])).tolist()
        c[i, 1] = (((yy - cy) ** 2 + (xx - cx) ** 2) <= rad * rad).float()
    return c


def make_multiverseg(w: Writer, features=8, levels=3, r=32, contexts=(0, 1, 5)):
    g = _gen(201)
    torch.manual_seed(201)
    net = MultiverSegNet(features=features, levels=levels)
    _perturb(net, g)
    wname = f"multiverseg_nf{features}_l{levels}_weights.safetensors"
    meta = weights_metadata("multiverseg", features, levels, r, extra={"init": "random seed 201 (not trained)"})
    w.write(wname, net.state_dict(), meta)
    net64 = MultiverSegNet(features=features, levels=levels).double().eval()
    net64.load_state_dict({k: t.double() for k, t in net.state_dict().items()})
    target = _target_input(g, r)
    for n in contexts:
        ctx = _context(_gen(300 + n), n, r)
        trace = {}
        with torch.no_grad():
            if n == 0:
                y = net64(target[None].double(), trace=trace)
            else:
                y = net64(target[None].double(), ctx[None, :, 0:1].double(), ctx[None, :, 1:2].double(), trace=trace)
        tensors = {"target": target, "logits": y[0, 0]}
        if n > 0:
            tensors["context"] = ctx
        for k, t in trace.items():
            if k.endswith(".target"):
                tensors[k] = t[0, 0]
            elif n == 1:
                tensors[k] = t[0]
        meta = dict(case=f"multiverseg_ctx{n}", weights=wname, features=features, levels=levels, resolution=r,
                    context=n)
        if n == 0:
            meta["note"] = "no context tensor = empty set: the network uses one entry whose image and mask are 0.5"
        w.write(f"multiverseg_ctx{n}.safetensors", tensors, meta)


def make_scribbleprompt(w: Writer, features=8, levels=3, r=32):
    g = _gen(401)
    torch.manual_seed(401)
    net = ScribblePromptUNet(features=features, levels=levels)
    _perturb(net, g)
    wname = f"scribbleprompt_nf{features}_l{levels}_weights.safetensors"
    w.write(wname, net.state_dict(),
            weights_metadata("scribbleprompt-unet", features, levels, r, extra={"init": "random seed 401 (not trained)"}))
    net64 = ScribblePromptUNet(features=features, levels=levels).double().eval()
    net64.load_state_dict({k: t.double() for k, t in net.state_dict().items()})
    target = _target_input(g, r)
    with torch.no_grad():
        y = net64(target[None].double())
    w.write("scribbleprompt.safetensors", {"target": target, "logits": y[0, 0]},
            dict(case="scribbleprompt", weights=wname, features=features, levels=levels, resolution=r))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    a = ap.parse_args(argv)
    w = Writer(os.path.normpath(a.out))
    for case in (case_conv3x3, case_conv3x3_wide, case_conv1x1, case_group_norm, case_max_pool, case_upsample, case_activations,
                 case_cross_block):
        case(w)
    make_multiverseg(w)
    make_scribbleprompt(w)
    total = 0
    for name, size in w.written:
        total += size
        print(f"{size:9d}  {name}")
    print(f"{total:9d}  total in {w.out_dir}")


if __name__ == "__main__":
    main()
