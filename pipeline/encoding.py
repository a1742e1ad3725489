"""Bytes -> text for Danish documents, so that æ, ø and å survive.

Municipal exports come as UTF-8, UTF-8 with a BOM, or Windows-1252 from older case
systems. Generic detectors sometimes guess a Cyrillic or Mac code page for short Danish
texts, so we prefer cp1252 whenever the bytes are not valid UTF-8 and only ask
charset-normalizer when cp1252 cannot decode them. Text that was decoded wrongly earlier
in its life ("KÃ¸benhavn") is repaired with ftfy and flagged.
"""

from __future__ import annotations

import codecs
import re

# cheap pre-check so that ftfy only runs on texts that look broken
_MOJIBAKE = re.compile(r"[ÃÂâ][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿]")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(data: bytes) -> str:
    """Name of the codec to decode ``data`` with (BOM > UTF-8 > cp1252 > detector)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" not in data[:4096]:
        try:
            data.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    return best.encoding if best is not None else "latin-1"


def repair_text(text: str) -> tuple[str, list[str]]:
    """Fix mojibake ("Ã¸" -> "ø") and normalise line ends; returns (text, flags)."""
    flags: list[str] = []
    if _MOJIBAKE.search(text):
        import ftfy

        fixed = ftfy.fix_encoding(text)
        if fixed != text:
            text = fixed
            flags.append("mojibake_repaired")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, flags


def decode_bytes(data: bytes) -> tuple[str, str, list[str]]:
    """Decode and repair; returns (text, encoding, flags)."""
    encoding = detect_encoding(data)
    text = data.decode(encoding, errors="replace")
    text, flags = repair_text(text)
    if encoding not in ("utf-8", "utf-8-sig", "ascii"):
        flags.append(f"encoding_{encoding.replace('-', '').lower()}")
    return text, encoding, flags
