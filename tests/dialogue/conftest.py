import pytest

from tests.model import ensure_trained_model


@pytest.fixture(scope="session")
def trained_model():
    return ensure_trained_model()
