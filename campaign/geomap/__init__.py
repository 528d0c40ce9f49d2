"""Maps drawn offline: country outlines from a bundled public-domain dataset and a pure
SVG renderer (a frozen list of points in, an SVG string out, no Flask)."""
