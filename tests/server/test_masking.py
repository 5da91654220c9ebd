"""Key masking: never more than 4 characters, never more than a third of the key."""

from __future__ import annotations

import string

import pytest

from freepik_mock.server.core.masking import mask_secret


@pytest.mark.parametrize("length", range(0, 80))
def test_a_masked_key_shows_at_most_four_characters_and_a_third(length: int) -> None:
    key = (string.ascii_letters * 2)[:length]
    masked = mask_secret(key)
    shown = [char for char in masked if char not in "*…"]
    assert len(shown) <= 4
    assert len(shown) <= length / 3
    assert key not in masked or length == 0


def test_a_nine_character_key_is_mostly_hidden() -> None:
    assert mask_secret("abcdefghi") == "ab…i"


def test_keys_that_differ_at_the_ends_stay_apart() -> None:
    assert mask_secret("test-key-0001") != mask_secret("test-key-0002")
    assert mask_secret("alpha-key-0001") != mask_secret("omega-key-0001")
