"""Training speed, old recipe against new, side by side in one run: target examples per second of
`train_step` (sampling, augmentation, interactions, forward and backward, Adam) on this machine.

    python3 Training/tools/bench_train.py --pack .pack/train128.npz.xz --threads 2 --resolutions 64,128 --seconds 60

Each arm starts from the same random weights and draws the same context sizes; arms alternate in short
rounds so a load change on the machine hits both alike. "old" is the recipe of the first shipped weights
(fp32, every step backpropagated, 3 steps, the paper's prompt mix); "new" the campaign's (the first and
last step backpropagated, 2-5 steps, prompt styles); "new+bf16" adds bf16 autocast, on CPUs with bf16
instructions (AVX512_BF16 or AMX) only. Examples/s counts target examples (one
episode of all its interaction steps); forward passes/s counts network evaluations, with or without gradient.
"""
import argparse
import dataclasses
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # Training/
from train.interactions import InteractionSimulator  # noqa: E402
from train.loop import TrainConfig, build_model, cpu_has_bf16, train_step  # noqa: E402
from train.pack import load_pack  # noqa: E402
from train.tasks import TaskSampler  # noqa: E402

ARMS = {
    "old": dict(amp=False, grad_steps="all", interaction_steps=3, min_interaction_steps=0, styles="0,0,0,0,1",
                p_center=0.0),
    "new": dict(amp=False, grad_steps="first-last", interaction_steps=5, min_interaction_steps=2,
                styles=TrainConfig.styles, p_center=TrainConfig.p_center),
}
ARMS["new+bf16"] = dict(ARMS["new"], amp=True)
# bf16 by default only where the CPU has bf16 instructions: elsewhere PyTorch emulates it and autocast is slower.
DEFAULT_ARMS = "old,new,new+bf16" if cpu_has_bf16() else "old,new"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resolutions", default="64,128")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--max-context", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60, help="per arm and resolution")
    ap.add_argument("--arms", default=DEFAULT_ARMS, help=f"of {', '.join(ARMS)}; the first is the baseline")
    ap.add_argument("--round", type=float, default=10, help="seconds per arm before switching")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    pack = load_pack(a.pack)
    print(f"torch {torch.__version__}, {a.threads} threads, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"batch {a.batch}, context U[0,{a.max_context}]")
    rows = []
    for res in [int(r) for r in a.resolutions.split(",")]:
        state = {}
        for name in a.arms.split(","):
            kw = ARMS[name]
            cfg = TrainConfig(pack=a.pack, out="", batch=a.batch, max_context=a.max_context, resolution=res, **kw)
            torch.manual_seed(0)
            model = build_model(cfg)
            opt = torch.optim.Adam(model.parameters(), lr=1e-4)
            gen = torch.Generator().manual_seed(0)
            sampler = TaskSampler(pack, "train", res, "cpu", p_synth=cfg.p_synth, seed=0)
            sim = InteractionSimulator(gen, styles=[float(v) for v in cfg.styles.split(",")], p_center=cfg.p_center)
            amp = torch.bfloat16 if cfg.amp else None
            train_step(model, opt, sampler, sim, cfg, gen, amp)        # warm-up (allocations, autocast caches)
            state[name] = dict(cfg=cfg, model=model, opt=opt, gen=gen, sampler=sampler, sim=sim, amp=amp,
                               seconds=0.0, examples=0, forwards=0)
        while min(s["seconds"] for s in state.values()) < a.seconds:
            for name, s in state.items():
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < a.round:
                    _, _, steps = train_step(s["model"], s["opt"], s["sampler"], s["sim"], s["cfg"], s["gen"], s["amp"])
                    s["examples"] += s["cfg"].batch
                    s["forwards"] += s["cfg"].batch * steps
                s["seconds"] += time.perf_counter() - t0
        first = next(iter(state.values()))
        base = first["examples"] / first["seconds"]
        for name, s in state.items():
            eps = s["examples"] / s["seconds"]
            rows.append((res, name, eps, s["forwards"] / s["seconds"], eps / base))
    print(f"{'res':>5} {'arm':>8} {'examples/s':>11} {'forwards/s':>11} {'ratio':>6}")
    for res, name, eps, fps, ratio in rows:
        print(f"{res:>5} {name:>8} {eps:>11.3f} {fps:>11.3f} {ratio:>6.2f}")


if __name__ == "__main__":
    main()
