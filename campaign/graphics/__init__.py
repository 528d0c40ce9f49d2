"""Share graphics on the web: the cards' rows, their files, how they are served, the pages.

The cards themselves are drawn by campaign.cardrender (pure Pillow, no Flask). Here:

- models.py: the myth/fact pairs, their proposed edits, the registry of card keys
- forms.py: the content editor, the theme and the logo upload
- services/: the use cases, one module per concern (see its docstring)
- views/: public.py (/cards/<key>.png, /facts) and manage.py (content editor, theme; the
  pages it shows are built in manage_pages.py)
- storage.py: rendered cards on disk (instance/cards/), written atomically, rendered once
- serving.py: answering /cards/<key>.png, including the WSGI layer for stored cards
- cli.py: `flask cards ...`
"""
