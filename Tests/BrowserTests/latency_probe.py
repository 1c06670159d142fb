"""Prediction latency as the labeling page shows it, at given context sizes (a benchmark: it prints
figures and checks nothing).

It builds a temporary project from a folder of PNGs, serves it with `multiverseg serve`, and in
headless Chromium labels image after image: wait for the in-context prediction, click a few times
(each click waits for its prediction), accept with Enter. At each requested context size it records
what the page shows: the server's compute time per prediction and the round trip from the request
to the streamed result.

Usage: python3 Tests/BrowserTests/latency_probe.py --images DIR [--weights FILE]
       [--binary .build/release/multiverseg] [--contexts 0,4,16] [--clicks 3]
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests", "PythonSupport"))
from e2e_test import body_data, make_driver, wait_for  # noqa: E402
from server import Server  # noqa: E402

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402


def wait_prediction(driver, timeout):
    wait_for(driver, lambda d: int(body_data(d, "shownSeq") or -1) >= int(body_data(d, "firstSeq") or 1)
             and body_data(d, "pending") == "false", timeout, "a prediction")


def shown(driver):
    return {
        "server": float(body_data(driver, "latencyMs")),
        "trip": float(body_data(driver, "roundTripMs") or "nan"),
        "cached": body_data(driver, "cached") == "true",
        "context": body_data(driver, "predictionContext"),
    }


def main():
    parser = argparse.ArgumentParser(description="latency the labeling page shows, by context size")
    parser.add_argument("--images", required=True, help="folder of PNG images of one kind (e.g. HC18 fetal heads)")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "multiverseg"))
    parser.add_argument("--weights", default=None)
    parser.add_argument("--contexts", default="0,4,16")
    parser.add_argument("--clicks", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    contexts = sorted({int(c) for c in args.contexts.split(",")})
    files = sorted(f for f in os.listdir(args.images) if f.endswith(".png"))[:max(contexts) + 1]
    if len(files) < max(contexts) + 1:
        sys.exit(f"need {max(contexts) + 1} images in {args.images}, found {len(files)}")

    work = tempfile.mkdtemp(prefix="multiverseg-latency-")
    project = os.path.join(work, "Projects", "latency")
    os.makedirs(os.path.join(project, "images"))
    for name in files:
        shutil.copy(os.path.join(args.images, name), os.path.join(project, "images", name))
    with open(os.path.join(project, "project.json"), "w") as f:
        json.dump({"schema": 1, "name": "Latency probe", "labels": ["target"], "created": "2026-01-01T00:00:00Z"}, f)
    command = ["--port", "0", "--projects", os.path.join(work, "Projects"),
               "--public-dir", os.path.join(ROOT, "Public"), "--templates-dir", os.path.join(ROOT, "Templates")]
    if args.weights:
        command += ["--weights", args.weights]
    server = Server.started(args.binary, command)
    driver = make_driver(work)
    rows = []
    try:
        driver.get(server.url)
        driver.execute_script("localStorage.setItem('multiverseg.annotator', 'latency-probe')")
        driver.get(server.url + "label.html?project=latency&label=target")
        for accepted in range(max(contexts) + 1):
            wait_prediction(driver, args.timeout)
            opening = shown(driver)
            clicks = []
            if accepted in contexts:
                canvas = driver.find_element(By.ID, "view")
                for k in range(args.clicks):
                    before = int(body_data(driver, "shownSeq"))
                    ActionChains(driver).move_to_element_with_offset(canvas, 8 * k, -6 * k).click().perform()
                    wait_for(driver, lambda d: int(body_data(d, "shownSeq")) > before and body_data(d, "pending") == "false",
                             args.timeout, "the prediction after a click")
                    clicks.append(shown(driver))
                rows.append((accepted, opening, clicks))
                print(f"context {accepted:3d}: opened in {opening['server']:.0f} ms"
                      f"{' (precomputed)' if opening['cached'] else ''}, clicks: "
                      + ", ".join(f"{c['server']:.0f} ms (trip {c['trip']:.0f})" for c in clicks), flush=True)
            image = body_data(driver, "image")
            ActionChains(driver).send_keys(Keys.ENTER).perform()
            if accepted < max(contexts):
                wait_for(driver, lambda d: body_data(d, "image") not in (None, "", image), args.timeout, "the next image")
    finally:
        driver.quit()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    print("\n| context (page) | in-context on open | after a click: server (median) | round trip (median) |")
    print("|---:|---:|---:|---:|")
    for accepted, opening, clicks in rows:
        server_ms = statistics.median(c["server"] for c in clicks) if clicks else float("nan")
        trip_ms = statistics.median(c["trip"] for c in clicks) if clicks else float("nan")
        used = clicks[-1]["context"] if clicks else opening["context"]
        print(f"| {accepted} (network saw {used}) | {opening['server']:.0f} ms{' precomputed' if opening['cached'] else ''} "
              f"| {server_ms:.0f} ms | {trip_ms:.0f} ms |")


if __name__ == "__main__":
    main()
