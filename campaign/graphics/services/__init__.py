"""Share-graphics use cases, one module per concern (import a name from the module that holds it).

Plain arguments in, no request object. A service adds and flushes; the caller commits.

- content.py: the myth/fact pairs (content file, editor checks, drafts, order, preview)
- publication.py: approval, proposed edits (revisions), withdrawal and deletion
- theme.py: the card theme and the logo (validation, upload checks, storage)
- cardspecs.py: card specs from the rows, specs stored as JSON, the presets, a spec as PNG
- registry.py: card keys, registering them, deleting the cards that must go
- refs.py: card references as pages and mail use them (URL, size, alt text, file name)
- housekeeping.py: every current card, for pre-rendering and pruning
- sharing.py: share links and share texts
"""
