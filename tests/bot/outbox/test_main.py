"""Operators' commands: `python -m bot.outbox check-routing --live` and `run --once`.

The commands run as they do from a shell (``main``, with settings from the
environment), in a thread, while the real sandbox back office answers over
HTTP in the test's event loop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, List, Tuple

import pytest
import yaml

from bot.outbox.__main__ import main
from bot.settings import PROJECT_ROOT
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine
from tests.support.delivery import API_KEY, RunningSandbox, new_case

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def sandbox() -> Any:
    running = await RunningSandbox().start()
    yield running
    await running.stop()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> Path:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cases.db'}")
    monkeypatch.setenv("OPEN311_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("OPEN311_SANDBOX_API_KEY", API_KEY)
    monkeypatch.delenv("ROUTING_FILE", raising=False)
    return tmp_path


async def run(capsys: pytest.CaptureFixture, *argv: str) -> Tuple[int, str]:
    code = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def live_lines(output: str) -> List[str]:
    return [line for line in output.splitlines() if "->" not in line]


async def test_check_routing_live_calls_every_back_office(env, sandbox, capsys):
    code, out = await run(capsys, "check-routing", "--live")
    assert code == 0, out
    assert sorted(live_lines(out)) == ["general (open311): ok", "highways (open311): ok", "waste (open311): ok"]
    services_asked = sandbox.sandbox.posts_received
    assert services_asked == 3  # one key test each, and nothing was stored
    assert sandbox.sandbox.requests == {}


async def test_check_routing_live_reports_a_refused_key_and_a_missing_service(env, sandbox, capsys, monkeypatch):
    sandbox.sandbox.api_key = "rotated-by-the-supplier"
    del sandbox.sandbox.services["HW_POTHOLE"]
    code, out = await run(capsys, "check-routing", "--live")
    assert code == 1
    lines = live_lines(out)
    assert "highways (open311): PROBLEM: routes.pothole: service_code 'HW_POTHOLE' is not in highways's service list" in "\n".join(lines)
    assert sum("the API key was refused" in line for line in lines) == 3
    assert "rotated" not in out and API_KEY not in out


async def test_check_routing_live_reports_an_unreachable_back_office_and_a_warning(env, sandbox, capsys, monkeypatch):
    data = yaml.safe_load((PROJECT_ROOT / "council" / "routing.yml").read_text())
    data["backoffices"]["waste"].update(endpoint="http://127.0.0.1:9/open311/v2/")
    data["backoffices"]["waste"].pop("endpoint_env")
    data["backoffices"]["general"]["contact_fields"] = False
    path = env / "routing.yml"
    path.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("ROUTING_FILE", str(path))
    code, out = await run(capsys, "check-routing", "--live")
    assert code == 1
    assert "waste (open311): PROBLEM: service list: cannot connect to waste" in out
    assert "general (open311): warning: general cannot store contact details" in out
    assert "highways (open311): ok" in out


async def test_run_once_delivers_what_is_due_and_exits(env, sandbox, capsys):
    engine = make_engine(f"sqlite:///{env / 'cases.db'}")
    create_schema(engine)
    case = CaseStore(engine).create(new_case(), "conv:1")
    code, out = await run(capsys, "run", "--once")
    assert code == 0, out
    assert "Claimed 1 case(s) for delivery" in out and "delivered 1" in out
    assert len(sandbox.requests_for(case.reference)) == 1
    assert CaseStore(engine).get(case.id).backoffice == "highways"

    code, out = await run(capsys, "run", "--once")  # nothing more is due
    assert code == 0 and "Claimed 0 case(s)" in out
    assert sandbox.sandbox.posts_received == 1


async def test_check_routing_live_compares_the_routes_with_the_service_definitions(env, sandbox, capsys):
    sandbox.sandbox.modes.required_attributes = {"HW_POTHOLE": ["usrn"]}
    sandbox.sandbox.services["WASTE_MISSED_BIN"].attributes = ["bin_type"]
    code, out = await run(capsys, "check-routing", "--live")
    assert code == 1
    assert "highways (open311): PROBLEM: routes.pothole: HW_POTHOLE requires attribute 'usrn'" in out
    assert "waste (open311): warning: routes.missed_bin: WASTE_MISSED_BIN does not ask for" in out
