"""Portal pages over HTTP (in-process): the submit form, agency scoping, public pages, attachments."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from syndicate import pipeline
from tests.web.conftest import csrf_of, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
HWP = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200 + b"HWP Document File" + b"\x00" * 32


def _publish(release_id: str, version: int = 1) -> None:
    for step in pipeline.STEPS:
        pipeline.run_step(step, release_id, version)


def _submit(client: Any, data: dict[str, str], files: list[tuple[str, tuple[str, bytes, str]]] | None = None) -> Any:
    token = csrf_of(client.get("/submit").text)
    return client.post("/submit", data={**data, "csrf_token": token}, files=files, follow_redirects=False)


@pytest.fixture
def incheon(client: Any, make_user: Callable[..., Any]) -> Any:
    make_user("incheon")
    assert sign_in(client, "press@incheon.go.kr").status_code == 303
    return client


def _release_id(answer: Any) -> str:
    assert answer.status_code == 303, answer.text
    match = re.fullmatch(r"/my/releases/([0-9a-f]{32})", answer.headers["location"])
    assert match, answer.headers["location"]
    return match.group(1)


def test_submit_form_is_labelled_in_english_and_korean(incheon: Any) -> None:
    english = incheon.get("/submit?lang=en").text
    for label in ("Title", "Subtitle", "Body", "Category", "Embargo"):
        assert re.search(rf'<label for="f-\w+">{label}\b', english), label
    assert '<button type="submit">Submit</button>' in english
    # The choice is remembered in a cookie.
    assert '<button type="submit">Submit</button>' in incheon.get("/submit").text
    korean = incheon.get("/submit?lang=ko").text
    for label in ("제목", "부제목", "본문", "분류", "엠바고"):
        assert re.search(rf'<label for="f-\w+">{label}\b', korean), label
    assert '<button type="submit">등록</button>' in korean


def test_accept_language_picks_english(client: Any, database: str) -> None:
    assert "Feed directory" in client.get("/directory", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert "피드 목록" in client.get("/directory", headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}).text


def test_validation_errors_are_shown_beside_their_field(incheon: Any) -> None:
    answer = _submit(incheon, {"title": "", "body": "", "category": "no spaces allowed", "embargo": "tomorrow"})
    assert answer.status_code == 422
    html = answer.text
    for name in ("title", "body", "category", "embargo"):
        assert f'id="f-{name}-error"' in html, name
        assert re.search(rf'id="f-{name}"[^>]*aria-invalid="true"', html), name
    assert 'id="f-subtitle-error"' not in html
    # What was typed is kept.
    assert "no spaces allowed" in html


def test_attachments_are_typed_by_their_bytes(incheon: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = [("attachments", ("photo.png", b"<script>alert(1)</script>", "image/png"))]
    refused = _submit(incheon, {"title": "제목", "body": "본문."}, fake)
    assert refused.status_code == 422 and 'id="f-attachments-error"' in refused.text

    files = [
        ("attachments", ("사진 1.png", PNG, "image/png")),
        ("attachments", ("보도자료.pdf", PDF, "application/pdf")),
        ("attachments", ("원문.hwp", HWP, "application/octet-stream")),
    ]
    release_id = _release_id(_submit(incheon, {"title": "첨부 있는 보도자료", "body": "본문."}, files))
    page = incheon.get(f"/my/releases/{release_id}").text
    urls = re.findall(rf'href="(http://testserver/attachments/{release_id}/[^"]+)"', page)
    assert len(urls) == 3, page
    png = incheon.get(urls[0].removeprefix("http://testserver"))
    assert png.status_code == 200 and png.content == PNG
    assert png.headers["content-type"] == "image/png" and png.headers["x-content-type-options"] == "nosniff"
    hwp = incheon.get(urls[2].removeprefix("http://testserver"))
    assert hwp.headers["content-type"] == "application/x-hwp"
    assert hwp.headers["content-disposition"].startswith("attachment;")
    # Path tricks find nothing.
    assert incheon.get(f"/attachments/{release_id}/..%2Fsecret_key").status_code == 404


def test_attachment_size_limit(incheon: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from syndicate.config import get_settings

    monkeypatch.setenv("SYNDICATE_ATTACHMENT_MAX_BYTES", "100")
    get_settings.cache_clear()
    big = [("attachments", ("big.pdf", PDF + b"x" * 200, "application/pdf"))]
    answer = _submit(incheon, {"title": "제목", "body": "본문."}, big)
    assert answer.status_code == 422 and 'id="f-attachments-error"' in answer.text


def test_an_agency_sees_and_edits_only_its_own_releases(
    client: Any, make_user: Callable[..., Any], incheon: Any
) -> None:
    release_id = _release_id(
        _submit(
            incheon,
            {"title": "인천 보도자료", "body": "본문.", "category": "economy"},
            [("attachments", ("a.png", PNG, "image/png"))],
        )
    )
    assert "인천 보도자료" in incheon.get("/my").text
    attachment = f"/attachments/{release_id}/a.png"
    assert incheon.get(attachment).status_code == 200
    token = csrf_of(incheon.get("/submit").text)

    incheon.post("/logout", data={"csrf_token": token})
    assert client.get(attachment).status_code == 404  # unpublished: not public
    make_user("seoul")
    sign_in(client, "press@seoul.go.kr")
    token = csrf_of(client.get("/submit").text)
    assert "인천 보도자료" not in client.get("/my").text
    for path in ("", "/status", "/edit", "/translations/en"):
        assert client.get(f"/my/releases/{release_id}{path}").status_code == 404, path
    for path in ("/edit", "/retract", "/translations/en"):
        answer = client.post(f"/my/releases/{release_id}{path}", data={"csrf_token": token, "title": "x", "body": "y"})
        assert answer.status_code == 404, path
    assert client.get(attachment).status_code == 404


def test_release_page_timeline_correction_and_retraction(incheon: Any) -> None:
    release_id = _release_id(_submit(incheon, {"title": "원래 제목", "body": "첫 문단.\n\n둘째 문단."}))
    page = incheon.get(f"/my/releases/{release_id}?lang=en").text
    assert 'data-status="received"' in page and 'hx-get="/my/releases/' in page
    _publish(release_id)
    status = incheon.get(f"/my/releases/{release_id}/status").text
    assert 'data-status="published"' in status and "hx-get" not in status
    assert re.search(r'data-stage="credited" data-state="done"', status)
    assert re.search(r'data-stage="summarized" data-state="done"', status)
    assert re.search(r'data-stage="delivered" data-state="pending"', status)
    page = incheon.get(f"/my/releases/{release_id}").text
    # The credit as feeds will carry it, in the original's language and in each target language.
    assert "출처: 인천광역시" in page and "Source: Incheon Metropolitan City" in page
    assert 'id="no-translations"' in page and 'id="no-deliveries"' in page
    assert 'id="no-summary"' in page  # two one-line paragraphs: nothing worth summarizing

    edit = incheon.get(f"/my/releases/{release_id}/edit").text
    assert "원래 제목" in edit
    token = csrf_of(edit)
    answer = incheon.post(
        f"/my/releases/{release_id}/edit",
        data={"csrf_token": token, "title": "고친 제목", "body": "고친 본문."},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    _publish(release_id, 2)
    assert "고친 제목" in incheon.get(f"/releases/{release_id}").text

    assert (
        incheon.post(f"/my/releases/{release_id}/retract", data={"csrf_token": token, "reason": "오류"}).status_code
        == 200
    )
    assert incheon.get(f"/releases/{release_id}").status_code == 410


def test_a_reviewed_translation_replaces_the_machine_one(client: Any, incheon: Any) -> None:
    release_id = _release_id(_submit(incheon, {"title": "제목", "subtitle": "부제", "body": "첫 문단.\n\n둘째 문단."}))
    _publish(release_id)
    assert 'id="write-en"' in incheon.get(f"/my/releases/{release_id}").text
    page = incheon.get(f"/my/releases/{release_id}/translations/en?lang=en")
    assert page.status_code == 200 and 'id="review-form"' in page.text
    assert "첫 문단." in page.text and 'id="r-p2"' in page.text  # each original paragraph beside its own field
    token = csrf_of(page.text)
    form = {"csrf_token": token, "title": "Title", "subtitle": "Subtitle", "paragraph": ["First.", "Second."]}
    missing = incheon.post(f"/my/releases/{release_id}/translations/en", data={**form, "paragraph": ["First.", ""]})
    assert missing.status_code == 422 and 'id="review-error"' in missing.text and "First." in missing.text
    answer = incheon.post(f"/my/releases/{release_id}/translations/en", data=form, follow_redirects=False)
    assert answer.status_code == 303
    mine = incheon.get(f"/my/releases/{release_id}?lang=en").text
    assert 'data-translation="en"' in mine and "Approved" in mine and "Second." in mine
    public = client.get(f"/releases/{release_id}?lang=en").text
    assert "<h1>Title</h1>" in public and "Second." in public
    assert release_id in client.get("/feeds/en/rss.xml").text
    # Another agency cannot review it.
    assert incheon.get(f"/my/releases/{release_id}/translations/not-a-language").status_code == 422


def test_public_pages(client: Any, incheon: Any) -> None:
    release_id = _release_id(
        _submit(incheon, {"title": "인천시 청년 일자리", "body": "일자리 1만 개.", "category": "economy"})
    )
    other_id = _release_id(_submit(incheon, {"title": "인천시 교통 대책", "body": "버스 노선."}))
    assert client.get(f"/releases/{release_id}").status_code == 404  # not yet published
    _publish(release_id)
    _publish(other_id)
    public = client.get(f"/releases/{release_id}?lang=en")
    assert public.status_code == 200 and "인천시 청년 일자리" in public.text
    assert "No translation in this language yet" in public.text
    assert client.get(f"/releases/{'0' * 32}").status_code == 404

    found = client.get("/archive", params={"q": "청년"}).text
    assert f"/releases/{release_id}" in found and f"/releases/{other_id}" not in found
    everything = client.get("/archive").text
    assert f"/releases/{release_id}" in everything and f"/releases/{other_id}" in everything

    directory = client.get("/directory?lang=en").text
    assert "http://testserver/feeds/ko/rss.xml" in directory
    assert "http://testserver/feeds/ko/categories/economy/rss.xml" in directory
    assert 'data-copy="http://testserver/feeds/ko/agencies/incheon/rss.xml"' in directory
    assert 'href="/feeds.opml"' in directory


def test_people_get_error_pages_and_machines_get_json(client: Any, database: str) -> None:
    page = client.get("/no-such-page?lang=en")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Error 404" in page.text
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/json"
    release = client.get(f"/api/v1/releases/{'0' * 32}")
    assert release.status_code == 404 and release.json()["error"] == "not_found"


def test_pages_cannot_be_framed(client: Any, database: str) -> None:
    headers = client.get("/").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_embargo_is_entered_in_korean_time(incheon: Any) -> None:
    from datetime import UTC, datetime

    from syndicate.store import releases as store
    from syndicate.store.db import session

    release_id = _release_id(
        _submit(incheon, {"title": "엠바고 보도자료", "body": "본문.", "embargo": "2030-01-01T09:00"})
    )
    _publish(release_id)
    with session() as s:
        row = store.get(s, release_id)
        assert row.embargo_until == datetime(2030, 1, 1, 0, 0, tzinfo=UTC)  # 09:00 KST
        assert row.status == "embargoed"
    status = incheon.get(f"/my/releases/{release_id}/status?lang=en").text
    assert 'data-status="embargoed"' in status and 'hx-trigger="every 30s"' in status
    assert "2030-01-01 09:00 KST" in status
    assert 'value="2030-01-01T09:00"' in incheon.get(f"/my/releases/{release_id}/edit").text


def test_oversized_submissions_are_refused_before_parsing(incheon: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from syndicate.config import get_settings
    from syndicate.web.forms import MAX_FILES, TEXT_ALLOWANCE

    monkeypatch.setenv("SYNDICATE_ATTACHMENT_MAX_BYTES", "1000")
    get_settings.cache_clear()
    token = csrf_of(incheon.get("/submit").text)
    files = [("attachments", (f"{i}.png", PNG, "image/png")) for i in range(MAX_FILES + 1)]
    too_many = incheon.post("/submit", data={"csrf_token": token, "title": "t", "body": "b"}, files=files)
    assert too_many.status_code == 422 and 'id="f-attachments-error"' in too_many.text
    huge = b"x" * (MAX_FILES * 1000 + TEXT_ALLOWANCE + 1)
    answer = incheon.post(
        "/submit",
        data={"csrf_token": token, "title": "t", "body": "b"},
        files=[("attachments", ("a.pdf", huge, "application/pdf"))],
    )
    assert answer.status_code == 422 and "larger than" in answer.text


def test_a_no_derivatives_licence_shows_on_the_release_page(incheon: Any) -> None:
    release_id = _release_id(_submit(incheon, {"title": "공공누리 4유형", "body": "본문.", "licence": "KOGL-4"}))
    _publish(release_id)
    page = incheon.get(f"/my/releases/{release_id}?lang=en").text
    assert re.search(r'data-stage="translated" data-state="refused"', page)
    assert re.search(r'data-stage="summarized" data-state="refused"', page)
    assert 'data-action="translate" data-allowed="no"' in page
    # Not translated, so the credit appears only in the original's language.
    assert 'id="credit-ko"' in page and 'id="credit-en"' not in page
    assert 'id="write-en"' not in page  # no translation may be written either
    assert "공공누리 제4유형" in page


def test_a_rate_limited_submission_keeps_no_files(incheon: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from syndicate.config import get_settings
    from syndicate.web.attachments import root

    monkeypatch.setenv("SYNDICATE_SUBMIT_PER_MINUTE", "1")
    get_settings.cache_clear()
    _release_id(_submit(incheon, {"title": "첫 번째", "body": "본문."}))
    refused = _submit(incheon, {"title": "두 번째", "body": "본문."}, [("attachments", ("a.png", PNG, "image/png"))])
    assert refused.status_code == 429 and "submissions in a minute" in refused.text
    assert not root().exists() or not any(root().iterdir())


def test_poll_now_is_for_operators_and_known_sources(client: Any, make_user: Callable[..., Any]) -> None:
    make_user("incheon")
    sign_in(client, "press@incheon.go.kr")
    token = csrf_of(client.get("/submit").text)
    assert client.post("/admin/sources/naju-press/poll", data={"csrf_token": token}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    make_user("seoul", "ops@seoul.go.kr", admin=True)
    sign_in(client, "ops@seoul.go.kr")
    token = csrf_of(client.get("/admin/sources").text)
    assert "naju-press" in client.get("/admin/sources").text
    assert client.post("/admin/sources/no-such-source/poll", data={"csrf_token": token}).status_code == 404


def test_the_summary_shows_on_the_release_page(incheon: Any) -> None:
    body = "\n\n".join(
        [
            "인천광역시는 25일 청년 일자리 1만 개를 만드는 계획을 발표했다. 시는 올해 예산 500억 원을 투입한다.",
            "계획에 따르면 시는 창업 지원과 직업 훈련을 늘린다. 중소기업 채용 장려금도 새로 만든다.",
            "시 관계자는 청년이 떠나지 않는 도시를 만들겠다고 말했다. 세부 사업은 다음 달 공개된다.",
        ]
    )
    release_id = _release_id(_submit(incheon, {"title": "인천시 청년 일자리 계획", "body": body}))
    _publish(release_id)
    page = incheon.get(f"/my/releases/{release_id}").text
    assert 'id="no-summary"' not in page
    assert re.search(r'<div lang="ko"><h3>ko</h3><ul><li>[^<]+</li>', page)


def test_partners_and_deliveries_show_for_operators_and_owners(
    client: Any, make_user: Callable[..., Any], incheon: Any
) -> None:
    from syndicate.store import partners as partner_store
    from syndicate.store.db import session

    with session() as s:
        partner = partner_store.create(s, name="연합 테스트", url="http://127.0.0.1:9/hook", secret="whsec_" + "a" * 32)
        partner_id = partner.id
    release_id = _release_id(_submit(incheon, {"title": "전송될 보도자료", "body": "본문."}))
    _publish(release_id)
    page = incheon.get(f"/my/releases/{release_id}").text
    assert 'id="no-deliveries"' not in page and "연합 테스트" in page

    token = csrf_of(page)
    incheon.post("/logout", data={"csrf_token": token})
    make_user("seoul", "ops@seoul.go.kr", admin=True)
    sign_in(client, "ops@seoul.go.kr")
    partners_page = client.get("/admin/partners?lang=en").text
    assert "연합 테스트" in partners_page and "Dead letters: 0" in partners_page
    token = csrf_of(partners_page)
    answer = client.post(f"/admin/partners/{partner_id}/replay", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.post("/admin/partners/pt_nope/replay", data={"csrf_token": token}).status_code == 404
