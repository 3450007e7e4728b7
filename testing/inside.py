"""Read a running container from inside it: its server processes and its cgroup's memory.

The reading runs the container's own Python, so the image needs no extra tool.
"""

import json
from dataclasses import dataclass

from testing.docker import Container

_SCRIPT = r"""
import json, os
def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
procs = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) == os.getpid():
        continue
    try:
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
        procs.append({"pid": int(pid), "cmd": cmd, "rss": rss(pid)})
    except OSError:
        pass
def read(*paths):
    for path in paths:
        try:
            return int(open(path).read().split()[0])
        except (OSError, ValueError):
            pass
    return None
cgroup = {
    "usage": read("/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    "peak": read("/sys/fs/cgroup/memory.peak", "/sys/fs/cgroup/memory/memory.max_usage_in_bytes"),
}
print(json.dumps({"processes": procs, "cgroup": cgroup}))
"""


@dataclass(frozen=True)
class Process:
    pid: int
    rss: int


@dataclass(frozen=True)
class Sample:
    """One reading: each serving process, and the cgroup's memory usage and peak in bytes."""

    servers: list[Process]
    cgroup_usage: int
    cgroup_peak: int

    @property
    def server_rss(self) -> list[int]:
        return [p.rss for p in self.servers]


def sample(container: Container) -> Sample:
    """The serving processes (PID 1 alone, or each worker uvicorn spawned) and the memory."""
    result = container.exec("python", "-c", _SCRIPT)
    if result.returncode != 0:
        msg = f"cannot read inside container {container.id[:12]}: {result.stderr}"
        raise RuntimeError(msg)
    data = json.loads(result.stdout)
    processes = [Process(p["pid"], p["rss"]) for p in data["processes"]]
    # uvicorn starts each worker through multiprocessing's spawn.
    workers = [Process(p["pid"], p["rss"]) for p in data["processes"] if "spawn_main" in p["cmd"]]
    usage, peak = data["cgroup"]["usage"], data["cgroup"]["peak"]
    if usage is None or peak is None:
        msg = f"container {container.id[:12]} shows no cgroup memory figures (v1 or v2)"
        raise RuntimeError(msg)
    return Sample(
        servers=workers or [p for p in processes if p.pid == 1],
        cgroup_usage=usage,
        cgroup_peak=peak,
    )


def workers(container: Container) -> set[int]:
    """PIDs of the server's worker processes (none when PID 1 serves alone)."""
    servers = sample(container).servers
    return {p.pid for p in servers if p.pid != 1}
