"""Files a comms team attaches to a release: typed by their bytes, stored under the data folder, served safely.

The type a browser claims for an upload is ignored; the first bytes decide (images, PDF, HWP). Files are
kept at ``data_dir/attachments/<release id>/<safe name>`` and served with the type we detected, ``nosniff``
and a Content-Disposition, so an upload can never be served as HTML or script.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

from syndicate.config import get_settings
from syndicate.errors import InputError, NotFound
from syndicate.model import Attachment

#: (magic prefix, media type, extension)
MAGIC: list[tuple[bytes, str, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"%PDF-", "application/pdf", "pdf"),
    # HWP 5 is an OLE compound file (checked below for its FileHeader signature); HWPX is a zip.
]
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HWPX = "application/hwp+zip"
BY_EXT = {ext: media_type for _, media_type, ext in MAGIC} | {
    "webp": "image/webp",
    "hwp": "application/x-hwp",
    "hwpx": HWPX,
}
INLINE = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}
_UNSAFE = re.compile(r"[^\w.\-]+")


class AttachmentRefused(InputError):
    """An attachment was refused (type or size)."""

    code = "attachment_refused"

    def __init__(self, message: str, *, reason: str, name: str) -> None:
        super().__init__(message, reason=reason, name=name)
        self.reason = reason
        self.name = name


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def sniff(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) from the first bytes, or None when the type is not allowed."""
    for magic, media_type, ext in MAGIC:
        if data.startswith(magic):
            return media_type, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    if data.startswith(OLE) and b"HWP Document File" in data:
        return "application/x-hwp", "hwp"
    if data.startswith(b"PK\x03\x04") and _is_hwpx(data):
        return HWPX, "hwpx"
    return None


def _is_hwpx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            first = archive.infolist()[0]
            return first.filename == "mimetype" and archive.read(first).startswith(b"application/hwp+zip")
    except (zipfile.BadZipFile, IndexError, KeyError):
        return False


def safe_name(name: str, ext: str) -> str:
    """A file name that is safe on disk and in a URL, keeping Korean letters; the extension is ours."""
    stem = Path(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = _UNSAFE.sub("_", stem).strip("._")[:80] or "attachment"
    return f"{stem}.{ext}"


def check(uploads: list[Upload]) -> list[tuple[Upload, str, str]]:
    """Each upload with its type and extension; AttachmentRefused for the first one that is not allowed."""
    limit = get_settings().attachment_max_bytes
    checked = []
    for upload in uploads:
        if len(upload.data) > limit:
            raise AttachmentRefused(f"{upload.name} is larger than {limit} bytes", reason="size", name=upload.name)
        kind = sniff(upload.data)
        if kind is None:
            raise AttachmentRefused(f"{upload.name} is not an allowed type", reason="type", name=upload.name)
        checked.append((upload, *kind))
    return checked


def root() -> Path:
    return get_settings().data_dir / "attachments"


def save(release_id: str, checked: list[tuple[Upload, str, str]]) -> list[Attachment]:
    """Write the files and return them as the release's attachments (absolute URLs under base_url)."""
    if not checked:
        return []
    folder = root() / release_id
    folder.mkdir(parents=True, exist_ok=True)
    base = get_settings().base_url.rstrip("/")
    out = []
    used: set[str] = set()
    for upload, media_type, ext in checked:
        name = _unique(safe_name(upload.name, ext), used)
        (folder / name).write_bytes(upload.data)
        out.append(Attachment(url=f"{base}/attachments/{release_id}/{quote(name)}", name=upload.name, type=media_type))
    return out


def discard(release_id: str) -> None:
    """Remove the files saved for a submission that was then refused (e.g. rate-limited)."""
    shutil.rmtree(root() / release_id, ignore_errors=True)


def _unique(name: str, used: set[str]) -> str:
    stem, _, ext = name.rpartition(".")
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{stem}-{n}.{ext}"
    used.add(candidate)
    return candidate


def locate(release_id: str, name: str) -> tuple[Path, str, bool]:
    """(path, media type, inline?) of a stored attachment; NotFound for anything else (no path tricks)."""
    if not re.fullmatch(r"[0-9a-f]{32}", release_id) or name != Path(name).name or name.startswith("."):
        raise NotFound("no such attachment")
    path = root() / release_id / name
    if not path.is_file():
        raise NotFound("no such attachment")
    # Only save() writes this folder, and it names each file with the extension of its sniffed type.
    media_type = BY_EXT.get(path.suffix.lstrip("."))
    if media_type is None:
        raise NotFound("no such attachment")
    return path, media_type, media_type in INLINE
