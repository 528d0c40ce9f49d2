"""Text on cards: fonts and coverage, bidi, measuring, wrapping and shrinking to fit."""
