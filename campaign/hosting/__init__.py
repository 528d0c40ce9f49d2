"""Hosting by supporters: proposals at /host, the review queue, and the host's private link."""
