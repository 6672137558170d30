"""The fixture cases of tests/fixtures/ingest: each input beside the JSON ``syndicate extract`` must print for it.

Regenerate an expected file only after reading the difference: ``python -m tests.ingest.cases CASE``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from syndicate.errors import SyndicateError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
#: Pages read with their registry source's selectors (the rest go through the generic extractor).
SOURCES = {
    "page_gangjin_board_detail": "gangjin-press",
    "page_damyang_no_doctype_hwp": "damyang-press",
    "page_shinan_table_layout": "shinan-press",
    "page_seoul_wordpress_kogl4": "seoul-news-gov",
}


def cases() -> list[Path]:
    return sorted(
        p
        for p in FIXTURES.iterdir()
        if p.suffix in (".xml", ".html", ".json")
        and not p.name.endswith(".expected.json")
        and not p.name.startswith("board_")
    )


def run(path: Path) -> Any:
    from syndicate.polling import extract

    try:
        releases, is_page = extract(str(path), source_id=SOURCES.get(path.stem))
    except SyndicateError as exc:
        return {"error": exc.code}
    payload = [r.model_dump(mode="json") for r in releases]
    return payload[0] if is_page else payload


def expected_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.expected.json")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        case = next(p for p in cases() if p.stem == name)
        expected_path(case).write_text(json.dumps(run(case), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
