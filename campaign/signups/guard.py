"""Bot protection and limits for the public registration form.

Nobody who could be a person is lost here. A filled honeypot is the only submission that
is answered with a normal-looking page and dropped. Anything else that looks automatic
(sent back faster than SIGNUP_MIN_SECONDS, or a form token that is missing, forged,
expired or already used) gets a second step: the same details on a "confirm your
registration" page with a fresh one-time token, which a person passes with one click and
a script that only posts does not. A limit reached keeps the details and says how long
to wait.

The form token is signed and carries the event, its kind, the time it was made (in
milliseconds) and a random one-time id. It holds no session state, so the public event
page can be served from the page cache with the token as a per-visitor hole, and a first
visit sets no cookie. Used ids are remembered in the rate-limit store (Redis shared by
every worker when configured, process memory by default) until the token expires.

The form needs no CSRF token tied to a session: what a forged cross-site POST could do
is register someone, which the one-time token and the limits already bound. A POST that
the browser marks as coming from another site (Origin, Sec-Fetch-Site) still changes
nothing by itself: it gets the second step on this site, where the person confirms.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app, request
from itsdangerous import BadData, BadSignature, URLSafeSerializer
from itsdangerous.encoding import base64_decode

from campaign.core.throttle import Check, Limited, Once, Step
from campaign.core.tokens import serializer_keys
from campaign.extensions import throttle

FORM_MAX_AGE = 24 * 3600
# A token made with the event page: the time taken to fill the form is checked.
KIND_FORM = "f"
# A token made in answer to a submission (second step, errors, a limit): the person has
# already filled the form once, so one click is enough.
KIND_CONFIRM = "c"

HONEYPOT = "honeypot"
TOO_FAST = "too-fast"
REUSED = "reused"
INVALID = "invalid"  # missing, forged, or made for another event
EXPIRED = "expired"


def form_keys() -> tuple[str, ...]:
    """The keys form tokens are signed with (the last) and accepted under (any)."""
    return tuple(serializer_keys())


@lru_cache(maxsize=4)
def _serializer(secret_key: str | tuple[str, ...]) -> URLSafeSerializer:
    # A tuple is the key in use last (itsdangerous signs with the last and accepts any):
    # a form rendered before a key rotation still verifies.
    return URLSafeSerializer(
        list(secret_key) if isinstance(secret_key, tuple) else secret_key, salt="signup-form"
    )


@lru_cache(maxsize=4)
def _form_macs(secret_key: str | tuple[str, ...]) -> tuple[tuple[hmac.HMAC, ...], bytes]:
    """The HMACs of every key _serializer(secret_key) accepts, the one it signs with
    first, each keyed once (copied for each token), and the separator. itsdangerous
    derived the keys and built a signer on every dumps and loads, a few percent of a
    sign-up."""
    signer = _serializer(secret_key).make_signer()
    # itsdangerous's default digest is SHA-1 (the tests hold the two signatures equal);
    # named here, hmac takes OpenSSL's keyed path instead of hashing the key per token.
    macs = tuple(
        hmac.new(signer.derive_key(key), digestmod="sha1") for key in reversed(signer.secret_keys)
    )
    return macs, signer.sep


def _loads(secret_key: str | tuple[str, ...], token: str) -> object:
    """What _serializer(secret_key).loads(token) gives, verified with the prepared HMACs.
    Raises BadData (BadSignature included) for anything it would refuse."""
    macs, separator = _form_macs(secret_key)
    payload, found, signature = token.encode().rpartition(separator)
    if not found:
        raise BadSignature("no signature")
    try:
        digest = base64_decode(signature)
    except Exception as exc:
        raise BadSignature("signature is not base64") from exc
    for prepared in macs:
        mac = prepared.copy()
        mac.update(payload)
        if hmac.compare_digest(mac.digest(), digest):
            return _serializer(secret_key).load_payload(payload)
    raise BadSignature("signature does not match")


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def form_token(
    secret_key: str | tuple[str, ...], slug: str, kind: str = KIND_FORM, now: float | None = None
) -> str:
    """A signed one-time note of which event's form was made when (to the millisecond).

    The token _serializer(secret_key).dumps gives (read back by its loads), signed here
    with a prepared HMAC: a stored event page makes one on every hit, and itsdangerous
    derived the key and tried to deflate the short payload each time (a fifth of a
    hit). The payload is never deflated (loads takes both forms)."""
    made = time.time() if now is None else now
    value = [slug, kind, int(made * 1000), secrets.token_urlsafe(12)]
    payload = _b64(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    macs, separator = _form_macs(secret_key)
    mac = macs[0].copy()
    mac.update(payload)
    return (payload + separator + _b64(mac.digest())).decode()


@dataclass(frozen=True)
class TokenClaim:
    """What a form token says before its one-time id is used up: the verdict so far
    (INVALID, EXPIRED, TOO_FAST or None) and the id to use up (None when there is none)."""

    verdict: str | None
    one_time_id: str | None

    def once(self) -> Once | None:
        """The store step that uses the id up (Throttle.chain), if there is an id."""
        if self.one_time_id is None:
            return None
        return Once("signup-form", self.one_time_id, FORM_MAX_AGE + 3600)


def read_token(
    secret_key: str | tuple[str, ...], token: str | None, slug: str, min_seconds: float, now: float
) -> TokenClaim:
    """A submission's form token read and checked without the store (see token_verdict)."""
    try:
        value = _loads(secret_key, token or "")
    except BadData:
        return TokenClaim(INVALID, None)
    if not (isinstance(value, list) and len(value) == 4):
        return TokenClaim(INVALID, None)
    token_slug, kind, made_ms, one_time_id = value
    if (
        token_slug != slug
        or kind not in (KIND_FORM, KIND_CONFIRM)
        or not isinstance(made_ms, int)
        or not isinstance(one_time_id, str)
    ):
        return TokenClaim(INVALID, None)
    age = now - made_ms / 1000
    if age > FORM_MAX_AGE:
        return TokenClaim(EXPIRED, None)
    return TokenClaim(TOO_FAST if kind == KIND_FORM and age < min_seconds else None, one_time_id)


def token_verdict(
    secret_key: str | tuple[str, ...], token: str | None, slug: str, min_seconds: float, now: float
) -> str | None:
    """Why a submission's form token looks automatic (TOO_FAST, REUSED, INVALID,
    EXPIRED), or None when it looks like a person's. Uses up the token's one-time id."""
    claim = read_token(secret_key, token, slug, min_seconds, now)
    once = claim.once()
    if once is not None and not throttle.first_use(once.kind, once.one_time_id, once.ttl):
        return REUSED
    return claim.verdict


CROSS_SITE = "cross-site"
# Sec-Fetch-Site values of a request this site's own page made (or the person typed).
_OWN_FETCH_SITES = frozenset({"same-origin", "none"})


def origin_of(url: str) -> str:
    """scheme://host[:port] of an absolute URL, lower-cased, as browsers send Origin."""
    scheme, _, rest = url.partition("://")
    return f"{scheme.lower()}://{rest.split('/', 1)[0].lower()}"


def cross_site_verdict(
    origin: str | None, fetch_site: str | None, own_origins: set[str]
) -> str | None:
    """CROSS_SITE when the browser says the form was sent from another site's page (an
    Origin header that is none of own_origins, "null" included, or a Sec-Fetch-Site other
    than same-origin/none), else None. Clients that send neither are not refused: the
    one-time token and the limits bound what they can do."""
    if fetch_site and fetch_site.lower() not in _OWN_FETCH_SITES:
        return CROSS_SITE
    if origin and origin.lower() not in own_origins:
        return CROSS_SITE
    return None


def own_origins() -> set[str]:
    """The origins this site's pages are served from: BASE_URL's and the request's own,
    from its Host as sent (request.host_url would decode an internationalised name to
    Unicode, which no browser's Origin header carries, and costs a URL build)."""
    origins = {f"{request.scheme}://{request.host}".lower()}
    base_url = current_app.config.get("BASE_URL")
    if base_url:
        origins.add(origin_of(base_url))
    return origins


def request_cross_site() -> str | None:
    """CROSS_SITE when this request's browser says another site's page sent it, else None."""
    return cross_site_verdict(
        request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site"), own_origins()
    )


def page_token(slot: str) -> str:
    """A fresh form token for a public form's page: made for a first fill on a plain
    visit (GET), for one click when the page answers a submission (errors, a second
    step, a limit)."""
    kind = KIND_FORM if request.method == "GET" else KIND_CONFIRM
    return form_token(form_keys(), slot, kind)


def public_form_verdict(token: str | None, slot: str) -> str | None:
    """Why a POST of a public form other than sign-up (which reads its token in the same
    store round trip as its limits) gets a second step instead of its effect: CROSS_SITE,
    or its one-time form token's verdict (TOO_FAST, REUSED, INVALID, EXPIRED; the token's
    id is used up). None: it looks like a person's, from this site's page.

    These forms, like sign-up, keep no session: the token (made for `slot`) and the
    browser's own word on where the POST came from stand in for a CSRF cookie."""
    return request_cross_site() or token_verdict(
        form_keys(), token, slot, float(current_app.config["SIGNUP_MIN_SECONDS"]), time.time()
    )


def _digest(value: str) -> str:
    """An email address as a store key: not readable in the store, same for the same address."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _address_check(address: str) -> Check:
    return Check("address", current_app.config["SIGNUP_RATE_LIMIT"], ("signup-address", address))


def address_limited(address: str) -> Limited | None:
    """Count one form submission from a client address; Limited past SIGNUP_RATE_LIMIT."""
    return throttle.hit(_address_check(address))


def _signup_checks(slug: str, email: str, address: str) -> tuple[Check, ...]:
    config = current_app.config
    return (
        Check("email", config["SIGNUP_EMAIL_RATE_LIMIT"], ("signup-email", _digest(email))),
        Check("event", config["SIGNUP_EVENT_RATE_LIMIT"], ("signup-event", slug, address)),
        Check("mail", config["SIGNUP_MAIL_RATE_LIMIT"], ("signup-mail", address)),
    )


def signup_limited(slug: str, email: str, address: str) -> Limited | None:
    """Count one sign-up (checked input, about to be registered) against the limits per
    email address, per event and client address, and per client address over all events.

    Every accepted sign-up counts, new or repeated, so a limit never tells whether an
    address was already registered.
    """
    return throttle.hit(*_signup_checks(slug, email, address))


@dataclass(frozen=True)
class Checked:
    """What the store said of a submission: a limit reached, or the token's verdict."""

    limited: Limited | None
    verdict: str | None


def check_submission(
    slug: str, address: str, claim: TokenClaim | None, email: str | None
) -> Checked:
    """address_limited(), then the claim's one-time id used up (no claim: a submission
    refused before its token counts), then signup_limited() for `email` (None: the
    submission will not be registered), in one store round trip, stopping where the
    separate calls would: a limit reached uses up nothing after it, a used id counts
    no sign-up."""
    steps: list[Step] = [(_address_check(address),)]
    once = None if claim is None else claim.once()
    if once is not None:
        steps.append(once)
    if email is not None and claim is not None and claim.verdict is None:
        steps.append(_signup_checks(slug, email, address))
    refused = throttle.chain(*steps)
    verdict = None if claim is None else claim.verdict
    if refused is None:
        return Checked(None, verdict)
    if refused.limited is None:
        return Checked(None, REUSED)
    return Checked(refused.limited, None)


def resend_limited(email: str, address: str) -> Limited | None:
    """Count one "send the mail again" request from a client address naming an email
    address. Every request counts, registered address or not, so the limit tells nothing."""
    config = current_app.config
    return throttle.hit(
        Check("address", config["SIGNUP_RESEND_RATE_LIMIT"], ("resend-address", address)),
        Check("email", config["SIGNUP_RESEND_EMAIL_RATE_LIMIT"], ("resend-email", _digest(email))),
    )
