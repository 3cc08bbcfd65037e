r"""Take the README's screenshot of a rendered page from the built site.

    python tools/screenshot.py [PAGE#ANCHOR] [OUT.png]
    python tools/screenshot.py --every-page [OUT_DIR]

Defaults: ``book/feedforward.html#ff-network`` -> ``docs/screenshot.png``. With
``--every-page``, the first screen of every page of ``_toc.yml`` at 1280 x 800 and at
390 x 844 (a phone), as ``OUT_DIR/<page>--1280x800.png`` and ``--390x844.png``, and the whole
page at 390 px as ``--390-full.png`` (default OUT_DIR: ``_build/screenshots``), for a
reviewer to look at. Needs the built
site (``_build/html``, the README's build command) and Debian's chromium
(``apt-get install chromium``). The page is opened with every non-loopback request blocked,
as a reader without a network would see it; the PNG is reduced to 128 colours to stay small.
"""

from __future__ import annotations

import functools
import http.server
import io
import sys
import threading
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

REPO_ROOT = Path(__file__).resolve().parent.parent
SITE = REPO_ROOT / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _route(route) -> None:
    if route.request.url.startswith(("http://127.0.0.1", "data:")):
        route.continue_()
    else:
        route.abort()


def every_page(out: Path) -> int:
    r"""The first screens of every page at both sizes, and each whole page on a phone."""
    sys.path.insert(0, str(REPO_ROOT / "tests" / "book"))
    from book_paths import toc_files

    pages = toc_files()
    missing = [p for p in pages if not (SITE / f"{p}.html").is_file()]
    if missing:
        print(f"screenshot.py: {missing} not built: build the book first")
        return 1
    out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for width, height in ((1280, 800), (390, 844)):
                context = browser.new_context(viewport={"width": width, "height": height})
                context.route("**/*", _route)
                page = context.new_page()
                for name in pages:
                    page.goto(f"{base}{name}.html", wait_until="load")
                    page.evaluate("() => window.MathJax.startup.promise")
                    page.wait_for_timeout(500)
                    stem = name.replace("/", "__")
                    page.screenshot(path=out / f"{stem}--{width}x{height}.png")
                    if width == 390:
                        page.screenshot(path=out / f"{stem}--390-full.png", full_page=True)
                context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    print(f"wrote {len(list(out.glob('*.png')))} screenshots to {out}")
    return 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--every-page":
        out = Path(argv[1]) if len(argv) > 1 else REPO_ROOT / "_build" / "screenshots"
        return every_page(out)
    target = argv[0] if argv else "book/feedforward.html#ff-network"
    out = Path(argv[1]) if len(argv) > 1 else REPO_ROOT / "docs" / "screenshot.png"
    if not (SITE / target.split("#")[0]).is_file():
        print(f"screenshot.py: {SITE / target.split('#')[0]} not found: build the book first")
        return 1
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(("http://127.0.0.1", "data:"))
                    else route.abort()
                ),
            )
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/{target}")
            page.evaluate("() => window.MathJax.startup.promise")
            page.wait_for_timeout(500)
            png = page.screenshot()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
