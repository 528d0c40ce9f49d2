"""The hosting blueprints: public.py (/host; the host's private pages are its routes in
host.py) and manage.py (the review queue and the organizer's view of a host)."""
