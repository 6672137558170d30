"""FeedItems built by hand: Korean originals, a machine translation, hostile titles, attachments."""

from __future__ import annotations

from datetime import UTC, datetime

from syndicate.credit.licence import licence
from syndicate.model import AgencyRef, Attachment, Credit, LocalizedName
from syndicate.publish.items import FeedItem, FeedMeta

WHEN = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
HOSTILE = 'Budget <script>alert("x")</script> & "quotes" ]]> \u2028 <![CDATA[ end'


def credit() -> Credit:
    return Credit(
        agency=AgencyRef(id="incheon", name=LocalizedName(ko="인천광역시", en="Incheon Metropolitan City")),
        line="[뉴스출처 : 인천시]",
        via="포탈뉴스통신",
        licence=licence("KOGL-1", "agency"),
    )


def original(n: int = 1, title: str = "인천시, 청년 일자리 1만 개 만든다") -> FeedItem:
    return FeedItem(
        guid=f"http://testserver/releases/r{n}",
        link=f"http://testserver/releases/r{n}?lang=ko",
        title=title,
        summary="청년 고용 지원 확대",
        content_html="<p>인천광역시는 25일 청년 일자리 계획을 발표했다.</p><p>시는 1만 개의 일자리를 만든다.</p>",
        language="ko",
        published_at=WHEN,
        updated_at=WHEN,
        credit=credit(),
        original_url=f"https://www.incheon.go.kr/news/{n}",
        categories=["economy"],
        attachments=[
            Attachment(url=f"https://www.incheon.go.kr/files/{n}.pdf", name="계획.pdf", type="application/pdf")
        ],
    )


def translation(n: int = 1) -> FeedItem:
    return FeedItem(
        guid=f"http://testserver/releases/r{n}",
        link=f"http://testserver/releases/r{n}?lang=en",
        title="Incheon to create 10,000 youth jobs",
        summary="More support for young job seekers",
        content_html="<p>Incheon announced its youth jobs plan on the 25th.</p><p>The city will create 10,000 jobs.</p>",  # noqa: E501
        language="en",
        published_at=WHEN,
        updated_at=WHEN,
        credit=credit(),
        original_url=f"https://www.incheon.go.kr/news/{n}",
        categories=["economy"],
        label="Machine translation from Korean; original: https://www.incheon.go.kr/news/1",
    )


def bilingual(n: int = 1) -> FeedItem:
    item = translation(n)
    orig = original(n)
    return item.model_copy(update={"original": orig, "alternates": {"ko": orig.link, "en": item.link}})


def meta(scope: str = "ko", filename: str = "rss.xml", hub: str | None = "http://127.0.0.1:9/hub") -> FeedMeta:
    return FeedMeta(
        scope=scope,
        title=f"syndicate ({scope})",
        description="Press releases",
        language=scope.split("/")[0],
        self_url=f"http://testserver/feeds/{scope}/{filename}",
        home_url="http://testserver/",
        updated_at=WHEN,
        hub=hub,
    )
