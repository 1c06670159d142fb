#!/usr/bin/env python3
"""Tiny `.pt` checkpoints shaped like the authors', plus odd and hostile variants, for the Swift importer.

    python3 Training/make_pt_fixtures.py      # writes Tests/InferenceTests/Fixtures/pt/

The well-formed checkpoints are written by `torch.save` exactly as the authors' are structured
(MultiverSeg: `{"model": state_dict}`; ScribblePrompt: the bare `state_dict`, a `collections.OrderedDict`
carrying its `_metadata` attribute). Next to each one the same weights are written in our safetensors
format so the importer test can compare tensor by tensor. The hostile checkpoint that references
`os.system` is assembled from hand-written pickle opcodes and never loaded or executed here.
Documented in Tests/InferenceTests/Fixtures/pt/README.md.
"""
import argparse
import collections
import io
import os
import sys
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from weights_format import build_model, save_file_deterministic, weights_metadata  # noqa: E402

GENERATED = "generated — do not edit; regenerate with python3 Training/make_pt_fixtures.py"
DEFAULT_OUT = os.path.join(HERE, "..", "Tests", "InferenceTests", "Fixtures", "pt")
F, L = 4, 2  # tiny: a few KB per file


def tiny_state_dict(arch: str, seed: int):
    """A real `Module.state_dict()` (OrderedDict with `_metadata`), with every value distinct and non-trivial."""
    torch.manual_seed(seed)
    model = build_model(arch, F, L)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    return model.state_dict()


def write_pair(out, stem, obj, sd, arch, note):
    torch.save(obj, os.path.join(out, stem + ".pt"))
    meta = weights_metadata(arch, F, L, 128, extra={"generated": GENERATED, "source": stem + ".pt", "note": note,
                                                    "torch_version": torch.__version__})
    save_file_deterministic(sd, os.path.join(out, stem + ".safetensors"), meta)


def hostile_pickle() -> bytes:
    """Protocol-2 pickle equivalent to `os.system("echo should-never-run")`, written opcode by opcode.

    A loader that resolves arbitrary globals would run the command; a whitelisting loader must refuse at
    the GLOBAL opcode (module `posix`/`os`, name `system`).
    """
    cmd = b"echo should-never-run"
    return (b"\x80\x02"                              # PROTO 2
            + b"}q\x00"                              # EMPTY_DICT, BINPUT 0
            + b"X" + len(b"model").to_bytes(4, "little") + b"model"   # BINUNICODE 'model'
            + b"cos\nsystem\n"                       # GLOBAL 'os system'
            + b"X" + len(cmd).to_bytes(4, "little") + cmd             # BINUNICODE command
            + b"\x85"                                # TUPLE1
            + b"R"                                   # REDUCE  (would call os.system(cmd))
            + b"s"                                   # SETITEM  {"model": <result>}
            + b".")                                  # STOP


def write_zip_checkpoint(path: str, prefix: str, pickle_bytes: bytes, storages=()):
    """A zip laid out like torch.save's: <prefix>/data.pkl, data/<key>, version, byteorder (stored, no compression)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(f"{prefix}/data.pkl", pickle_bytes)
        z.writestr(f"{prefix}/byteorder", "little")
        for key, data in storages:
            z.writestr(f"{prefix}/data/{key}", data)
        z.writestr(f"{prefix}/version", "3\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    out = os.path.normpath(ap.parse_args(argv).out)
    os.makedirs(out, exist_ok=True)

    mvs = tiny_state_dict("multiverseg", 11)
    sp = tiny_state_dict("scribbleprompt-unet", 12)
    assert isinstance(sp, collections.OrderedDict) and hasattr(sp, "_metadata")

    write_pair(out, "multiverseg_nf4_l2", {"model": mvs}, mvs, "multiverseg",
               "torch.save({'model': state_dict}) like MultiverSeg_v1_nf256_res128.pt")
    write_pair(out, "scribbleprompt_nf4_l2", sp, sp, "scribbleprompt-unet",
               "torch.save(state_dict) like ScribblePrompt_unet_v1_nf192_res128.pt (bare OrderedDict)")

    # Odd but valid: extra top-level keys next to "model" (an importer must ignore them).
    torch.save({"model": mvs, "epoch": 7, "optimizer": {"lr": 1e-4, "step": torch.tensor(1234)}},
               os.path.join(out, "multiverseg_extra_keys.pt"))

    # Odd but valid: every tensor is a view into ONE shared storage (non-zero storage offsets).
    flat = torch.cat([t.reshape(-1) for t in mvs.values()])
    shared, pos = collections.OrderedDict(), 0
    for k, t in mvs.items():
        shared[k] = flat[pos:pos + t.numel()].view(t.shape)
        pos += t.numel()
    # The leading axis of the output conv weight has size 1, so its stride is never used; a large stride
    # makes the pickle carry a 4-byte BININT as the authors' nf=256 file does (there: storage sizes).
    w = shared["out_conv.conv.weight"]
    shared["out_conv.conv.weight"] = flat.as_strided(w.shape, (70001, 1, 1, 1), w.storage_offset())
    torch.save({"model": shared}, os.path.join(out, "multiverseg_shared_storage.pt"))

    # Odd: float16 tensors (an importer must convert to float32 or name the dtype it refuses).
    torch.save({"model": collections.OrderedDict((k, v.half()) for k, v in mvs.items())},
               os.path.join(out, "multiverseg_float16.pt"))

    # Odd: the pre-1.6 legacy (non-zip) serialization.
    torch.save({"model": mvs}, os.path.join(out, "multiverseg_legacy_format.pt"), _use_new_zipfile_serialization=False)

    # Broken: one tensor the architecture needs is absent.
    missing = collections.OrderedDict((k, v) for k, v in mvs.items() if k != "enc_blocks.1.support.vmapped.norml.bias")
    torch.save({"model": missing}, os.path.join(out, "multiverseg_missing_tensor.pt"))

    # Broken: one tensor has the wrong shape (5 instead of 7 input channels in the first cross conv).
    wrong = collections.OrderedDict(mvs)
    wrong["enc_blocks.0.cross.cross_conv.weight"] = wrong["enc_blocks.0.cross.cross_conv.weight"][:, :5].contiguous()
    torch.save({"model": wrong}, os.path.join(out, "multiverseg_wrong_shape.pt"))

    # Broken: the file ends in the middle (first 60% of a valid checkpoint).
    buf = io.BytesIO()
    torch.save({"model": mvs}, buf)
    data = buf.getvalue()
    with open(os.path.join(out, "multiverseg_truncated.pt"), "wb") as f:
        f.write(data[: len(data) * 6 // 10])

    # Hostile: data.pkl calls os.system. Built by hand; nothing is executed.
    write_zip_checkpoint(os.path.join(out, "hostile_os_system.pt"), "hostile_os_system", hostile_pickle())

    total = 0
    for name in sorted(os.listdir(out)):
        if name.endswith((".pt", ".safetensors")):
            size = os.path.getsize(os.path.join(out, name))
            total += size
            print(f"{size:8d}  {name}")
    print(f"{total:8d}  total in {out}  (torch {torch.__version__})")


if __name__ == "__main__":
    main()
