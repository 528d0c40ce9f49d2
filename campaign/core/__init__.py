"""Cross-cutting pieces: column types, time helpers, security headers, errors, health."""
