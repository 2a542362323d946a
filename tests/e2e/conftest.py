from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.servers import Stack, make_stack


def running_stack(
    workdir: Path, model: Path, *rasa_args: str, credentials: str | None = None
) -> Iterator[Stack]:
    """The real action server and Rasa server on a fresh, seeded SQLite database.

    ``credentials``: the Rasa server's credentials.yml (default: REST only).
    """
    s = make_stack(workdir, model)
    s.rasa_args = rasa_args
    if credentials is not None:
        (workdir / "credentials.yml").write_text(credentials, "utf-8")
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
