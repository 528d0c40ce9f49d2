"""Share codes: 10 characters of a-z0-9, every character uniformly drawn."""

from __future__ import annotations

import string
from collections import Counter

from campaign.signups.tokens import new_referral_code


def test_codes_are_ten_characters_of_the_alphabet_each_uniform() -> None:
    codes = [new_referral_code() for _ in range(3600)]
    alphabet = set(string.ascii_lowercase + string.digits)
    assert all(len(code) == 10 and set(code) <= alphabet for code in codes)
    assert len(set(codes)) == len(codes)
    for position in (0, 9):  # the lowest and the highest digit of the draw
        counts = Counter(code[position] for code in codes)
        assert set(counts) == alphabet
        # 100 expected per character; a biased position (e.g. a digit that never reaches
        # the end of the alphabet) falls far outside this band.
        assert min(counts.values()) > 40 and max(counts.values()) < 170, counts
