from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from syndicate.model import Release
from tests.translate.loopback import LoopbackServer

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus" / "kr-naju-pressreleases-scraped.json"


@pytest.fixture
def provider() -> Iterator[LoopbackServer]:
    server = LoopbackServer().start()
    yield server
    server.stop()


def corpus_releases() -> list[Release]:
    """The 47 scraped Naju releases as our Release values (content split into sentence-ish paragraphs)."""
    out = []
    for item in json.loads(CORPUS.read_text(encoding="utf-8")):
        out.append(
            Release(
                title=item["title"],
                paragraphs=[item["content"]],
                language="ko",
                original_url=item["source_url"],
            )
        )
    return out
