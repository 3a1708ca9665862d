from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.ledger.helpers import make_book


@pytest.fixture
def book(db):
    """A fresh book with the default chart, under a unique slug."""
    return make_book()


@pytest.fixture
def other_book(db):
    return make_book(name="Lokaal Fonds Gemeente")


@pytest.fixture
def manager(db):
    return get_user_model().objects.create_user(username="fondsbeheerder", password=None)
