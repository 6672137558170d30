"""The portal's words in Korean and English, and which of the two a request gets.

Language: ``?lang=`` (remembered in a cookie), then the cookie, then Accept-Language, then Korean.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

LANGUAGES = ("ko", "en")
DEFAULT = "ko"
COOKIE = "syndicate_lang"

#: key → (Korean, English)
STRINGS: dict[str, tuple[str, str]] = {
    "site.tagline": (
        "정부 보도자료를 출처와 이용조건을 지켜 번역·배포합니다.",
        "Government press releases, credited, licence-aware and translated.",
    ),
    "nav.skip": ("본문으로 건너뛰기", "Skip to content"),
    "nav.home": ("처음", "Home"),
    "nav.directory": ("피드 목록", "Feed directory"),
    "nav.archive": ("보도자료 찾기", "Archive"),
    "nav.submit": ("보도자료 등록", "Submit"),
    "nav.mine": ("우리 기관 보도자료", "Our releases"),
    "nav.admin": ("운영", "Operations"),
    "nav.login": ("로그인", "Sign in"),
    "nav.logout": ("로그아웃", "Sign out"),
    "nav.language": ("언어", "Language"),
    "login.title": ("로그인", "Sign in"),
    "login.email": ("이메일", "Email"),
    "login.password": ("비밀번호", "Password"),
    "login.button": ("로그인", "Sign in"),
    "login.wrong": ("이메일 또는 비밀번호가 맞지 않습니다.", "The email or password is not right."),
    "login.locked": (
        "로그인 실패가 너무 많습니다. 15분 뒤에 다시 시도하세요.",
        "Too many failed sign-ins. Try again in 15 minutes.",
    ),
    "submit.title": ("보도자료 등록", "Submit a release"),
    "submit.correct_title": ("보도자료 정정", "Correct a release"),
    "field.title": ("제목", "Title"),
    "field.subtitle": ("부제목", "Subtitle"),
    "field.body": ("본문", "Body"),
    "field.body_hint": ("문단 사이는 빈 줄로 구분합니다.", "Separate paragraphs with a blank line."),
    "field.category": ("분류", "Category"),
    "field.category_hint": ("영문 소문자, 예: economy", "Lower-case letters, e.g. economy"),
    "field.licence": ("이용조건", "Licence"),
    "field.licence_default": ("기관 기본값", "Agency default"),
    "field.language": ("원문 언어", "Language of the text"),
    "field.embargo": ("엠바고", "Embargo"),
    "field.embargo_hint": (
        "한국 시간(KST). 비우면 바로 공개합니다.",
        "Korean time (KST). Leave empty to publish at once.",
    ),
    "field.attachments": ("첨부파일", "Attachments"),
    "field.attachments_hint": (
        "이미지(PNG, JPEG, GIF, WebP), PDF, HWP. 파일당 최대 {mb} MB.",
        "Images (PNG, JPEG, GIF, WebP), PDF, HWP; up to {mb} MB each.",
    ),
    "submit.button": ("등록", "Submit"),
    "correct.button": ("정정 등록", "Submit correction"),
    "submit.errors": ("입력 내용을 확인하세요.", "Please check the fields marked below."),
    "error.required": ("반드시 입력해야 합니다.", "This field is required."),
    "error.category": ("영문 소문자, 숫자, - 와 _ 만 쓸 수 있습니다.", "Use letters, digits, - and _ only."),
    "error.embargo": ("날짜와 시간을 확인하세요.", "Check the date and time."),
    "error.too_long": ("너무 깁니다.", "This is too long."),
    "error.licence": ("알 수 없는 이용조건입니다.", "Unknown licence."),
    "error.file_type": ("허용되지 않는 파일 형식입니다: {name}", "File type not allowed: {name}"),
    "error.file_size": ("파일이 너무 큽니다: {name}", "File too large: {name}"),
    "error.file_count": ("첨부파일은 {n}개까지입니다.", "At most {n} attachments."),
    "error.invalid": ("값을 확인하세요.", "Check this value."),
    "mine.title": ("우리 기관 보도자료", "Our releases"),
    "mine.empty": ("아직 보도자료가 없습니다.", "No releases yet."),
    "col.title": ("제목", "Title"),
    "col.status": ("상태", "Status"),
    "col.created": ("등록", "Received"),
    "col.published": ("공개", "Published"),
    "release.status": ("상태", "Status"),
    "release.timeline": ("진행 상황", "Progress"),
    "release.original": ("원문", "Original"),
    "release.translations": ("번역", "Translations"),
    "release.summary": ("요약", "Summary"),
    "release.credit": ("출처 표시", "Credit"),
    "release.credit_hint": ("피드와 전송에 이렇게 표시됩니다.", "As it will appear in feeds and pushes."),
    "release.deliveries": ("전송", "Deliveries"),
    "release.attachments": ("첨부파일", "Attachments"),
    "release.none_yet": ("아직 없습니다.", "None yet."),
    "release.review": ("번역 검토", "Review translation"),
    "release.correct": ("정정", "Correct"),
    "release.retract": ("철회", "Retract"),
    "release.retract_reason": ("철회 사유", "Reason for retraction"),
    "release.retract_confirm": (
        "이 보도자료를 모든 피드에서 내리고 협력사에 알립니다. 계속할까요?",
        "This takes the release out of every feed and tells partners. Continue?",
    ),
    "release.public_page": ("공개 페이지", "Public page"),
    "release.error": ("오류", "Error"),
    "release.version": ("판", "Version"),
    "release.machine": ("기계 번역", "Machine translation"),
    "release.approved": ("검토 완료", "Approved"),
    "release.not_translated": (
        "이 언어의 번역은 아직 없습니다. 원문을 보여 드립니다.",
        "No translation in this language yet; showing the original.",
    ),
    "release.in_languages": ("다른 언어", "Other languages"),
    "release.original_link": ("원문 링크", "Original URL"),
    "release.retracted": ("철회된 보도자료입니다.", "This release was retracted."),
    "stage.licence_gate": ("이용조건 확인", "licence checked"),
    "stage.received": ("접수", "received"),
    "stage.credited": ("출처 확인", "credited"),
    "stage.translated": ("번역", "translated"),
    "stage.summarized": ("요약", "summarized"),
    "stage.published": ("공개", "published"),
    "stage.delivered": ("전송", "delivered"),
    "stage.embargoed": ("엠바고", "embargoed"),
    "stage.failed": ("실패", "failed"),
    "stage.retracted": ("철회", "retracted"),
    "stage.normalized": ("정리", "normalized"),
    "stage.pending": ("대기", "pending"),
    "stage.refused": ("이용조건상 불가", "not allowed by the licence"),
    "release.permissions": ("이용조건에 따른 처리", "What the licence allows"),
    "action.translate": ("번역", "translation"),
    "action.summarize": ("요약", "summary"),
    "action.deliver_commercial": ("상업 협력사 전송", "delivery to commercial partners"),
    "permission.allowed": ("허용", "allowed"),
    "permission.refused": ("불가", "not allowed"),
    "stage.skipped": ("해당 없음", "skipped"),
    "stage.delivered_to": ("협력사 {n}곳에 전송", "delivered to {n} partners"),
    "review.title": ("번역 검토", "Review translation"),
    "review.paragraph": ("{n}번째 문단", "Paragraph {n}"),
    "review.button": ("승인", "Approve"),
    "review.hint": (
        "승인한 번역은 피드와 전송에서 기계 번역을 대신하며, 다시 번역해도 유지됩니다.",
        "The approved text replaces the machine translation everywhere (feeds, pushes) "
        "and stays through later re-translations.",
    ),
    "directory.title": ("피드 목록", "Feed directory"),
    "directory.intro": (
        "언어·기관·분류별 피드입니다. 주소를 복사해 피드 리더에 넣으세요.",
        "Every feed by language, agency and category. Copy an address into your reader.",
    ),
    "directory.opml": ("모든 피드 (OPML)", "All feeds (OPML)"),
    "directory.copy": ("복사", "Copy"),
    "directory.copied": ("복사했습니다", "Copied"),
    "directory.by_language": ("언어별", "By language"),
    "directory.by_agency": ("기관별", "By agency"),
    "directory.by_category": ("분류별", "By category"),
    "directory.all_agencies": ("모든 기관", "All agencies"),
    "directory.filter": ("피드 거르기", "Filter feeds"),
    "archive.title": ("보도자료 찾기", "Archive"),
    "archive.search": ("검색어", "Search"),
    "archive.button": ("찾기", "Search"),
    "archive.empty": ("찾은 보도자료가 없습니다.", "No releases found."),
    "archive.prev": ("이전", "Previous"),
    "archive.next": ("다음", "Next"),
    "admin.sources": ("수집처", "Sources"),
    "admin.partners": ("협력사", "Partners"),
    "admin.users": ("사용자", "Users"),
    "admin.last_poll": ("마지막 수집", "Last poll"),
    "admin.last_error": ("마지막 오류", "Last error"),
    "admin.next_poll": ("다음 수집", "Next poll"),
    "admin.poll_now": ("지금 수집", "Poll now"),
    "admin.replay": ("다시 보내기", "Replay"),
    "admin.delivery_log": ("전송 기록", "Delivery log"),
    "admin.dead_letters": ("전송 실패", "Dead letters"),
    "admin.create_user": ("사용자 만들기", "Create user"),
    "admin.agency": ("기관", "Agency"),
    "admin.is_admin": ("운영자", "Operator"),
    "admin.queued": ("요청했습니다.", "Requested."),
    "home.for_outlets": ("언론사와 해외 매체", "For outlets and foreign media"),
    "home.for_teams": ("기관 홍보 담당자", "For comms teams"),
    "error.title": ("오류", "Error"),
    "common.none": ("없음", "none"),
}


def pick(request: Request) -> str:
    """The interface language of this request."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return _from_accept(request.headers.get("accept-language", ""))


def _from_accept(header: str) -> str:
    ranked = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((quality, tag.strip().lower()[:2]))
    for _, tag in sorted(ranked, key=lambda pair: -pair[0]):
        if tag in LANGUAGES:
            return tag
    return DEFAULT


def translator(lang: str) -> Callable[..., str]:
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0

    def t(key: str, **values: object) -> str:
        pair = STRINGS.get(key)
        text = pair[index] if pair else key
        return text.format(**values) if values else text

    return t
