"""The organizer's dashboard: what is happening across their events."""
