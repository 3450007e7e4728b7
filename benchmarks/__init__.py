"""Measurements that print numbers: the side-by-side benchmark and memory per worker."""
