"""Our weights format (Docs/weights-format.md): safetensors, float32, `__metadata__` describing the architecture.

    >>> from weights_format import save_weights
    >>> save_weights(net.state_dict(), "w.safetensors", arch="multiverseg", features=32, levels=4)
"""
from typing import Dict, Mapping, Optional

import torch
from safetensors.torch import save_file

FORMAT = "multiverseg-weights"
FORMAT_VERSION = 1
ARCHS = ("multiverseg", "scribbleprompt-unet")


def weights_metadata(arch: str, features: int, levels: int, resolution: int = 128,
                     training: Optional[Mapping[str, object]] = None,
                     extra: Optional[Mapping[str, object]] = None) -> Dict[str, str]:
    """The `__metadata__` map; every value is a string (safetensors requires it)."""
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")
    meta = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "arch": arch,
        "features": str(features),
        "levels": str(levels),
        "resolution": str(resolution),
        "in_channels": "5",
    }
    if arch == "multiverseg":
        meta["context_channels"] = "2"
    for source in (training or {}), (extra or {}):
        for k, v in source.items():
            meta[str(k)] = str(v)
    return meta


def save_weights(state_dict: Mapping[str, torch.Tensor], path: str, arch: str, features: int, levels: int,
                 resolution: int = 128, training: Optional[Mapping[str, object]] = None,
                 extra: Optional[Mapping[str, object]] = None) -> Dict[str, str]:
    """Writes every tensor as contiguous float32 (names unchanged) plus the metadata; returns the metadata."""
    tensors = {k: v.detach().to(torch.float32).contiguous().cpu() for k, v in state_dict.items()}
    meta = weights_metadata(arch, features, levels, resolution, training, extra)
    save_file(tensors, path, metadata=meta)
    return meta


def build_model(arch: str, features: int, levels: int):
    from multiverseg_ref import MultiverSegNet, ScribblePromptUNet
    if arch == "multiverseg":
        return MultiverSegNet(features=features, levels=levels)
    if arch == "scribbleprompt-unet":
        return ScribblePromptUNet(features=features, levels=levels)
    raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")


def load_weights(path: str):
    """Reads one of our files back: (model in eval mode, metadata)."""
    from safetensors import safe_open
    with safe_open(path, framework="pt") as f:
        meta = dict(f.metadata() or {})
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file (format={meta.get('format')!r})")
    model = build_model(meta["arch"], int(meta["features"]), int(meta["levels"]))
    model.load_state_dict(tensors, strict=True)
    return model.eval(), meta


def save_file_deterministic(tensors: Mapping[str, torch.Tensor], path: str, metadata: Mapping[str, str]) -> None:
    """Like safetensors.torch.save_file for float32 tensors, but byte-for-byte reproducible.

    The safetensors package writes `__metadata__` from a hash map, so its key order (and the file's bytes)
    change from run to run; committed fixtures should only change when their content does. Layout: u64 LE
    header length, JSON header (keys sorted, padded with spaces to a multiple of 8), then the data of each
    tensor in sorted-name order.
    """
    import json
    import struct

    names = sorted(tensors)
    header = {"__metadata__": {k: str(metadata[k]) for k in sorted(metadata)}}
    blobs, offset = [], 0
    for name in names:
        t = tensors[name].detach().to(torch.float32).contiguous().cpu()
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for data in blobs:
            f.write(data)
