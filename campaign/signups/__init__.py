"""Public sign-ups: registration, waitlist, manage links, referrals, attendee tools."""
