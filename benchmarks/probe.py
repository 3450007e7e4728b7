"""Read a running container's memory from inside it: per-process RSS and the cgroup's figures."""

import json
from dataclasses import dataclass

from tests.container.docker import Container

# Runs inside the container with its own Python: no tool needs to be in the image.
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
class Sample:
    """One reading: the RSS of each serving process, and the cgroup's usage and peak."""

    server_rss: list[int]
    cgroup_usage: int | None
    cgroup_peak: int | None


def sample(container: Container) -> Sample:
    """RSS of each serving process: PID 1 alone, or each worker when there are several."""
    data = json.loads(container.exec("python", "-c", _SCRIPT).stdout)
    workers = [p["rss"] for p in data["processes"] if "spawn_main" in p["cmd"]]
    (server,) = [p["rss"] for p in data["processes"] if p["pid"] == 1]
    return Sample(
        server_rss=workers or [server],
        cgroup_usage=data["cgroup"]["usage"],
        cgroup_peak=data["cgroup"]["peak"],
    )
