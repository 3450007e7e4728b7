"""A container's output as the image writes it: the CLI's start banner, then JSON lines."""

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Output:
    """`banner`: the lines `fastapi run` prints before the server starts (it has no option
    to leave them out); `records`: every later line, parsed. A later line that is not
    JSON raises, naming it."""

    banner: list[str]
    records: list[dict[str, Any]]
    supervisor: list[str]
    # What the CLI prints once the server has finished: an empty line.
    epilogue: list[str]

    def said(self, logger: str, message: str) -> bool:
        return any(r["logger"] == logger and r["message"] == message for r in self.records)

    def by(self, logger: str) -> list[dict[str, Any]]:
        return [record for record in self.records if record["logger"] == logger]

    def messages(self) -> list[str]:
        return [record["message"] for record in self.records]


# With WEB_CONCURRENCY above 1, uvicorn's supervising process never imports the app (the
# CMD names it by --entrypoint), so its own few lines keep uvicorn's text format.
_SUPERVISOR = re.compile(
    r"INFO:     (Uvicorn running on |Started parent process |Waiting for child process "
    r"|Terminated child process |Stopping parent process |Received SIGTERM)"
)


def parse(output: str, *, supervisor: bool = False) -> Output:
    """`supervisor`: the output of several workers, whose supervisor's lines are kept apart."""
    lines = output.splitlines()
    # The first line of the server's: a JSON one, or with several workers the supervisor's.
    first = next(
        (
            i
            for i, line in enumerate(lines)
            if line.startswith("{") or (supervisor and _SUPERVISOR.match(line))
        ),
        len(lines),
    )
    end = len(lines)
    while end > first and not lines[end - 1]:
        end -= 1
    records = []
    text = []
    for line in lines[first:end]:
        # The CLI's closing empty line can come before the supervisor's last (two streams).
        if supervisor and (not line or _SUPERVISOR.match(line)):
            text.append(line)
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            msg = f"not a JSON line: {line!r}"
            raise AssertionError(msg) from None
    return Output(banner=lines[:first], records=records, supervisor=text, epilogue=lines[end:])
