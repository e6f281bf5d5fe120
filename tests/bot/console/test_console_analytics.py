"""The console's analytics (bot/console/analytics.py) against the real console server: supervisors only,
figures from the real tracker store and database, CSV downloads audited, and the page in headless Chromium
with axe-core finding nothing (the console alone is enough: no Rasa needed)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from typing import Iterator, List

import pytest
from sqlalchemy import update

from bot.cases.model import NewCase
from bot.launcher import stop_all
from bot.storage.audit import AuditLog
from bot.storage.cases import CaseStore
from bot.storage.database import make_engine
from bot.storage.schema import cases
from tests.bot.console.test_console_security import Console
from tests.support.analytics import Conversations
from tests.support.browser import chromium, run_axe, screenshot_path
from tests.support.console import ADMIN_EMAIL, ADMIN_PASSWORD

AGENT = ("agent@anytown.gov.uk", "agent password 123")
SUPERVISOR = ("super@anytown.gov.uk", "super password 123")
FIGURES = ("Conversations per day", "Cases per day", "Cases by category", "Containment",
           "Escalations and their reasons", "Time to first staff reply", "Messages not understood (fallback rate)",
           "NLU confidence of the chosen intent", "Deliveries to back offices",
           "Messages to residents about their cases", "Time from report to acceptance and to closure")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    running = Console(tmp_path_factory.mktemp("console-analytics"))
    running.staff.create(*AGENT[:1], "Alex Agent", "agent", AGENT[1])
    running.staff.create(*SUPERVISOR[:1], "Sam Supervisor", "supervisor", SUPERVISOR[1])
    a_few_days(running)
    yield running
    stop_all([running.service])


def a_few_days(console: Console) -> None:
    """Conversations of the last few days: two reports (one by SMS), a question, one hand-over to staff."""
    talk = Conversations(make_engine(console.settings.tracker_store_url))
    store = CaseStore(console.escalations.engine)
    now = datetime.now(timezone.utc)
    for n, (sender, channel, category) in enumerate([("a" * 32, "web", "pothole"),
                                                     ("sms-" + "b" * 20, "sms", "graffiti<b>")]):
        at = now - timedelta(days=2 + n)
        talk.session(sender, at)
        talk.says(sender, at, f"report_{category}", 0.9, channel=channel)
        made = store.create(NewCase(category=category, conversation_id=sender, channel=channel), f"an-{n}")
        with store.engine.begin() as conn:
            conn.execute(update(cases).where(cases.c.id == made.id).values(created_at=at + timedelta(seconds=1)))
        talk.action(sender, at + timedelta(seconds=2), "action_finish_report", {"case_reference": made.reference})
    talk.question("c" * 32, now - timedelta(days=1), "faq")
    at = now - timedelta(hours=5)
    talk.session("d" * 32, at)
    talk.says("d" * 32, at, "talk_to_human", 0.4)
    talk.escalate("d" * 32, at)
    console.escalations.open("d" * 32, "web", "talk_to_human", "normal", "a person please")
    talk.staff_reply("d" * 32, at + timedelta(minutes=7))


def signed_in(console: Console, who=SUPERVISOR):  # type: ignore[no-untyped-def]
    client = console.client()
    assert client.sign_in(*who).status_code == 303
    return client


def audit(console: Console, action: str):  # type: ignore[no-untyped-def]
    return AuditLog(console.escalations.engine).recent(50, action)


def test_agents_are_refused_and_the_refusal_audited(console: Console) -> None:
    agent = signed_in(console, AGENT)
    assert agent.get("/analytics").status_code == 403
    assert agent.get("/analytics/csv/containment").status_code == 403
    assert {e.target for e in audit(console, "denied")} >= {"/analytics", "/analytics/csv/containment"}
    assert 'href="/analytics"' not in agent.get("/queue").text
    assert console.client().get("/analytics").status_code == 303  # not signed in: to the sign-in page


def test_supervisors_see_every_figure_with_a_chart_and_a_table(console: Console) -> None:
    supervisor = signed_in(console)
    assert 'href="/analytics"' in supervisor.get("/queue").text
    page = supervisor.get("/analytics").text
    for title in FIGURES:
        assert f">{title}</h2>" in page
    assert page.count('role="img"') == len(FIGURES) and page.count("<table>") == len(FIGURES)
    assert "3 of 4 conversations were contained (75.0%)" in page
    assert "Median time to the first staff reply 7 min" in page
    assert "graffiti&lt;b&gt;" in page and "graffiti<b>" not in page  # whatever a category is called, escaped
    assert "<script" not in page.split("</head>")[1]
    entry = audit(console, "view_analytics")[0]
    assert entry.staff_name == "Sam Supervisor" and "first" in entry.detail and "last" in entry.detail


def test_a_figure_downloads_as_csv_and_the_download_is_audited(console: Console) -> None:
    supervisor = signed_in(console)
    today = datetime.now(timezone.utc).date()
    first = (today - timedelta(days=6)).isoformat()
    response = supervisor.get(f"/analytics/csv/categories?from={first}&to={today.isoformat()}")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert f'filename="analytics-categories-{first}-' in response.headers["Content-Disposition"]
    rows: List[List[str]] = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["Category", "Cases", "Share"]
    assert sorted(rows[1:3]) == [["Pothole or damaged path", "1", "50.0"], ["graffiti<b>", "1", "50.0"]]
    assert rows[-1][0] == "Period" and rows[-1][1] == first
    entry = audit(console, "analytics_export")[0]
    assert entry.target == "categories" and entry.detail["first"] == first
    assert supervisor.get("/analytics/csv/nonsense").status_code == 404


def test_the_page_in_chromium_has_no_accessibility_violations_and_loads_nothing_from_elsewhere(
        console: Console) -> None:
    with chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # axe-core is injected for the check only
        page = context.new_page()
        fetched: List[str] = []
        page.on("request", lambda r: fetched.append(r.url))
        page.goto(console.url + "/sign-in")
        page.get_by_label("Email").fill(ADMIN_EMAIL)
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/queue")
        page.get_by_role("link", name="Analytics").click()
        page.wait_for_url("**/analytics")
        assert page.get_by_role("img", name="Containment", exact=True).is_visible()
        assert page.get_by_role("table", name="Containment: the numbers").is_visible()
        page.screenshot(path=str(screenshot_path("console-analytics.png")), full_page=True)
        violations = run_axe(page)
        assert violations == [], violations
        assert all(url.startswith(console.url) for url in fetched), fetched
        page.get_by_label("From", exact=True).fill((datetime.now(timezone.utc).date() - timedelta(days=2)).isoformat())
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**/analytics?from=*")
        assert "2 of 3 conversations were contained" in page.content()  # the SMS report was 3 days ago
        context.close()
