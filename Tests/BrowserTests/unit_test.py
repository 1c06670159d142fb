"""Unit tests of the page's JavaScript modules, in headless Chromium: serves the repository root
on a free port, opens Tests/BrowserTests/unit/index.html (which imports /Public/js/...), collects
its checks, and decodes the PNG the page encoded with an independent decoder (pngtools). Prints one
line per check and "N passed, M failed"."""

import base64
import functools
import os
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests", "PythonSupport"))
from e2e_test import Results, make_driver, wait_for  # noqa: E402
from pngtools import read_png  # noqa: E402


class QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}

    def log_message(self, *args):
        pass


def main():
    results = Results()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=ROOT))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = make_driver("/tmp")
    try:
        driver.get(f"http://127.0.0.1:{server.server_address[1]}/Tests/BrowserTests/unit/index.html")
        checks = wait_for(driver, lambda d: d.execute_script("return window.unitResults || null"), 30, "the unit tests")
        for check in checks:
            results.check(check["name"], check["ok"], check["detail"])
        png = base64.b64decode(driver.execute_script("return window.unitPNG"))
        width, height, depth, colour, rows = read_png(png)
        values = [p[0] for row in rows for p in row]
        results.check("the page's PNG decodes independently as 8-bit grey 5x3 with the same pixels",
                      (width, height, depth, colour) == (5, 3, 8, 0) and values == [255 * b for b in
                      [1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0]], f"{width}x{height}, depth {depth}, colour {colour}")
    except Exception as error:
        results.check("the unit page ran", False, str(error))
    finally:
        driver.quit()
        server.shutdown()
    print(f"{results.passed} passed, {results.failed} failed")
    return 0 if results.failed == 0 and results.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
