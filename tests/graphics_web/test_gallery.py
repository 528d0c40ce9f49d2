"""/facts: every approved pair in every preset, downloads, alt text, sharing, the source."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from campaign.cardrender import alt_text
from campaign.extensions import db
from campaign.graphics.services import cardspecs
from campaign.graphics.services.refs import countdown_refs, fact_refs

from .conftest import meta, png_size
from .pages import parse

BASE = "https://campaign.example.org"
PRESETS = ("og", "square", "portrait", "story")
SIZES = {"og": (1200, 630), "square": (1080, 1080), "portrait": (1080, 1350), "story": (1080, 1920)}


def test_every_approved_pair_in_every_preset(client, campaign, content, add_fact):
    draft = add_fact(myth="A draft myth nobody has approved.")
    response = client.get("/facts")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = parse(html)
    assert draft.myth not in html
    for card in content:
        article = page.by_id(card.slug)
        assert article is not None, card.slug
        refs = fact_refs(card)
        links = article.with_attr("download")
        assert [a.attrs["download"] for a in links] == [f"{card.slug}-{p}.png" for p in PRESETS]
        assert [a.attrs["href"] for a in links] == [f"/cards/{refs[p].key}.png" for p in PRESETS]
        for link, preset in zip(links, PRESETS, strict=True):
            width, height = SIZES[preset]
            assert f"{width} × {height}" in link.all_text
        main = article.find_all("img", **{"class": "fact-item__image"})[0]
        expected_alt = alt_text(cardspecs.set_specs(content)[card.id], "square")
        assert main.attrs["alt"] == expected_alt
        assert card.myth in expected_alt and card.fact in expected_alt
        assert len(expected_alt) <= 420
        # "Copy alt text" copies the same words; it is hidden until the script shows it.
        (copy,) = article.with_attr("data-copy-alt")
        assert "hidden" in copy.attrs
        assert article.by_id(copy.attrs["data-copy-alt"]).all_text.startswith(
            expected_alt.split(" ")[0]
        )
        assert " ".join(expected_alt.split()) in article.by_id(copy.attrs["data-copy-alt"]).all_text
        (share,) = article.with_attr("data-share-file")
        assert "hidden" in share.attrs
        assert share.attrs["data-share-file"] == f"/cards/{refs['square'].key}.png"
        assert share.attrs["data-share-url"] == f"{BASE}/facts/{card.slug}"
        assert card.source_title in article.all_text
        assert card.source_quote in article.all_text
    assert campaign.disclaimer in html
    assert html.count('class="fact-item"') == len(content)


def test_share_links_for_every_network(client, content):
    card = content[0]
    page = parse(client.get("/facts").get_data(as_text=True))
    article = page.by_id(card.slug)
    hrefs = {a.attrs["class"].split("--")[-1]: a.attrs["href"] for a in article.find_all("a")
             if "share-link " in a.attrs.get("class", "")}  # fmt: skip
    assert set(hrefs) == {"x", "facebook", "linkedin", "whatsapp", "bluesky", "email"}
    page_url = f"{BASE}/facts/{card.slug}"

    def query(url: str) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}

    assert hrefs["x"].startswith("https://x.com/intent/")
    assert query(hrefs["x"])["url"] == page_url
    assert card.myth in query(hrefs["x"])["text"]
    assert query(hrefs["facebook"])["u"] == page_url
    assert query(hrefs["linkedin"])["url"] == page_url
    assert hrefs["whatsapp"].startswith("https://wa.me/?")
    assert page_url in query(hrefs["whatsapp"])["text"]
    assert hrefs["bluesky"].startswith("https://bsky.app/intent/compose?")
    assert page_url in query(hrefs["bluesky"])["text"]
    assert hrefs["email"].startswith("mailto:?")
    assert page_url in query(hrefs["email"])["body"]


def test_gallery_cards_are_served(client, anon, content):
    card = content[0]
    refs = fact_refs(card)
    db.session.rollback()  # only the keys: the registry rows must come from the page
    client.get("/facts")  # the page registers the keys it points at
    for preset in ("og", "story"):
        response = anon.get(f"/cards/{refs[preset].key}.png")
        assert response.status_code == 200
        assert png_size(response.get_data()) == SIZES[preset]
        assert len(response.get_data()) <= 300 * 1024


def test_a_pair_has_its_own_page_with_its_own_preview(client, content):
    card = content[1]
    response = client.get(f"/facts/{card.slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = parse(html)
    (h1,) = page.find_all("h1")
    assert h1.all_text == card.fact, "the fact leads, as on the card"
    og = fact_refs(card)["og"]
    assert meta(html, "og:image") == og.absolute_url
    assert meta(html, "og:url") == f"{BASE}/facts/{card.slug}"
    assert meta(html, "og:image:alt") == og.alt
    assert client.get("/facts/no-such-card").status_code == 404


def test_the_gallery_has_link_preview_tags(client, content):
    html = client.get("/facts").get_data(as_text=True)
    og = fact_refs(content[0])["og"]
    assert meta(html, "og:url") == f"{BASE}/facts"
    assert meta(html, "og:image") == og.absolute_url
    assert meta(html, "og:image:width") == "1200"
    assert meta(html, "og:image:height") == "630"
    assert meta(html, "og:image:alt") == og.alt
    assert meta(html, "twitter:card") == "summary_large_image"
    assert meta(html, "twitter:image") == og.absolute_url
    assert meta(html, "twitter:image:alt") == og.alt
    assert meta(html, "og:title") and meta(html, "og:description") and meta(html, "og:type")


def test_an_empty_gallery_says_so(client, campaign):
    response = client.get("/facts")
    assert response.status_code == 200
    assert "No cards are published yet" in response.get_data(as_text=True)


def test_the_home_page_features_cards_and_the_countdown(client, campaign, content):
    html = client.get("/").get_data(as_text=True)
    for card in content[:3]:
        assert f"/facts/{card.slug}" in html
    assert f"/facts/{content[3].slug}" not in html
    from campaign.core.timeutil import utcnow

    countdown = countdown_refs(campaign, utcnow())
    assert f"/cards/{countdown['og'].key}.png" in html
    assert f'download="{countdown["story"].filename}"' in html
    assert 'href="/facts"' in html, "the site navigation links the gallery"
