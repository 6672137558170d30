"""Headless Chromium for the portal tests: Debian's chromium package driven by Playwright.

There is no Playwright browser download here, so the system Chromium is used. A missing browser makes the
tests fail with the command that installs it; it never turns them into skips.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The system's Chromium (Debian's package), else the one `playwright install chromium` downloaded."""
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    with sync_playwright() as pw:
        bundled = pw.chromium.executable_path
    assert bundled and Path(bundled).exists(), (
        "Chromium is not installed: `apt-get install -y chromium` (Debian) or `playwright install chromium`"
    )
    return bundled


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def screenshot_path(name: str) -> str:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return str(SCREENSHOTS / f"{name}.png")
