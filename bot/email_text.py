"""Text out of mail: charsets (including mislabelled ones), HTML converted to plain text, quoted text cut off,
and the language a mail is written in (by its script).

Many mail programs declare Windows-1252 (or Latin-1) and send UTF-8: Odia and Hindi then arrive as bytes that
are valid UTF-8 under a Latin label. Bytes that decode as UTF-8 with multi-byte sequences are read as UTF-8
whatever the label says: real Windows-1252 text almost never forms such sequences.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

LATIN_LABELS = {"windows-1252", "cp1252", "iso-8859-1", "latin-1", "latin1", "iso-8859-15", "us-ascii", "ascii"}
ODIA = re.compile(r"[\u0B00-\u0B7F]")
DEVANAGARI = re.compile(r"[\u0900-\u097F]")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """`data` as text under its declared `charset`, read as UTF-8 when a Latin label hides UTF-8."""
    label = (charset or "").strip().strip('"').lower()
    if not label or label in LATIN_LABELS:
        try:
            return data.decode("utf-8")  # plain ASCII decodes the same either way
        except UnicodeDecodeError:
            label = label if label and label not in {"us-ascii", "ascii"} else "windows-1252"
    try:
        return data.decode(label, errors="replace")
    except LookupError:  # a charset Python does not know
        return data.decode("utf-8", errors="replace")


def language_of(text: str) -> str:
    """"or" for Odia script, "hi" for Devanagari, else "en": the script with the most letters wins."""
    odia, devanagari = len(ODIA.findall(text)), len(DEVANAGARI.findall(text))
    if odia == devanagari == 0:
        return "en"
    return "or" if odia >= devanagari else "hi"


class _Text(HTMLParser):
    """HTML to plain text: blocks become lines, scripts, styles and heads are dropped, links keep their words."""

    BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
                        "blockquote", "pre", "hr", "section", "article", "header", "footer"})
    HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.hidden = 0
        self.quoted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "blockquote":
            self.quoted += 1
            self.pieces.append("\n")
        elif tag in self.BLOCKS:
            self.pieces.append("\n")
        if tag == "li":
            self.pieces.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "blockquote":
            self.quoted = max(0, self.quoted - 1)
            self.pieces.append("\n")
        elif tag in self.BLOCKS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.quoted:  # quoted text of an HTML reply: marked as plain-text quotes are
            data = "\n".join("> " + line for line in data.splitlines() if line.strip())
        self.pieces.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body (never markup, never script)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.pieces).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Where a reply's quoted part starts: "On <date>, <who> wrote:" (on one line or wrapped over two), a
# forwarded or original-message marker, Outlook's header block ("From: ..." then "Sent: ..."), and the
# "wrote:" of the languages users write in.
_WROTE = re.compile(r"^\s*On\b.{0,200}\bwrote:\s*$", re.IGNORECASE)
_ON = re.compile(r"^\s*On\s.{0,200}$", re.IGNORECASE)
_WROTE_END = re.compile(r"^.{0,200}\bwrote:\s*$", re.IGNORECASE)
_MARKERS = re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message)\b", re.IGNORECASE)
_FROM = re.compile(r"^\s*\*?(From|De|Von|प्रेषक|ପ୍ରେରକ)\s*:\*?\s", re.IGNORECASE)
_SENT = re.compile(r"^\s*\*?(Sent|Date|Envoyé|Gesendet|भेजा गया|ପଠାଯାଇଛି)\s*:\*?\s", re.IGNORECASE)
_LOCAL_WROTE = re.compile(r"^.{0,200}(ଲେଖିଥିଲେ|ଲେଖିଛନ୍ତି|ने लिखा|लिखा)\s*:\s*$")


def _quote_starts(lines: list[str], at: int) -> bool:
    line = lines[at]
    following = lines[at + 1:at + 5]
    if _WROTE.match(line) or _MARKERS.match(line) or _LOCAL_WROTE.match(line):
        return True
    if _ON.match(line) and following and _WROTE_END.match(following[0]):
        return True
    return bool(_FROM.match(line)) and any(_SENT.match(later) for later in following)


def strip_quoted(text: str) -> str:
    """A reply's own words: what comes before the quoted message (and no "> " lines)."""
    lines = text.splitlines()
    for at in range(len(lines)):
        if _quote_starts(lines, at):
            lines = lines[:at]
            break
    kept = [line for line in lines if not line.lstrip().startswith(">")]
    return "\n".join(kept).strip().rstrip("_-").strip()
