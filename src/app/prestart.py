"""The steps that run before the service serves: `python -m app.prestart [-- SERVER...]`.

1. validate the settings (an invalid value stops here, with one line);
2. wait for every APP_WAIT_FOR endpoint to accept TCP connections, up to APP_WAIT_TIMEOUT;
3. run the project's own steps (`STEPS`: migrations and the like; each must be idempotent,
   since every start and every replica runs them).

Alone, it exits 0 when all steps passed and 1 with a one-line reason otherwise: a compose
one-shot service or a Kubernetes init container. Followed by `-- COMMAND...`, it then
replaces itself with COMMAND (os.execvp), so the server keeps its PID, 1 in a container.
"""

import logging
import os
import socket
import sys
import time
from collections.abc import Callable, Sequence

from app.logs import configure_logging
from app.settings import Endpoint, Settings, settings_or_exit

logger = logging.getLogger("app.prestart")

type Step = Callable[[Settings], None]

# The project's own steps, run in order after the dependencies answer. None yet: this
# service keeps no state. Add e.g. a database migration here.
STEPS: tuple[Step, ...] = ()

_RETRY_SECONDS = 0.5


class PrestartError(Exception):
    """A step failed; the message says which and why."""


def wait_for(endpoints: Sequence[Endpoint], timeout: float) -> None:
    """Return once every endpoint accepts a TCP connection; raise after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    for endpoint in endpoints:
        while True:
            remaining = deadline - time.monotonic()
            try:
                with socket.create_connection(
                    (endpoint.host, endpoint.port), timeout=max(0.1, min(remaining, 2.0))
                ):
                    logger.info("%s accepts connections", endpoint)
                    break
            except OSError as error:
                if time.monotonic() + _RETRY_SECONDS > deadline:
                    msg = f"{endpoint} did not accept a connection within {timeout:g} s ({error})"
                    raise PrestartError(msg) from error
                time.sleep(_RETRY_SECONDS)


def run(settings: Settings) -> None:
    """Every prestart step, in order."""
    wait_for(settings.wait_for, settings.wait_timeout)
    for step in STEPS:
        logger.info("running %s", step.__name__)
        try:
            step(settings)
        except Exception as error:
            msg = f"{step.__name__} failed: {error}"
            raise PrestartError(msg) from error
    logger.info("prestart complete")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the steps, then exec the command after `--` if there is one."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[args.index("--") + 1 :] if "--" in args else []
    if args and args[0] != "--":
        print("usage: python -m app.prestart [-- COMMAND [ARG...]]", file=sys.stderr)
        return 2
    settings = settings_or_exit()
    configure_logging(settings.log_level, settings.log_format)
    try:
        run(settings)
    except PrestartError as error:
        # Logged, so that it is a JSON line like the others in the image.
        logger.error("prestart failed: %s", error)
        return 1
    if command:
        try:
            os.execvp(command[0], command)  # noqa: S606 (the operator's own command line)
        except OSError as error:
            logger.error("prestart: cannot run %r: %s", command[0], error.strerror)
            return 127
    return 0


if __name__ == "__main__":
    sys.exit(main())
