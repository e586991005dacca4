#!/usr/bin/env python3
"""check_symbols.py LIBSIOC.so sioc.map

Fails unless three lists agree: the functions the public headers declare
(SIOC_API, include/sioc/*.h next to sioc.map), the version script sioc.map,
and what the shared library actually exports. So an export added to a
header without the map (the version script would silently hide it), a map
entry without a definition, or a map entry no header declares are all
caught: a change to the ABI is always a deliberate edit of sioc.map.

Also checks the ABI version: the library's SONAME is libsioc.so.N, its
file name starts with it, and the map's version node is SIOC_N.
"""
import glob
import os
import re
import subprocess
import sys


def listed(mapfile):
    text = open(mapfile, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    node = re.match(r"\s*(\w+)\s*\{", text)
    body = text.split("global:", 1)[1].split("local:", 1)[0]
    return (node.group(1) if node else None), {s.strip() for s in body.split(";") if s.strip()}


def declared(incdir):
    decl = re.compile(r"^SIOC_API\s+[^;{]*?\b([a-z_][a-z0-9_]*)\s*\(", re.S | re.M)
    names = set()
    for h in glob.glob(os.path.join(incdir, "*.h")):
        names |= set(decl.findall(open(h, encoding="utf-8").read()))
    return names


def exported(lib, node):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in "TDBRW":
            name = parts[2].split("@")[0]
            if name != node:
                syms.add(name)
    return syms


def soname(lib):
    out = subprocess.run(["readelf", "-d", lib], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"\(SONAME\).*\[(.*)\]", out)
    return m.group(1) if m else None


def main():
    lib, mapfile = sys.argv[1], sys.argv[2]
    incdir = os.path.join(os.path.dirname(os.path.abspath(mapfile)), "include", "sioc")
    node, want = listed(mapfile)
    have = exported(lib, node)
    decl = declared(incdir)
    problems = []
    problems += [f"exported but not in sioc.map: {s}" for s in sorted(have - want)]
    problems += [f"in sioc.map but not exported: {s}" for s in sorted(want - have)]
    problems += [f"declared SIOC_API in a header but not in sioc.map: {s}"
                 for s in sorted(decl - want)]
    problems += [f"in sioc.map but declared in no public header: {s}"
                 for s in sorted(want - decl)]

    name = soname(lib)
    m = re.fullmatch(r"libsioc\.so\.(\d+)", name or "")
    if not m:
        problems.append(f"SONAME is {name!r}, not libsioc.so.N")
    else:
        if node != f"SIOC_{m.group(1)}":
            problems.append(f"sioc.map's version node is {node}, the SONAME {name}: "
                            f"they must agree (SIOC_{m.group(1)})")
        if not os.path.basename(lib).startswith(name):
            problems.append(f"library file {os.path.basename(lib)} does not match SONAME {name}")

    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"{len(have)} exported symbols match sioc.map and the headers; SONAME {name}, "
          f"version node {node}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
