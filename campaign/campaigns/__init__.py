"""The campaign: one row per year of the day, its settings and the public home page."""
