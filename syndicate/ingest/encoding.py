"""Bytes → text, honouring what the document declares and catching what it gets wrong.

Order: a byte-order mark; the HTTP charset; the XML prolog; an HTML <meta>. A declared charset is used only if
the bytes decode with it strictly; a single-byte Western charset (latin-1, windows-1252, ascii) declared for
bytes that look like a CJK encoding is not believed. Otherwise charset-normalizer decides. EUC-KR is read as
CP949, its superset, because Korean sites that say EUC-KR routinely send CP949-only syllables.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from syndicate.errors import ParseError

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_PROLOG = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']", re.I)
_META = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._\-]+)", re.I)
_WESTERN = {"latin-1", "iso8859-1", "cp1252", "ascii"}
_WIDE = {
    "cp949",
    "euc_kr",
    "johab",
    "iso2022_kr",
    "big5",
    "big5hkscs",
    "gb2312",
    "gbk",
    "gb18030",
    "shift_jis",
    "cp932",
    "euc_jp",
    "iso2022_jp",
    "utf-8",
}
_ALIASES = {
    "euc-kr": "cp949",
    "euc_kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ksc5601": "cp949",
    "x-windows-949": "cp949",
}


def canonical(name: str | None) -> str | None:
    if not name:
        return None
    name = _ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared(body: bytes, http_charset: str | None = None) -> str | None:
    """The first charset the document or its transport declares (valid names only)."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    head = body[:4096]
    for candidate in (http_charset, _match(_PROLOG, head), _match(_META, head)):
        found = canonical(candidate)
        if found:
            return found
    return None


def decode(body: bytes, http_charset: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Raises ParseError when nothing decodes the bytes sensibly."""
    name = declared(body, http_charset)
    if name in _WESTERN and _has_high_bytes(body):
        # Latin-1 decodes any bytes, so a wrong Latin-1 label never fails: believe it unless the bytes are
        # clearly Korean, Chinese or Japanese (or UTF-8).
        detected = _detect(body)
        if detected not in _WIDE:
            return body.decode(name), name
        name = None
    if name:
        try:
            return _strip_bom(body.decode(name)), name
        except UnicodeDecodeError:
            pass  # declared wrongly; detect instead
    if not _has_high_bytes(body):
        return body.decode("ascii"), "ascii"
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    detected = _detect(body)
    if detected is None:
        raise ParseError("could not tell the character encoding of the document")
    try:
        return _strip_bom(body.decode(detected)), detected
    except UnicodeDecodeError:
        # The sample decoded but the full body does not: keep what decodes, mark the rest visibly.
        return body.decode(detected, errors="replace"), detected


def _detect(body: bytes) -> str | None:
    guess = from_bytes(body[:65536], cp_isolation=None).best()
    if guess is None:
        return None
    return canonical(guess.encoding) or guess.encoding


def _match(pattern: re.Pattern[bytes], head: bytes) -> str | None:
    found = pattern.search(head)
    return found.group(1).decode("ascii") if found else None


def _has_high_bytes(body: bytes) -> bool:
    return not body.isascii()


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text
