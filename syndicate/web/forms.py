"""The release form: browser fields in, the API's own ReleaseIn out, with errors keyed by field for the page.

The portal validates with the same ReleaseIn model the HTTP API uses, so a release submitted in the browser
is held to exactly the rules of one submitted with curl.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from syndicate.api.schemas import ReleaseIn
from syndicate.config import get_settings
from syndicate.errors import InputError
from syndicate.web.attachments import AttachmentRefused, Upload, check

KST = ZoneInfo("Asia/Seoul")
#: Attachments per submission; with the per-file limit this bounds the whole request.
MAX_FILES = 10
#: Room for the text fields and multipart framing on top of the files.
TEXT_ALLOWANCE = 2 * 1024 * 1024
FIELDS = ("title", "subtitle", "body", "category", "licence", "language", "embargo")
#: pydantic's error type → the message key the page shows
MESSAGES = {
    "missing": "error.required",
    "string_too_short": "error.required",
    "string_too_long": "error.too_long",
    "string_pattern_mismatch": "error.category",
}


@dataclass
class ReleaseForm:
    values: dict[str, str] = field(default_factory=dict)
    #: field name → (message key, values for the message)
    errors: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    release: ReleaseIn | None = None
    uploads: list[tuple[Upload, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.release is not None


def empty(**values: str) -> ReleaseForm:
    return ReleaseForm(values={"language": "ko", **values})


def check_length(content_length: str | None) -> None:
    """Refuse an oversized body before it is parsed (Starlette spools the whole multipart body to disk)."""
    limit = MAX_FILES * get_settings().attachment_max_bytes + TEXT_ALLOWANCE
    if content_length is None or not content_length.isdigit():
        raise InputError("the form must be sent with a Content-Length")
    if int(content_length) > limit:
        raise InputError(f"the submission is larger than {limit // (1024 * 1024)} MB")


async def read(form: FormData) -> ReleaseForm:
    """Validate the submitted fields and attachments; every problem is reported, each beside its field."""
    out = ReleaseForm(values={name: _text(form, name) for name in FIELDS})
    embargo = _embargo(out)
    data = {
        "title": out.values["title"].strip(),
        "subtitle": out.values["subtitle"].strip() or None,
        "body": out.values["body"].strip(),
        "category": out.values["category"].strip() or None,
        "licence": out.values["licence"] or None,
        "language": out.values["language"] or "ko",
        "embargo_until": embargo,
    }
    try:
        out.release = ReleaseIn.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "body"
            name = "embargo" if name == "embargo_until" else name
            key = "error.licence" if name == "licence" else MESSAGES.get(err["type"], "error.invalid")
            out.errors.setdefault(name, (key, {}))
    await _attachments(form, out)
    return out


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _embargo(out: ReleaseForm) -> datetime | None:
    """``<input type=datetime-local>`` sends local time without an offset; the form says it is Korean time."""
    text = out.values["embargo"].strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        out.errors["embargo"] = ("error.embargo", {})
        return None
    return value if value.tzinfo else value.replace(tzinfo=KST)


def local_time(value: datetime | None) -> str:
    """A stored time as the form's datetime-local value, in Korean time."""
    return value.astimezone(KST).strftime("%Y-%m-%dT%H:%M") if value else ""


async def _attachments(form: FormData, out: ReleaseForm) -> None:
    limit = get_settings().attachment_max_bytes
    uploads = []
    # An empty file input still sends a part, with no file name: skip it.
    files = [item for item in form.getlist("attachments") if isinstance(item, UploadFile) and item.filename]
    if len(files) > MAX_FILES:
        out.errors["attachments"] = ("error.file_count", {"n": str(MAX_FILES)})
        return
    for item in files:
        data = await item.read(limit + 1)
        uploads.append(Upload(name=item.filename or "attachment", data=data))
    try:
        out.uploads = check(uploads)
    except AttachmentRefused as exc:
        key = "error.file_size" if exc.reason == "size" else "error.file_type"
        out.errors["attachments"] = (key, {"name": exc.name})
