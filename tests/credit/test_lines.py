"""Credit-line parsing, with lines as they stand in real releases (corpus pages, Naju releases, the issue)."""

from __future__ import annotations

import pytest

from syndicate.credit.lines import split_paragraphs, split_phone, title_prefix


@pytest.mark.parametrize(
    ("paragraph", "kept", "kind", "text", "name"),
    [
        # news wires republishing a city's release
        (
            "[뉴스출처 : 인천시] 인천시는 25일 발표했다.",
            "인천시는 25일 발표했다.",
            "source",
            "[뉴스출처 : 인천시]",
            "인천시",
        ),
        ("[뉴스출처 : 인천시]", None, "source", "[뉴스출처 : 인천시]", "인천시"),
        (
            "자료제공 : 대구광역시 일자리투자국",
            None,
            "source",
            "자료제공 : 대구광역시 일자리투자국",
            "대구광역시 일자리투자국",
        ),
        (
            "광주시가 행사를 열었다. (사진=광주시 제공)",
            "광주시가 행사를 열었다.",
            "photo",
            "(사진=광주시 제공)",
            "광주시",
        ),
        ("출처: 행정안전부", None, "source", "출처: 행정안전부", "행정안전부"),
        ("제공: 서울특별시", None, "source", "제공: 서울특별시", "서울특별시"),
        (
            "Source: Incheon Metropolitan City",
            None,
            "source",
            "Source: Incheon Metropolitan City",
            "Incheon Metropolitan City",
        ),
        # Naju (kr-naju-pressreleases-scraped.json): the photo credit closes the caption
        (
            "사진 설명) 나주시청 전경. (사진 제공-나주시)",
            "사진 설명) 나주시청 전경.",
            "photo",
            "(사진 제공-나주시)",
            "나주시",
        ),
        (
            "사진 설명) 포스터. (사진 제공-재.나주시천연염색문화재단)",
            "사진 설명) 포스터.",
            "photo",
            "(사진 제공-재.나주시천연염색문화재단)",
            "재.나주시천연염색문화재단",
        ),
        # Damyang: the contact block at the end of the release
        (
            "※ 사진 있음. (업무담당자 행정과 박주홍 ☎061-380-3192)",
            "※ 사진 있음.",
            "contact",
            "(업무담당자 행정과 박주홍 ☎061-380-3192)",
            "행정과 박주홍",
        ),
        # Shinan: provided by a department, with its extension
        (
            "자료제공: 노인건강과 노인복지팀 (240-8940)",
            None,
            "source",
            "자료제공: 노인건강과 노인복지팀 (240-8940)",
            "노인건강과 노인복지팀",
        ),
        # Seoul and Gangjin: the licence notice itself
        (
            '본 저작물은 "공공누리" 제4유형:출처표시+상업적 이용금지+변경금지 조건에 따라 이용 할 수 있습니다.',
            None,
            "notice",
            '본 저작물은 "공공누리" 제4유형:출처표시+상업적 이용금지+변경금지 조건에 따라 이용 할 수 있습니다.',
            None,
        ),
        (
            "담당부서 : 정책기획관 기획담당관",
            None,
            "contact",
            "담당부서 : 정책기획관 기획담당관",
            "정책기획관 기획담당관",
        ),
        ("[문의] 일자리정책과 053-803-1234", None, "contact", "[문의] 일자리정책과 053-803-1234", "일자리정책과"),
        (
            "(Photo courtesy of NASA) Astronauts trained.",
            "Astronauts trained.",
            "photo",
            "(Photo courtesy of NASA)",
            "NASA",
        ),
    ],
)
def test_credit_lines_are_found_and_removed(
    paragraph: str, kept: str | None, kind: str, text: str, name: str | None
) -> None:
    out, found = split_paragraphs(["앞 문단.", paragraph])
    assert out == ["앞 문단."] + ([kept] if kept else [])
    assert [(f.kind, f.text, f.name) for f in found] == [(kind, text, name)]


@pytest.mark.parametrize(
    "prose",
    [
        "문의가 급증했다고 밝혔다.",
        "정책 담당 공무원이 설명했다.",
        "그는 출처가 불분명한 글을 인용했다.",
        "제공되는 서비스는 다음과 같다: 상담, 교육.",
        "정신건강 상담은 나주시보건소 건강증진과(☎061-339-4850)로 문의하면 자세히 안내받을 수 있다.",
        "(사진)",
        "문화체육관광부는 공공누리 제1유형 적용 저작물을 확대한다고 밝혔다.",
        "문체부는 공공저작물을 공공누리 조건에 따라 누구나 이용할 수 있도록 개방했다.",
        "담당 업무는 2025-2026 사업 150",
        "(담당 사업 2025-2027 추진)",
    ],
)
def test_prose_that_looks_like_credit_stays(prose: str) -> None:
    assert split_paragraphs([prose]) == ([prose], [])


def test_label_value_layouts_become_one_contact_line() -> None:
    """Seoul's <dt>담당부서</dt><dd>…</dd><dt>문의</dt><dd>…</dd>, as paragraphs_from_html gives them."""
    kept, found = split_paragraphs(["담당부서", "정책기획관기획담당관", "문의", "02-2133-6630", "본문입니다."])
    assert kept == ["본문입니다."]
    assert [(f.kind, f.name, f.phone) for f in found] == [
        ("contact", "정책기획관기획담당관", None),
        ("contact", None, "02-2133-6630"),
    ]


def test_policy_portal_prefix_only_when_it_names_an_agency() -> None:
    agencies = {"외교부", "산림청"}
    assert (
        title_prefix("[외교부] 이란 내 시위 관련 회의 개최", agencies.__contains__)[0] == "이란 내 시위 관련 회의 개최"
    )
    title = "[보도설명자료] 원안위는 법령에서 정한 기준과 절차에 따라"
    assert title_prefix(title, agencies.__contains__) == (title, None)
    assert title_prefix("[외교부]", agencies.__contains__) == ("[외교부]", None)


def test_phone_numbers_are_split_from_names() -> None:
    assert split_phone("행정과 박주홍 ☎061-380-3192") == ("행정과 박주홍", "☎061-380-3192")
    assert split_phone("노인건강과 노인복지팀 (240-8940)") == ("노인건강과 노인복지팀", "(240-8940)")
    assert split_phone("기획홍보실 홍보팀") == ("기획홍보실 홍보팀", None)
