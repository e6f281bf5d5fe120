from pathlib import Path
from typing import Iterator

import pytest

from tests.support.stack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One real Rasa server + action server for all REST end-to-end tests."""
    running = Stack(Path(tmp_path_factory.mktemp("stack"))).start()
    yield running
    running.stop()
