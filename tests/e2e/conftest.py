import pytest

from tests.model import ensure_trained_model
from tests.servers import make_stack


@pytest.fixture(scope="session")
def trained_model():
    return ensure_trained_model()


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory):
    s = make_stack(tmp_path_factory.mktemp("stack"), trained_model)
    try:
        s.start_actions()
        s.start_rasa()
        yield s
    finally:
        s.stop_all()
