"""No text a visitor reads is left out of the catalog: each page is rendered in the
pseudo-locale (every message wrapped in ⟦ ⟧) and whatever visible text is neither a
message nor the test's own data fails (tests/support/i18n.py, untranslated_text).

To cover a page: render it with `?lang=<pseudo_locale>` and pass the data the test put
there (names, titles, places, dates formatted in the pseudo-locale) to untranslated_text.
"""

from __future__ import annotations

from babel.dates import format_date

from campaign.extensions import db
from tests.support.i18n import PSEUDO_LOCALE, untranslated_text


def _home_leftovers(page: str, campaign) -> list[str]:  # type: ignore[no-untyped-def]
    return untranslated_text(page, _campaign_data(campaign))


def _campaign_data(campaign) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        campaign.name,
        campaign.tagline or "",
        campaign.hashtag or "",
        campaign.disclaimer,
        campaign.call_to_action or "",
        format_date(campaign.day, "full", locale=PSEUDO_LOCALE),
        "campaign.example.org",  # the site's own address, which cards print
    ]


def test_the_home_page_and_its_layout(pseudo_locale, client, campaign) -> None:
    page = client.get(f"/?lang={pseudo_locale}").get_data(as_text=True)
    assert f'<html lang="{pseudo_locale}"' in page and "⟦" in page
    assert _home_leftovers(page, campaign) == []


def test_the_home_page_without_a_campaign(pseudo_locale, client) -> None:
    page = client.get(f"/?lang={pseudo_locale}").get_data(as_text=True)
    assert untranslated_text(page) == []


def test_the_countdown_on_the_day_and_after_it(pseudo_locale, client, campaign) -> None:
    from campaign.core.timeutil import to_local, utcnow

    today = to_local(utcnow(), campaign.timezone).date()
    for day in (today, today.replace(year=today.year - 1)):
        campaign.day = day
        db.session.commit()
        page = client.get(f"/?lang={pseudo_locale}").get_data(as_text=True)
        assert _home_leftovers(page, campaign) == []


def test_error_pages(pseudo_locale, client, campaign) -> None:
    response = client.get(f"/no-such-page?lang={pseudo_locale}")
    assert response.status_code == 404
    assert untranslated_text(response.get_data(as_text=True), _campaign_data(campaign)) == []


def test_the_check_finds_text_left_in_english(pseudo_locale, client, campaign) -> None:
    """The check can fail: a text written straight into a page is reported, text in
    another language's element (the switcher) and data are not."""
    page = client.get(f"/?lang={pseudo_locale}").get_data(as_text=True)
    broken = page.replace("</main>", "<p>Hard-coded words</p><p lang=en>English</p></main>")
    assert _home_leftovers(broken, campaign) == ["Hard-coded words"]
    assert untranslated_text(page) != []  # the campaign's own data, unless declared
