"""Headless Debian Chromium for browser tests (Playwright), and helpers for the chat widget."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List

from playwright.sync_api import Browser, Page, sync_playwright

from bot.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"  # .ci/services.sh apt-installs it when missing
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"  # npm ci (make setup)
TEST_OUTPUT = PROJECT_ROOT / "test-output"

# The element that has focus, looking inside shadow roots (the widget lives in one).
DEEP_ACTIVE = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el) return null;
  if (el.getAttribute('aria-label')) return el.getAttribute('aria-label').trim();
  const copy = el.cloneNode(true);  // the visible name, without decorative (aria-hidden) parts
  copy.querySelectorAll('[aria-hidden=true]').forEach(n => n.remove());
  return (copy.textContent.trim() || el.id || el.tagName);
}"""


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def focused(page: Page) -> str:
    return page.evaluate(DEEP_ACTIVE) or ""


def tab_to(page: Page, label: str, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until the focused control's name is ``label``."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        if focused(page) == label:
            return
        page.keyboard.press(key)
    raise AssertionError(f"could not reach {label!r} by keyboard; focus is on {focused(page)!r}")


def run_axe(page: Page) -> List[Dict[str, Any]]:
    """axe-core's violations for the page (needs a context with bypass_csp=True)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [" ".join(map(str, n["target"])) + ": " + n.get("failureSummary", "") for n in v["nodes"]]}
        for v in result
    ]


def screenshot_path(name: str) -> Path:
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    return TEST_OUTPUT / name
