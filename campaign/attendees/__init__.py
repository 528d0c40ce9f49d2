"""The organizer's attendee tools: list, search, check-in, promote, CSV, referrers."""
