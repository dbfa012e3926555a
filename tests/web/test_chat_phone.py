"""The web chat on a phone (Chromium at 360x740) against one real `helpdesk serve` for the module, in English,
Odia and Hindi (issue 21): it remembers the browser, takes phone photos, renders Odia through the served font,
follows a language switch, and gets operator replies fast without polling an idle page every 3 s."""

from __future__ import annotations

import random
import re
import shutil
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from core.db import upgrade
from tests.jsonchat import helpdesk_env
from tests.serving import serving
from tests.web.conftest import ROOT, SHOTS, new_page

IST = timezone(timedelta(hours=5, minutes=30))
LANGS = ["en", "or", "hi"]
WORDS = {  # what each language's page says (flows/messages/*.yaml)
    "en": {"title": "MUKTASoft helpdesk", "send": "Send", "placeholder": "Type your message", "button": "English",
           "not_image": "Only photos", "too_big": "too large", "resume": "another phone or computer"},
    "or": {"title": "MUKTASoft ସହାୟତା କେନ୍ଦ୍ର", "send": "ପଠାନ୍ତୁ", "placeholder": "ଲେଖନ୍ତୁ", "button": "ଓଡ଼ିଆ",
           "not_image": "କେବଳ ଫଟୋ", "too_big": "ବହୁତ ବଡ଼", "resume": "ଅନ୍ୟ ଫୋନ୍"},
    "hi": {"title": "MUKTASoft हेल्पडेस्क", "send": "भेजें", "placeholder": "लिखें", "button": "हिन्दी",
           "not_image": "केवल फ़ोटो", "too_big": "बहुत बड़ी", "resume": "दूसरे फ़ोन"},
}
FILING = ["2", "1", "Bill page shows an error on save", "7", "2", "1", "2", "1"]  # typed numbers: any language


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """One server for the module, and an operator's API token."""
    root = tmp_path_factory.mktemp("chat-phone")
    kb = root / "kb" / "content"
    shutil.copytree(ROOT / "kb" / "content", kb)
    shutil.copy(ROOT / "kb" / "synonyms.yaml", kb.parent / "synonyms.yaml")
    url = f"sqlite:///{root / 'helpdesk.db'}"
    upgrade(url)
    env = helpdesk_env(url, root / "data") | {  # one address plays every user: no per-address or overall limits
        "HELPDESK_KB_DIR": str(kb), "HELPDESK_WEB_CHAT_NEW_PER_MINUTE": "0",
        "HELPDESK_CHAT_LIMIT_EXEMPT_ADDRESSES": '["127.0.0.1"]', "HELPDESK_CHAT_MESSAGES_OVERALL_PER_MINUTE": "0",
        "HELPDESK_CHAT_CONVERSATIONS_OVERALL_PER_HOUR": "0"}
    made = subprocess.run([sys.executable, "-m", "app", "tokens", "create", "--name", "priya", "--role", "operator"],
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    with serving(env) as server:
        yield server, made.stdout.strip()


def phone(browser: Browser) -> Page:
    return new_page(browser, 360, 740)


def _type(page: Page, text: str) -> None:
    """Send typed words and wait until the answer is on screen."""
    before = page.locator("#log .bubble").count()  # a first message redraws the greeting: still 2 more
    page.locator("#text").fill(text)
    page.locator("#text").press("Enter")
    expect(page.locator("#log .bubble").nth(before + 1)).to_be_attached()
    expect(page.locator("#text")).to_have_value("")


def file_ticket(page: Page, server: str, lang: str) -> str:
    page.goto(f"{server}/web/chat?lang={lang}")
    for words in FILING:
        _type(page, words)
    badge = page.locator("header #ticket")
    expect(badge).to_be_visible()
    return badge.inner_text().strip()


def operator_reply(server: str, token: str, number: str, text: str) -> None:
    sent = httpx.post(f"{server}/api/tickets/{number}/reply", json={"text": text},
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert sent.status_code == 200, sent.text


def _noise_png(width: int, height: int) -> bytes:
    """A real PNG of noise: it compresses as badly as a camera photo (3 bytes a pixel)."""
    noise = random.Random(21).randbytes(width * 3 * height)
    raw = b"".join(b"\x00" + noise[y * width * 3:(y + 1) * width * 3] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b"")


# -- 1: the browser keeps its conversation ----------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_reload_and_next_visit_show_the_history_the_ticket_and_replies_sent_meanwhile(
    site: tuple[str, str], browser: Browser, lang: str
) -> None:
    server, token = site
    page = phone(browser)
    number = file_ticket(page, server, lang)
    expect(page.locator("#log .bubble.bot").last).to_contain_text(WORDS[lang]["resume"])
    code = re.search(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", page.locator("#log .bubble.bot").last.inner_text())
    assert code
    [cookie] = [c for c in page.context.cookies() if c["name"] == "hd_chat"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] > 0  # kept when the tab closes
    served = page.request.get(f"{server}/healthz").headers["date"]  # the server's time, not this test's clock
    assert cookie["expires"] > parsedate_to_datetime(served).timestamp() + 300 * 86400  # kept for about a year
    context: BrowserContext = page.context
    page.close()  # the tab is closed; the operator answers meanwhile

    operator_reply(server, token, number, "Please log out and in again, then save the bill.")
    later = context.new_page()
    later.goto(f"{server}/web/chat")
    expect(later.locator("html")).to_have_attribute("lang", lang)
    expect(later.locator("header #ticket")).to_have_text(number)
    expect(later.locator("#log .bubble.me").filter(has_text="Bill page shows an error")).to_have_count(1)
    expect(later.locator("#log .bubble.bot").last).to_contain_text("save the bill")
    later.reload()
    expect(later.locator("#log .bubble.bot").filter(has_text="save the bill")).to_have_count(1)

    other_device = phone(browser)
    other_device.goto(f"{server}/web/chat")
    expect(other_device.locator("header #ticket")).to_be_hidden()
    other_device.locator("details.resume summary").click()
    other_device.locator("details.resume input[name=code]").fill(code.group(0).lower())
    other_device.locator("details.resume button").click()
    expect(other_device.locator("header #ticket")).to_have_text(number)
    expect(other_device.locator("#log")).to_contain_text("save the bill")
    context.close()
    other_device.context.close()


# -- 2: photos like a phone sends them ---------------------------------------------------------------------
def test_a_phone_photo_is_downscaled_previewed_removable_and_shown_as_a_thumbnail(
    site: tuple[str, str], browser: Browser, tmp_path: Path
) -> None:
    server, _ = site
    big = tmp_path / "IMG_2041.png"
    big.write_bytes(_noise_png(1000, 2400))
    assert big.stat().st_size > 3 * 1024 * 1024  # over the 1 MiB JSON cap, as a phone's photo is
    page = phone(browser)
    page.goto(f"{server}/web/chat?lang=or")
    _type(page, "2")
    _type(page, "1")
    page.locator("input[name=photo]").set_input_files(str(big))
    preview = page.locator("#preview")
    expect(preview.locator("img")).to_be_visible()
    preview.get_by_role("button", name="ଫଟୋ ହଟାନ୍ତୁ").click()
    expect(preview).to_be_hidden()
    page.locator("input[name=photo]").set_input_files(str(big))
    expect(preview.locator("img")).to_be_visible()
    _type(page, "ବିଲ୍ ସେଭ୍ ହେଉନାହିଁ")
    expect(preview).to_be_hidden()
    thumb = page.locator("#log .bubble.me a.thumb img").last
    expect(thumb).to_be_visible()
    page.wait_for_function("() => [...document.querySelectorAll('#log .bubble.me a.thumb img')].pop()?.naturalHeight")
    assert thumb.evaluate("img => img.naturalHeight") == 1920  # the long side, downscaled
    assert thumb.bounding_box()["width"] <= 180  # type: ignore[index]
    href = page.locator("#log .bubble.me a.thumb").last.get_attribute("href")
    full = page.context.request.get(f"{server}{href}")
    assert full.status == 200 and full.headers["content-type"] == "image/jpeg"
    assert len(full.body()) < 1024 * 1024
    assert page.context.request.get(f"{server}{href}".replace("/photo/", "/photo/0")).status == 404
    stranger = httpx.get(f"{server}{href}", timeout=10)
    assert stranger.status_code == 404  # another browser cannot open it
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "web-chat-photo-or.png"))
    page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_a_refused_file_is_explained_in_the_users_language_and_the_typed_words_stay(
    site: tuple[str, str], browser: Browser, tmp_path: Path, lang: str
) -> None:
    server, _ = site
    page = phone(browser)
    page.goto(f"{server}/web/chat?lang={lang}")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    page.locator("#text").fill("ମୋ ବିଲ୍ / my bill")
    page.locator("input[name=photo]").set_input_files(str(notes))
    expect(page.locator("#notice")).to_contain_text(WORDS[lang]["not_image"])
    broken = tmp_path / "camera.jpg"  # a file no browser can draw, over the photo limit: sent as it is, refused
    broken.write_bytes(b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024 + 10))
    page.locator("input[name=photo]").set_input_files(str(broken))
    expect(page.locator("#notice")).to_contain_text(WORDS[lang]["too_big"])
    expect(page.locator("#preview")).to_be_hidden()
    expect(page.locator("#text")).to_have_value("ମୋ ବିଲ୍ / my bill")
    page.context.close()


# -- 3: fonts ------------------------------------------------------------------------------------------------
FONT_CHECK = """async ([family, words]) => {
  await document.fonts.ready;
  const loaded = await document.fonts.load(`16px "${family}"`, words.join(""));
  const faces = [...document.fonts].filter(f => f.family.replace(/"/g, "") === family && f.status === "loaded");
  const width = (font, text) => {
    const span = document.createElement("span");
    span.style.font = `32px ${font}`; span.style.whiteSpace = "nowrap"; span.style.position = "absolute";
    span.textContent = text;
    document.body.appendChild(span); const w = span.getBoundingClientRect().width; span.remove(); return w;
  };
  return {loaded: loaded.length, faces: faces.length, check: document.fonts.check(`16px "${family}"`, words.join("")),
          widths: words.map(w => [width(`"${family}", monospace`, w), width("monospace", w)])};
}"""


def _drawn_with(page: Page, text: str) -> list[tuple[str, bool]]:
    """The fonts Chromium used to draw `text` in the page's own font (DevTools: CSS.getPlatformFontsForNode),
    each with whether it is a web font."""
    page.evaluate("t => { document.getElementById('probe')?.remove(); const p = document.createElement('p');"
                  " p.id = 'probe'; p.textContent = t; document.body.appendChild(p); p.getBoundingClientRect(); }",
                  text)
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        fonts: list[dict[str, object]] = []
        for _ in range(20):  # laid out by the next frame; a bounded wait for it
            root = cdp.send("DOM.getDocument")["root"]["nodeId"]
            probe = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#probe"})["nodeId"]
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": probe})["fonts"]
            if fonts:
                break
            page.wait_for_timeout(100)
    finally:
        cdp.detach()
    return [(str(f["familyName"]), bool(f["isCustomFont"])) for f in fonts]


@pytest.mark.parametrize(("lang", "family", "face", "words"), [
    ("or", "Helpdesk Odia", "Noto Sans Oriya", ["ନାହିଁ", "ଲେଖନ୍ତୁ", "ପଠାନ୍ତୁ"]),
    ("hi", "Helpdesk Devanagari", "Noto Sans Devanagari", ["नहीं", "लिखें", "भेजें"]),
])
def test_odia_and_hindi_render_through_the_served_font_in_the_chat_and_the_console(
    site: tuple[str, str], browser: Browser, lang: str, family: str, face: str, words: list[str]
) -> None:
    server, _ = site
    page = phone(browser)
    fonts: list[str] = []
    page.on("response", lambda r: fonts.append(r.url) if r.url.endswith(".woff2") and r.ok else None)
    page.goto(f"{server}/web/chat?lang={lang}")
    expect(page.locator(".composer .send")).to_have_text(words[2])
    for path in ("/web/chat", "/console/sign-in"):
        page.goto(f"{server}{path}?lang={lang}")
        found = page.evaluate(FONT_CHECK, [family, words])
        assert found["loaded"] >= 1 and found["faces"] >= 1 and found["check"], found
        if lang == "or":  # Debian's Noto Sans Oriya 2.000 (the system fallback) draws ନାହିଁ wider: detached signs
            assert any(abs(served - fallback) > 1 for served, fallback in found["widths"]), found
        for word in words:  # what Chromium actually drew each cluster with
            assert _drawn_with(page, word) == [(face, True)], word  # the served file (a web font), only it
    page.goto(f"{server}/web/chat?lang={lang}")
    assert page.locator(".composer .send").evaluate("b => getComputedStyle(b).fontFamily").startswith('"Helpdesk')
    assert any(f"/web/static/fonts/noto-sans-{'oriya' if lang == 'or' else 'devanagari'}" in u for u in fonts)
    page.context.close()


# -- 4: the whole page follows a language switch --------------------------------------------------------------
@pytest.mark.parametrize(("start", "to"), [("en", "or"), ("or", "hi"), ("hi", "en")])
@pytest.mark.parametrize("talked", [False, True], ids=["new-visitor", "mid-conversation"])
def test_the_whole_page_follows_a_language_switch(
    site: tuple[str, str], browser: Browser, start: str, to: str, talked: bool
) -> None:
    server, _ = site
    page = phone(browser)
    page.goto(f"{server}/web/chat?lang={start}")
    if talked:
        _type(page, "2")
    page.get_by_role("button", name=WORDS[to]["button"]).click()
    expect(page).to_have_title(WORDS[to]["title"])
    expect(page.locator("html")).to_have_attribute("lang", to)
    expect(page.locator("header h1")).to_have_text(WORDS[to]["title"])
    expect(page.locator(".composer .send")).to_have_text(WORDS[to]["send"])
    assert WORDS[to]["placeholder"] in (page.locator("#text").get_attribute("placeholder") or "")
    expect(page.get_by_role("button", name=WORDS[to]["button"])).to_have_attribute("aria-current", "true")
    if talked:
        expect(page.locator("#log .bubble.bot").filter(has_text=WORDS[to]["button"]).last).to_be_visible()
        _type(page, "1")  # the conversation goes on in the new language
        expect(page.locator("#log .bubble.bot").last).not_to_be_empty()
    page.context.close()


# -- 7: bubbles, tap targets, timestamps, badge, polling; 6: replies reach the screen fast ----------------------
@pytest.mark.parametrize("lang", LANGS)
def test_tap_targets_timestamps_and_no_empty_badge(site: tuple[str, str], browser: Browser, lang: str) -> None:
    server, _ = site
    page = phone(browser)
    page.goto(f"{server}/web/chat?lang={lang}")
    expect(page.locator("header #ticket")).to_be_hidden()
    assert page.locator("header #ticket").bounding_box() is None  # no empty pill
    targets = page.locator(".langs button, label.photo, .choices button, .composer .send")
    expect(page.locator(".choices button").first).to_be_visible()
    for index in range(targets.count()):
        box = targets.nth(index).bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44, targets.nth(index).inner_text()
    _type(page, "2")
    stamps = page.locator("#log .bubble time")
    assert stamps.count() >= 3
    for index in range(stamps.count()):
        moment = datetime.fromisoformat(stamps.nth(index).get_attribute("datetime") or "")
        assert stamps.nth(index).inner_text() == moment.astimezone(IST).strftime("%H:%M")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"web-chat-{lang}.png"))
    page.context.close()


def test_an_idle_page_holds_one_wait_instead_of_polling_and_replies_arrive_within_a_second(
    site: tuple[str, str], browser: Browser
) -> None:
    server, token = site
    page = phone(browser)
    number = file_ticket(page, server, "hi")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/web/chat/poll" in r.url or "/web/chat/wait" in r.url
            else None)
    page.wait_for_timeout(6500)  # the old page polled every 3 s: two requests by now
    assert len(asked) <= 1, asked
    for n in range(3):
        operator_reply(server, token, number, f"Reply number {n} from the helpdesk")
        expect(page.locator("#log .bubble.bot").last).to_contain_text(f"Reply number {n}", timeout=1500)
    top = page.locator("#log .bubble.bot").last.evaluate("b => b.getBoundingClientRect().top")
    assert 0 <= top < 740

    hide = "h => { Object.defineProperty(document, 'hidden', {value: h, configurable: true});" \
           " document.dispatchEvent(new Event('visibilitychange')); }"
    page.evaluate(hide, True)  # the tab goes to the background: no request while hidden
    asked.clear()
    page.wait_for_timeout(2500)
    assert asked == []
    with page.expect_request(lambda r: "/web/chat/wait" in r.url, timeout=2000):
        page.evaluate(hide, False)  # and back: it asks at once
    page.context.close()


def test_a_long_answer_is_previewed_with_read_more_and_the_first_answer_is_in_view(
    site: tuple[str, str], browser: Browser
) -> None:
    server, token = site
    page = phone(browser)
    number = file_ticket(page, server, "en")
    long_text = "Step. " * 40 + "\n\n" + "More detail. " * 40 + "THE END"
    operator_reply(server, token, number, long_text)
    bubble = page.locator("#log .bubble.bot.long", has_text="Step. Step.")
    expect(bubble).to_be_visible(timeout=5000)
    height = bubble.evaluate("b => b.getBoundingClientRect().height")
    assert height < 300
    top = bubble.evaluate("b => b.getBoundingClientRect().top")
    header = page.locator("header").evaluate("h => h.getBoundingClientRect().bottom")
    assert header - 1 <= top < 740  # its top is in view, under the header
    bubble.get_by_role("button", name="Read more").click()
    expect(bubble.get_by_role("button", name="Show less")).to_have_attribute("aria-expanded", "true")
    assert bubble.evaluate("b => b.getBoundingClientRect().height") > height
    page.context.close()


def test_faq_answers_come_one_a_bubble_with_the_best_first_and_in_view(site: tuple[str, str], browser: Browser) -> None:
    server, _ = site
    page = phone(browser)
    page.goto(f"{server}/web/chat?lang=en")
    _type(page, "2")
    _type(page, "1")
    _type(page, "How do I make a bill?")  # several close answers (one clear answer comes alone)
    answers = page.locator("#log .bubble.me").last.locator("~ .bubble.bot")
    expect(answers).to_have_count(4)  # three answers, then the question with its buttons
    expect(answers.nth(0)).to_contain_text("1. ")
    expect(answers.nth(1)).to_contain_text("2. ")
    expect(answers.nth(3).locator(".choices button")).to_have_count(4)
    header = page.locator("header").evaluate("h => h.getBoundingClientRect().bottom")
    top = answers.nth(0).evaluate("b => b.getBoundingClientRect().top")
    assert header - 1 <= top < 740 / 2, (header, top)  # the best answer starts on screen, under the header
    shot = SHOTS / "web-chat-faq.png"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
    page.context.close()
