"""Write bytecode for the modules a FastAPI server imports, and for no others.

    python warm_bytecode.py    (in the builder, once the dependencies are installed)

Runs `fastapi run` on a small app that uses the same machinery as the service (routing,
path and query parameters, Pydantic response models, settings, the offline docs),
requests each route, and stops it. (tests/container/test_image.py checks that nothing
the service imports was missed.) As the interpreter imports each module it caches that module's
bytecode, so the server starts without compiling anything, while the modules it never
imports (pygments' lexers, the telemetry exporters...) carry no .pyc: far less than
compiling everything (docs/performance.md has the figure).
"""

import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

_APP = """
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from prometheus_client import CollectorRegistry, Histogram, ProcessCollector, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from pydantic import BaseModel
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    level: str = "info"


class Item(BaseModel):
    item_id: int
    q: str | None


app: FastAPI = FastAPIOffline()
Settings()
# The metrics the service keeps and exposes (the multi-process reader is only named).
_registry = CollectorRegistry()
Histogram("warm", "Warm-up.", registry=_registry).observe(1)
ProcessCollector(registry=_registry)
generate_latest(_registry)
assert MultiProcessCollector


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None) -> Item:
    return Item(item_id=item_id, q=q)
"""

_PORT = 8765
_PATHS = (
    "/items/5?q=x",
    "/items/x",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/static-offline-docs/swagger-ui.css",
)


def _get(path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{_PORT}{path}", timeout=5) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return error.code


def main() -> int:
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "warm_app.py").write_text(_APP)
        log = Path(directory, "server.log").open("w+")  # noqa: SIM115 (closed in finally)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fastapi",
                "run",
                "--entrypoint",
                "warm_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(_PORT),
            ],
            cwd=directory,
            env={"PYTHONPATH": directory, "PATH": "/usr/bin:/bin"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    _get("/items/5?q=x")
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        log.seek(0)
                        print("warm_bytecode: the server did not start:", file=sys.stderr)
                        print(log.read()[-3000:], file=sys.stderr)
                        return 1
                    time.sleep(0.05)
            statuses = [_get(path) for path in _PATHS]
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            log.close()
    # What several workers add: the supervisor, imported here so it is cached too.
    import uvicorn.supervisors.multiprocess  # noqa: F401, PLC0415

    if statuses != [200, 422, 200, 200, 200, 200]:
        print(f"warm_bytecode: unexpected statuses {statuses}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
