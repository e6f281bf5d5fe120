"""Test stories (tests/stories/) against the trained dialogue policies."""

import json
import subprocess
import sys

from bot.model import ensure_model
from bot.settings import PROJECT_ROOT


def test_every_test_story_is_predicted_correctly(tmp_path):
    model = ensure_model()
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "test", "core", "--model", str(model),
         "--stories", str(PROJECT_ROOT / "tests" / "stories"), "--out", str(tmp_path), "--no-plot"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text() if (tmp_path / "failed_test_stories.yml").exists() else ""
    assert "story:" not in failed, failed
    report = json.loads((tmp_path / "story_report.json").read_text())
    assert report["accuracy"] == 1.0 or report.get("micro avg", {}).get("f1-score") == 1.0, report
