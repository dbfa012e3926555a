"""Devanagari and Odia text in Latin letters, the way users type Hindi and Odia on a phone keyboard.

Not a scholarly transliteration: no diacritics, long and short vowels alike ("aa" is typed "a" as often as
not), the inherent vowel kept inside a word and, in Hindi, dropped at its end ("रहा" -> "raha", "बिल" ->
"bil"). The matcher indexes these romanised forms of each entry's Hindi and Odia phrasings beside its Latin
ones, so "password bhul gaya" meets "पासवर्ड भूल गया". The two scripts share one layout (Odia = Devanagari +
0x200 for nearly every letter), so one table serves both.
"""

from __future__ import annotations

import functools

_ODIA_SHIFT = 0x200
_VIRAMA = 0x094D
_NUKTA = 0x093C

# Independent vowels, and the vowel signs written after a consonant.
_VOWELS = {
    0x0905: "a", 0x0906: "a", 0x0907: "i", 0x0908: "i", 0x0909: "u", 0x090A: "u", 0x090B: "ri",
    0x090F: "e", 0x0910: "ai", 0x0913: "o", 0x0914: "au", 0x090D: "e", 0x0911: "o",
}  # fmt: skip
_SIGNS = {
    0x093E: "a", 0x093F: "i", 0x0940: "i", 0x0941: "u", 0x0942: "u", 0x0943: "ri", 0x0947: "e",
    0x0948: "ai", 0x094B: "o", 0x094C: "au", 0x0945: "e", 0x0949: "o",
}  # fmt: skip
_CONSONANTS = {
    0x0915: "k", 0x0916: "kh", 0x0917: "g", 0x0918: "gh", 0x0919: "n",
    0x091A: "ch", 0x091B: "chh", 0x091C: "j", 0x091D: "jh", 0x091E: "n",
    0x091F: "t", 0x0920: "th", 0x0921: "d", 0x0922: "dh", 0x0923: "n",
    0x0924: "t", 0x0925: "th", 0x0926: "d", 0x0927: "dh", 0x0928: "n",
    0x092A: "p", 0x092B: "ph", 0x092C: "b", 0x092D: "bh", 0x092E: "m",
    0x092F: "y", 0x0930: "r", 0x0932: "l", 0x0933: "l", 0x0935: "v",
    0x0936: "sh", 0x0937: "sh", 0x0938: "s", 0x0939: "h",
    0x0958: "q", 0x0959: "kh", 0x095A: "g", 0x095B: "z", 0x095C: "r", 0x095D: "rh", 0x095E: "f", 0x095F: "y",
}  # fmt: skip
_NASALS = {0x0901: "n", 0x0902: "n", 0x0903: "h"}
# Odia letters outside the shared layout: ୟ (ya), ୱ (wa), and ଵ.
_ODIA_EXTRA = {0x0B5F: "y", 0x0B71: "w", 0x0B35: "b"}
_NUKTA_FORMS = {0x0921: "r", 0x0922: "rh", 0x0915: "q", 0x0916: "kh", 0x0917: "g", 0x091C: "z", 0x092B: "f"}


def _base(char: str) -> tuple[int, bool]:
    """The Devanagari code point standing for `char`, and whether it was Odia."""
    code = ord(char)
    if 0x0B00 <= code <= 0x0B7F:
        return code - _ODIA_SHIFT, True
    return code, False


def _consonant(char: str) -> str | None:
    code = ord(char)
    if code in _ODIA_EXTRA:
        return _ODIA_EXTRA[code]
    base, odia = _base(char)
    if odia and base == 0x092F:  # Odia ଯ is read "j"
        return "j"
    if odia and base == 0x0935:
        return "b"
    return _CONSONANTS.get(base)


@functools.lru_cache(maxsize=65536)
def romanise_word(word: str) -> str:
    """One Devanagari or Odia word in plain Latin letters; other characters pass unchanged."""
    out: list[str] = []
    pending = False  # a consonant whose inherent vowel is not yet decided
    odia_word = any(0x0B00 <= ord(c) <= 0x0B7F for c in word)
    chars = list(word)
    for i, char in enumerate(chars):
        base, _ = _base(char)
        consonant = _consonant(char)
        if consonant is not None:
            if pending:
                out.append("a")
            following = chars[i + 1] if i + 1 < len(chars) else ""
            if following and _base(following)[0] == _NUKTA:
                consonant = _NUKTA_FORMS.get(base, consonant)
            out.append(consonant)
            pending = True
        elif base == _NUKTA:
            continue
        elif base == _VIRAMA:
            pending = False
        elif base in _SIGNS:
            out.append(_SIGNS[base])
            pending = False
        elif base in _VOWELS:
            if pending:
                out.append("a")
            out.append(_VOWELS[base])
            pending = False
        elif base in _NASALS:
            if pending:
                out.append("a")
            out.append(_NASALS[base])
            pending = False
        else:
            if pending:
                out.append("a")
            out.append(char)
            pending = False
    if pending and (odia_word or len(out) == 1):  # Odia keeps its final vowel; Hindi drops it ("bil")
        out.append("a")
    return "".join(out)


def romanise(text: str) -> str:
    """`text` with every Devanagari or Odia word written in Latin letters."""
    return " ".join(romanise_word(word) for word in text.split())
