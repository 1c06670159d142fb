"""The committed .pt fixtures are what Tests/InferenceTests/Fixtures/pt/README.md says they are."""
import collections
import os
import pickle
import pickletools
import sys
import zipfile

import pytest
import torch
from safetensors.torch import load_file

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
PT = os.path.join(ROOT, "Tests", "InferenceTests", "Fixtures", "pt")
sys.path.insert(0, os.path.join(ROOT, "Training"))
from weights_format import build_model  # noqa: E402


def load(name):
    return torch.load(os.path.join(PT, name), map_location="cpu", weights_only=True)


def reference(stem):
    return load_file(os.path.join(PT, stem + ".safetensors"))


def test_multiverseg_checkpoint_is_model_dict_and_matches_safetensors():
    obj = load("multiverseg_nf4_l2.pt")
    assert list(obj.keys()) == ["model"]
    ref = reference("multiverseg_nf4_l2")
    assert list(obj["model"].keys()) == list(build_model("multiverseg", 4, 2).state_dict().keys())
    assert set(ref) == set(obj["model"])
    for k, v in obj["model"].items():
        assert v.dtype == torch.float32 and torch.equal(v, ref[k]), k


def test_scribbleprompt_checkpoint_is_bare_ordered_dict():
    obj = load("scribbleprompt_nf4_l2.pt")
    assert type(obj) is collections.OrderedDict and hasattr(obj, "_metadata")
    assert next(iter(obj)) == "ups.1.conv.0.weight"
    ref = reference("scribbleprompt_nf4_l2")
    for k, v in obj.items():
        assert torch.equal(v, ref[k]), k


@pytest.mark.parametrize("name", ["multiverseg_extra_keys.pt", "multiverseg_shared_storage.pt",
                                  "multiverseg_legacy_format.pt", "multiverseg_float16.pt"])
def test_odd_but_valid_variants_hold_the_same_weights(name):
    obj = load(name)
    ref = reference("multiverseg_nf4_l2")
    tol = 1e-3 if "float16" in name else 0.0
    for k, v in obj["model"].items():
        assert torch.allclose(v.float(), ref[k], atol=tol, rtol=tol), k
    if "float16" in name:
        assert all(v.dtype == torch.float16 for v in obj["model"].values())


@pytest.mark.parametrize("name", ["multiverseg_missing_tensor.pt", "multiverseg_wrong_shape.pt"])
def test_broken_variants_fail_a_strict_load(name):
    net = build_model("multiverseg", 4, 2)
    with pytest.raises(RuntimeError):
        net.load_state_dict(load(name)["model"], strict=True)


def test_truncated_checkpoint_does_not_load():
    with pytest.raises(Exception):
        load("multiverseg_truncated.pt")


def test_hostile_checkpoint_references_os_system_and_is_refused():
    with zipfile.ZipFile(os.path.join(PT, "hostile_os_system.pt")) as z:
        data = z.read("hostile_os_system/data.pkl")
    globals_ = [arg for op, arg, _ in pickletools.genops(data) if op.name == "GLOBAL"]
    assert globals_ == ["os system"]
    # weights_only refuses the global before resolving it: nothing runs.
    with pytest.raises(pickle.UnpicklingError):
        load("hostile_os_system.pt")
