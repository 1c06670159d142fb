"""End-to-end test of the labeling app in a real browser (headless Chromium + Selenium).

It starts `multiverseg serve --port 0` on a temporary copy of Projects/, opens the demo project
from the home page, clicks on the canvas, waits for the mask overlay (reading canvas pixels),
accepts, checks that the next image arrives with a prediction before any click, exports the
label's masks and checks the PNG set (names = image ids, 0/255, original size). Screenshots go
to $MULTIVERSEG_SCREENSHOTS (default /tmp). The last line is "N passed, M failed".

Usage: python3 Tests/BrowserTests/e2e_test.py [--binary .build/debug/multiverseg] [--weights FILE]
"""

import argparse
import base64
import io
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Tests", "PythonSupport"))
from pngtools import grey_png, luminance_rows, read_png  # noqa: E402
from server import Server  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

PROJECT = "fetal-head-demo"
LABEL = "head"
MASK_RGB = (64, 224, 160)  # Public/js/label/viewer.js


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"PASS {name}" + (f" — {detail}" if detail else ""), flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f" — {detail}" if detail else ""), flush=True)
        return condition


def make_driver(download_dir):
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800",
                 "--force-device-scale-factor=1"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    options.add_experimental_option("prefs", {"download.default_directory": download_dir,
                                              "download.prompt_for_download": False})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_window_size(1280, 800)
    return driver


def body_data(driver, key):
    return driver.execute_script("return document.body.dataset[arguments[0]] ?? null", key)


def overlay_pixels(driver):
    """How many pixels of the visible canvas carry the mask tint (the overlay really is drawn)."""
    return driver.execute_script("""
        const canvas = document.getElementById('view');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let k = 0; k < data.length; k += 4) {
          const r = data[k], g = data[k + 1], b = data[k + 2];
          if (g - r > 40 && g - b > 15) n++;
        }
        return n;""")


def wait_for(driver, predicate, timeout, what):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: predicate(d))
    except Exception:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def click(driver, css, timeout=20):
    """Click the first element matching `css`, again if a page script replaced it meanwhile (the
    home and project pages re-render the server's lists once their data arrives)."""
    deadline = time.time() + timeout
    while True:
        try:
            elements = driver.find_elements(By.CSS_SELECTOR, css)
            if elements:
                elements[0].click()
                return
        except StaleElementReferenceException:
            pass
        if time.time() > deadline:
            raise AssertionError(f"no clickable {css} after {timeout} s")
        time.sleep(0.1)


def check_other_labels(driver, results, url):
    other = "brain"
    image = sorted(os.listdir(os.path.join(ROOT, "Projects", PROJECT, "images")))[-1][:-4]
    driver.get(f"{url}label.html?project={PROJECT}&label={LABEL}&image={image}")
    wait_for(driver, lambda d: d.execute_script("return window.multiversegPage && window.multiversegPage.info"), 20, "the labeling page")
    # A second label, and a mask of it accepted for the image, made through the API as a script would.
    driver.execute_async_script("""
        const [project, label, image, png] = arguments, done = arguments[arguments.length - 1];
        const post = (path, body) => fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
        post(`/api/projects/${project}/labels`, {label})
          .then(() => post(`/api/projects/${project}/labels/${label}/images/${image}/accept`, {maskPNG: png, annotator: "e2e", interactions: 0}))
          .then((r) => done(r.status), (e) => done(String(e)));""",
        PROJECT, other, image, base64.b64encode(grey_png(256, 256, bytes(
            255 if 60 <= x < 120 and 70 <= y < 130 else 0 for y in range(256) for x in range(256)))).decode())
    driver.get(f"{url}label.html?project={PROJECT}&label={LABEL}&image={image}")
    shown = wait_for(driver, lambda d: d.execute_script("return document.body.dataset.otherLabels || null"), 20,
                     "the other label's outline")
    outline = driver.execute_script("""
        const v = window.multiversegPage.viewer, c = v.othersLayer.getContext("2d");
        const d = c.getImageData(0, 0, v.othersLayer.width, v.othersLayer.height).data;
        let n = 0, inside = 0;
        for (let k = 0; k < d.length / 4; k++) if (d[4 * k + 3]) { n++; const x = k % v.othersLayer.width, y = Math.floor(k / v.othersLayer.width);
          if (x > 60 && x < 119 && y > 70 && y < 129) inside++; }
        return [n, inside, document.getElementById("others-legend").textContent, !document.getElementById("others-row").hidden];""")
    chord(driver, [Keys.SHIFT], "o")
    hidden = driver.execute_script("return !window.multiversegPage.viewer.othersVisible")
    results.check("another label's accepted mask is outlined (only its boundary) with a legend, and Shift+O hides it",
                  shown == other and outline[0] == 2 * 60 + 2 * 58 and outline[1] == 0 and outline[2] == other
                  and outline[3] and hidden, f"labels {shown}; {outline}; hidden {hidden}")


def check_label_management(driver, results, url, projects):
    """On the project page (after check_other_labels gave the demo a second label, "brain"): the
    multi-class export link, then Rename and Delete on that label."""
    driver.get(f"{url}projects/{PROJECT}")
    href = wait_for(driver, lambda d: d.execute_script(
        "return document.getElementById('export-multiclass')?.getAttribute('href')"), 20, "the multi-class export link")
    status, kind, data = fetch_bytes(driver, href)
    archive = zipfile.ZipFile(io.BytesIO(data)) if status == 200 else None
    manifest = json.loads(archive.read("manifest.json")) if archive else {}
    labeled = {n[:-4] for label in ("head", "brain") if os.path.isdir(os.path.join(projects, PROJECT, "masks", label))
               for n in os.listdir(os.path.join(projects, PROJECT, "masks", label)) if n.endswith(".png")}
    brain_image = next((row["image"] for row in manifest.get("images", []) if any(m["label"] == "brain" for m in row["masks"])), None)
    values = set()
    if brain_image:
        _, _, _, rows = luminance_rows(archive.read(brain_image + ".png"))
        values = {v for row in rows for v in row}
    results.check("“Export all labels (multi-class)” downloads one PNG per labeled image (0, 1 = head, 2 = brain) and a manifest",
                  status == 200 and [(v["value"], v["label"]) for v in manifest.get("labels", [])] == [(1, "head"), (2, "brain")]
                  and sorted(archive.namelist()) == sorted([f"{i}.png" for i in labeled] + ["manifest.json"]) and 2 in values
                  and values <= {0, 1, 2}, f"HTTP {status} {kind}; {sorted(archive.namelist()) if archive else data[:200]}; values {sorted(values)}")

    driver.execute_script("window.prompt = () => 'brain2'; window.confirm = () => true;")
    click(driver, '#labels li[data-label="brain"] button.rename-label')
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '#labels li[data-label="brain2"]'), 10, "the renamed label")
    masks = os.path.join(projects, PROJECT, "masks")
    results.check("Rename on a label moves its masks and keeps its place in the list",
                  os.path.exists(os.path.join(masks, "brain2", brain_image + ".png")) and not os.path.exists(os.path.join(masks, "brain"))
                  and driver.execute_script("return [...document.querySelectorAll('#labels li[data-label]')].map((li) => li.dataset.label)")
                  == ["head", "brain2"], f"{os.listdir(masks)}")
    click(driver, '#labels li[data-label="brain2"] button.delete-label')
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, '#labels li[data-label="brain2"]'), 10, "the deleted label to go")
    trash = os.path.join(projects, PROJECT, "trash", "labels")
    kept = [t for t in (os.listdir(trash) if os.path.isdir(trash) else []) if t.startswith("brain2-")]
    results.check("Delete on a label takes it out of the project and keeps its files in trash/labels/",
                  kept and os.path.exists(os.path.join(trash, kept[0], "masks", brain_image + ".png"))
                  and os.path.exists(os.path.join(trash, kept[0], "context.json")) and not os.path.exists(os.path.join(masks, "brain2")),
                  f"{kept}; status {driver.find_element(By.ID, 'status').text!r}")


def fetch_bytes(driver, url):
    """GET a URL from inside the page (same origin, same cookies) and return its bytes."""
    script = """
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(async (r) => {
          const bytes = new Uint8Array(await r.arrayBuffer());
          let s = '';
          for (let k = 0; k < bytes.length; k += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(k, k + 0x8000));
          done({status: r.status, type: r.headers.get('Content-Type'), body: btoa(s)});
        }).catch((e) => done({status: 0, type: '', body: '', error: String(e)}));"""
    answer = driver.execute_async_script(script, url)
    return answer["status"], answer["type"], base64.b64decode(answer["body"])


def run(args, results):
    shots = os.environ.get("MULTIVERSEG_SCREENSHOTS", "/tmp")
    os.makedirs(shots, exist_ok=True)
    work = tempfile.mkdtemp(prefix="multiverseg-e2e-")
    projects = os.path.join(work, "Projects")
    shutil.copytree(os.path.join(ROOT, "Projects"), projects)
    downloads = os.path.join(work, "downloads")
    os.makedirs(downloads)
    server = Server.started(args.binary, ["--port", "0", "--projects", projects, "--public-dir", os.path.join(ROOT, "Public"),
                                          "--templates-dir", os.path.join(ROOT, "Templates")]
                            + (["--weights", args.weights] if args.weights else []))
    with urllib.request.urlopen(server.url + "api/health", timeout=10) as response:
        model = json.load(response)["model"]
    if not results.check("the app has a model to predict with", model.get("available"),
                         model.get("name") or model.get("problem") or ""):
        print("  give weights with --weights FILE, or put them at Weights/default.safetensors")
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
        return
    driver = make_driver(downloads)
    driver.set_script_timeout(60)
    try:
        # 1. The home page lists the demo project; open it and go to its label.
        driver.get(server.url)
        href = wait_for(driver, lambda d: d.execute_script(
            "return document.querySelector(arguments[0])?.getAttribute('href')", f'[data-project="{PROJECT}"] a.label-link'),
            20, "the demo project's label link on the home page")
        results.check("home page lists the demo project with a link to label it", "label.html" in href, href)
        driver.save_screenshot(os.path.join(shots, "multiverseg-home.png"))

        # 2. A new project from the home page's form opens its page, with its labels.
        form = driver.find_element(By.ID, "create-project")
        form.find_element(By.NAME, "name").send_keys("E2E cells")
        form.find_element(By.NAME, "labels").send_keys("nucleus, membrane")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(driver, lambda d: "/projects/" in d.current_url, 10, "the new project's page")
        # The page script re-renders the server's list, so read the names in one script call.
        labels = wait_for(driver, lambda d: d.execute_script(
            "return [...document.querySelectorAll('#labels li[data-label]')].map((li) => li.dataset.label)"), 10, "its labels")
        results.check("the home page's form creates a project with its labels", sorted(labels) == ["membrane", "nucleus"],
                      driver.current_url)
        created = driver.current_url.rstrip("/").rsplit("/", 1)[1]
        driver.get(server.url)
        # Delete it again from the home page: it leaves the list, its folder goes to .trash/.
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-project="{created}"] button.delete-project'), 20,
                 "the new project's Delete button")
        driver.execute_script("window.confirm = () => true;")
        click(driver, f'[data-project="{created}"] button.delete-project')
        wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, f'[data-project="{created}"]'), 10, "the project to leave the list")
        trash = os.listdir(os.path.join(projects, ".trash")) if os.path.isdir(os.path.join(projects, ".trash")) else []
        results.check("Delete on the home page takes a project out of the list and keeps its folder in .trash/",
                      not os.path.exists(os.path.join(projects, created)) and any(t.startswith(created + "-") for t in trash),
                      f"{created}: trash {trash}")

        # 3. The project page shows its images; a BMP upload is converted to PNG in the browser.
        click(driver, f'[data-project="{PROJECT}"] a.name')
        tiles = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#images li[data-image]"), 20, "the image grid")
        originals = len(tiles)
        results.check("the project page shows the project's images", originals == 12, f"{originals} tiles")
        bmp = os.path.join(work, "e2e upload.bmp")
        with open(bmp, "wb") as f:
            f.write(make_bmp(40, 30))
        driver.find_element(By.ID, "files").send_keys(bmp)
        wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#images li[data-image]")) == originals + 1, 20,
                 "the uploaded image in the grid")
        log = driver.find_element(By.ID, "upload-log").text
        uploaded = [n for n in os.listdir(os.path.join(projects, PROJECT, "images")) if n.startswith("e2e")]
        size = None
        if uploaded:
            with open(os.path.join(projects, PROJECT, "images", uploaded[0]), "rb") as f:
                size = read_png(f.read())[:2]
        results.check("a BMP upload is converted to PNG in the browser and imported", size == (40, 30),
                      f"{log}; stored {uploaded} at {size}")
        # A TIFF (a valid 2x2 8-bit grey one): Chromium cannot decode TIFF, and the page must say so.
        tiff = os.path.join(work, "scan.tif")
        with open(tiff, "wb") as f:
            f.write(make_tiff(2, 2, bytes([0, 80, 160, 240])))
        driver.find_element(By.ID, "files").send_keys(tiff)
        row = wait_for(driver, lambda d: d.execute_script(
            "const li = [...document.querySelectorAll('#upload-log li')].find((li) => li.textContent.startsWith('scan.tif'));"
            "return li && li.className !== 'busy' ? [li.className, li.textContent] : null"), 20, "the TIFF upload's outcome")
        results.check("a TIFF the browser cannot decode is refused with a message that says so",
                      row[0] == "error" and "TIFF" in row[1], row[1])
        # The same BMP again: identical content is not added a second time, and the log says which image it is.
        driver.find_element(By.ID, "files").send_keys(bmp)
        again = wait_for(driver, lambda d: d.execute_script(
            "const li = [...document.querySelectorAll('#upload-log li')].find((li) => li.textContent.includes('identical'));"
            "return li ? [li.className, li.textContent] : null"), 20, "the duplicate upload's outcome")
        tiles_now = len(driver.find_elements(By.CSS_SELECTOR, "#images li[data-image]"))
        results.check("uploading the same file again says it is already there and adds nothing",
                      again[0] == "warn" and uploaded and uploaded[0][:-4] in again[1] and tiles_now == originals + 1,
                      f"{again[1]}; {tiles_now} tiles")
        driver.save_screenshot(os.path.join(shots, "multiverseg-project.png"))
        # Manage: rename the project (its id stays) and delete the uploaded image (moved to trash/).
        driver.execute_script("window.prompt = () => 'Fetal heads (renamed)'; window.confirm = () => true;")
        driver.find_element(By.ID, "rename-project").click()
        wait_for(driver, lambda d: d.find_element(By.ID, "project-name").text == "Fetal heads (renamed)", 10, "the new name")
        with open(os.path.join(projects, PROJECT, "project.json")) as f:
            stored_name = json.load(f)["name"]
        results.check("Rename changes the project's name on the page and on disk, not its id",
                      stored_name == "Fetal heads (renamed)" and f"/projects/{PROJECT}" in driver.current_url, stored_name)
        gone = uploaded[0][:-4] if uploaded else "e2e_upload"
        driver.execute_script(f"document.querySelector('#images li[data-image=\"{gone}\"] .delete-image').click()")
        wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, f'#images li[data-image="{gone}"]'), 10, "the deleted tile to go")
        results.check("Delete takes an image out of the project and keeps its file in trash/",
                      not os.path.exists(os.path.join(projects, PROJECT, "images", gone + ".png"))
                      and os.path.exists(os.path.join(projects, PROJECT, "trash", "images", gone + ".png")), gone)
        driver.back()
        click(driver, f'[data-project="{PROJECT}"] a.label-link')
        wait_for(driver, lambda d: "label.html" in d.current_url, 10, "the labeling page")

        # 4. Cold start: the demo's context set is empty, so the first image shows no mask (the
        #    network has nothing to condition on) and a hint how to start, and asks for no prediction.
        wait_for(driver, lambda d: body_data(d, "image") and body_data(d, "coldStart") == "true", 20,
                 "the first image with the cold-start hint")
        first = body_data(driver, "image")
        hint = driver.find_element(By.ID, "hint")
        results.check("with an empty context the first image shows no mask and a hint to click, box or scribble",
                      hint.is_displayed() and "Click" in hint.text and body_data(driver, "maskPixels") == "0"
                      and body_data(driver, "pending") == "false" and overlay_pixels(driver) == 0,
                      f"{first}: {hint.text!r}, {body_data(driver, 'maskPixels')} mask pixels")
        # Nothing is accepted yet: Export says so instead of downloading an empty zip.
        driver.find_element(By.ID, "export").click()
        time.sleep(0.5)
        status = driver.find_element(By.ID, "status").text
        results.check("Export of a label without masks says there is nothing to export, and downloads nothing",
                      "Nothing to export" in status and not os.listdir(downloads), f"{status!r}, downloads {os.listdir(downloads)}")

        # 5. A positive click on the canvas (on the image) produces a mask drawn over the image.
        seq_before = int(body_data(driver, "shownSeq"))
        canvas = driver.find_element(By.ID, "view")
        ActionChains(driver).move_to_element(canvas).click().perform()
        wait_for(driver, lambda d: int(body_data(d, "shownSeq")) > seq_before, args.predict_timeout,
                 "the prediction after the click")
        wait_for(driver, lambda d: int(body_data(d, "maskPixels")) > 0, 5, "a non-empty mask after a positive click")
        results.check("the cold-start hint goes once there is an interaction", not driver.find_element(By.ID, "hint").is_displayed())
        time.sleep(0.2)  # one animation frame for the overlay
        tinted = overlay_pixels(driver)
        results.check("a click yields a prediction drawn as an overlay on the canvas", tinted > 100,
                      f"{body_data(driver, 'maskPixels')} mask pixels, {tinted} tinted canvas pixels, "
                      f"{driver.find_element(By.ID, 'sb-latency').text}")
        interactions = driver.find_element(By.ID, "sb-interactions").text
        results.check("the click is counted", interactions.startswith("1 "), interactions)
        driver.save_screenshot(os.path.join(shots, "multiverseg-label-click.png"))

        # 6. The other tools: box (drag), undo/redo, brush and eraser, outline mode.
        check_tools(driver, results, canvas, args.predict_timeout)
        driver.save_screenshot(os.path.join(shots, "multiverseg-label-tools.png"))

        # 7. The help overlay lists the shortcuts.
        driver.find_element(By.TAG_NAME, "body").send_keys("?")
        rows = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#help[open] tbody tr"), 5, "the help overlay")
        results.check("? opens the shortcut help", len(rows) > 10, f"{len(rows)} rows")
        missing = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            import('/js/label/shortcuts.js').then(({ SHORTCUTS }) => done(SHORTCUTS
              .filter((row) => row.action && typeof window.multiversegPage[row.action] !== 'function')
              .map((row) => row.action)));""")
        results.check("every shortcut in the help names an action the page has", missing == [], ", ".join(missing))
        driver.save_screenshot(os.path.join(shots, "multiverseg-help.png"))
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "#help[open]"), 5, "the help overlay to close")

        # 8. Accept with Enter: the annotator name is asked once, then the next image opens.
        accepted_pixels = int(body_data(driver, "maskPixels"))
        driver.find_element(By.ID, "view").send_keys(Keys.ENTER)
        name_input = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#annotator-dialog[open] #annotator-input"),
                              5, "the annotator dialog")
        name_input[0].send_keys("e2e-tester", Keys.ENTER)
        wait_for(driver, lambda d: body_data(d, "image") not in (None, first), 20, "the next image after accept")
        second = body_data(driver, "image")
        wait_for(driver, lambda d: int(body_data(d, "shownSeq") or -1) >= int(body_data(d, "firstSeq") or 1)
                 and body_data(d, "image") == second and d.execute_script(
                     "return document.getElementById('pending').hidden"), args.predict_timeout,
                 "the next image's prediction")
        interactions = driver.find_element(By.ID, "sb-interactions").text
        results.check("the next image arrives with a prediction before any click",
                      interactions.startswith("0 "),
                      f"{second}: {body_data(driver, 'maskPixels')} mask pixels, {interactions}, "
                      f"{driver.find_element(By.ID, 'sb-latency').text}, {driver.find_element(By.ID, 'sb-context').text}")
        time.sleep(0.2)
        driver.save_screenshot(os.path.join(shots, "multiverseg-label-next.png"))
        entries = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f'#context .context-entry[data-image="{first}"]'),
                           10, "the accepted image in the context panel")
        results.check("the accepted image joins the context panel", len(entries) == 1,
                      driver.find_element(By.ID, "context-count").text)
        stored = os.path.join(projects, PROJECT, "masks", LABEL, first + ".png")
        results.check("the accepted mask is saved in the project folder", os.path.isfile(stored), stored)

        # Skip (N) with the "least confident first" order opens another unlabeled image.
        Select(driver.find_element(By.ID, "order")).select_by_value("uncertain")
        driver.execute_script("document.activeElement.blur()")  # keys in a focused select stay there
        press(driver, "n")
        # "least confident first" ranks the candidates by a prediction each: allow for a slow machine.
        wait_for(driver, lambda d: body_data(d, "image") not in (None, "", second), 2 * args.predict_timeout, "the image after Skip")
        third = body_data(driver, "image")
        results.check("Skip with “least confident first” opens another unlabeled image", third not in (first, second), third)

        # 9. A collaborator: a second app on the same folder accepts a mask; this page's context
        #    panel shows it without a reload (the first app notices the change on disk).
        other = next(i for i in ("735_HC", "602_HC", "535_HC") if i not in (first, second, third))
        collaborator = Server.started(args.binary, ["--port", "0", "--projects", projects, "--public-dir",
                                                     os.path.join(ROOT, "Public"), "--templates-dir", os.path.join(ROOT, "Templates")])
        try:
            mask = bytes(255 if 64 <= x < 192 and 96 <= y < 160 else 0 for y in range(256) for x in range(256))
            body = json.dumps({"maskPNG": base64.b64encode(grey_png(256, 256, mask)).decode(),
                               "annotator": "collaborator", "interactions": 2}).encode()
            request = urllib.request.Request(
                f"{collaborator.url}api/projects/{PROJECT}/labels/{LABEL}/images/{other}/accept", data=body,
                headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.load(response)
        finally:
            collaborator.stop()
        shown = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f'#context .context-entry[data-image="{other}"]'),
                         30, "the collaborator's mask in this page's context panel")
        results.check("a mask accepted by a second app on the same folder shows up in the page without a reload",
                      bool(shown), f"{other}: {answer}, panel {driver.find_element(By.ID, 'context-count').text}")

        # 10. Export: the button downloads a zip of 0/255 PNGs named by image id at the original size.
        driver.find_element(By.ID, "export").click()
        deadline = time.time() + 15
        downloaded = []
        last_size = -1
        while time.time() < deadline:
            # Chrome may create the final name before the bytes land: wait for a nonzero size that holds still.
            downloaded = [n for n in os.listdir(downloads) if n.endswith(".zip")]
            if downloaded:
                size = os.path.getsize(os.path.join(downloads, downloaded[0]))
                if size > 0 and size == last_size:
                    break
                last_size = size
            time.sleep(0.3)
        results.check("Export downloads a zip", bool(downloaded), ", ".join(downloaded))
        if downloaded:
            with open(os.path.join(downloads, downloaded[0]), "rb") as f:
                data = f.read()
        else:
            _, _, data = fetch_bytes(driver, f"/api/projects/{PROJECT}/labels/{LABEL}/export.zip")
        check_export(results, data, projects, {first: accepted_pixels, other: 128 * 64})

        # 11. Context states: removing an entry leaves it accepted but visibly not in the context
        #     set, and "Add back" returns it with its interaction count.
        check_context_states(driver, results, first, projects)
        check_navigation(driver, results, shots)

        # 12. URLs naming what does not exist give a message and a way home, never another image.
        check_bad_urls(driver, results, server.url)

        # 13. Through a proxy that slows predictions down: Enter while "predicting…" waits and saves
        #     the mask of the last interaction; a prediction request that fails is sent again.
        check_slow_and_flaky_server(driver, results, server, projects, args.predict_timeout)

        # 14. Masks made elsewhere, imported on the project page, are accepted and join the context.
        check_mask_import(driver, results, server.url, projects, work)

        # 15. Several labels: another label's accepted mask shows as an outline while labeling this one.
        check_other_labels(driver, results, server.url)

        # 16. The project page: every label in one multi-class export; rename and delete a label.
        check_label_management(driver, results, server.url, projects)

        # 17. Review: propagate proposes masks for three images and a draft is imported in the UI;
        #     the review queue accepts one as is, refines one and rejects one; export holds what it should.
        check_review(driver, results, server.url, projects, work, args)

        # 18. A NIfTI volume uploaded on the project page: slice navigation, the label's window,
        #     two slices accepted, and the NIfTI export's voxels equal to the accepted masks.
        check_volume(driver, results, server.url, projects, work, downloads, args.predict_timeout)
    except Exception as error:
        results.check("the flow ran to the end", False, f"{error}\n{traceback.format_exc()}")
        print("server output (last lines):\n  " + "\n  ".join(server.lines[-15:]))
        try:
            logs = driver.get_log("browser")
            print("browser console:\n  " + "\n  ".join(str(entry.get("message")) for entry in logs[-15:]))
        except Exception:
            pass
    finally:
        try:
            driver.save_screenshot(os.path.join(shots, "multiverseg-e2e.png"))
            print(f"screenshots in {shots}/multiverseg-*.png")
        finally:
            driver.quit()
            server.stop()
            shutil.rmtree(work, ignore_errors=True)


def interactions(driver):
    return int(driver.find_element(By.ID, "sb-interactions").text.split()[0])


def press(driver, *keys):
    ActionChains(driver).send_keys(*keys).perform()


def chord(driver, modifiers, key):
    chain = ActionChains(driver)
    for modifier in modifiers:
        chain = chain.key_down(modifier)
    chain = chain.send_keys(key)
    for modifier in reversed(modifiers):
        chain = chain.key_up(modifier)
    chain.perform()


def composite_mean(driver, x0, x1, y):
    """Mean of the page's current mask over image pixels x0..x1 of row y."""
    return driver.execute_script("""
        const a = window.multiversegPage.annotation, m = a.composite();
        let s = 0; for (let x = arguments[0]; x <= arguments[1]; x++) s += m[arguments[2] * a.width + x];
        return s / (arguments[1] - arguments[0] + 1);""", x0, x1, y)


def check_tools(driver, results, canvas, timeout):
    def wait_prediction(after, what):
        wait_for(driver, lambda d: int(body_data(d, "shownSeq")) > after and body_data(d, "pending") == "false",
                 timeout, what)

    seq = int(body_data(driver, "shownSeq"))
    press(driver, "b")
    ActionChains(driver).move_to_element_with_offset(canvas, -60, -50).click_and_hold() \
        .move_by_offset(60, 50).move_by_offset(60, 50).release().perform()
    wait_prediction(seq, "the prediction after a box")
    prompts = driver.execute_script("return window.multiversegPage.annotation.prompts()")
    results.check("a box drag is sent as a box and predicted", interactions(driver) == 2 and len(prompts["boxes"]) == 1,
                  f"{interactions(driver)} interactions, boxes {prompts['boxes']}")

    seq = int(body_data(driver, "shownSeq"))
    press(driver, "d")
    ActionChains(driver).move_to_element_with_offset(canvas, -100, 80).click_and_hold() \
        .move_by_offset(30, 5).move_by_offset(30, -5).move_by_offset(30, 5).release().perform()
    wait_prediction(seq, "the prediction after a scribble")
    prompts = driver.execute_script("return window.multiversegPage.annotation.prompts()")
    scribble = prompts["scribbles"][0] if prompts["scribbles"] else {}
    results.check("a negative scribble is sent as a polyline and predicted",
                  interactions(driver) == 3 and scribble.get("positive") is False and len(scribble.get("points", [])) >= 3,
                  f"{interactions(driver)} interactions, {len(scribble.get('points', []))} points, width {scribble.get('width')}")

    seq = int(body_data(driver, "shownSeq"))
    chord(driver, [Keys.CONTROL], "z")
    wait_prediction(seq, "the prediction after undo")
    after_undo = interactions(driver)
    seq = int(body_data(driver, "shownSeq"))
    chord(driver, [Keys.CONTROL, Keys.SHIFT], "z")
    wait_prediction(seq, "the prediction after redo")
    results.check("undo and redo change the interactions and predict again", (after_undo, interactions(driver)) == (2, 3),
                  f"after undo {after_undo}, after redo {interactions(driver)}")

    # Brush then eraser along the same short horizontal stroke near the top-left of the image.
    info = driver.execute_script("const v = window.multiversegPage.viewer; return [v.scale, v.tx, v.ty, window.devicePixelRatio || 1]")
    scale, tx, ty, dpr = info
    rect = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.width, r.height]", canvas)

    def to_offset(x, y):  # image pixel -> offset from the canvas centre in CSS pixels
        return (x * scale + tx) / dpr - rect[0] / 2, (y * scale + ty) / dpr - rect[1] / 2

    def stroke():
        sx, sy = to_offset(20.5, 30.5)
        ex, _ = to_offset(60.5, 30.5)
        ActionChains(driver).move_to_element_with_offset(canvas, int(sx), int(sy)).click_and_hold() \
            .move_by_offset(int((ex - sx) / 2), 0).move_by_offset(int((ex - sx) / 2), 0).release().perform()

    press(driver, "p")
    stroke()
    painted = composite_mean(driver, 24, 56, 30)
    press(driver, "e")
    stroke()
    erased = composite_mean(driver, 24, 56, 30)
    results.check("brush paints and eraser clears mask pixels by hand", painted == 1 and erased == 0,
                  f"mask along the stroke: {painted:.2f} after brush, {erased:.2f} after eraser; "
                  f"{interactions(driver)} interactions")

    # Fill holes (H) and keep the largest component (L) on a prediction set by hand: a ring with
    # a hole and a separate small blob.
    driver.execute_script("""
        const page = window.multiversegPage, a = page.annotation, m = new Uint8Array(a.width * a.height);
        for (let y = 40; y < 80; y++) for (let x = 40; x < 80; x++) {
          const d = Math.hypot(x - 60, y - 60); if (d < 18 && d >= 8) m[y * a.width + x] = 1; }
        for (let y = 10; y < 14; y++) for (let x = 100; x < 104; x++) m[y * a.width + x] = 1;
        a.setPrediction(m); page.refreshMask();""")
    before = composite_mean(driver, 55, 65, 60)
    press(driver, "h")
    holes = composite_mean(driver, 55, 65, 60)
    press(driver, "l")
    blob = composite_mean(driver, 100, 103, 11)
    results.check("fill holes (H) fills the ring's hole and keep largest (L) drops the small blob",
                  before < 1 and holes == 1 and blob == 0 and composite_mean(driver, 55, 65, 60) == 1,
                  f"hole row {before:.2f} -> {holes:.2f}; blob {blob:.2f}")

    # Lasso (A): an outline drawn with the mouse is added to the mask; Shift erases inside one; the
    # fill tool (G) fills the hole of a ring and erases a piece it is clicked on.
    def click_image(x, y):
        ox, oy = to_offset(x, y)
        ActionChains(driver).move_to_element_with_offset(canvas, int(ox), int(oy)).click().perform()

    def drag_path(points, shift=False):
        chain = ActionChains(driver)
        if shift:
            chain.key_down(Keys.SHIFT)
        x0, y0 = to_offset(*points[0])
        chain.move_to_element_with_offset(canvas, int(x0), int(y0)).click_and_hold()
        last = (int(x0), int(y0))
        for point in points[1:]:
            x, y = to_offset(*point)
            chain.move_by_offset(int(x) - last[0], int(y) - last[1])
            last = (int(x), int(y))
        chain.release()
        if shift:
            chain.key_up(Keys.SHIFT)
        chain.perform()

    driver.execute_script("""
        const page = window.multiversegPage; page.annotation.setPrediction(new Uint8Array(page.annotation.width * page.annotation.height));
        page.refreshMask();""")
    press(driver, "a")
    drag_path([(20, 90), (50, 90), (50, 110), (20, 110), (20, 92)])
    lassoed = composite_mean(driver, 25, 45, 100)
    drag_path([(30, 95), (40, 95), (40, 105), (30, 105), (30, 96)], shift=True)
    cut = composite_mean(driver, 33, 37, 100)
    kept = composite_mean(driver, 22, 27, 100)
    results.check("lasso (A) adds the outlined region and Shift+lasso erases inside it",
                  lassoed == 1 and cut == 0 and kept == 1, f"inside {lassoed:.2f}; cut {cut:.2f}; kept {kept:.2f}")
    press(driver, "g")
    click_image(35, 100)
    hole_filled = composite_mean(driver, 33, 37, 100)
    click_image(22, 100)
    piece_erased = composite_mean(driver, 21, 49, 100)
    results.check("fill (G) fills the hole it is clicked in and erases the piece of mask it is clicked on",
                  hole_filled == 1 and piece_erased == 0, f"hole {hole_filled:.2f}; piece {piece_erased:.2f}")

    press(driver, "c")
    filled = overlay_pixels(driver)
    press(driver, "o")
    time.sleep(0.2)
    outlined = overlay_pixels(driver)
    press(driver, "o")
    results.check("outline mode draws only the mask's boundary", 0 < outlined < filled,
                  f"{filled} tinted pixels filled, {outlined} outlined")


def check_context_states(driver, results, image, projects):
    context = json.loads(fetch_bytes(driver, f"/api/projects/{PROJECT}/labels/{LABEL}/context")[2])
    interactions = next(e["interactions"] for e in context["entries"] if e["id"] == image)
    click(driver, f'#context .context-entry[data-image="{image}"] button.danger')
    wait_for(driver, lambda d: d.switch_to.alert, 5, "the confirmation").accept()
    state = wait_for(driver, lambda d: d.execute_script(
        "const li = document.querySelector(`#images li[data-image='${arguments[0]}']`);"
        "const out = document.querySelector(`#context .context-outside li[data-image='${arguments[0]}']`);"
        "return li && li.dataset.state === 'excluded' && out ? [li.querySelector('button').title, "
        "document.getElementById('progress').textContent] : null", image), 10, "the removed image's state")
    results.check("a removed context entry shows as accepted but not in the context set, not counted as in context",
                  "not in the context set" in state[0] and "in context" in state[1], f"{state[0]!r}; {state[1]!r}")
    click(driver, f'#context .context-outside li[data-image="{image}"] button.restore')
    meta = wait_for(driver, lambda d: d.execute_script(
        "const card = document.querySelector(`#context .context-entry[data-image='${arguments[0]}'] .meta`);"
        "const li = document.querySelector(`#images li[data-image='${arguments[0]}']`);"
        "return card && li.dataset.state === 'done' ? card.textContent : null", image), 10, "the entry back in the context panel")
    results.check("“Add back” returns it to the context set with its interaction count", meta.startswith(f"{interactions} int."),
                  meta)

    # Un-accept: the mask goes to history, the image leaves the context set and is to do again.
    click(driver, f'#images li[data-image="{image}"] button')
    wait_for(driver, lambda d: body_data(d, "image") == image and not d.find_element(By.ID, "unaccept").get_attribute("disabled"),
             10, "the accepted image open with Un-accept enabled")
    driver.find_element(By.ID, "unaccept").click()
    wait_for(driver, lambda d: d.switch_to.alert, 5, "the confirmation").accept()
    wait_for(driver, lambda d: d.execute_script(
        "const li = document.querySelector(`#images li[data-image='${arguments[0]}']`);"
        "return li && li.dataset.state === 'todo' && !document.querySelector(`#context [data-image='${arguments[0]}']`)", image),
        10, "the image to do again and out of the context panel")
    mask = os.path.join(projects, PROJECT, "masks", LABEL, image + ".png")
    history = os.path.join(projects, PROJECT, "history", LABEL, image)
    kept = sorted(os.listdir(history)) if os.path.isdir(history) else []
    results.check("Un-accept moves the mask to history and takes the image out of the context set",
                  not os.path.exists(mask) and kept == ["1.png"], f"mask there: {os.path.exists(mask)}, history {kept}")


def check_navigation(driver, results, shots):
    """Filter the image list, find an image by name (/), go back (Shift+N), and the layout: the
    image list and the context panel start above the fold at 1280x720 and 1600x1000."""
    def listed():
        return driver.execute_script(
            "return [...document.querySelectorAll('#images li[data-image]')].map((li) => [li.dataset.image, li.dataset.state])")

    everything = listed()
    Select(driver.find_element(By.ID, "image-filter")).select_by_value("todo")
    todo = listed()
    Select(driver.find_element(By.ID, "image-filter")).select_by_value("done")
    done = listed()
    Select(driver.find_element(By.ID, "image-filter")).select_by_value("all")
    results.check("the image list filters to do / in context", todo and done and all(s == "todo" for _, s in todo)
                  and all(s == "done" for _, s in done) and len(todo) + len(done) <= len(everything),
                  f"{len(everything)} images: {len(todo)} to do, {len(done)} in context")

    before = body_data(driver, "image")
    target = next(i for i, _ in reversed(everything) if i != before)
    driver.execute_script("document.activeElement.blur()")
    press(driver, "/")
    focused = driver.execute_script("return document.activeElement.id")
    ActionChains(driver).send_keys(target[-6:].lower(), Keys.ENTER).perform()
    wait_for(driver, lambda d: body_data(d, "image") == target, 20, f"{target} opened from the find box")
    shown = listed()
    results.check("/ focuses the find box; typing part of a name lists the matches and Enter opens the first",
                  focused == "image-find" and [i for i, _ in shown] == [target], f"focus {focused}, listed {shown}")
    driver.find_element(By.ID, "image-find").send_keys(Keys.ESCAPE)
    driver.execute_script("document.activeElement.blur()")
    chord(driver, [Keys.SHIFT], "n")
    wait_for(driver, lambda d: body_data(d, "image") == before, 20, "the previous image after Shift+N")
    results.check("Shift+N goes back to the image opened before", True, f"{target} -> {before}")

    for width, height in ((1280, 720), (1600, 1000)):
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        driver.execute_script("document.querySelector('.side').scrollTop = 0")  # as the page opens
        time.sleep(0.3)
        tops = driver.execute_script(
            "return [innerHeight, ...['images', 'context'].map((id) => document.getElementById(id).getBoundingClientRect().top)]")
        driver.save_screenshot(os.path.join(shots, f"multiverseg-label-{width}x{height}.png"))
        results.check(f"at {width}x{height} the image list and the context panel start above the fold",
                      tops[1] < tops[0] - 60 and tops[2] < tops[0] - 60,
                      f"viewport height {tops[0]}, image list at {tops[1]:.0f}, context panel at {tops[2]:.0f}")
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def check_mask_import(driver, results, url, projects, work):
    with urllib.request.urlopen(f"{url}api/projects/{PROJECT}/labels/{LABEL}/next", timeout=10) as response:
        image = json.load(response)["id"]
    # Named as HC18 names its masks, with 0/1 values as label maps from other tools have them.
    path = os.path.join(work, f"{image}_Annotation.png")
    mask = bytes(1 if 50 <= x < 150 and 60 <= y < 100 else 0 for y in range(256) for x in range(256))
    with open(path, "wb") as f:
        f.write(grey_png(256, 256, mask))
    driver.get(f"{url}projects/{PROJECT}")
    field = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f'.mask-files[data-label="{LABEL}"]'), 20, "the mask import")
    field[0].send_keys(path)
    row = wait_for(driver, lambda d: d.execute_script(
        "const li = [...document.querySelectorAll('#upload-log li')].find((li) => li.textContent.startsWith(arguments[0]));"
        "return li && li.className !== 'busy' ? [li.className, li.textContent] : null", os.path.basename(path)), 20, "the import's outcome")
    stored = os.path.join(projects, PROJECT, "masks", LABEL, image + ".png")
    pixels = len(foreground(open(stored, "rb").read())) if os.path.exists(stored) else 0
    with open(os.path.join(projects, PROJECT, "context", LABEL + ".json")) as f:
        entry = next((e for e in json.load(f)["entries"] if e["id"] == image), None)
    results.check("an imported mask file (named like its image, 0/1 values) is accepted and joins the context set",
                  row[0] == "ok" and pixels == 100 * 40 and entry is not None and entry["interactions"] == 0,
                  f"{row[1]}; {pixels} foreground pixels; entry {entry}")


def api_json(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def check_review(driver, results, url, projects, work, args):
    import subprocess
    # Three of the demo's ultrasound images nobody accepted (not the small uploaded BMP), and a fourth for a draft.
    detail = api_json(f"{url}api/projects/{PROJECT}")
    free = [i["id"] for i in detail["images"] if not i["labels"].get(LABEL, {}).get("accepted") and i["width"] == 256]
    command = [args.binary, "propagate", "--projects", projects, "--project", PROJECT, "--label", LABEL,
               "--images", ",".join(free[:3]), "--limit", "3", "--threads", "1"] + (["--weights", args.weights] if args.weights else [])
    started = time.time()
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    folder = os.path.join(projects, PROJECT, "proposals", LABEL)
    proposed = sorted(n[:-5] for n in os.listdir(folder) if n.endswith(".json")) if os.path.isdir(folder) else []
    results.check("multiverseg propagate --limit 3 writes three proposals", run.returncode == 0 and len(proposed) == 3,
                  f"{time.time() - started:.1f} s; {proposed}; {(run.stdout + run.stderr)[-300:]}")

    # A draft imported on the project page joins the same queue (an image with no mask, no proposal).
    draft_image = free[3]
    path = os.path.join(work, f"{draft_image}_mask.png")
    with open(path, "wb") as f:
        f.write(grey_png(256, 256, bytes(255 if 80 <= x < 180 and 90 <= y < 150 else 0 for y in range(256) for x in range(256))))
    driver.get(f"{url}projects/{PROJECT}")
    field = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f'.mask-files[data-label="{LABEL}"][data-draft="1"]'),
                     20, "the draft import")
    field[0].send_keys(path)
    row = wait_for(driver, lambda d: d.execute_script(
        "const li = [...document.querySelectorAll('#upload-log li')].find((li) => li.textContent.startsWith(arguments[0]));"
        "return li && li.className !== 'busy' ? [li.className, li.textContent] : null", os.path.basename(path)), 20,
        "the draft import's outcome")
    record_path = os.path.join(folder, draft_image + ".json")
    record = json.load(open(record_path)) if os.path.exists(record_path) else {}
    results.check("a mask imported as a draft on the project page becomes a proposal marked imported, not an accepted mask",
                  row[0] == "ok" and record.get("source") == "imported"
                  and not os.path.exists(os.path.join(projects, PROJECT, "masks", LABEL, draft_image + ".png")),
                  f"{row[1]}; {record}")

    # The project page links to the review with the count; the queue is most uncertain first.
    # The page re-renders its labels after the import: wait for the count that includes the draft.
    link = wait_for(driver, lambda d: d.execute_script(
        "const a = document.querySelector(`li[data-label='${arguments[0]}'] a.review-link`);"
        "return a && a.textContent.includes('4 proposal') ? [a.href, a.textContent] : null",
        LABEL), 20, "the Review link counting 4 proposals")
    queue = api_json(f"{url}api/projects/{PROJECT}/labels/{LABEL}/proposals")
    order = [item["image"] for item in queue["items"]]
    uncertainties = [item["uncertainty"] for item in queue["items"]]
    results.check("the project page's Review link counts the proposals; the queue is most uncertain first",
                  "4 proposal" in link[1] and "review=1" in link[0] and uncertainties == sorted(uncertainties, reverse=True)
                  and order[-1] == draft_image and queue["proposed"] == 4, f"{link[1]}; {order} {uncertainties}")
    accepted_before = queue["accepted"]
    driver.get(link[0])
    wait_for(driver, lambda d: body_data(d, "reviewImage") == order[0] and body_data(d, "pending") == "false", 60,
             "the first proposal")
    shown = driver.execute_script("return document.getElementById('review-progress').textContent")
    results.check("review mode opens the most uncertain proposal with its mask and the progress",
                  overlay_pixels(driver) > 0 and f"{accepted_before} accepted · 4 proposed" in shown
                  and str(queue["remaining"]) + " remaining" in shown, f"{shown}; overlay {overlay_pixels(driver)}")
    help_text = driver.execute_script("return document.getElementById('help-body').textContent")
    results.check("the ? list names the review keys", "Review: accept the proposal as it is" in help_text
                  and "Review: reject" in help_text, help_text[-200:])

    def context_entry(image):
        with open(os.path.join(projects, PROJECT, "context", LABEL + ".json")) as f:
            return next((e for e in json.load(f)["entries"] if e["id"] == image), None)

    # Accept as is (Y): an accepted mask equal to the proposal, in the context with 0 interactions.
    first = order[0]
    with open(os.path.join(folder, first + ".png"), "rb") as f:
        proposal_pixels = len(foreground(f.read()))
    press(driver, "y")
    wait_for(driver, lambda d: body_data(d, "reviewImage") == order[1] and body_data(d, "pending") == "false", 60,
             "the second proposal after Y")
    stored = os.path.join(projects, PROJECT, "masks", LABEL, first + ".png")
    pixels = len(foreground(open(stored, "rb").read())) if os.path.exists(stored) else -1
    entry = context_entry(first)
    results.check("Y accepts the proposal as is: mask file, context entry with 0 interactions, proposal gone",
                  pixels == proposal_pixels and entry is not None and entry["interactions"] == 0
                  and not os.path.exists(os.path.join(folder, first + ".json")), f"{pixels} vs {proposal_pixels}; {entry}")

    # The accept changed the context: the other proposals are stale now, and the panel says how to refresh them.
    refresh = driver.execute_script(
        "return [document.getElementById('review-refresh').hidden, document.getElementById('review-command').textContent,"
        " document.getElementById('review-item').textContent]")
    results.check("after an accept the remaining proposals are marked stale, with the propagate command to refresh them",
                  refresh[0] is False and refresh[1] == f"multiverseg propagate --project {PROJECT} --label {LABEL}"
                  and "stale" in refresh[2], str(refresh))

    # Refine (R): a click predicts again from the proposal; Enter saves it with its interactions.
    second = order[1]
    press(driver, "r")
    canvas = driver.find_element(By.ID, "view")
    seq = int(body_data(driver, "shownSeq"))
    ActionChains(driver).move_to_element_with_offset(canvas, 0, 0).click().perform()
    wait_for(driver, lambda d: int(body_data(d, "shownSeq")) > seq and body_data(d, "pending") == "false", 120,
             "the refined prediction")
    prompts = driver.execute_script("return window.multiversegPage.annotation.prompts()")
    press(driver, Keys.ENTER)
    wait_for(driver, lambda d: body_data(d, "reviewImage") == order[2] and body_data(d, "pending") == "false", 60,
             "the third proposal after Enter")
    entry = context_entry(second)
    results.check("R then a click refines the proposal; Enter accepts it with its interaction count",
                  len(prompts["clicks"]) == 1 and entry is not None and entry["interactions"] >= 1
                  and os.path.exists(os.path.join(projects, PROJECT, "masks", LABEL, second + ".png"))
                  and not os.path.exists(os.path.join(folder, second + ".json")), f"{prompts}; {entry}")

    # Reject (X): no mask, the proposal gone, the rejection recorded for propagate.
    third = order[2]
    press(driver, "x")
    wait_for(driver, lambda d: body_data(d, "reviewImage") == draft_image, 60, "the draft after X")
    results.check("X rejects the proposal: no mask, proposal gone, rejection recorded",
                  not os.path.exists(os.path.join(projects, PROJECT, "masks", LABEL, third + ".png"))
                  and not os.path.exists(os.path.join(folder, third + ".json"))
                  and os.path.exists(os.path.join(folder, "rejected", third + ".json")), third)
    progress = driver.execute_script("return document.getElementById('review-progress').textContent")
    results.check("the progress counts the review", f"{accepted_before + 2} accepted · 1 proposed" in progress, progress)

    # An image opened from the list is not the proposal: Y does nothing to it, N returns to the queue.
    driver.execute_script("window.multiversegPage.open(arguments[0])", first)
    wait_for(driver, lambda d: body_data(d, "image") == first and body_data(d, "pending") == "false", 60, "an image from the list")
    press(driver, "y")
    warned = wait_for(driver, lambda d: d.execute_script(
        "const s = document.getElementById('status').textContent; return s.includes('not the proposal') ? s : null"), 10,
        "the warning")
    press(driver, "n")
    wait_for(driver, lambda d: body_data(d, "image") == draft_image and body_data(d, "pending") == "false", 60, "back to the draft")
    results.check("keys act only on the proposal shown: Y on another image warns, N returns to the queue",
                  os.path.exists(os.path.join(folder, draft_image + ".json")) and context_entry(draft_image) is None, warned)

    # Export: exactly the accepted masks; with the flag also the remaining proposal (the draft), marked.
    accepted = sorted(n for n in os.listdir(os.path.join(projects, PROJECT, "masks", LABEL)) if n.endswith(".png"))
    _, _, plain = fetch_bytes(driver, f"/api/projects/{PROJECT}/labels/{LABEL}/export.zip?manifest=1")
    names = sorted(n for n in zipfile.ZipFile(io.BytesIO(plain)).namelist() if n != "manifest.json")
    results.check("the export holds exactly the accepted masks, the reviewed ones included",
                  names == accepted and f"{first}.png" in names and f"{second}.png" in names and f"{third}.png" not in names,
                  f"{names} vs {accepted}")
    _, _, full = fetch_bytes(driver, f"/api/projects/{PROJECT}/labels/{LABEL}/export.zip?proposals=1")
    archive = zipfile.ZipFile(io.BytesIO(full))
    manifest = json.loads(archive.read("manifest.json"))
    rows = manifest.get("proposals", [])
    results.check("export with proposals=1 adds the unreviewed proposals under proposals/, marked in manifest.json",
                  sorted(n for n in archive.namelist() if n.startswith("proposals/")) == [f"proposals/{draft_image}.png"]
                  and len(rows) == 1 and rows[0]["reviewed"] is False and rows[0]["draft"] is True
                  and sorted(n for n in archive.namelist() if "/" not in n and n != "manifest.json") == accepted,
                  f"{archive.namelist()}; {rows}")


def nifti_int16(dims, value):
    """A NIfTI-1 file made with the standard library: 348-byte header, 4 bytes of extension flag,
    int16 voxels (x fastest); sform code 1 with 1 x 1 x 3 mm voxels, so the axes are RAS."""
    header = bytearray(352)
    struct.pack_into("<i", header, 0, 348)
    struct.pack_into("<8h", header, 40, 3, *dims, 1, 1, 1, 1)
    struct.pack_into("<hh", header, 70, 4, 16)  # DT_INT16, 16 bits
    struct.pack_into("<8f", header, 76, 1, 1, 1, 3, 0, 0, 0, 0)
    struct.pack_into("<fff", header, 108, 352, 1, 0)  # vox_offset, scl_slope, scl_inter
    header[123] = 2  # mm
    struct.pack_into("<hh", header, 252, 0, 1)  # qform_code 0, sform_code 1
    struct.pack_into("<12f", header, 280, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3, 0)
    header[344:348] = b"n+1\0"
    voxels = [value(i, j, k) for k in range(dims[2]) for j in range(dims[1]) for i in range(dims[0])]
    return bytes(header) + struct.pack("<%dh" % len(voxels), *voxels)


def read_nifti_uint8(data):
    """(dims, voxels) of a NIfTI-1 uint8 file, gzipped or not."""
    import gzip
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    rank, *dims = struct.unpack_from("<8h", data, 40)
    datatype = struct.unpack_from("<h", data, 70)[0]
    offset = int(struct.unpack_from("<f", data, 108)[0])
    if datatype != 2:
        raise ValueError("datatype %d, not uint8" % datatype)
    dims = dims[:rank]
    return dims, data[offset:offset + dims[0] * dims[1] * dims[2]]


def check_volume(driver, results, url, projects, work, downloads, timeout):
    request = urllib.request.Request(f"{url}api/projects", data=json.dumps({"name": "E2E volume", "labels": ["organ"]}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        project = json.load(response)["id"]
    width, height, depth = 48, 40, 6
    path = os.path.join(work, "e2e_ct.nii")
    with open(path, "wb") as f:
        # A bright (soft-tissue) disc on dark (air-like) background, growing with the slice.
        f.write(nifti_int16([width, height, depth], lambda i, j, k: 60 if (i - 24) ** 2 + (j - 20) ** 2 < (8 + k) ** 2 else -900))
    driver.get(f"{url}projects/{project}")
    wait_for(driver, lambda d: d.find_elements(By.ID, "volume-slices"), 20, "the project page")
    driver.find_element(By.ID, "files").send_keys(path)
    row = wait_for(driver, lambda d: d.execute_script(
        "const li = [...document.querySelectorAll('#upload-log li')].find((li) => li.textContent.startsWith('e2e_ct.nii'));"
        "return li && li.className !== 'busy' ? [li.className, li.textContent] : null"), 30, "the volume upload's outcome")
    tiles = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#images li[data-image]"), 20, "the slices in the grid")
    results.check("a NIfTI upload on the project page becomes one image per slice",
                  row[0] == "ok" and len(tiles) == depth and driver.find_elements(By.CSS_SELECTOR, '#volumes li[data-volume="e2e_ct"]'),
                  f"{row[1]}; {len(tiles)} tiles")
    with open(os.path.join(projects, project, "volumes", "e2e_ct.json")) as f:
        sidecar = json.load(f)
    slices = [entry["image"] for entry in sidecar["slices"]]

    driver.get(f"{url}label.html?project={project}&label=organ&image={slices[2]}")
    wait_for(driver, lambda d: body_data(d, "slice") == "e2e_ct:3/6", 20, "the slice position")
    results.check("a volume slice shows its volume and position", "e2e_ct, slice 3 / 6" in driver.find_element(By.ID, "slice-position").text,
                  driver.find_element(By.ID, "slice-position").text)
    driver.find_element(By.ID, "view").send_keys(Keys.PAGE_DOWN)
    wait_for(driver, lambda d: body_data(d, "slice") == "e2e_ct:4/6", 20, "the next slice after PageDown")
    driver.find_element(By.ID, "view").send_keys(Keys.PAGE_UP)
    wait_for(driver, lambda d: body_data(d, "slice") == "e2e_ct:3/6", 20, "the previous slice after PageUp")
    results.check("PageDown / PageUp open the neighbouring slices", body_data(driver, "image") == slices[2], body_data(driver, "image"))

    Select(driver.find_element(By.ID, "label-window")).select_by_value("soft-tissue")
    wait_for(driver, lambda d: body_data(d, "labelWindow") == "soft-tissue", 20, "the label window to be saved")
    wait_for(driver, lambda d: body_data(d, "slice") == "e2e_ct:3/6" and "label window" in d.find_element(By.ID, "bitdepth").text, 20,
             "the slice reopened under the window")
    with open(os.path.join(projects, project, "context", "organ.json")) as f:
        stored = json.load(f).get("window")
    shown = driver.execute_script("return window.multiversegPage.viewer.window")
    offset = sidecar["intensity"]["offset"]
    results.check("the custom level and width show only for a custom window",
                  not driver.find_element(By.ID, "custom-window").is_displayed(), "")
    results.check("the label window is stored with the label and drawn with it (level 40 HU in stored units)",
                  stored == {"preset": "soft-tissue"} and abs(shown["center"] - (40 - offset)) < 1e-6 and abs(shown["width"] - 400) < 1e-6,
                  f"{stored}, viewer {shown}, offset {offset}")

    # Two slices labeled: a click on the disc, then Enter (accept opens the next image, here in
    # volume order: the slice after this one).
    Select(driver.find_element(By.ID, "order")).select_by_value("volume")
    accepted = []
    for _ in range(2):
        image = body_data(driver, "image")
        seq_before = int(body_data(driver, "shownSeq"))
        ActionChains(driver).move_to_element(driver.find_element(By.ID, "view")).click().perform()
        wait_for(driver, lambda d: int(body_data(d, "shownSeq")) > seq_before, timeout, "the prediction after the click")
        driver.find_element(By.ID, "view").send_keys(Keys.ENTER)
        dialog = driver.find_elements(By.CSS_SELECTOR, "#annotator-dialog[open] #annotator-input")
        if dialog:
            dialog[0].send_keys("e2e-tester", Keys.ENTER)
        wait_for(driver, lambda d: os.path.exists(os.path.join(projects, project, "masks", "organ", image + ".png")), 20,
                 f"the accepted mask of {image}")
        accepted.append(image)
        wait_for(driver, lambda d: body_data(d, "image") != image, 30, "the next image after accept")
        if len(accepted) == 1:
            results.check("in volume order the slice after the accepted one opens next",
                          body_data(driver, "image") == slices[3], body_data(driver, "image"))
        wait_for(driver, lambda d: d.execute_script("return document.getElementById('pending').hidden"), timeout,
                 "the next slice's prediction")

    driver.get(f"{url}projects/{project}")
    link = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '#volumes a.nifti-export[download="e2e_ct_organ.nii.gz"]'), 20,
                    "the volume's NIfTI export")
    link[0].click()
    target = os.path.join(downloads, "e2e_ct_organ.nii.gz")
    deadline, last = time.time() + 20, -1
    while time.time() < deadline:
        size = os.path.getsize(target) if os.path.exists(target) else -1
        if size > 0 and size == last:
            break
        last = size
        time.sleep(0.3)
    dims, voxels = read_nifti_uint8(open(target, "rb").read()) if os.path.exists(target) else ([], b"")
    # Expected: each accepted mask put back at its slice, undoing the import's flips.
    expected = bytearray(width * height * depth)
    masks = 0
    for entry in sidecar["slices"]:
        mask_path = os.path.join(projects, project, "masks", "organ", entry["image"] + ".png")
        if not os.path.exists(mask_path):
            continue
        w, h, _, rows = luminance_rows(open(mask_path, "rb").read())
        for y in range(h):
            for x in range(w):
                if rows[y][x] > 127:
                    i = w - 1 - x if sidecar["columnsReversed"] else x
                    j = h - 1 - y if sidecar["rowsReversed"] else y
                    expected[i + width * j + width * height * entry["index"]] = 1
                    masks += 1
    results.check("the NIfTI export holds exactly the two accepted slices' masks, at their voxels",
                  list(dims) == [width, height, depth] and bytes(expected) == voxels and masks > 0 and len(accepted) == 2,
                  f"dims {dims}, {sum(voxels)} labeled voxels, {masks} mask pixels in {accepted}")


def check_bad_urls(driver, results, url):
    def stage_message():
        return driver.execute_script(
            "const box = document.getElementById('stage-message');"
            "return box && !box.hidden ? [box.textContent, [...box.querySelectorAll('a')].map((a) => a.getAttribute('href'))] : null")

    driver.get(f"{url}label.html?project={PROJECT}&label=nolabel")
    text, links = wait_for(driver, lambda d: stage_message(), 20, "the message for an unknown label")
    results.check("label.html with an unknown label says so and links home instead of opening another label",
                  "no label “nolabel”" in text and "/" in links and not body_data(driver, "image"), f"{text!r} {links}")
    driver.get(f"{url}label.html?project={PROJECT}&label={LABEL}&image=nope")
    text, links = wait_for(driver, lambda d: stage_message(), 20, "the message for an unknown image")
    results.check("label.html with an unknown image says so and links home instead of opening another image",
                  "no image “nope”" in text and "/" in links and not body_data(driver, "image"), f"{text!r} {links}")
    driver.get(f"{url}label.html?project=nope&label={LABEL}")
    text, links = wait_for(driver, lambda d: stage_message(), 20, "the message for an unknown project")
    results.check("label.html with an unknown project says so and links home", "nope" in text and "/" in links, f"{text!r} {links}")
    driver.get(f"{url}projects/nope")
    page = wait_for(driver, lambda d: d.find_elements(By.ID, "page-error"), 10, "the error page")[0]
    results.check("/projects/nope is a page with the reason and a link home, not raw JSON",
                  "no project" in page.text and driver.find_element(By.ID, "home-link").get_attribute("href") == url,
                  page.text.replace("\n", " / "))


class DelayingProxy:
    """Between the browser and the app: forwards each request on its own connection, holding
    prediction requests back `delay` seconds, or dropping them unanswered while `down` (the server
    gone for a moment). Host and Origin are rewritten to the app's, as a reverse proxy does."""

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.delay = 0.0
        self.down = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.forward, args=(client,), daemon=True).start()

    def forward(self, client):
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    return
                head += chunk
            head, rest = head.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ")[:2]
            kept = [line for line in lines[1:]
                    if line.split(":", 1)[0].strip().lower() not in ("host", "origin", "connection", "keep-alive")]
            kept += [f"Host: 127.0.0.1:{self.upstream}", "Connection: close"]
            if any(line.lower().startswith("origin:") for line in lines[1:]):
                kept.append(f"Origin: http://127.0.0.1:{self.upstream}")
            if method == "POST" and target.endswith("/predict"):
                if self.down:
                    return  # closed without an answer: the browser's fetch fails
                time.sleep(self.delay)
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
            upstream.sendall(("\r\n".join([lines[0]] + kept) + "\r\n\r\n").encode("latin-1") + rest)
            threading.Thread(target=self.pipe, args=(client, upstream), daemon=True).start()
            self.pipe(upstream, client)
        except OSError:
            pass
        finally:
            client.close()

    @staticmethod
    def pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self):
        self.listener.close()


RECORD_PREDICTIONS = """
    const page = window.multiversegPage, original = page.channel.handlers.onPrediction;
    window.seenPredictions = [];
    page.channel.handlers.onPrediction = (data, roundTrip) => {
      window.seenPredictions.push({ image: data.image, seq: data.seq, maskPNG: data.maskPNG });
      return original(data, roundTrip);
    };"""


def foreground(png):
    _, _, _, rows = luminance_rows(png)
    return {(x, y) for y, row in enumerate(rows) for x, v in enumerate(row) if v > 127}


def check_slow_and_flaky_server(driver, results, server, projects, timeout):
    port = server.port
    proxy = DelayingProxy(port)
    try:
        with urllib.request.urlopen(f"{server.url}api/projects/{PROJECT}/labels/{LABEL}/next", timeout=10) as response:
            image = json.load(response)["id"]
        proxy.delay = 2.0
        driver.get(f"{proxy.url}label.html?project={PROJECT}&label={LABEL}&image={image}")
        wait_for(driver, lambda d: body_data(d, "image") == image and int(body_data(d, "shownSeq") or -1) >= int(body_data(d, "firstSeq") or 1)
                 and body_data(d, "pending") == "false", timeout, "the in-context prediction through the slow proxy")
        driver.execute_script("localStorage.setItem('multiverseg.annotator', 'e2e-tester');" + RECORD_PREDICTIONS)
        canvas = driver.find_element(By.ID, "view")
        ActionChains(driver).move_to_element(canvas).click().send_keys(Keys.ENTER).perform()
        waiting = wait_for(driver, lambda d: body_data(d, "acceptState") == "waiting" and d.find_element(By.ID, "accept").text, 5,
                           "the accept waiting for the prediction")
        results.check("Enter while “predicting…” shows that the accept waits for the prediction", "Waiting" in waiting, waiting)
        wait_for(driver, lambda d: body_data(d, "image") not in (None, "", image), timeout, "the next image after the accept")
        with open(os.path.join(projects, PROJECT, "masks", LABEL, image + ".png"), "rb") as f:
            saved = foreground(f.read())
        seen = [p for p in driver.execute_script("return window.seenPredictions") if p["image"] == image]
        newest = max(seen, key=lambda p: p["seq"]) if seen else None
        predicted = foreground(base64.b64decode(newest["maskPNG"])) if newest else None
        with open(os.path.join(projects, PROJECT, "context", LABEL + ".json")) as f:
            entry = next(e for e in json.load(f)["entries"] if e["id"] == image)
        results.check("the saved mask is the prediction of the click, recorded with 1 interaction",
                      predicted is not None and saved == predicted and entry["interactions"] == 1,
                      f"{len(saved)} saved pixels, {len(predicted or ())} in the click's prediction "
                      f"(seq {newest and newest['seq']}), {entry['interactions']} interaction(s)")

        # The server gone for a moment: the click's request fails, is retried, and arrives.
        proxy.delay = 0.0
        nxt = body_data(driver, "image")
        wait_for(driver, lambda d: int(body_data(d, "shownSeq") or -1) >= int(body_data(d, "firstSeq") or 1)
                 and body_data(d, "pending") == "false", timeout, "the next image's prediction")
        proxy.down = True
        ActionChains(driver).move_to_element(canvas).click().perform()
        failing = wait_for(driver, lambda d: "trying again" in d.find_element(By.ID, "status").text
                           and d.find_element(By.ID, "status").text, 10, "the failed request to be reported")
        proxy.down = False
        wait_for(driver, lambda d: "reconnected" in d.find_element(By.ID, "status").text, 20, "“reconnected”")
        wait_for(driver, lambda d: body_data(d, "pending") == "false" and body_data(d, "image") == nxt
                 and int(body_data(d, "shownSeq")) >= int(body_data(d, "firstSeq")), timeout, "the retried prediction")
        prompts = driver.execute_script("return window.multiversegPage.annotation.prompts().clicks.length")
        results.check("a prediction request that failed is sent again once the server is back, and says “reconnected”",
                      prompts == 1, f"{failing!r}, then {driver.find_element(By.ID, 'status').text!r}")
    finally:
        proxy.down = False
        proxy.close()


def make_tiff(width, height, pixels):
    """A minimal little-endian baseline TIFF: 8-bit grey, one uncompressed strip."""
    entries = [(256, 3, 1, width), (257, 3, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8), (277, 3, 1, 1), (278, 3, 1, height), (279, 4, 1, len(pixels))]
    ifd_offset = 8 + len(pixels)
    out = b"II" + struct.pack("<HI", 42, ifd_offset) + pixels
    out += struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        out += struct.pack("<HHII", tag, kind, count, value)
    return out + struct.pack("<I", 0)


def make_bmp(width, height):
    """A 24-bit BMP with a bright disc on a gradient: a format the page must convert to PNG."""
    row_size = (width * 3 + 3) & ~3
    pixels = bytearray()
    for y in range(height - 1, -1, -1):  # BMP rows run bottom-up
        row = bytearray()
        for x in range(width):
            v = 230 if (x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 4) ** 2 else 3 * x
            row += bytes((v, v, v))
        pixels += row + bytes(row_size - len(row))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + bytes(pixels)


def check_export(results, data, projects, accepted):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        results.check("the export is a zip", False, f"{len(data)} bytes")
        return
    names = sorted(n for n in archive.namelist() if n != "manifest.json")
    results.check("the export holds one PNG per accepted image, named by image id",
                  names == sorted(f"{image}.png" for image in accepted), ", ".join(names))
    manifest = json.loads(archive.read("manifest.json")) if "manifest.json" in archive.namelist() else {}
    rows = {row["file"]: row for row in manifest.get("masks", [])}
    results.check("the export's manifest.json says who accepted each mask, when, with how many interactions",
                  sorted(rows) == names and all(rows[n]["annotator"] and rows[n]["acceptedAt"] and rows[n]["version"] >= 1
                                                and rows[n]["interactions"] is not None for n in names),
                  json.dumps(manifest.get("masks", []))[:300])
    for name in names:
        image = name[:-4]
        mask = archive.read(name)
        width, height, _, _, _ = read_png(mask)
        with open(os.path.join(projects, PROJECT, "images", name), "rb") as f:
            original = read_png(f.read())
        results.check(f"{name} has the original size", (width, height) == original[:2],
                      f"{width}x{height} vs {original[0]}x{original[1]}")
        _, _, _, rows = luminance_rows(mask)
        values = {v for row in rows for v in row}
        results.check(f"{name} is 0/255 only", values <= {0, 255}, f"values {sorted(values)[:6]}")
        foreground = sum(v == 255 for row in rows for v in row)
        expected = accepted.get(image)
        results.check(f"{name} is the mask that was accepted", expected is None or foreground == expected,
                      f"{foreground} foreground pixels, accepted {expected}")


def main():
    parser = argparse.ArgumentParser(description="MultiverSeg end-to-end browser test")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "multiverseg"))
    parser.add_argument("--weights", default=None, help="weights file passed to serve (default: serve's own default)")
    parser.add_argument("--predict-timeout", type=float, default=60, help="seconds to wait for one prediction")
    args = parser.parse_args()
    results = Results()
    start = time.time()
    try:
        run(args, results)
    except Exception as error:
        results.check("the test could start", False, str(error))
    print(f"({time.time() - start:.1f} s)")
    print(f"{results.passed} passed, {results.failed} failed")
    return 0 if results.failed == 0 and results.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
