"""Sign-in limits that an attacker cannot use to lock an organizer out.

Attempts are counted per account and client address (LOGIN_RATE_LIMIT). A browser that
has signed in to the account before carries a signed cookie saying so; its attempts are
counted per account and browser instead, and no other limit applies to it. Other
browsers also count against two wider limits: per client address whatever the account
(LOGIN_ADDRESS_RATE_LIMIT: one address trying many accounts) and per account from every
new browser together (LOGIN_ACCOUNT_RATE_LIMIT: many addresses on one account).

So a stranger hammering an account spends only their own allowance: the owner's usual
browser always gets its own, and the owner on a new browser gets in unless many
addresses have attacked the account within the window. Every email is counted the same
way whether or not an account has it, so a limit never tells which accounts exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from campaign.core.throttle import Check
from campaign.organizers.services import normalise_email

KNOWN_BROWSER_COOKIE = "known_browser"
KNOWN_BROWSER_PATH = "/manage/login"
MAX_ACCOUNTS_PER_BROWSER = 10


@dataclass(frozen=True)
class KnownBrowser:
    """This browser's random id and the accounts it has signed in to (as account keys)."""

    browser_id: str
    accounts: tuple[str, ...]


def account_key(secret_key: str, email: str) -> str:
    """An account's key in the store and the cookie: keyed by the secret, not the address."""
    digest = hmac.new(
        secret_key.encode(), b"login-account:" + normalise_email(email).encode(), hashlib.sha256
    )
    return digest.hexdigest()[:32]


def _serializer(secret_key: str | tuple[str, ...]) -> URLSafeTimedSerializer:
    # A tuple is the key in use last (itsdangerous signs with the last and accepts any).
    keys = list(secret_key) if isinstance(secret_key, tuple) else secret_key
    return URLSafeTimedSerializer(keys, salt="known-browser")


def read_known_browser(
    secret_key: str | tuple[str, ...], cookie: str | None, max_age: int
) -> KnownBrowser | None:
    """The browser the cookie describes, or None (no cookie, forged, too old)."""
    if not cookie or len(cookie) > 2000:
        return None
    try:
        value = _serializer(secret_key).loads(cookie, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(value, dict):
        return None
    browser_id, accounts = value.get("b"), value.get("a")
    if not isinstance(browser_id, str) or not isinstance(accounts, list):
        return None
    return KnownBrowser(browser_id, tuple(a for a in accounts if isinstance(a, str)))


def remember_account(
    secret_key: str | tuple[str, ...], known: KnownBrowser | None, account: str
) -> str:
    """The cookie value after this browser signed in to account (newest first, capped)."""
    browser_id = known.browser_id if known else secrets.token_urlsafe(16)
    others = [a for a in (known.accounts if known else ()) if a != account]
    accounts = [account, *others][:MAX_ACCOUNTS_PER_BROWSER]
    return _serializer(secret_key).dumps({"b": browser_id, "a": accounts})


def checks(
    config: Mapping[str, Any], account: str, address: str, known: KnownBrowser | None
) -> list[Check]:
    """The limits one sign-in attempt counts against."""
    if known is not None and account in known.accounts:
        return [pair_check(config, account, address, known)]
    return [
        pair_check(config, account, address, known),
        Check("address", config["LOGIN_ADDRESS_RATE_LIMIT"], ("login-address", address)),
        Check("account", config["LOGIN_ACCOUNT_RATE_LIMIT"], ("login-account", account)),
    ]


def pair_check(
    config: Mapping[str, Any], account: str, address: str, known: KnownBrowser | None
) -> Check:
    """Attempts on one account from one address, or from one browser already used with it."""
    if known is not None and account in known.accounts:
        return Check(
            "pair", config["LOGIN_RATE_LIMIT"], ("login-browser", account, known.browser_id)
        )
    return Check("pair", config["LOGIN_RATE_LIMIT"], ("login-pair", account, address))
