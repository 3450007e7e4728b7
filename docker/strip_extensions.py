"""Cut the debug information off compiled extension modules (.so) in place.

    python strip_extensions.py DIRECTORY

A shared library is loaded through its program headers alone: the dynamic loader maps
the segments they describe and never reads the section headers, nor the symbol and debug
sections that lie beyond the last segment. This drops exactly that tail and the section
header table, as `sstrip` does, so the builder needs no binutils. Only 64-bit
little-endian ELF files are changed; anything else is left as it is.
"""

import struct
import sys
from pathlib import Path

_HEADER = struct.Struct("<16sHHIQQQIHHHHHH")
_PROGRAM_HEADER = struct.Struct("<IIQQQQQQ")
_ELF64_LE = b"\x7fELF\x02\x01"


def strip(path: Path) -> int:
    """Strip one file; return the bytes saved (0 when there was nothing to drop)."""
    data = path.read_bytes()
    if not data.startswith(_ELF64_LE) or len(data) < _HEADER.size:
        return 0
    fields: list[int | bytes] = list(_HEADER.unpack_from(data))
    phoff, phentsize, phnum = (int(fields[i]) for i in (5, 9, 10))
    end = max(_HEADER.size, phoff + phentsize * phnum)
    for index in range(phnum):
        header: tuple[int, ...] = _PROGRAM_HEADER.unpack_from(data, phoff + index * phentsize)
        end = max(end, header[2] + header[5])  # p_offset + p_filesz
    if end >= len(data):
        return 0
    # No section header table any more: its offset, entry size, count and name index.
    fields[6], fields[11], fields[12], fields[13] = 0, 0, 0, 0
    path.write_bytes(_HEADER.pack(*fields) + data[_HEADER.size : end])
    return len(data) - end


def main(argv: list[str]) -> int:
    """Strip every .so below the directory given; report the total saved."""
    if len(argv) != 1:
        print("usage: python strip_extensions.py DIRECTORY", file=sys.stderr)
        return 2
    saved = sum(strip(path) for path in sorted(Path(argv[0]).rglob("*.so")))
    print(f"strip_extensions: {saved / 1024 / 1024:.1f} MiB of debug data removed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
