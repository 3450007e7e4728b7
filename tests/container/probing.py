"""The test-only probe routes (probe/probe_app.py), served by the real image.

Production code has no debug endpoints: these options mount the probe app into the
container and serve it with the same `fastapi run` as the image's CMD.
"""

from pathlib import Path

PROBE_DIR = Path(__file__).resolve().parent / "probe"
PROBE = ("-v", f"{PROBE_DIR}:/probe:ro", "-e", "PYTHONPATH=/probe")
PROBE_COMMAND = ("fastapi", "run", "--entrypoint", "probe_app:app")
# The compose override that does the same for the stack's `app` service.
PROBE_OVERRIDE = "tests/container/probe/compose.probe.yaml"
