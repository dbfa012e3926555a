"""Reading mail text: charsets, HTML, quoted replies, answers, language by script."""

from __future__ import annotations

from bot.email_form import read_answers
from bot.email_parse import parse_mail
from bot.email_text import decode_bytes, html_to_text, language_of, strip_quoted

ODIA = "ବିଲ୍ ଅପଲୋଡ୍ ହେଉନାହିଁ"


def test_utf8_declared_as_windows_1252_is_read_as_utf8() -> None:
    assert decode_bytes(ODIA.encode(), "windows-1252") == ODIA
    assert decode_bytes("café".encode("cp1252"), "windows-1252") == "café"  # real Windows-1252 stays
    assert decode_bytes("नमस्ते".encode(), "utf-8") == "नमस्ते"
    assert decode_bytes(b"abc", "x-unknown-charset") == "abc"


def test_language_follows_the_script() -> None:
    assert language_of(ODIA) == "or" and language_of("बिल अपलोड नहीं हो रहा") == "hi"
    assert language_of("Bill upload fails") == "en" and language_of("HD-000123 " + ODIA) == "or"


def test_html_becomes_text_without_markup_or_script() -> None:
    html = ("<html><head><title>t</title><style>p{}</style></head><body><script>x()</script>"
            "<p>Bill&nbsp;upload <b>fails</b></p><ul><li>step one</li></ul><blockquote>old text</blockquote></body>")
    text = html_to_text(html)
    assert "Bill upload fails" in text and "- step one" in text and "> old text" in text
    assert "x()" not in text and "p{}" not in text and "<" not in text


def test_quoted_text_is_cut_from_replies() -> None:
    gmail = "It still fails.\n\nOn Wed, 2 Dec 2026 at 10:31, MUKTA Helpdesk <helpdesk@example.org>\nwrote:\n> Hello"
    outlook = ("Done, thanks\n\n________________________________\nFrom: MUKTA Helpdesk <helpdesk@example.org>\n"
               "Sent: Wednesday, December 2, 2026 10:31 AM\nSubject: [HD-000001] Tablet\n\nHello")
    inline = "> Which model?\nLenovo M10\n> Which ULB?\nJatni"
    assert strip_quoted(gmail) == "It still fails."
    assert strip_quoted(outlook) == "Done, thanks"
    assert strip_quoted(inline) == "Lenovo M10\nJatni"
    assert strip_quoted("From: the ULB office we sent the file") == "From: the ULB office we sent the file"


def test_answers_are_read_from_letter_lines_and_a_bare_first_line() -> None:
    answers = read_answers("A 2\nb: 1\nC. Bills\nD) 3\nE=2\nF: no")
    assert answers.letters == {"A": "2", "B": "1", "C": "Bills", "D": "3", "E": "2", "F": "no"}
    assert answers.bare is None and answers.words == ""
    bare = read_answers("1\n\nThanks a lot")
    assert bare.bare == "1" and bare.words == "Thanks a lot"
    sentence = read_answers("A bill of mine fails to upload")
    assert sentence.letters == {}


def test_a_mail_without_message_id_is_keyed_by_its_bytes() -> None:
    raw = b"From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n"
    assert parse_mail(raw).key == parse_mail(raw).key and parse_mail(raw).key.startswith("sha256:")
