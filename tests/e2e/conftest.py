import pytest

from harness.servers import make_stack


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory):
    """The real action server and Rasa server on a fresh, seeded SQLite database."""
    s = make_stack(tmp_path_factory.mktemp("stack"), trained_model)
    try:
        s.start_actions()
        s.start_rasa()
        yield s
    finally:
        s.stop_all()
