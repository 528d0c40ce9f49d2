"""Public event pages (the listing, the event page, calendar files); the organizer's
event management is in campaign.events.manage_views.

The event page carries the registration form: the form's POST is signups.views.register,
which answers a form with errors through event_page_with_errors here.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from campaign.campaigns.services import current_campaign, request_campaign
from campaign.core.forms import bind_errors
from campaign.core.pagecache import cached_response, hole
from campaign.core.throttle import Check, Limited, counts_own_limits
from campaign.core.timeutil import utcnow
from campaign.core.urls import absolute_url, last_segment_urls, page_number
from campaign.events import (
    cache_keys,
    calendar,
    contact,
    event_page,
    eventmap,
    listing,
    public,
    seat_texts,
    translations,
)
from campaign.events.forms import ContactForm
from campaign.events.models import Event
from campaign.events.seat_texts import SeatFigures, SeatTexts
from campaign.extensions import client_address, csrf, db, throttle
from campaign.i18n.web import current_locale
from campaign.signups import guard
from campaign.signups import seats as signup_seats
from campaign.signups.forms import SignupForm

log = logging.getLogger(__name__)
bp = Blueprint("events", __name__)


# --- public -------------------------------------------------------------------------------


@bp.app_template_global("language_name")
def _language_name(code: str) -> str:
    """A language's name in the language pages are being rendered in."""
    return translations.language_name(code, current_locale())


@bp.get("/events")
def index() -> Response:
    """The public listing: upcoming events, soonest first, filtered by words, dates, place
    or online; a filter that cannot be used says why and is left out.

    Rendered once per state of the campaign's events, then served from memory; a copy is
    kept only if the rows it shows were read in that state.
    """
    now = utcnow()
    state = cache_keys.listing_state(now)
    if state is None:
        abort(404)
    dates = listing.DateFilter()
    if cache_keys.asks_for_dates(request.args):
        campaign = request_campaign()
        if campaign is None:
            abort(404)
        when = request.args.get("when", "")[:20] or listing.WHEN_RANGE  # dates typed alone
        dates = listing.date_filter(
            when,
            request.args.get("from", ""),
            request.args.get("to", ""),
            now,
            campaign.day,
            campaign.timezone,
        )
    filters = cache_keys.listing_filters(request.args, dates)
    page = page_number()
    per_page = current_app.config["EVENTS_PER_PAGE"]
    slot = cache_keys.listing_slot(filters, dates, page, per_page)
    consistent = False

    def render() -> str:
        nonlocal consistent
        campaign = request_campaign()
        if campaign is None:  # deactivated a moment ago
            abort(404)
        pagination = db.paginate(
            public.public_events_query(campaign.id, now, filters),
            page=page,
            per_page=per_page,
            error_out=False,
        )
        cities, regions = public.public_places(campaign.id, now)
        figures = public.seat_figures([event.id for event in pagination.items])
        badges = {
            event.id: public.seat_badge(event, *figures[event.id]) for event in pagination.items
        }
        event_texts = translations.localized_many(pagination.items, current_locale())
        event_map = eventmap.build_map(
            eventmap.map_events(campaign.id, now, filters),
            last_segment_urls(url_for, "events.detail", "slug"),
        )
        # Read last: nothing the page shows changed while it was being read.
        consistent = cache_keys.listing_state(now) == state
        return render_template(
            "events/index.html",
            event_map=event_map,
            pagination=pagination,
            filters=filters,
            dates=dates,
            when_choices=listing.WHEN_CHOICES,
            badges=badges,
            event_texts=event_texts,
            cities=cities,
            regions=regions,
            feed_url=absolute_url("events.calendar_feed"),
        )

    return cached_response(slot, state.key, {}, render, keep=lambda: consistent)


@bp.get("/events/<slug>")
def detail(slug: str) -> Response:
    """The public event page with a fresh registration form.

    One Core query reads the state of everything the page shows; a page rendered in that
    state is served from memory with this visitor's tokens (campaign.core.pagecache). Only
    on a miss are the ORM objects loaded and the page rendered, and that copy is kept only
    if they were read in the same state (a registration may land between the two reads).
    """
    state = event_page.public_page_state(slug)
    if state is None:
        abort(404)
    now = utcnow()
    ref = cache_keys.event_page_ref(request.args)
    consistent = False
    seats = state.seats  # the figures in the seat holes: those the page is rendered with

    def render() -> str:
        nonlocal consistent, seats
        page = event_page.public_page(slug)
        if page is None:  # deleted or unpublished a moment ago
            abort(404)
        # Read again last: nothing the page shows changed while it was being read.
        consistent = event_page.public_page_state(slug) == state
        g.campaign = page.campaign  # the layout's campaign: already loaded
        form = SignupForm(formdata=None)
        form.ref.data = ref
        seats = SeatFigures(page.confirmed, page.waitlisted, page.event.capacity)
        return _render_event_page(
            page.event, form, seats, now, str(hole("started")), page.host_name, SeatTexts.holes()
        )

    key = cache_keys.event_page_version(state, now)
    holes = cache_keys.event_page_holes(slug, lambda: seats)
    return cached_response((state.event_id, ref), key, holes, render, keep=lambda: consistent)


def event_page_with_errors(event: Event, form: SignupForm, status: int) -> Response:
    """The event page showing a submitted registration form's errors (never cached).

    Its new form token needs no minimum fill time: the person has filled the form once.
    """
    counts = signup_seats.seat_counts(event.id)
    token = guard.form_token(guard.form_keys(), event.slug, guard.KIND_CONFIRM)
    seats = SeatFigures(counts["confirmed"], counts["waitlisted"], event.capacity)
    body = _render_event_page(
        event,
        form,
        seats,
        utcnow(),
        token,
        event.organizer.name,
        seat_texts.seat_texts(seats),
    )
    return make_response(body, status)


def _render_event_page(
    event: Event,
    form: SignupForm,
    seats: SeatFigures,
    now: datetime,
    started: str,
    host_name: str,
    texts: SeatTexts,
) -> str:
    """templates/events/detail.html for event, with form and the seat figures given, and
    `texts` for the figures' texts (SeatTexts.holes() for the page cache)."""
    confirmed, waitlisted = seats.confirmed, seats.waitlisted
    form.started.data = started
    event_url = absolute_url("events.detail", slug=event.slug)
    return render_template(
        "events/detail.html",
        event=event,
        text=translations.localized(event, current_locale()),
        now=now,
        form=form,
        is_open=signup_seats.is_open_for_signup(event, now),
        seats_left=seats.seats_left,
        waitlisted=waitlisted,
        confirmed=confirmed,
        seat_texts=texts,
        host_name=host_name,
        directions_url=directions_url(event),
        event_url=event_url,
        google_url=calendar.google_calendar_link(event, event_url),
        outlook_url=calendar.outlook_calendar_link(event, event_url),
    )


def directions_url(event: Event) -> str | None:
    """A maps search for an in-person or hybrid event's place (a plain link, no embed)."""
    if not event.has_venue:
        return None
    parts = [
        event.venue,
        event.address.replace("\n", ", "),
        event.city,
        event.region,
        event.country,
    ]
    query = ", ".join(part.strip() for part in parts if part and part.strip())
    if not query:
        return None
    return "https://www.openstreetmap.org/search?" + urlencode({"query": query})


def _contact_page(
    event: Event,
    form: ContactForm,
    status: int = 200,
    second_step: bool = False,
    limited: Limited | None = None,
) -> Response:
    """The "contact the host" form (never cached: it carries this visitor's token)."""
    form.started.data = guard.page_token(CONTACT_SLOT + event.slug)
    body = render_template(
        "events/contact.html",
        event=event,
        form=form,
        now=utcnow(),
        second_step=second_step,
        limited=limited,
        sent=request.method == "GET" and request.args.get("sent") == "1",
        can_receive=contact.host_address(event) is not None,
    )
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    if limited is not None:
        response.headers["Retry-After"] = str(limited.retry_after)
    return response


CONTACT_SLOT = "contact:"  # form tokens of the contact form never pass for the sign-up form


@bp.route("/events/<slug>/contact", methods=["GET", "POST"])
@csrf.exempt  # no session: the one-time form token and the origin check instead
@counts_own_limits  # answering with the form and the message kept
def contact_host(slug: str) -> Response:
    """Write to an event's host without seeing their address: the app mails the message
    (rate-limited, with the sign-up form's honeypot, form-token and origin checks)."""
    event = public.public_event(slug)
    if event is None:
        abort(404)
    form = ContactForm()
    if request.method == "GET":
        return _contact_page(event, ContactForm(formdata=None))
    if not form.validate_on_submit():
        return _contact_page(event, form, 400)
    done = redirect(url_for("events.contact_host", slug=slug, sent="1"), 303)
    if form.website.data:
        log.info("contact: dropped a message that filled the honeypot")
        return done
    verdict = guard.public_form_verdict(form.started.data, CONTACT_SLOT + slug)
    try:
        data = contact.clean(
            contact.ContactInput(
                form.name.data or "", form.email.data or "", form.message.data or ""
            )
        )
    except contact.InvalidMessage as exc:
        bind_errors(form, exc)
        return _contact_page(event, form, 400)
    if verdict is not None:
        log.info("contact: asked for a second step (%s)", verdict)
        status = 400 if verdict == guard.CROSS_SITE else 200
        return _contact_page(event, form, status, second_step=True)
    limited = throttle.hit(
        Check("address", current_app.config["CONTACT_RATE_LIMIT"], ("contact", client_address())),
        Check("event", current_app.config["CONTACT_EVENT_RATE_LIMIT"], ("contact-event", slug)),
    )
    if limited is not None:
        return _contact_page(event, form, 429, limited=limited)
    try:
        contact.queue_message(event, data, utcnow())
    except contact.NoHost as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _contact_page(event, form, 409)
    db.session.commit()
    return done


def _ics_response(body: bytes, filename: str) -> Response:
    """A calendar file download, cacheable for five minutes; its words follow the
    visitor's language, so caches keep one copy per language."""
    response = make_response(body)
    response.mimetype = "text/calendar"  # text/*: Werkzeug adds charset=utf-8
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    response.vary.update(("Accept-Language", "Cookie"))
    return response


@bp.get("/events/<slug>/calendar.ics")
def calendar_file(slug: str) -> Response:
    """One event as an .ics file, to add to a calendar."""
    event = public.public_event(slug)
    if event is None:
        abort(404)
    body = calendar.event_calendar(
        event, current_app.config["BASE_URL"], absolute_url("events.detail", slug=event.slug)
    )
    return _ics_response(body, f"{event.slug}.ics")


@bp.get("/calendar.ics")
def calendar_feed() -> Response:
    """The campaign's events as a calendar feed to subscribe to (cancelled ones included)."""
    campaign = current_campaign()
    if campaign is None:
        abort(404)
    events = list(db.session.scalars(public.feed_events_query(campaign.id, utcnow())))
    urls = {e.id: absolute_url("events.detail", slug=e.slug) for e in events}
    body = calendar.feed_calendar(events, current_app.config["BASE_URL"], urls, campaign.name)
    return _ics_response(body, "events.ics")
