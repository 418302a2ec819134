"""End to end: `cga serve` in a subprocess, driven by Debian's headless Chromium through Playwright.

Screenshots go to test-artifacts/ so a person can look at what the tests saw; the answer shown in the
README (docs/screenshot-answer.png) is taken here too, and the words each answer shows are measured
into test-artifacts/words.json.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from small_library import GIFTS, build_small_settings

from assistant.accounts.feedback import FeedbackStore, feedback_path
from assistant.accounts.users import add_user
from assistant.config import PROJECT_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
STANDSTILL = "What is the mandatory standstill period under the Procurement Act 2023?"
OUT_OF_SCOPE = "What is the capital of France?"
ROUTE = "We want to buy £500k of victim support services starting 1 June 2026: which route, and who approves?"
ANSWER_TIMEOUT_MS = 90_000
LAPTOP = {"width": 1366, "height": 900}
WIDTHS = {"laptop": LAPTOP, "phone": {"width": 390, "height": 844}}
README_SHOT = PROJECT_ROOT / "docs" / "screenshot-answer.png"
# Words in an exchange before its short answer, and all the words it shows (folded parts are not shown).
WORDS_JS = """(turn) => {
  const count = (text) => text.split(/\\s+/).filter(Boolean).length;
  const first = turn.querySelector('.cga-lead, .cga-refused .cga-verdict + p');
  const before = document.createRange();
  before.setStartBefore(turn);
  before.setEndBefore(first);
  return {before: count(before.toString()), shown: count(turn.innerText)};
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_server(env: dict[str, str], name: str) -> Iterator[str]:
    """`cga serve` in a subprocess on a free loopback port, until the test module ends."""
    port = free_port()
    env = {**os.environ, "CGA_USERS_FILE": "", **env}
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1",
                                    "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, f"cga serve exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "cga serve did not answer /api/health in 180 s"
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(index_settings) -> Iterator[str]:
    yield from run_server({"CGA_DATA_DIR": str(index_settings.data_dir),
                           "CGA_CORPUS_MIRROR": str(index_settings.corpus_mirror)}, "serve")


@pytest.fixture(scope="module")
def upload_server(index_settings, tmp_path_factory) -> Iterator[str]:
    """A server over a small index of its own, so what is uploaded here stays out of the session index."""
    settings = build_small_settings(index_settings, tmp_path_factory.mktemp("browser-upload"))
    yield from run_server({"CGA_DATA_DIR": str(settings.data_dir), "CGA_SOURCES": str(settings.sources),
                           "CGA_CORPUS_MIRROR": str(settings.corpus_mirror), "CGA_MAX_UPLOAD_MB": "1"},
                          "serve-upload")


@pytest.fixture(scope="module")
def signed_in_server(index_settings, tmp_path_factory) -> Iterator[str]:
    users = tmp_path_factory.mktemp("browser-users") / "users.toml"
    add_user(users, "sam", "staff", "staff passphrase")
    yield from run_server({"CGA_DATA_DIR": str(index_settings.data_dir),
                           "CGA_CORPUS_MIRROR": str(index_settings.corpus_mirror), "CGA_USERS_FILE": str(users)},
                          "serve-signed-in")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@contextmanager
def opened(browser, base: str, ready: str = "#cga-question textarea", expected: tuple[str, ...] = (),
           viewport: dict[str, int] = LAPTOP):
    """A fresh page on `base` that must load nothing from elsewhere and raise no script errors
    (but the `expected` console errors, such as a refused sign-in)."""
    context = browser.new_context(viewport=viewport, accept_downloads=True, has_touch=viewport != LAPTOP)
    page = context.new_page()
    outside: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((base, "data:", "blob:")) else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not any(e in m.text for e in expected) else None)
    page.goto(base)
    page.wait_for_selector(ready)
    yield page
    context.close()
    assert outside == [], f"the page reached beyond the server: {outside}"
    assert errors == [], f"script errors in the page: {errors}"


@pytest.fixture()
def page(browser, server):
    with opened(browser, server) as page:
        yield page


def ask(page, question: str) -> None:
    box = page.locator("#cga-question textarea")
    box.fill(question)
    count = page.locator(".cga-turn").count()
    box.press("Enter")  # keyboard only: Enter asks
    page.wait_for_function(f"document.querySelectorAll('.cga-turn').length > {count}", timeout=ANSWER_TIMEOUT_MS)


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"]


def words_shown(page, name: str, turn) -> dict[str, int]:
    """Measure an exchange as shown and keep the figures with the screenshots."""
    figures = turn.evaluate(WORDS_JS)
    record = ARTIFACTS / "words.json"
    kept = json.loads(record.read_text()) if record.exists() else {}
    record.write_text(json.dumps(kept | {name: figures}, indent=1))
    return figures


def squash(text: str) -> str:
    return " ".join(text.split())


def test_answer_shows_markers_sources_and_the_quoted_passage(page, library):
    expected = library.ask(STANDSTILL)  # the same question in process: what the page must show
    first = expected.citations[0]
    ask(page, STANDSTILL)
    latest = page.locator(".cga-turn").first
    answer = latest.locator(".cga-answer")
    assert squash(expected.statements[0].quote) in squash(answer.inner_text())
    assert "Regime: Procurement Act 2023" in answer.inner_text()
    marker = answer.locator("a.cga-marker").first
    assert marker.inner_text() == "[1]"
    labels = latest.locator(".cga-source .cga-label").all_inner_texts()
    assert labels[0] == f"[1] {first.citation}"
    assert any(re.match(r"\[\d\] PA 2023 s\.51\(", t) for t in labels), labels
    source = latest.locator(".cga-source").first
    assert source.get_attribute("open") is not None
    assert squash(first.quotes[0]) in squash(source.locator(".cga-passage mark").first.inner_text())
    assert squash(first.text) == squash(source.locator(".cga-passage").inner_text())
    assert first.dated in source.inner_text()
    assert source.locator("a.cga-link").get_attribute("href") == first.source_url
    # The [1] marker is a link a keyboard user can follow to its source.
    marker.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash === '#cga-t1-s1'")
    shot(page, "01-answer")
    assert page.locator("footer.cga-footer a[href='/api/health']").inner_text() == "JSON API"


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_short_answer_is_in_view_after_asking_and_feedback_is_stored_per_answer(browser, server, index_settings,
                                                                                    width):
    with opened(browser, server, viewport=WIDTHS[width]) as page:
        page.locator("#cga-examples button.cga-example").filter(has_text="victim support").click()  # asks it
        page.wait_for_selector(".cga-turn", timeout=ANSWER_TIMEOUT_MS)
        latest = page.locator(".cga-turn").first
        lead = latest.locator(".cga-lead")
        assert in_view(page, latest.locator(".cga-question")) and in_view(page, lead), width
        assert "[1]" in lead.inner_text() and "£500,000" in lead.inner_text()
        assert latest.locator(".cga-question").inner_text().endswith(ROUTE)
        trace = latest.locator("details.cga-trace")
        assert trace.get_attribute("open") is None and "How this was decided" in trace.inner_text()
        figures = words_shown(page, f"route-{width}", latest)
        assert figures["before"] <= len(ROUTE.split()) + 4, figures  # "Question 1", the question, "Answer"
        if width == "laptop":
            README_SHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(README_SHOT))
        shot(page, f"02-route-{width}")

        latest.locator(".cga-comment summary").click()
        latest.locator(".cga-comment textarea").fill(f"Wanted the open procedure too ({width}).")
        latest.locator("button[data-action=not-helpful]").click()
        page.wait_for_function("document.querySelector('.cga-turn .cga-action-note').textContent.includes('recorded')")
        assert latest.locator(".cga-action-note").inner_text() == "Thank you: answer 1 recorded as not helpful."
        assert latest.locator(".cga-comment textarea").input_value() == ""
        stored = FeedbackStore(feedback_path(index_settings.data_dir)).all()[-1]
        assert (stored.question, stored.helpful, stored.comment) == (ROUTE, False,
                                                                     f"Wanted the open procedure too ({width}).")

        ask(page, OUT_OF_SCOPE)
        refused = page.locator(".cga-turn").first
        assert in_view(page, refused.locator(".cga-refused .cga-verdict"))
        assert refused.locator(".cga-refused .cga-verdict").inner_text().lower() == "no answer"
        assert refused.locator(".cga-answer, .cga-lead, .cga-next").count() == 0
        assert "Closest passages (these do not answer the question)" in refused.inner_text()
        assert refused.locator(".cga-related-list .cga-source").count() >= 1
        words_shown(page, f"refusal-{width}", refused)
        shot(page, f"03-refused-{width}")


def test_answer_actions_copy_export_and_ask_the_suggested_follow_up(browser, server):
    with opened(browser, server) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        ask(page, STANDSTILL)
        latest = page.locator(".cga-turn").first
        words_shown(page, "standstill", latest)
        latest.locator("button[data-action=copy]").click()
        latest.get_by_text("Answer copied.").wait_for()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith(latest.locator(".cga-lead").inner_text()[:40]) and "Sources:" not in copied
        latest.locator("button[data-action=copy-cited]").click()
        latest.get_by_text("Answer copied with its sources.").wait_for()
        assert "\nSources:\n[1] PA 2023 s.51(" in page.evaluate("navigator.clipboard.readText()")
        with page.expect_download() as download_info:
            latest.locator("button[data-action=export]").click()
        saved = ARTIFACTS / "answer-1.md"
        download_info.value.save_as(saved)
        assert saved.read_text(encoding="utf-8").startswith(f"## 1. {STANDSTILL}\n\n### Answer\n\n**")

        latest.locator("button.cga-ask-next", has_text="And under PCR 2015?").click()
        page.wait_for_function("document.querySelectorAll('.cga-turn').length === 2", timeout=ANSWER_TIMEOUT_MS)
        assert "Read as a follow-up" in page.locator(".cga-turn").first.locator(".cga-followup").inner_text()


def test_every_control_shows_a_focus_ring(page):
    """Keyboard users see where they are: radio, checkbox, buttons, the question box."""
    page.locator("#cga-question textarea").press("Tab")  # keyboard in use, as :focus-visible asks
    for selector in ("#cga-regime input[type=radio]", "#cga-kinds input[type=checkbox]", "#cga-ask",
                     "button.cga-example"):
        control = page.locator(selector).first
        control.focus()
        ring = control.evaluate("(el) => { const box = el.closest('label') || el; "
                                "return getComputedStyle(box).outlineStyle + ' ' + getComputedStyle(el).outlineStyle; }")
        assert "solid" in ring, (selector, ring)


def test_follow_up_export_and_new_conversation(page):
    ask(page, STANDSTILL)
    ask(page, "And under PCR 2015?")
    latest = page.locator(".cga-turn").first
    assert "Read as a follow-up" in latest.locator(".cga-followup").inner_text()
    assert "Earlier in this conversation" in page.locator("#cga-transcript").inner_text()
    assert page.locator(".cga-turn .cga-actions").count() == 2  # each answer keeps its own buttons

    page.locator("#cga-export").click()
    link = page.locator("#cga-export-file a").first
    link.wait_for(timeout=30_000)
    with page.expect_download() as download_info:
        link.click()
    record_path = ARTIFACTS / "conversation.md"
    download_info.value.save_as(record_path)
    record = record_path.read_text(encoding="utf-8")
    assert record.startswith("# Commissioning guidance — conversation record")
    assert "Exported " in record and "## 1. What is the mandatory standstill period" in record
    assert "## 2. And under PCR 2015?" in record and "### Sources" in record
    assert re.search(r"\*\*\[1\] PA 2023 s\.51\(\d\)\*\* — .* · text as at \d{4}-\d\d-\d\d", record)
    shot(page, "04-follow-up-and-export")

    page.locator("#cga-new").click()
    page.wait_for_selector(".cga-empty")
    assert page.locator(".cga-turn").count() == 0


def test_index_tab_lists_documents_and_offers_upload_to_the_local_admin(page):
    page.get_by_role("tab", name="Index").click()
    table = page.locator("#cga-index table")
    table.wait_for()
    text = table.inner_text()
    for short in ("PA 2023", "PCR 2015", "PCD 1429"):
        assert short in text
    assert "Sign-in is off" in page.locator("body").inner_text()
    assert page.locator("#cga-upload-button").is_visible()
    shot(page, "05-index")



def test_admin_adds_a_document_that_answers_at_once(browser, upload_server, tmp_path):
    bad = tmp_path / "minutes.txt"
    bad.write_bytes(bytes(range(256)) * 40)
    good = tmp_path / "Gifts policy.md"
    good.write_text(GIFTS, encoding="utf-8")
    with opened(browser, upload_server) as page:
        page.get_by_role("tab", name="Index").click()
        upload = page.locator("#cga-upload input[type=file]")

        upload.set_input_files(str(bad))
        page.locator("#cga-upload").get_by_text("minutes.txt").wait_for()
        page.locator("#cga-upload-title textarea").fill("Minutes")
        page.locator("#cga-upload-button").click()
        page.wait_for_selector("#cga-upload-status .cga-status-error", timeout=60_000)
        assert "Not added. minutes.txt: binary data" in page.locator("#cga-upload-status").inner_text()

        page.locator("#cga-upload button[aria-label='Clear']").click()
        upload.set_input_files(str(good))
        page.locator("#cga-upload").get_by_text("Gifts policy.md").wait_for()
        page.locator("#cga-upload-title textarea").fill("Gifts and hospitality policy")
        page.locator("#cga-upload-short textarea").fill("G&H policy")
        page.locator("#cga-upload-button").click()
        page.wait_for_selector("#cga-upload-status .cga-status-ok", timeout=180_000)
        assert "now searchable" in page.locator("#cga-upload-status").inner_text()
        assert "G&H policy" in page.locator("#cga-index table").inner_text()
        shot(page, "06-uploaded")

        page.get_by_role("tab", name="Ask").click()
        ask(page, "Who must a gift offered by a bidder be reported to?")
        latest = page.locator(".cga-turn").first
        assert "Head of Commercial" in latest.locator(".cga-answer").inner_text()
        assert latest.locator(".cga-source .cga-label").first.inner_text().startswith("[1] G&H policy")
        shot(page, "07-answer-from-upload")


def test_sign_in_then_staff_see_their_role_and_no_upload(browser, signed_in_server):
    # Before sign-in the page's probes are refused (401), and so is the wrong password (400).
    with opened(browser, signed_in_server, ready="input[type=password]",
                expected=("status of 401", "status of 400")) as page:
        shot(page, "08-sign-in")
        page.locator("input[type=text]").first.fill("sam")
        page.locator("input[type=password]").fill("wrong")
        page.keyboard.press("Enter")
        page.get_by_text("Incorrect").wait_for()
        page.locator("input[type=text]").first.fill("sam")  # the login form clears it after a failure
        page.locator("input[type=password]").fill("staff passphrase")
        page.keyboard.press("Enter")
        page.wait_for_selector("#cga-question textarea")
        page.get_by_text("Signed in as").wait_for()
        assert "Signed in as sam (staff): answers draw on public, internal documents" in page.inner_text("body")
        ask(page, STANDSTILL)
        assert page.locator(".cga-turn .cga-answer").first.is_visible()
        page.get_by_role("tab", name="Index").click()
        page.locator("#cga-index table").wait_for()
        assert not page.locator("#cga-upload-button").is_visible()
