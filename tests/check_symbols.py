#!/usr/bin/env python3
"""check_symbols.py LIBSIOC.so sioc.map

Fails unless the shared library exports exactly the functions listed in the
version script: an export added or removed without updating sioc.map (and so
the ABI) is caught here."""
import re
import subprocess
import sys


def listed(mapfile):
    text = open(mapfile, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    body = text.split("global:", 1)[1].split("local:", 1)[0]
    return {s.strip() for s in body.split(";") if s.strip()}


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in "TDBRW":
            name = parts[2].split("@")[0]
            if name != "SIOC_0":
                syms.add(name)
    return syms


def main():
    lib, mapfile = sys.argv[1], sys.argv[2]
    want, have = listed(mapfile), exported(lib)
    extra, missing = sorted(have - want), sorted(want - have)
    for s in extra:
        print(f"exported but not in sioc.map: {s}")
    for s in missing:
        print(f"in sioc.map but not exported: {s}")
    if extra or missing:
        return 1
    print(f"{len(have)} exported symbols match sioc.map")
    return 0


if __name__ == "__main__":
    sys.exit(main())
