"""A container's output as the image writes it: the CLI's start banner, then JSON lines."""

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Output:
    """`banner`: the lines `fastapi run` prints before the server starts (it has no option
    to leave them out), each blank or indented; `records`: every JSON line, parsed; any
    other line raises, naming it. `late_banner`: banner lines after the first record (a
    server started after prestart, in one container, prints its banner then)."""

    banner: list[str]
    records: list[dict[str, Any]]
    supervisor: list[str]
    # What the CLI prints once the server has finished: an empty line.
    epilogue: list[str]
    late_banner: int

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
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    records: list[dict[str, Any]] = []
    banner: list[str] = []
    text: list[str] = []
    late = 0
    for line in lines[:end]:
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                msg = f"not a JSON line: {line!r}"
                raise AssertionError(msg) from None
        elif supervisor and _SUPERVISOR.match(line):
            text.append(line)
        elif not line.strip() or line.startswith(" "):
            banner.append(line)
            late += bool(records)
        else:
            msg = f"neither JSON nor the CLI's banner: {line!r}"
            raise AssertionError(msg)
    return Output(
        banner=banner, records=records, supervisor=text, epilogue=lines[end:], late_banner=late
    )
