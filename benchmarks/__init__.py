"""Measurements of the image: memory per worker (and, later, the side-by-side benchmark)."""
