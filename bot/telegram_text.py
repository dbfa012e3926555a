"""Telegram's text limit: lengths as Telegram counts them, and long texts cut into messages that fit."""

from __future__ import annotations

TEXT_LIMIT = 4096  # UTF-16 code units, as Telegram counts


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces under `limit`, cut at paragraph breaks, else line breaks, else spaces, else anywhere."""
    if utf16_len(text) <= limit:
        return [text]
    for separator in ("\n\n", "\n", " "):
        head, found, _ = text[: _fit(text, limit)].rpartition(separator)
        if found and head.strip():
            rest = text[len(head) + len(separator):]
            return [head, *split_text(rest, limit)] if rest.strip() else [head]
    cut = _fit(text, limit)
    return [text[:cut], *split_text(text[cut:], limit)]


def _fit(text: str, limit: int) -> int:
    """The longest prefix length (in characters) whose UTF-16 length is at most `limit`."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)
