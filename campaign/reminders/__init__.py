"""Reminders and the scheduler: the database is the schedule, APScheduler only ticks."""
