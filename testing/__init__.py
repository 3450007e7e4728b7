"""What the tests share: docker and compose, waiting, the build context, memory and
worker readings inside a container, wrk, units, tool checks and results files. Nothing
here imports a test."""
