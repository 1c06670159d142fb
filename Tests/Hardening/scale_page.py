"""How the project page and the labeling page scale (issue 16: "the image list and the context
panel stay usable with 1,000 images and 300 context entries").

It writes two projects in the documented folder format (Docs/project-format.md) into a temporary
projects folder: "big" (1,000 synthetic 64x64 images, 300 of them accepted and in one label's
context set) and "small" (100 images, 30 entries), serves them with the built binary (without
model weights, so no prediction competes with the pages for the CPU) and measures both with
headless Chromium, in the same run:

- the project page: load (navigation start to the load event) and the HTML size;
- the labeling page: navigation start to the first frame with the whole image list, and to the
  first frame with the context panel filled;
- the image list: typing a name into the find box until the next frame (filter), choosing
  a state in the filter, and Enter on the find box until the image is open (jump);
- the context panel: scrolling it to the bottom in steps, the longest frame, and how many
  thumbnails it fetched (lazy loading: only those scrolled into view);
- every request the pages made: count and bytes per kind (`/api/projects/:p`, context, images, masks).

It prints a table with the big/small ratios, saves screenshots of the labeling page with the big
project at 1280x720 and 1600x1000 (into $MULTIVERSEG_SCREENSHOTS, default /tmp), and checks that
the image list and the context panel start above the fold there. The last line is
"scale page: N passed, M failed".

Usage: python3 Tests/Hardening/scale_page.py [--binary .build/debug/multiverseg] [--json out.json]
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Tests", "PythonSupport"))
from pngtools import grey_png  # noqa: E402
from server import Server  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

LABEL = "cell"
SIZE = 64


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_project(root, project_id, images, accepted, seed):
    """A project folder as the app writes one: images/, masks/<label>/, context/<label>.json."""
    rng = random.Random(seed)
    folder = os.path.join(root, project_id)
    write(os.path.join(folder, "project.json"), json.dumps(
        {"schema": 1, "name": f"Scale {project_id}", "labels": [LABEL], "created": "2026-12-03T00:00:00Z"}).encode())
    entries = []
    for k in range(images):
        image = f"img-{k:04d}"
        cx, cy, r = rng.randrange(16, 48), rng.randrange(16, 48), rng.randrange(6, 14)
        inside = [((x - cx) ** 2 + (y - cy) ** 2) <= r * r for y in range(SIZE) for x in range(SIZE)]
        pixels = bytes(200 if on else 40 + (x * 3 + y * 5 + k) % 30 for (on, x, y) in
                       ((inside[y * SIZE + x], x, y) for y in range(SIZE) for x in range(SIZE)))
        write(os.path.join(folder, "images", image + ".png"), grey_png(SIZE, SIZE, pixels))
        if k < accepted:
            write(os.path.join(folder, "masks", LABEL, image + ".png"),
                  grey_png(SIZE, SIZE, bytes(255 if on else 0 for on in inside)))
            entries.append({"id": image, "version": 1, "annotator": "scale", "acceptedAt": "2026-12-03T00:00:00Z",
                            "interactions": rng.randrange(0, 8), "included": k % 10 != 3})
    write(os.path.join(folder, "context", LABEL + ".json"),
          json.dumps({"schema": 1, "label": LABEL, "entries": entries}).encode())


def make_driver():
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800",
                 "--force-device-scale-factor=1"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_window_size(1280, 800)
    driver.set_script_timeout(120)
    return driver


# Resolves with performance.now() at the first animation frame where `condition` holds.
UNTIL_FRAME = """
    const [source, timeout] = arguments, done = arguments[arguments.length - 1];
    const condition = new Function(source), start = performance.now();
    const step = () => {
      let ok = false;
      try { ok = condition(); } catch (e) { ok = false; }
      if (ok) return requestAnimationFrame(() => done(performance.now()));
      if (performance.now() - start > timeout) return done(null);
      requestAnimationFrame(step);
    };
    step();"""


def until_frame(driver, condition, timeout_ms=60000):
    return driver.execute_async_script(UNTIL_FRAME, condition, timeout_ms)


def requests_by_kind(driver, project):
    """Count and bytes of the page's requests so far, grouped by what they ask for."""
    entries = driver.execute_script(
        "return performance.getEntriesByType('resource').map((e) => [e.name, e.encodedBodySize, e.decodedBodySize])")
    kinds = {}
    base = f"/api/projects/{project}"
    for name, encoded, decoded in entries:
        path = name.split("://", 1)[-1].split("/", 1)[-1]
        path = "/" + path.split("?", 1)[0]
        if path == base:
            kind = "GET /api/projects/:p (JSON)"
        elif path.endswith("/context"):
            kind = "GET …/context (JSON)"
        elif path.endswith("/mask.png"):
            kind = "mask PNGs"
        elif path.startswith(base + "/images/") and path.endswith(".png"):
            kind = "image PNGs"
        elif path.endswith("/raw"):
            kind = "raw image"
        elif path.endswith("/next"):
            kind = "GET …/next (JSON)"
        elif path.startswith("/api/"):
            kind = "other API"
        else:
            continue  # the page's own scripts and styles
        count, size = kinds.get(kind, (0, 0))
        kinds[kind] = (count + 1, size + max(encoded, decoded))
    return kinds


def measure(driver, url, project, images, entries):
    figures = {}
    driver.get("about:blank")
    driver.get(f"{url}projects/{project}")
    until_frame(driver, f"return document.getElementById('image-count').textContent === '({images})' "
                        "&& document.querySelector('#images li[data-image]')")
    timing = driver.execute_script("""const t = performance.getEntriesByType('navigation')[0];
        return [t.domContentLoadedEventEnd, t.loadEventEnd, t.decodedBodySize];""")
    figures["project page: DOMContentLoaded (ms)"] = timing[0]
    figures["project page: load (ms)"] = timing[1]
    figures["project page: HTML (KB)"] = timing[2] / 1024
    figures["project page: thumbnails fetched"] = requests_by_kind(driver, project).get("image PNGs", (0, 0))[0]
    figures["project page: tiles in the page"] = driver.execute_script("return document.querySelectorAll('#images li[data-image]').length")

    driver.get("about:blank")
    driver.get(f"{url}label.html?project={project}&label={LABEL}&image=img-0500" if images > 500
               else f"{url}label.html?project={project}&label={LABEL}&image=img-0050")
    # The list renders the rows in view only: wait for its count and its first rows.
    listed = until_frame(driver, f"return document.getElementById('image-count').textContent === '{images}' "
                                 "&& document.querySelector('#images li[data-image]')")
    context = until_frame(driver, f"return document.querySelectorAll('#context .context-entry').length === {entries}")
    until_frame(driver, "return document.body.dataset.image && document.body.dataset.pending === 'false'")
    figures["label page: image list painted (ms)"] = listed
    figures["label page: context panel painted (ms)"] = context
    figures["image list: rows in the page"] = driver.execute_script("return document.querySelectorAll('#images li[data-image]').length")
    time.sleep(0.5)
    for kind, (count, size) in sorted(requests_by_kind(driver, project).items()):
        figures[f"label page: {kind}: requests"] = count
        figures[f"label page: {kind}: KB"] = size / 1024

    # Filter by name: type into the find box, measure until the next frame shows the result.
    figures["image list: find by name (ms)"] = driver.execute_async_script("""
        const done = arguments[arguments.length - 1], find = document.getElementById('image-find');
        const start = performance.now();
        find.value = '0042';
        find.dispatchEvent(new Event('input'));
        requestAnimationFrame(() => done(performance.now() - start));""")
    figures["image list: clear the find box (ms)"] = driver.execute_async_script("""
        const done = arguments[arguments.length - 1], find = document.getElementById('image-find');
        const start = performance.now();
        find.value = '';
        find.dispatchEvent(new Event('input'));
        requestAnimationFrame(() => done(performance.now() - start));""")
    figures["image list: filter 'to do' (ms)"] = driver.execute_async_script("""
        const done = arguments[arguments.length - 1], filter = document.getElementById('image-filter');
        const start = performance.now();
        filter.value = 'todo';
        filter.dispatchEvent(new Event('change'));
        requestAnimationFrame(() => { filter.value = 'all'; filter.dispatchEvent(new Event('change')); done(performance.now() - start); });""")
    # Jump: Enter in the find box opens the first match; until the page says the image is open.
    target = f"img-{images - 7:04d}"
    start = driver.execute_script("""
        const find = document.getElementById('image-find');
        find.value = arguments[0];
        find.dispatchEvent(new Event('input'));
        const t = performance.now();
        find.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
        return t;""", target)
    opened = until_frame(driver, f"return document.body.dataset.image === '{target}' && document.body.dataset.pending === 'false'")
    figures["image list: jump to an image by name (ms)"] = opened - start if opened else None
    driver.execute_script("const f = document.getElementById('image-find'); f.value = ''; f.dispatchEvent(new Event('input'));")

    # Scroll the context panel to the bottom in steps; record frame times meanwhile.
    before = requests_by_kind(driver, project).get("image PNGs", (0, 0))[0]
    scroll = driver.execute_async_script("""
        const done = arguments[arguments.length - 1], panel = document.getElementById('context');
        const scroller = panel.scrollHeight > panel.clientHeight ? panel : document.querySelector('.side');
        scroller.scrollTop = 0;
        const frames = [];
        let last = performance.now();
        const start = last;
        const step = () => {
          const now = performance.now();
          frames.push(now - last);
          last = now;
          if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2) {
            return done({total: now - start, longest: Math.max(...frames.slice(1)), frames: frames.length,
                         height: scroller.scrollHeight, scroller: scroller.id || scroller.className});
          }
          scroller.scrollTop += 400;
          requestAnimationFrame(step);
        };
        requestAnimationFrame(step);""")
    time.sleep(1.0)
    after = requests_by_kind(driver, project).get("image PNGs", (0, 0))[0]
    figures["context panel: scroll to the bottom (ms)"] = scroll["total"]
    figures["context panel: longest frame while scrolling (ms)"] = scroll["longest"]
    figures["context panel: scroll height (px)"] = scroll["height"]
    figures["context panel: thumbnails fetched by the scroll"] = after - before
    figures["DOM nodes on the label page"] = driver.execute_script("return document.getElementsByTagName('*').length")
    return figures


def screenshots(driver, url, shots, results):
    driver.get(f"{url}label.html?project=big&label={LABEL}&image=img-0500")
    until_frame(driver, "return document.getElementById('image-count').textContent === '1000'")
    until_frame(driver, "return document.querySelectorAll('#context .context-entry').length === 300")
    for width, height in ((1280, 720), (1600, 1000)):
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        driver.execute_script("document.querySelector('.side').scrollTop = 0")
        time.sleep(0.5)
        tops = driver.execute_script(
            "return [innerHeight, ...['images', 'context'].map((id) => document.getElementById(id).getBoundingClientRect().top)]")
        path = os.path.join(shots, f"multiverseg-scale-{width}x{height}.png")
        driver.save_screenshot(path)
        results.append((f"at {width}x{height} with 1,000 images and 300 entries the image list and the context panel "
                        f"start above the fold", tops[1] < tops[0] - 60 and tops[2] < tops[0] - 60,
                        f"viewport {tops[0]}, image list at {tops[1]:.0f}, context panel at {tops[2]:.0f}; {path}"))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "multiverseg"))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--limit-ms", type=float, default=1000,
                        help="what counts as usable: the big project's list actions under this, page loads under twice this")
    args = parser.parse_args()
    shots = os.environ.get("MULTIVERSEG_SCREENSHOTS", "/tmp")
    os.makedirs(shots, exist_ok=True)
    work = tempfile.mkdtemp(prefix="multiverseg-scale-")
    projects = os.path.join(work, "Projects")
    started = time.time()
    make_project(projects, "big", 1000, 300, seed=1)
    make_project(projects, "small", 100, 30, seed=2)
    print(f"wrote the projects in {time.time() - started:.1f} s", flush=True)
    server = Server.started(args.binary, ["--port", "0", "--projects", projects, "--weights", os.path.join(work, "none.safetensors"),
                                          "--public-dir", os.path.join(ROOT, "Public"), "--templates-dir", os.path.join(ROOT, "Templates")])
    driver = make_driver()
    results = []
    try:
        measure(driver, server.url, "small", 100, 30)  # warm up the server's caches and the browser
        small = measure(driver, server.url, "small", 100, 30)
        big = measure(driver, server.url, "big", 1000, 300)
        screenshots(driver, server.url, shots, results)
    finally:
        driver.quit()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n| figure | 100 images / 30 entries | 1,000 images / 300 entries | ratio |\n|---|---:|---:|---:|")
    for key in big:
        a, b = small.get(key), big[key]
        ratio = f"{b / a:.1f}×" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a else "—"
        show = lambda v: "—" if v is None else (f"{v:.0f}" if isinstance(v, float) and v >= 10 else
                                                 f"{v:.1f}" if isinstance(v, float) else str(v))
        print(f"| {key} | {show(a)} | {show(b)} | {ratio} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"small": small, "big": big}, f, indent=1)
    # Page loads include the server's answer for the whole project (with a debug build, most of it).
    for key, limit in (("project page: load (ms)", 2 * args.limit_ms), ("label page: image list painted (ms)", 2 * args.limit_ms),
                       ("label page: context panel painted (ms)", 2 * args.limit_ms), ("image list: find by name (ms)", args.limit_ms),
                       ("image list: filter 'to do' (ms)", args.limit_ms), ("image list: jump to an image by name (ms)", args.limit_ms),
                       ("context panel: longest frame while scrolling (ms)", args.limit_ms / 4)):
        value = big.get(key)
        results.append((f"big project: {key} under {limit:.0f}", value is not None and value < limit, f"{value}"))
    fetched = big["context panel: thumbnails fetched by the scroll"]
    results.append(("scrolling the context panel fetches the thumbnails it brings into view, not all 300 at once",
                    0 < fetched < 300, str(fetched)))
    results.append(("the page holds as many image-list rows and project-page tiles for 1,000 images as for a few hundred",
                    big["image list: rows in the page"] <= 200 and big["project page: tiles in the page"] <= 200,
                    f'{big["image list: rows in the page"]} rows, {big["project page: tiles in the page"]} tiles'))
    passed = sum(1 for _, ok, _ in results if ok)
    print()
    for name, ok, detail in results:
        print(("PASS " if ok else "FAIL ") + name + (f" — {detail}" if detail else ""))
    print(f"scale page: {passed} passed, {len(results) - passed} failed in {time.time() - started:.0f} s")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
