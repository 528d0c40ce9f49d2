"""The public read-only JSON API (/api/v1/events): published upcoming events, no personal data."""
