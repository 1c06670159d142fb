"""Tiny PyTorch checkpoints for the Swift .pt importer's tests (layouts, dtypes, pickle protocols,
refusals). Writes Tests/InferenceTests/Fixtures/importer/. Each loadable checkpoint has a twin
.safetensors with the same tensors made contiguous float32, which the Swift test compares against.

Regenerate with:  python3 Training/make_importer_fixtures.py
"""
import collections
import pathlib
import zipfile

import torch
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/InferenceTests/Fixtures/importer"
NOTE = "generated — regenerate with python3 Training/make_importer_fixtures.py"


def twin(tensors, path, metadata=None):
    """Saves the expected tensors (contiguous float32) next to the checkpoint."""
    meta = {"generated": NOTE}
    meta.update(metadata or {})
    save_file({k: v.detach().float().contiguous() for k, v in tensors.items()}, str(path), metadata=meta)


class TinyScribblePromptUNet(torch.nn.Module):
    """Same parameter names as the authors' ScribblePrompt-UNet, tiny sizes (features 4, 2 levels)."""

    def __init__(self, in_channels=5, features=(4, 4)):
        super().__init__()
        self.ups = torch.nn.ModuleList()
        self.downs = torch.nn.ModuleList()
        c = in_channels
        for f in features:
            self.downs.append(self._block(c, f))
            c = f
        for f in reversed(features):
            self.ups.append(torch.nn.UpsamplingBilinear2d(scale_factor=2))
            self.ups.append(self._block(2 * f, f))
        self.bottleneck = self._block(features[-1], features[-1])
        self.final_conv = torch.nn.Module()
        self.final_conv.conv = torch.nn.Sequential(torch.nn.Conv2d(features[0], 1, 1))

    @staticmethod
    def _block(cin, cout):
        block = torch.nn.Module()
        block.conv = torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 3, padding=1), torch.nn.PReLU())
        return block


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    # 1. Odd layouts in one {"model": state_dict}: views sharing a storage, offsets, transposes,
    #    a permuted 4-D tensor, half and bfloat16, a scalar, an empty tensor, a Parameter.
    base = torch.arange(12, dtype=torch.float32) * 0.5 - 2.0
    grid = base.reshape(3, 4)
    big = (torch.arange(120, dtype=torch.float32) * 0.01).reshape(2, 3, 4, 5)
    half = torch.tensor([1.0, -2.5, 0.1, 65504.0, 6e-8, 3.0], dtype=torch.float16)
    bf = torch.tensor([1.0, -0.15625, 3.0e38, 1e-3], dtype=torch.bfloat16)
    sd = collections.OrderedDict()
    sd["transposed"] = grid.t()                       # stride (1, 4)
    sd["row"] = grid[1]                               # storage offset 4, same storage
    sd["column"] = grid[:, 2]                         # offset 2, stride (4,)
    sd["permuted"] = big.permute(0, 2, 3, 1)          # 4-D, non-contiguous
    sd["half_slice"] = half[2:]                       # float16 with an offset
    sd["bf16"] = bf
    sd["scalar"] = torch.tensor(7.25)
    sd["empty"] = torch.zeros(0, 3)
    sd["parameter"] = torch.nn.Parameter(torch.tensor([[0.5, -0.5]]))
    sd["broadcast"] = torch.tensor([1.0, 2.0]).expand(3, 2)  # stride 0
    torch.save({"model": sd, "step": 10}, OUT / "layouts.pt")
    twin(sd, OUT / "layouts.safetensors")

    # 2. A real module's state_dict (with its _metadata, pickled through BUILD), bare, protocol 4.
    net = TinyScribblePromptUNet()
    torch.save(net.state_dict(), OUT / "scribbleprompt_proto4.pt", pickle_protocol=4)
    twin(net.state_dict(), OUT / "scribbleprompt_proto4.safetensors")

    # 3. A checkpoint that asks to run code: must be refused by name.
    class Evil:
        def __reduce__(self):
            return (eval, ("print('pwned')",))

    torch.save({"x": Evil()}, OUT / "evil_global.pt")

    # 4. Integer buffers (e.g. BatchNorm's num_batches_tracked): refused with advice.
    torch.save({"w": torch.ones(2), "num_batches_tracked": torch.tensor(3)}, OUT / "int64_buffer.pt")

    # 5. The layouts checkpoint re-zipped: DEFLATE at level 6 (dynamic and fixed Huffman blocks) and
    #    level 0 (stored blocks) must import like the original; bzip2 must be refused by name.
    def rezip(name, compression, level=None):
        with zipfile.ZipFile(OUT / "layouts.pt") as src, zipfile.ZipFile(
            OUT / name, "w", compression=compression, compresslevel=level
        ) as dst:
            for info in src.infolist():
                dst.writestr(info.filename, src.read(info.filename))

    rezip("deflated.pt", zipfile.ZIP_DEFLATED, 6)
    rezip("deflated_level0.pt", zipfile.ZIP_DEFLATED, 0)
    rezip("bzip2.pt", zipfile.ZIP_BZIP2)

    print("torch", torch.__version__, "->", OUT)
    for p in sorted(OUT.iterdir()):
        print(f"  {p.name}: {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
