"""tools/export_weights.py writes our format faithfully, and its ONNX export computes the same logits."""
import os
import subprocess
import sys

import numpy as np
import torch
from safetensors import safe_open

TRAINING = os.path.join(os.path.dirname(__file__), "..")
sys.path.insert(0, TRAINING)
from weights_format import load_weights  # noqa: E402


def run(*args):
    subprocess.run([sys.executable, os.path.join(TRAINING, "tools", "export_weights.py"), *args], check=True,
                   capture_output=True)


def test_random_weights_are_reproducible_and_carry_metadata(tmp_path):
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    run("--random", "--arch", "multiverseg", "--features", "4", "--levels", "2", "--seed", "3", "-o", str(a),
        "--training-steps", "0")
    run("--random", "--arch", "multiverseg", "--features", "4", "--levels", "2", "--seed", "3", "-o", str(b))
    with safe_open(str(a), "pt") as fa, safe_open(str(b), "pt") as fb:
        meta = fa.metadata()
        assert meta["format"] == "multiverseg-weights" and meta["format_version"] == "1"
        assert (meta["arch"], meta["features"], meta["levels"], meta["resolution"], meta["in_channels"]) == \
            ("multiverseg", "4", "2", "128", "5")
        assert meta["training_steps"] == "0"
        for k in fa.keys():
            assert fa.get_tensor(k).dtype == torch.float32
            assert torch.equal(fa.get_tensor(k), fb.get_tensor(k)), k


def test_from_pt_round_trip(tmp_path):
    pt = os.path.join(TRAINING, "..", "Tests", "InferenceTests", "Fixtures", "pt", "scribbleprompt_nf4_l2.pt")
    out = tmp_path / "sp.safetensors"
    run("--from-pt", pt, "--arch", "scribbleprompt-unet", "--features", "4", "--levels", "2", "-o", str(out))
    model, meta = load_weights(str(out))
    sd = torch.load(pt, weights_only=True)
    for k, v in model.state_dict().items():
        assert torch.equal(v, sd[k]), k
    assert meta["source"] == "scribbleprompt_nf4_l2.pt"


def test_onnx_export_matches_pytorch(tmp_path):
    import onnxruntime as ort
    w, onnx = tmp_path / "w.safetensors", tmp_path / "m.onnx"
    run("--random", "--arch", "multiverseg", "--features", "4", "--levels", "3", "-o", str(w))
    run("--onnx", str(onnx), "--weights", str(w), "--context", "3", "--resolution", "32")
    model, _ = load_weights(str(w))
    g = torch.Generator().manual_seed(0)
    t, ci, cl = torch.rand(1, 5, 32, 32, generator=g), torch.rand(1, 3, 1, 32, 32, generator=g), \
        torch.rand(1, 3, 1, 32, 32, generator=g)
    with torch.no_grad():
        want = model(t, ci, cl).numpy()
    sess = ort.InferenceSession(str(onnx), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"target": t.numpy(), "context_images": ci.numpy(), "context_labels": cl.numpy()})[0]
    print("onnx vs torch max diff", np.abs(got - want).max())
    assert np.allclose(got, want, atol=1e-4, rtol=1e-4)
