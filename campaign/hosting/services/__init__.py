"""Hosting use cases, one module a concern: rules (settings, reviewers), links (the host's
private link), history, proposals (propose, confirm, edit, withdraw), review (the
reviewers' decisions) and hosted (what a host does with their approved event).

Plain values in; each function adds and flushes, and the caller commits once. An event's
own rules stay in campaign.events.services and its registrants' in campaign.signups.services:
approving creates and publishes the event through them, and a host's edit or cancellation
goes through the same calls as an organizer's, so registrants are told the same way.
"""
