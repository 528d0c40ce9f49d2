"""Test helpers that more than one test package uses (a loopback SMTP server)."""
