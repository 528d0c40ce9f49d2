"""Share graphics: pure Pillow rendering of campaign cards (no Flask)."""
