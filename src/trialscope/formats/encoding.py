"""Text encodings of record files: what to read as UTF-8, and what to say when it is not.

CT.gov writes UTF-8, but files pass through other hands: a Windows tool saves JSON as
UTF-16 with a byte order mark, an old export is Latin-1. JSON must be UTF-8 (RFC 8259),
so UTF-16 and UTF-32 files are transcoded before parsing (their BOM or the zero bytes of
ASCII text tell them apart). XML says its own encoding in its declaration, which lxml
honours; only a wide encoding is transcoded here, with the declaration dropped because it
would no longer be true. Anything else that is not UTF-8 is quarantined with a reason
that names the likely encoding and the first byte that is wrong.

The Latin-1 guess is a rule, not a detector: charset-normalizer, asked about a CT.gov
record saved as Latin-1, answers cp1250 or cp775, which helps nobody fix the file.
"""

from __future__ import annotations

import codecs
import re

#: BOMs, longest first (the UTF-32 LE mark begins with the UTF-16 LE one)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def wide_codec(head: bytes) -> str | None:
    """The UTF-16/32 codec a file starts in (by BOM, else by the zeros of ASCII), or None."""
    for bom, codec, _ in _BOMS:
        if head.startswith(bom):
            return None if codec == "utf-8" else codec
    if len(head) >= 4:
        # '{', '[' or '<' as the first character, without a BOM
        if head[1:4] == b"\x00\x00\x00" and head[0]:
            return "utf-32-le"
        if head[:3] == b"\x00\x00\x00" and head[3]:
            return "utf-32-be"
    if len(head) >= 2:
        if head[0] and head[1] == 0:
            return "utf-16-le"
        if head[0] == 0 and head[1]:
            return "utf-16-be"
    return None


def strip_utf8_bom(data: bytes) -> bytes:
    return data[3:] if data.startswith(codecs.BOM_UTF8) else data


class NotText(ValueError):
    """Bytes that do not decode in the encoding their start announces."""


def wide_to_utf8(data: bytes, codec: str) -> bytes:
    """A UTF-16/32 file as UTF-8 bytes; an XML declaration (naming the old encoding) is
    dropped, so XML parsers read the result as the UTF-8 it is."""
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        name = codec.split("-")[0].upper() + "-" + codec.split("-")[1]
        raise NotText(
            f"starts as {name} but byte {exc.start} does not decode ({exc.reason})"
        ) from exc
    text = text.lstrip("\ufeff")
    if text.lstrip().startswith("<"):
        text = _XML_DECLARATION.sub("", text, count=1).lstrip()
    return text.encode("utf-8")


def why_not_utf8(data: bytes) -> str | None:
    """Why ``data`` is not UTF-8 ("not UTF-8: looks like Latin-1 ..."), or None if it is."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = exc.start
    else:
        return None
    codec = wide_codec(data[:4])
    if codec is not None:
        name = "UTF-32" if "32" in codec else "UTF-16"
        order = "little-endian" if codec.endswith("le") else "big-endian"
        return f"not UTF-8: looks like {name} ({order}); save it as UTF-8 or with a BOM"
    byte = data[at]
    context = data[max(0, at - 20) : at + 20]
    try:
        shown = context.decode("cp1252")
        guess = "Latin-1 (Windows-1252)"
    except UnicodeDecodeError:
        shown = context.decode("latin-1")
        guess = "an 8-bit encoding such as Latin-1"
    shown = " ".join(shown.split())
    return (
        f"not UTF-8: looks like {guess}; byte 0x{byte:02X} at offset {at}"
        f" ({shown!r} when read so). Save the file as UTF-8"
    )
