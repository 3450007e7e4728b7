"""Units the measurements speak in."""

KiB = 1024
MiB = 1024 * KiB


def mib(value: int) -> float:
    """Bytes as MiB, to one decimal, as the README prints them."""
    return round(value / MiB, 1)
