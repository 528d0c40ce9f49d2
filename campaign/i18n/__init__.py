"""The visitor's language: which locales exist, how one is chosen, how text is translated.

negotiation.py is pure (no Flask): it picks a locale from ?lang=, the `lang` cookie and
Accept-Language, so the page cache can key its copies before the request cycle exactly as
the views do. web.py wires Flask-Babel: the locale selector, the `lang` cookie, the
template values (current_locale, text_dir, language_links) and in_locale() for mail and
other work done outside a visitor's request.
"""
