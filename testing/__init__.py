"""What the tests and the benchmarks share: docker and compose, waiting, the build
context, memory and worker readings inside a container, wrk, units and tool checks.

Neither `tests` nor `benchmarks` imports the other; both import from here.
"""
