from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.servers import Stack, make_stack


def running_stack(workdir: Path, model: Path, *rasa_args: str) -> Iterator[Stack]:
    """The real action server and Rasa server on a fresh, seeded SQLite database."""
    s = make_stack(workdir, model)
    s.rasa_args = rasa_args
    try:
        s.start_actions()
        s.start_rasa()
        yield s
    finally:
        s.stop_all()


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory):
    """The real action server and Rasa server on a fresh, seeded SQLite database."""
    yield from running_stack(tmp_path_factory.mktemp("stack"), trained_model)
