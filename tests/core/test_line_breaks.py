"""Line-break handling shared by calendars, mail and CSV: every kind of break is found."""

from __future__ import annotations

import pytest

from campaign.core.text import has_control_characters, normalise_line_breaks, single_line

KINDS = ["\r\n", "\r", "\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("br", KINDS, ids=[repr(k) for k in KINDS])
def test_every_kind_of_break_is_one_lf_or_gone(br):
    assert normalise_line_breaks(f"a{br}b{br}{br}c") == "a\nb\n\nc"
    assert single_line(f" a {br} b{br}{br}c ") == "a b c"
    assert single_line(f"1 Main St{br}Flat 2{br}", ", ") == "1 Main St, Flat 2"
    # The same set str.splitlines() splits on: no reader finds a line we left in.
    assert len(single_line(f"a{br}b").splitlines()) == 1


def test_none_and_empty():
    assert normalise_line_breaks(None) == "" and single_line(None) == ""


@pytest.mark.parametrize("br", ["\u2028", "\u2029", "\r", "\n", "\x85"])
def test_a_single_line_value_refuses_every_break(br):
    assert has_control_characters(f"Sam{br}Jones")


@pytest.mark.parametrize("br", ["\u2028", "\u2029", "\r", "\n", "\r\n"])
def test_a_multi_line_value_accepts_breaks(br):
    assert not has_control_characters(f"1 Main St{br}Flat 2", allow_newlines=True)
    assert has_control_characters("1 Main St\x00", allow_newlines=True)
