#!/usr/bin/env python3
"""Time the Swift network against onnxruntime and PyTorch eager on the same weights, side by side.

    python3 Training/tools/bench_reference.py --weights Weights/default.safetensors \
        --swift .build/release/multiverseg --threads 2

For each context size (default 0, 1, 4, 16, 64; 128x128, batch 1) it times
  (a) the Swift binary, one column per 3x3 convolution path (--algorithms, default `all`: every path
      this CPU runs, e.g. avx2, avx2-direct, portable, portable-direct, im2col-gemm; the bench
      interleaves their runs so they share the machine's load alike):
      `<swift> bench --weights W --threads T --contexts C --algorithm A --json` (extra flags, e.g.
      `--runs 20` or `--parallelism blas`, via --swift-args); when the binary is missing or fails, the
      table says so and the other columns are still printed;
  (b) onnxruntime CPU, intra_op_num_threads = --threads, inter_op 1, sequential, on the ONNX export of the
      same weights for that context size (context 0 = the graph for 1 entry fed the all-0.5 dummy entry,
      which is what the network does for an empty context);
  (c) PyTorch eager, torch.set_num_threads(--threads), inference mode.
Per context this is repeated --rounds times, alternating the backends; the table shows each backend's
median round and the speed-up over onnxruntime as the median of the ratios taken within a round (the
machine may be shared with other work: absolute times drift, ratios within a round hold).
Each (backend, context) runs in a fresh child process, so peak RSS (VmHWM) is per configuration; it
includes the Python interpreter and the library (PyTorch ~ 250 MB of it).

JSON the Swift `bench --json` command is expected to print on stdout (the last line that parses as JSON
is used; other lines are ignored):

    {"threads": 2, "resolution": 128, "algorithm": "avx2",
     "results": [{"context": 16, "median_ms": 180.2, "p90_ms": 190.0, "peak_rss_mb": 95.1}, ...],
     "algorithms": {"avx2": [...like results...], "portable": [...], ...}}

(`algorithms` is optional: without it `results` is the one Swift column; more keys are ignored).
`peak_rss_mb` is optional. Times are wall-clock milliseconds per full forward pass (all context entries
through the network), after warm-up runs. Median and p90 here use linear interpolation between order
statistics (numpy.percentile). `--json-out` writes this script's results in the same shape, one entry per
backend.
"""
import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # Training/
sys.path.insert(0, HERE)


def _inputs(context: int, r: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    target = np.zeros((1, 5, r, r), np.float32)
    target[0, 0] = rng.random((r, r))
    target[0, 2, r // 2, r // 2] = 1.0
    n = max(context, 1)
    if context == 0:
        ci = np.full((1, 1, 1, r, r), 0.5, np.float32)
        cl = ci.copy()
    else:
        ci = rng.random((1, n, 1, r, r), dtype=np.float32)
        cl = (rng.random((1, n, 1, r, r)) > 0.5).astype(np.float32)
    return target, ci, cl


def _time(fn, min_runs: int, max_runs: int, budget_s: float, warmup: int):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_runs and (len(times) < min_runs or time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return times


def _peak_rss_mb():
    # VmHWM belongs to this process image; ru_maxrss would also count the parent's peak, which Linux carries
    # across fork+exec.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(backend: str, weights: str, onnx_dir: str, context: int, a: dict, q):
    """Runs in a fresh process: builds the backend, times it, reports times and peak RSS."""
    try:
        threads, r = a["threads"], a["resolution"]
        target, ci, cl = _inputs(context, r)
        if backend == "torch":
            import torch
            torch.set_num_threads(threads)
            torch.set_num_interop_threads(1)
            from weights_format import load_weights
            model, meta = load_weights(weights)
            tt, tci, tcl = map(torch.from_numpy, (target, ci, cl))
            arch = meta["arch"]

            def fn():
                with torch.inference_mode():
                    model(tt, tci, tcl) if arch == "multiverseg" else model(tt)
        else:
            import onnxruntime as ort
            so = ort.SessionOptions()
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
            so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            path = os.path.join(onnx_dir, f"ctx{max(context, 1)}.onnx")
            sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            names = [i.name for i in sess.get_inputs()]
            feed = dict(zip(names, (target, ci, cl)))

            def fn():
                sess.run(None, feed)
        times = _time(fn, a["min_runs"], a["max_runs"], a["budget_s"], a["warmup"])
        q.put({"times": times, "peak_rss_mb": _peak_rss_mb()})
    except Exception as e:  # reported in the table, not fatal
        q.put({"error": f"{type(e).__name__}: {e}"})


def run_python_backend(backend, weights, onnx_dir, context, a):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(backend, weights, onnx_dir, context, a, q))
    p.start()
    try:
        res = q.get(timeout=a["timeout_s"])
    except Exception:
        res = {"error": f"no result within {a['timeout_s']} s"}
    p.join(timeout=10)
    if p.is_alive():
        p.kill()
    if "times" in res:
        t = np.array(res["times"])
        res.update(median_ms=float(np.percentile(t, 50)), p90_ms=float(np.percentile(t, 90)), runs=len(t))
    return res


def _per_algorithm(doc):
    """{path name: {context: result}} from the Swift bench's JSON."""
    algorithms = doc.get("algorithms")
    if isinstance(algorithms, dict) and algorithms:
        return {name: {int(r["context"]): r for r in rs} for name, rs in algorithms.items()}
    return {doc.get("algorithm", "swift"): {int(r["context"]): r for r in doc["results"]}}


def run_swift(binary, weights, threads, contexts, algorithms, extra_args, timeout_s):
    if not binary:
        return None, "no --swift given"
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)) and shutil.which(binary) is None:
        return None, f"Swift binary not found: {binary} (build it with `swift build -c release`)"
    cmd = [binary, "bench", "--weights", weights, "--threads", str(threads),
           "--contexts", ",".join(map(str, contexts)), "--json"]
    if algorithms:
        cmd += ["--algorithm", algorithms]
    cmd += extra_args
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return None, f"`{' '.join(cmd)}` did not finish in {timeout_s} s"
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return None, f"`{' '.join(cmd)}` exited with {proc.returncode}: {' | '.join(tail)}"
    for line in reversed(proc.stdout.strip().splitlines()):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("results"), list):
            return _per_algorithm(doc), doc
    # Maybe the JSON spans several lines.
    try:
        doc = json.loads(proc.stdout)
        return _per_algorithm(doc), doc
    except (ValueError, KeyError, TypeError):
        return None, "Swift bench printed no JSON with a `results` list"


def export_onnx_models(weights, contexts, r, out_dir):
    from export_weights import export_onnx
    for n in sorted({max(c, 1) for c in contexts}):
        export_onnx(weights, os.path.join(out_dir, f"ctx{n}.onnx"), n, r)


def fmt(res, key="median_ms"):
    if res is None or key not in res or res[key] is None:
        return "—"
    return f"{res[key]:.1f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True, help="our safetensors weights file")
    ap.add_argument("--swift", help="path of the multiverseg binary (e.g. .build/release/multiverseg)")
    ap.add_argument("--swift-args", default="", help="extra flags for `multiverseg bench`, one string")
    ap.add_argument("--algorithms", default="all",
                    help="3x3 convolution paths of the Swift bench, comma-separated, or all (empty: its default)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--contexts", default="0,1,4,16,64")
    ap.add_argument("--resolution", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--min-runs", type=int, default=5)
    ap.add_argument("--max-runs", type=int, default=30)
    ap.add_argument("--budget-s", type=float, default=8.0, help="stop adding runs after this many seconds")
    ap.add_argument("--timeout-s", type=float, default=600.0)
    ap.add_argument("--rounds", type=int, default=3,
                    help="measure every backend this many times per context, alternating (see below)")
    ap.add_argument("--skip", default="", help="comma list of backends to skip: swift,onnxruntime,torch")
    ap.add_argument("--json-out", help="write all results as JSON here")
    a = ap.parse_args(argv)

    contexts = [int(c) for c in a.contexts.split(",") if c.strip()]
    skip = {s.strip() for s in a.skip.split(",") if s.strip()}
    opts = dict(threads=a.threads, resolution=a.resolution, warmup=a.warmup, min_runs=a.min_runs,
                max_runs=a.max_runs, budget_s=a.budget_s, timeout_s=a.timeout_s)

    from weights_format import load_weights
    _, meta = load_weights(a.weights)
    print(f"weights {a.weights}: arch={meta['arch']} features={meta['features']} levels={meta['levels']}; "
          f"{a.resolution}x{a.resolution}, {a.threads} threads, contexts {contexts}")
    if meta["arch"] != "multiverseg":
        contexts = [0]

    # Rounds: per context, the Swift bench (all paths, interleaved) then onnxruntime then PyTorch,
    # again and again. On a machine shared with other work the load drifts over minutes; ratios
    # taken within a round and their median over rounds hold where one long pass per backend does
    # not.
    paths, swift_note = [], "skipped" if "swift" in skip else None
    rounds = {}  # (backend, context) -> [result of each round]
    with tempfile.TemporaryDirectory() as tmp:
        if "onnxruntime" not in skip:
            export_onnx_models(a.weights, contexts, a.resolution, tmp)
        for c in contexts:
            for r in range(a.rounds):
                if "swift" not in skip:
                    swift, note = run_swift(a.swift, a.weights, a.threads, [c], a.algorithms,
                                            a.swift_args.split(), a.timeout_s)
                    if swift is None:
                        swift_note = note
                    else:
                        if isinstance(note, dict) and note.get("threads") not in (None, a.threads):
                            print(f"warning: Swift bench ran with {note.get('threads')} threads, the others with {a.threads}")
                        for p, by_context in swift.items():
                            if p not in paths:
                                paths.append(p)
                            rounds.setdefault((f"swift {p}", c), []).append(by_context.get(c))
                        print(f"  swift       context {c:3d} round {r + 1}: " + ", ".join(
                            f"{p} {by_context[c]['median_ms']:.1f}" for p, by_context in swift.items() if c in by_context)
                            + " ms", flush=True)
                for backend in ("onnxruntime", "torch"):
                    if backend in skip:
                        continue
                    res = run_python_backend(backend, a.weights, tmp, c, opts)
                    rounds.setdefault((backend, c), []).append(res)
                    if "error" in res:
                        print(f"{backend} context {c}: {res['error']}")
                    else:
                        print(f"  {backend:11s} context {c:3d} round {r + 1}: median {res['median_ms']:.1f} ms, p90 "
                              f"{res['p90_ms']:.1f} ms, {res['runs']} runs, peak RSS {res['peak_rss_mb']:.0f} MB",
                              flush=True)
    if swift_note and not paths:
        print(f"Swift: {swift_note}")

    def median_round(results):
        """The round whose median is the median over rounds (its p90 and RSS go with it)."""
        good = sorted((r for r in results if r and "median_ms" in r), key=lambda r: r["median_ms"])
        return good[(len(good) - 1) // 2] if good else (results[0] if results else None)

    def ratio_over_rounds(num, den):
        """Median over rounds of num's median / den's median, taken within each round."""
        pairs = [x["median_ms"] / y["median_ms"] for x, y in zip(num or [], den or [])
                 if x and y and "median_ms" in x and "median_ms" in y]
        return f"{float(np.median(pairs)):.2f}x" if pairs else "—"

    results = {name: {} for name in [f"swift {p}" for p in paths] + ["onnxruntime", "torch"]}
    for (name, c), rs in rounds.items():
        results[name][c] = median_round(rs)

    # One column per backend (each Swift path, onnxruntime, PyTorch): median wall ms per forward.
    columns = list(results)
    width = max(11, *(len(name) for name in columns))
    print()
    print(f"median wall ms per forward, {a.threads} threads, {a.resolution}x{a.resolution}, the median "
          f"round of {a.rounds} (p90 and peak RSS: --json-out)")
    header = f"{'ctx':>4} | " + " ".join(f"{name:>{width}}" for name in columns)
    print(header)
    print("-" * len(header))
    for c in contexts:
        print(f"{c:>4} | " + " ".join(f"{fmt(results[name].get(c)):>{width}}" for name in columns))
    if paths and "onnxruntime" not in skip:
        # How many times faster than onnxruntime each Swift path is (ORT time / path time).
        print()
        print(f"speed-up over onnxruntime (ORT ms / path ms, median over {a.rounds} rounds of ratios within a round)")
        header = f"{'ctx':>4} | " + " ".join(f"{p:>{width}}" for p in paths + ["torch"])
        print(header)
        print("-" * len(header))
        for c in contexts:
            o = rounds.get(("onnxruntime", c))
            cells = [ratio_over_rounds(o, rounds.get((f"swift {p}", c))) for p in paths]
            cells.append(ratio_over_rounds(o, rounds.get(("torch", c))) if "torch" not in skip else "—")
            print(f"{c:>4} | " + " ".join(f"{cell:>{width}}" for cell in cells))
    if not paths:
        print(f"(no Swift columns: {swift_note})")

    if a.json_out:
        doc = {"threads": a.threads, "resolution": a.resolution, "weights": a.weights,
               "backends": {b: [{"context": c, **{k: v for k, v in (r or {}).items() if k != "times"}}
                                for c, r in rs.items()] for b, rs in results.items()}}
        with open(a.json_out, "w") as f:
            json.dump(doc, f, indent=1)
        print(f"wrote {a.json_out}")


if __name__ == "__main__":
    main()
