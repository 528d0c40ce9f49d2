"""Organizer accounts: login sessions, roles, invitations."""
