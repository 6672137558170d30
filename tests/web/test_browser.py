"""The portal in a real browser: a comms team signs in, submits, watches the release reach published, opens the
translation review; an outlet finds it in the feed directory's feed and in the archive; an operator sees the
health pages. Real API server, real worker, real broker and database. Screenshots go to
test-output/screenshots/."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import feedparser
import httpx
import pytest
from playwright.sync_api import Page, expect

from syndicate import catalog
from syndicate.model import Source
from syndicate.web.accounts import create_user
from tests.conftest import free_port, wait_for
from tests.web.browser import chromium, screenshot_path
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.e2e

TITLE = "인천시, 청년 일자리 1만 개 만든다"
TITLE_EN = "Incheon to create 10,000 jobs for young people"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login?lang=en")
    _check_labels(page)
    page.screenshot(path=screenshot_path("login"), full_page=True)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/my")


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 100))"""


def _check_labels(page: Page) -> None:
    """Every input, select, textarea and button has a label (or a text / aria-label)."""
    assert page.evaluate(UNLABELLED) == [], page.url


def _tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Reach an element with the Tab key alone, and see the focus ring on it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
            return
    raise AssertionError(f"{selector} is not reachable with the keyboard on {page.url}")


def _fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_comms_team_submits_and_outlet_finds_it(api_server: str, worker: Any) -> None:
    create_user(agency_id="incheon", email="press@incheon.go.kr", password=PASSWORD)
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP, base_url=api_server)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=api_server)
        page = context.new_page()

        page.goto(f"{api_server}/?lang=en")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"  # keyboard users can skip the nav
        page.screenshot(path=screenshot_path("home"), full_page=True)

        _sign_in(page, api_server, "press@incheon.go.kr")
        page.screenshot(path=screenshot_path("my-releases"), full_page=True)
        page.get_by_role("link", name="Submit", exact=True).click()
        page.get_by_role("link", name="한국어").click()  # the language switch
        for label in ("제목", "부제목", "본문", "분류", "엠바고"):
            expect(page.get_by_label(label, exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="등록", exact=True)).to_be_visible()
        page.screenshot(path=screenshot_path("submit-ko"), full_page=True)
        page.get_by_role("link", name="English").click()
        _check_labels(page)
        _tab_to(page, "#release-form button[type=submit]")
        for label in ("Title", "Subtitle", "Body", "Category", "Embargo", "Attachments"):
            expect(page.get_by_label(label, exact=True)).to_be_visible()
        page.get_by_label("Title", exact=True).fill(TITLE)
        page.get_by_label("Subtitle", exact=True).fill("청년 고용 지원 확대")
        page.get_by_label("Body", exact=True).fill(
            "인천광역시는 25일 청년 일자리 계획을 발표했다.\n\n시는 올해 1만 개를 만든다."
        )
        page.get_by_label("Category", exact=True).fill("economy")
        page.screenshot(path=screenshot_path("submit"), full_page=True)
        started = time.monotonic()
        page.get_by_role("button", name="Submit", exact=True).click()

        page.wait_for_url(re.compile(r".*/my/releases/[0-9a-f]{32}$"))
        release_id = page.url.rsplit("/", 1)[1]
        # htmx refreshes the timeline until the worker has published the release.
        expect(page.locator('[data-status="published"]')).to_be_visible(timeout=30_000)
        seconds = time.monotonic() - started
        expect(page.locator('[data-stage="credited"][data-state="done"]')).to_be_visible()
        expect(page.locator("#credit-ko")).to_contain_text("출처: 인천광역시")
        expect(page.locator("#credit-en")).to_contain_text("Source: Incheon Metropolitan City")
        _check_labels(page)
        page.screenshot(path=screenshot_path("release"), full_page=True)

        # Review: each original paragraph beside its translation; the approved text replaces the machine's.
        page.get_by_role("link", name="Review translation (en)").click()
        expect(page.locator("#review-form")).to_contain_text("인천광역시는 25일")
        page.get_by_label("Title", exact=True).fill(TITLE_EN)
        page.get_by_label("Subtitle", exact=True).fill("More support for young people's employment")
        page.get_by_label("Paragraph 1").fill("Incheon announced its youth jobs plan on the 25th.")
        page.get_by_label("Paragraph 2").fill("The city will create 10,000 jobs this year.")
        _check_labels(page)
        page.screenshot(path=screenshot_path("review"), full_page=True)
        page.get_by_role("button", name="Approve").click()
        page.wait_for_url(f"{api_server}/my/releases/{release_id}")
        expect(page.locator('[data-translation="en"]')).to_contain_text(TITLE_EN)
        expect(page.locator('[data-translation="en"]')).to_contain_text("Approved")
        english = feedparser.parse(httpx.get(f"{api_server}/feeds/en/rss.xml").content)
        assert TITLE_EN in [entry.title for entry in english.entries]

        # An outlet, signed out, finds the feed in the directory and the release in it.
        outlet = browser.new_context(viewport=DESKTOP, base_url=api_server)
        outlet.grant_permissions(["clipboard-read", "clipboard-write"], origin=api_server)
        reader = outlet.new_page()
        reader.goto(f"{api_server}/directory?lang=en")
        feed_url = f"{api_server}/feeds/ko/agencies/incheon/rss.xml"
        reader.get_by_label("Filter feeds").fill("incheon")
        expect(reader.locator('li[data-key="busan"]')).to_be_hidden()
        expect(reader.locator('li[data-key="incheon"]')).to_be_visible()
        reader.locator(f'button[data-copy="{feed_url}"]').click()
        assert reader.evaluate("navigator.clipboard.readText()") == feed_url
        _check_labels(reader)
        reader.screenshot(path=screenshot_path("directory"), full_page=True)
        feed = feedparser.parse(httpx.get(feed_url).content)
        assert TITLE in [entry.title for entry in feed.entries]
        assert f"{api_server}/releases/{release_id}" in [entry.link for entry in feed.entries]

        reader.goto(f"{api_server}/archive?lang=en")
        _check_labels(reader)
        reader.get_by_label("Search").fill("청년 일자리")
        reader.get_by_role("button", name="Search").click()
        reader.screenshot(path=screenshot_path("archive"), full_page=True)
        reader.get_by_role("link", name=TITLE).click()
        reader.wait_for_url(f"{api_server}/releases/{release_id}")
        expect(reader.locator("h1")).to_have_text(TITLE)
        expect(reader.locator("#credit-line")).to_contain_text("출처: 인천광역시")
        reader.screenshot(path=screenshot_path("public-release"), full_page=True)

        # Phone width: one column, nothing wider than the screen.
        phone = browser.new_context(viewport=PHONE, base_url=api_server)
        small = phone.new_page()
        for path, name in (("/directory", "directory-phone"), (f"/releases/{release_id}", "public-release-phone")):
            small.goto(f"{api_server}{path}?lang=en")
            assert _fits_the_screen(small), path
            small.screenshot(path=screenshot_path(name), full_page=True)
        page.set_viewport_size(PHONE)
        page.goto(f"{api_server}/my/releases/{release_id}")
        assert _fits_the_screen(page)
        page.screenshot(path=screenshot_path("release-phone"), full_page=True)

        # The comms team corrects the published release, then retracts it.
        page.set_viewport_size(DESKTOP)
        page.get_by_role("link", name="Correct").click()
        page.get_by_label("Title", exact=True).fill(TITLE + " (정정)")
        page.get_by_role("button", name="Submit correction").click()
        expect(page.locator("#status")).to_contain_text("Version 2")
        expect(page.locator('[data-status="published"]')).to_be_visible(timeout=30_000)
        reader.goto(f"{api_server}/releases/{release_id}")
        expect(reader.locator("h1")).to_have_text(TITLE + " (정정)")
        page.goto(f"{api_server}/my/releases/{release_id}")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_label("Reason for retraction").fill("잘못된 수치")
        page.get_by_role("button", name="Retract").click()
        expect(page.locator('[data-status="retracted"]')).to_be_visible()
        assert httpx.get(f"{api_server}/releases/{release_id}").status_code == 410
        feed = feedparser.parse(httpx.get(feed_url).content)
        assert not [e for e in feed.entries if e.link == f"{api_server}/releases/{release_id}"]
    print(f"seconds from the browser's submit to 'published' on the page: {seconds:.2f}")


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>인천광역시 보도자료</title><link>http://127.0.0.1/</link><description>d</description>
<item><title>인천시, 수돗물 수질 검사 결과 공개</title><link>{base}/news/1</link><guid>{base}/news/1</guid>
<pubDate>Wed, 25 Nov 2026 09:00:00 +0900</pubDate>
<description>인천광역시는 25일 수돗물 수질 검사 결과를 공개했다.</description></item>
</channel></rss>"""


@contextmanager
def feed_server() -> Iterator[str]:
    """An agency's RSS feed on 127.0.0.1 (the SSRF guard allows loopback in tests)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    body = RSS.format(base=base).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{base}/rss.xml"
    finally:
        server.shutdown()
        server.server_close()


def test_operator_pages(api_server: str, worker: Any) -> None:
    create_user(agency_id="incheon", email="ops@syndicate.test", password=PASSWORD, is_admin=True)
    with feed_server() as feed_url, chromium() as browser:
        catalog.add_runtime([Source(id="incheon-loopback", agency="incheon", url=feed_url)], origin="test")
        page = browser.new_page(viewport=DESKTOP)
        _sign_in(page, api_server, "ops@syndicate.test")
        page.goto(f"{api_server}/admin/sources?lang=en")
        expect(page.locator("h1")).to_have_text("Sources")
        row = page.locator("tr", has=page.get_by_role("link", name="incheon-loopback"))
        expect(row).to_contain_text("—")  # never polled
        row.get_by_role("button", name="Poll now").click()
        expect(page.locator(".notice")).to_have_text("Requested.")

        def polled() -> bool:
            page.goto(f"{api_server}/admin/sources")
            return "KST" in (page.locator("tr", has=page.get_by_role("link", name="incheon-loopback")).inner_text())

        wait_for(polled, 30, interval=0.5, what="the source's last poll on the page")
        page.screenshot(path=screenshot_path("admin-sources"), full_page=True)
        # What the poll found went through the pipeline to the public archive.
        wait_for(
            lambda: "수돗물 수질" in httpx.get(f"{api_server}/archive", params={"q": "수돗물"}).text,
            30,
            what="the polled release in the archive",
        )

        page.goto(f"{api_server}/admin/partners")
        expect(page.locator("h1")).to_have_text("Partners")
        page.screenshot(path=screenshot_path("admin-partners"), full_page=True)
        page.goto(f"{api_server}/admin/users")
        _check_labels(page)
        page.get_by_label("Agency").select_option("seoul")
        page.get_by_label("Email").fill("pr@seoul.go.kr")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create user").click()
        expect(page.locator("table.list")).to_contain_text("pr@seoul.go.kr")
        page.screenshot(path=screenshot_path("admin-users"), full_page=True)
