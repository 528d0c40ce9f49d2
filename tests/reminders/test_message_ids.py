"""Message-IDs stay unique when something has seeded Python's `random` (hypothesis does in
the form fuzzer, and email.utils.make_msgid draws from it): two ids made in the same
hundredth of a second by one process used to collide on outbox.message_id."""

from __future__ import annotations

import random

from campaign.mail.services import new_message_id


def test_ids_differ_even_under_a_seeded_random():
    ids = set()
    for _ in range(50):
        random.seed(1234)
        ids.add(new_message_id("example.org"))
    assert len(ids) == 50


def test_an_id_is_a_valid_message_id_for_the_domain():
    message_id = new_message_id("ketamineday.example.org")
    assert message_id.startswith("<") and message_id.endswith("@ketamineday.example.org>")
    assert " " not in message_id and message_id.count("@") == 1
