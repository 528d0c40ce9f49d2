"""How delivery paces itself: the retry policy of a message (backoff, attempts) and of the
deliverer as a whole while the server cannot take mail (Outage)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from campaign.core.timeutil import utcnow


@dataclass(frozen=True)
class DeliveryPolicy:
    batch_size: int = 100
    # Renewed every third of itself while the deliverer works (claims.LeaseKeeper): a
    # killed deliverer's rows are claimable again within one lease.
    lease: timedelta = timedelta(seconds=30)
    # A message answered with a temporary failure (4xx, or no answer after it was sent)
    # is retried after backoff(): base doubling up to max, jittered; it is failed after
    # max_attempts of them. The defaults retry for at least 24 hours (retry_window()).
    max_attempts: int = 32
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_max: timedelta = timedelta(hours=2)
    # While the server cannot take mail, the deliverer as a whole waits this long
    # (doubling, jittered) between tries; no message is charged for it.
    outage_backoff_base: timedelta = timedelta(seconds=5)
    outage_backoff_max: timedelta = timedelta(minutes=2)
    # A message whose registrant has another message on its way waits this long.
    hold_back: timedelta = timedelta(seconds=2)


def policy_from_config(config: Any) -> DeliveryPolicy:
    """The delivery policy from the MAIL_* settings."""
    return DeliveryPolicy(
        batch_size=int(config["MAIL_BATCH_SIZE"]),
        lease=timedelta(seconds=float(config["MAIL_LEASE_SECONDS"])),
        max_attempts=int(config["MAIL_MAX_ATTEMPTS"]),
        backoff_base=timedelta(seconds=float(config["MAIL_RETRY_BASE_SECONDS"])),
        backoff_max=timedelta(seconds=float(config["MAIL_RETRY_MAX_SECONDS"])),
    )


@dataclass
class Outage:
    """A deliverer's backoff while the server cannot take mail (one per process)."""

    failures: int = 0
    until: datetime | None = None

    def waiting(self, now: datetime) -> bool:
        return self.until is not None and now < self.until

    def failed(self, now: datetime, policy: DeliveryPolicy) -> datetime:
        """Note one more failed try; returns when to try again."""
        self.failures += 1
        ceiling = min(
            policy.outage_backoff_base.total_seconds() * 2 ** (self.failures - 1),
            policy.outage_backoff_max.total_seconds(),
        )
        self.until = now + timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311
        return self.until

    def recovered(self) -> None:
        self.failures, self.until = 0, None


def outage_of(app: Flask) -> Outage:
    """This process's outage state for the app (kept between scheduler ticks)."""
    outage = app.extensions.get("campaign.mail_outage")
    if outage is None:
        outage = app.extensions["campaign.mail_outage"] = Outage()
    return outage


def running_clock(
    now: datetime | None, clock: Callable[[], datetime] = utcnow
) -> Callable[[], datetime]:
    """A clock that starts at `now` (when given) and runs at the real pace."""
    if now is None or clock is not utcnow:
        return clock
    skew = now - utcnow()
    return lambda: utcnow() + skew


def backoff(attempts: int, policy: DeliveryPolicy) -> timedelta:
    """Exponential backoff with jitter: between half and all of base * 2^(attempts-1), capped."""
    ceiling = min(
        policy.backoff_base.total_seconds() * 2 ** max(attempts - 1, 0),
        policy.backoff_max.total_seconds(),
    )
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def retry_window(policy: DeliveryPolicy) -> timedelta:
    """The shortest time a message answered only with temporary failures is retried before
    it is marked failed (every backoff at its shortest)."""
    total = 0.0
    for attempts in range(1, policy.max_attempts):
        total += (
            min(
                policy.backoff_base.total_seconds() * 2 ** (attempts - 1),
                policy.backoff_max.total_seconds(),
            )
            / 2
        )
    return timedelta(seconds=total)
