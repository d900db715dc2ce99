"""The chat in a real headless chromium (Debian's; Playwright never downloads a browser).

Without chromium these tests skip, except under CI (``CI`` set), where a missing browser fails
the run instead of passing it silently. Every wait is on a condition in the page, never a sleep.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; under CI the browser tests must run, not skip", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing: install Debian's chromium (`make browser`)")
    try:
        from playwright import sync_api
    except ImportError:
        _missing("playwright is not installed (`pip install -e '.[dev]'`)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _watch(page, base_url: str) -> dict:
    seen: dict = {"dialogs": [], "foreign": [], "errors": []}

    def on_dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((base_url, "data:", "blob:"))
            else seen["foreign"].append(r.url)
        ),
    )
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    return seen


def test_chat_answer_citation_click_and_lookup(browser, serve_app, tmp_path):
    app = serve_app(tmp_path, delay_s=0.12)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    seen = _watch(page, app.url)
    page.goto(app.url)
    # Record whether a streamed, unverified draft was ever on screen before the final answer.
    page.wait_for_selector("#attest-question textarea")
    page.evaluate(
        """() => { window.__sawDraft = false;
        new MutationObserver(() => { if (document.querySelector('#attest-chat .draft'))
          window.__sawDraft = true; }).observe(document.body, {subtree: true, childList: true}); }"""
    )
    page.fill("#attest-question textarea", "What caused the famine of 1932?")
    page.click("#attest-ask")
    page.wait_for_selector('#attest-chat .turn[data-state="done"] a.cite', timeout=30_000)
    assert page.evaluate("window.__sawDraft") is True
    assert "green cheese" not in page.inner_text("#attest-chat")  # unverified sentence dropped

    marker = page.locator("#attest-chat a.cite").first
    target = marker.get_attribute("data-src")
    marker.click()
    card = page.locator(f"#{target}")
    card.wait_for(state="visible")
    page.wait_for_function(
        "id => document.getElementById(id).classList.contains('active')", arg=target
    )
    page.wait_for_function(_IN_VIEWPORT, arg=target)  # once the smooth scroll has brought it in
    assert card.is_visible() and _in_viewport(page, target)
    assert "Ada Example" in card.inner_text()

    shot = tmp_path / "artifacts" / "answered-chat.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot of the answered chat: {shot}")
    assert shot.stat().st_size > 10_000

    page.get_by_role("tab", name="Citation lookup").click()
    page.fill(
        "#attest-lookup-query textarea", "the requisitions that followed broke the village commune"
    )
    page.click("#attest-lookup-go")
    page.wait_for_selector("#attest-lookup .lookup-card", timeout=15_000)
    first = page.locator("#attest-lookup .lookup-card").first
    assert first.get_attribute("data-anchor") == "example-grain §I ¶2"
    assert (
        first.locator("mark").inner_text()
        == "the requisitions that followed broke the village commune"
    )
    assert seen["dialogs"] == [] and seen["foreign"] == [], seen

    # The export is written only now, when asked for, and downloaded by a relative link.
    page.get_by_role("tab", name="Chat").click()
    assert list((app.settings.data_dir / "chat-exports").rglob("*.md")) == []
    with page.expect_download(timeout=15_000) as download:
        page.click("#attest-export")
    saved = download.value
    assert saved.suggested_filename.startswith("attest-conversation-")
    text = Path(saved.path()).read_text(encoding="utf-8")
    assert "What caused the famine of 1932?" in text and "Ada Example" in text
    href = page.get_attribute("#attest-export-a", "href")
    assert href.startswith("attest-export/") and str(app.settings.data_dir) not in href
    assert len(list((app.settings.data_dir / "chat-exports").rglob("*.md"))) == 1
    assert seen["foreign"] == [], seen


_IN_VIEWPORT = """id => { const r = document.getElementById(id).getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight; }"""


def _in_viewport(page, element_id: str) -> bool:
    return page.evaluate(_IN_VIEWPORT, element_id)


def test_hostile_passage_renders_inert(browser, serve_app, tmp_path):
    app = serve_app(tmp_path)
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    seen = _watch(page, app.url)
    page.goto(app.url)
    page.get_by_role("tab", name="Citation lookup").click()
    page.fill("#attest-lookup-query textarea", "Hostile text")
    page.click("#attest-lookup-go")
    page.wait_for_selector("#attest-lookup .lookup-card", timeout=15_000)
    text = page.inner_text("#attest-lookup")
    assert "<img src=x onerror=alert(1)>" in text and "<script>alert(2)</script>" in text
    assert "![x](http://example.invalid/?q=leak)" in text
    assert page.locator("#attest-lookup img, #attest-lookup script").count() == 0
    # The same passage in the chat's source cards and in the corpus reader.
    page.get_by_role("tab", name="Chat").click()
    page.fill("#attest-question textarea", "Hostile text then alert then link end")
    page.click("#attest-ask")
    page.wait_for_selector('#attest-chat .turn[data-state="done"]', timeout=30_000)
    assert "<img src=x onerror=alert(1)>" in page.inner_text("#attest-sources")
    page.get_by_role("tab", name="Corpus").click()
    page.locator("#attest-reader-work input").click()
    page.get_by_role("option", name="Sample — Bureaucracy and the Purges (1985)").click()
    page.wait_for_function(
        "() => document.querySelector('#attest-reader').innerText.includes('Hostile text')"
    )
    # Two animation frames later the reader's HTML has been laid out and painted, so any
    # element or request its markup could create would exist by now.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert page.locator("#attest-chat img, #attest-sources img, #attest-reader img").count() == 0
    assert seen["dialogs"] == [], seen["dialogs"]
    assert seen["foreign"] == [], seen[
        "foreign"
    ]  # nothing fetched from example.invalid or anywhere
    assert seen["errors"] == [], seen["errors"]


def test_a_refused_filter_says_why_once_and_keeps_the_question(browser, serve_app, tmp_path):
    app = serve_app(tmp_path)
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    seen = _watch(page, app.url)
    page.goto(app.url)
    page.wait_for_selector("#attest-question textarea")
    page.get_by_text("Filters and answer mode").click()
    boxes = page.locator("#attest-works input[type=checkbox]")
    boxes.first.wait_for(state="visible")
    for i in range(boxes.count()):
        boxes.nth(i).uncheck()
    page.fill("#attest-question textarea", "What caused the famine of 1932?")
    page.click("#attest-ask")
    page.wait_for_selector('#attest-chat .turn[data-state="done"]', timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('#attest-question textarea').value.length > 0"
    )
    assert "No work is selected" in page.inner_text("#attest-chat")
    assert page.locator("#attest-chat .turn").count() == 1  # said once, not twice
    assert page.input_value("#attest-question textarea") == "What caused the famine of 1932?"
    assert app.spans == []  # nothing was generated
    assert seen["errors"] == [] and seen["foreign"] == [], seen


_BOX = "sel => { const e = document.querySelector(sel); if (!e) return null; const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


# Points across an element where the element drawn on top belongs to the chat.
_DRAWN_OVER = """sel => {
  const r = document.querySelector(sel).getBoundingClientRect();
  const chat = document.getElementById('attest-chat');
  const bad = [];
  for (const fx of [0.1, 0.3, 0.5, 0.7, 0.9]) for (const fy of [0.2, 0.5, 0.8]) {
    const x = r.left + fx * r.width, y = r.top + fy * r.height;
    const e = document.elementFromPoint(x, y);
    if (e && chat.contains(e)) bad.push([Math.round(x), Math.round(y), e.className]);
  }
  return bad;
}"""


def _overlap(a, b) -> bool:
    return (
        a is not None
        and b is not None
        and a[0] < b[2]
        and b[0] < a[2]
        and a[1] < b[3]
        and b[1] < a[3]
    )


def _ask(page, text: str, turns: int) -> None:
    page.fill("#attest-question textarea", text)
    page.click("#attest-ask")
    page.wait_for_function(
        "n => document.querySelectorAll('#attest-chat .turn[data-state=\"done\"]').length >= n",
        arg=turns,
        timeout=30_000,
    )


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)])
def test_warm_start_followup_compare_view_and_no_overlap(browser, serve_app, tmp_path, viewport):
    app = serve_app(
        tmp_path,
        delay_s=0.0,
        extra="The peasants withheld their grain because the state paid too little for it.",
        answer_mode="select",
        select_min_score=0.0,
    )
    width, height = viewport
    page = browser.new_page(viewport={"width": width, "height": height})
    seen = _watch(page, app.url)
    page.goto(app.url)
    # Warm start: the page says when the models are ready.
    page.wait_for_function(
        "() => (document.querySelector('#attest-model-state') || {}).innerText?.includes('models ready')",
        timeout=30_000,
    )
    # A comparison: one column per author.
    _ask(page, "How do Example and Sample differ on the peasants and the bureaucracy?", 1)
    last = page.locator("#attest-chat .turn").last
    assert last.locator(".compare[data-columns='2'] section.author-block").count() == 2
    # A follow-up keeps the topic and swaps the author; the rewritten question is shown.
    _ask(page, "Why did the peasants withhold their grain, according to Example?", 2)
    _ask(page, "And Sample?", 3)
    last = page.locator("#attest-chat .turn").last
    searched = last.locator(".searched").inner_text()
    assert "Sample" in searched and "grain" in searched
    # The new author is cited (the byline is upper-cased by CSS, hence lower()).
    assert "ben sample" in last.inner_text().lower()
    assert "ada example" not in last.inner_text().lower()
    _ask(page, "Tell me more", 4)
    # Four turns in: the conversation scrolls inside its box; nothing of it is drawn over the
    # question row or the examples (what is on top at points across them is not the chat).
    chat = page.evaluate(_BOX, "#attest-chat")
    assert page.evaluate("() => document.getElementById('attest-chat').scrollHeight") > (
        chat[3] - chat[1]
    ), "four turns should need scrolling in the chat box"
    for other in ("#attest-examples", "#attest-ask-row"):
        box = page.evaluate(_BOX, other)
        assert not _overlap(chat, box), (other, chat, box)
        assert page.evaluate(_DRAWN_OVER, other) == [], other
    # The newest turn's question is in view: at the top of the chat box, or the box is scrolled
    # to its end because the answer is shorter than the box.
    turn = page.evaluate(_BOX, "#attest-chat .turn:last-child")
    at_end = page.evaluate(
        "() => { const b = document.getElementById('attest-chat');"
        " return b.scrollHeight - b.clientHeight - b.scrollTop < 2; }"
    )
    assert chat[1] - 1 <= turn[1] <= chat[3] - 40, (chat, turn)
    assert turn[1] <= chat[1] + 40 or at_end, (chat, turn)
    shot = tmp_path / "artifacts" / f"four-turns-{width}x{height}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot: {shot}")
    assert seen["errors"] == [] and seen["foreign"] == [], seen
