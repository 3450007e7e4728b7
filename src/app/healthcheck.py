"""Container health check: exit 0 when the local server reports ready.

Written in Python so the runtime image needs no curl or wget.
"""

import os
import sys
from urllib.error import URLError
from urllib.request import urlopen

TIMEOUT_SECONDS = 2.0


def main() -> int:
    """Probe /health/ready on this container's own port."""
    port = os.environ.get("PORT", "8000")
    url = f"http://127.0.0.1:{port}/health/ready"
    try:
        with urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return 0 if response.status == 200 else 1
    except (URLError, OSError) as error:
        print(f"unhealthy: {url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
