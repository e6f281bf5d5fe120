"""Imports run downward, and each of the case tables has one writer (issue 12 item 5).

Read from the source, so a new module that breaks either rule fails here with its name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

from bot.settings import PROJECT_ROOT

SOURCES = [PROJECT_ROOT / "bot", PROJECT_ROOT / "actions"]

# package -> packages above it that it must never import
FORBIDDEN = {
    "bot.cases": ("bot.", "actions"),  # the case model imports nothing of ours but itself
    "bot.messages": ("bot.", "actions"),  # the message catalogue, read by every layer, likewise
    "bot.storage": ("bot.outbox", "bot.console", "bot.channels", "bot.backoffice", "bot.escalation", "bot.web",
                    "bot.privacy", "bot.analytics", "actions"),
    "bot.backoffice": ("bot.outbox", "bot.console", "bot.channels", "bot.escalation", "bot.web", "actions"),
}
ALLOWED_WITHIN = {"bot.cases": ("bot.cases",), "bot.messages": ("bot.messages",)}

OWNERS = {
    "cases": "bot/storage/cases.py",
    "outbox": "bot/storage/outbox.py",
    "notifications": "bot/storage/notifications.py",
}


def modules() -> Iterator[Tuple[str, Path]]:
    for root in SOURCES:
        for path in sorted(root.rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).with_suffix("")
            yield ".".join(relative.parts).removesuffix(".__init__"), path


def imports(path: Path) -> List[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_only_run_downward(package):
    wrong: Dict[str, List[str]] = {}
    for name, path in modules():
        if name != package and not name.startswith(package + "."):
            continue
        allowed = ALLOWED_WITHIN.get(package, (package,))
        bad = [m for m in imports(path)
               if any(m == f or m.startswith(f) for f in FORBIDDEN[package]) and not m.startswith(allowed)]
        if bad:
            wrong[name] = sorted(set(bad))
    assert wrong == {}


def _writes(table: str) -> "re.Pattern[str]":
    return re.compile(rf"(?:\b(?:update|insert|delete)\(\s*{table}\s*\)|\b{table}\.(?:insert|update|delete)\(\))")


@pytest.mark.parametrize("table", sorted(OWNERS))
def test_each_case_table_has_one_writer(table):
    writers = sorted(
        str(path.relative_to(PROJECT_ROOT)) for _name, path in modules()
        if _writes(table).search(path.read_text(encoding="utf-8"))
    )
    assert writers == [OWNERS[table]]


def test_the_write_pattern_sees_the_usual_forms():
    pattern = _writes("outbox")
    assert pattern.search("conn.execute(update(outbox).where(x))")
    assert pattern.search("conn.execute(outbox.insert().values(a=1))")
    assert pattern.search("conn.execute(delete(outbox).where(x))")
    assert not pattern.search("select(outbox.c.id)") and not pattern.search("update(outbox_rows)")
