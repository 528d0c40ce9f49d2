"""last_segment_urls: a listing's links built with one url_for, equal to url_for's own."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from campaign.core.urls import absolute_url, last_segment_urls

VALUES = ["library-talk-2027", "a", "Mixed_Case.~-9", "with space", "ünïcode", "a/b", "%41", "?q"]


@pytest.mark.parametrize("value", VALUES)
def test_each_url_is_url_fors_own(app: Flask, value: str) -> None:
    with app.test_request_context("/", base_url="https://campaign.example.org/sub"):
        urls = last_segment_urls(url_for, "events.detail", "slug")
        assert urls(value) == url_for("events.detail", slug=value)
        absolute = last_segment_urls(absolute_url, "events.detail", "slug")
        assert absolute(value) == absolute_url("events.detail", slug=value)
