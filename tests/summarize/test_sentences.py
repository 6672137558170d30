"""Sentence splitting and tokens per language."""

from __future__ import annotations

from syndicate.summarize.sentences import KOREAN_CONTENT_TAGS, korean_tokens, split_sentences


def texts(paragraphs: list[str], language: str) -> list[str]:
    return [s.text for s in split_sentences(paragraphs, language)]


def test_korean_quotes_stay_inside_their_sentence() -> None:
    body = (
        "김귀남 빛가람동장은 “따뜻한 한 끼가 큰 힘이 된다. 고맙다”며 “지원을 이어 나가겠다”고 전했다. "
        "시는 올해 예산을 늘렸다."
    )
    assert texts([body], "ko") == [
        "김귀남 빛가람동장은 “따뜻한 한 끼가 큰 힘이 된다. 고맙다”며 “지원을 이어 나가겠다”고 전했다.",
        "시는 올해 예산을 늘렸다.",
    ]


def test_korean_numbers_with_points_and_commas_do_not_end_a_sentence() -> None:
    body = "성장률은 1.5%를 기록했다. 국고 5,403억 원을 확보했다. 2.5배 늘었다."
    assert texts([body], "ko") == ["성장률은 1.5%를 기록했다.", "국고 5,403억 원을 확보했다.", "2.5배 늘었다."]


def test_paragraphs_are_kept_apart_and_numbered() -> None:
    sentences = split_sentences(["첫 문단이다. 둘째 문장이다.", "", "다음 문단이다."], "ko")
    assert [(s.index, s.paragraph) for s in sentences] == [(0, 0), (1, 0), (2, 2)]


def test_korean_tokens_are_content_morphemes() -> None:
    tokens = korean_tokens("나주시는 5일 김치냉장고를 보급했다고 밝혔다.")
    assert "나주시" in tokens and "김치" in tokens and "보급" in tokens and "5" in tokens
    # Particles and endings are not content: 는, 를, 었, 다
    assert not {"는", "를", "다"} & set(tokens)
    assert "NNG" in KOREAN_CONTENT_TAGS and "JKS" not in KOREAN_CONTENT_TAGS


def test_english_abbreviations_initials_and_decimals() -> None:
    body = (
        "Dr. Kim met U.S. officials on Jan. 5 in Washington. The budget grew 1.5 percent to $3.2 billion. "
        "J. Smith said it was fine! Was it? Yes."
    )
    assert texts([body], "en") == [
        "Dr. Kim met U.S. officials on Jan. 5 in Washington.",
        "The budget grew 1.5 percent to $3.2 billion.",
        "J. Smith said it was fine!",
        "Was it?",
        "Yes.",
    ]


def test_english_quotes_close_the_sentence() -> None:
    body = '"We will expand support," the mayor said. "It starts in May." Applications open today.'
    assert texts([body], "en") == [
        '"We will expand support," the mayor said.',
        '"It starts in May."',
        "Applications open today.",
    ]


def test_japanese_and_chinese_split_on_full_stops() -> None:
    assert texts(["羅州市は支援を拡大した。「来年も続ける」と述べた。詳細は後日！"], "ja") == [
        "羅州市は支援を拡大した。",
        "「来年も続ける」と述べた。",
        "詳細は後日！",
    ]
    zh = split_sentences(["罗州市扩大了支持。预算增加了1.5倍？是的。"], "zh")
    assert [s.text for s in zh] == ["罗州市扩大了支持。", "预算增加了1.5倍？", "是的。"]
    assert "罗州" in zh[0].tokens  # character bigrams


def test_kiwi_cuts_after_a_closing_quote_are_repaired() -> None:
    # Real sentences from Naju releases: Kiwi cut after ’ and “, leaving "은 …" and "로 …" as sentences.
    body = (
        "나주시가 다시 한번 공식 인정을 받았다. ‘가족 친화 인증’은 기관·기업이 정책을 실행할 경우 부여하는 제도다. "
        "보건소는 공식 슬로건을 ”독감 예방에는 백신접종, 마스크 착용, 손 씻기 필수!“로 정하고 홍보할 계획이다."
    )
    assert texts([body], "ko") == [
        "나주시가 다시 한번 공식 인정을 받았다.",
        "‘가족 친화 인증’은 기관·기업이 정책을 실행할 경우 부여하는 제도다.",
        "보건소는 공식 슬로건을 ”독감 예방에는 백신접종, 마스크 착용, 손 씻기 필수!“로 정하고 홍보할 계획이다.",
    ]


def test_a_heading_glued_to_the_sentence_before_becomes_its_own_piece() -> None:
    body = "다양한 프로그램이 진행됐다. ‘나주시정신건강복지센터’ ■ 다음 문단이 시작된다."
    assert texts([body], "ko") == [
        "다양한 프로그램이 진행됐다.",
        "‘나주시정신건강복지센터’",
        "다음 문단이 시작된다.",
    ]


def test_irregular_verb_stems_are_content() -> None:
    assert "받" in korean_tokens("인정을 받았다.") and "돕" in korean_tokens("이웃을 도왔다.")


def test_warm_up_loads_the_model_once_in_the_background() -> None:
    from syndicate.summarize.sentences import kiwi, warm_up

    thread = warm_up()
    thread.join(60)
    assert not thread.is_alive()
    assert kiwi() is kiwi()
