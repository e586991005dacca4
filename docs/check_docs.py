#!/usr/bin/env python3
"""check_docs.py CHECK ARGS...: the `docs` test suite.

  man SIOC SIOC.1            each verb's --help has NAME, SYNOPSIS, DESCRIPTION,
                             OPTIONS and EXIT STATUS; every option of `sioc
                             --help` and of each verb's --help appears in the
                             man page, every verb has its section, and the page
                             names neither the source nor the build directory
  doxygen DOXYGEN DOXYFILE ROOT
                             Doxygen runs without a single warning (an
                             undocumented public item is one), and the public
                             functions of the headers, the documented ones and
                             the exports of sioc.map are the same set
  tutorial ROOT              each C block of docs/tutorial.md is in the example
                             file its section names; every example file named
                             in docs/ exists
  lifetimes ROOT             every public function returning a pointer (or a
                             slice) is named in docs/lifetimes.md
  limits ROOT                every field of every *_options / *_limits struct
                             of the public headers is in docs/limits.md
  index ROOT                 docs/README.md links every docs/*.md, and each
                             link points at a file that exists

Prints one line per problem and exits 1 if there is any.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

problems = []


def problem(msg):
    print("FAIL " + msg)
    problems.append(msg)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---------------------------------------------------------------------------
# man

OPTION = re.compile(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*|-[a-zA-Z])(?![\w-])")


def help_of(argv):
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env)
    if p.returncode != 0:
        problem(f"`{' '.join(argv[1:])}` exited {p.returncode}: {p.stderr.strip()[:200]}")
    return p.stdout


def options_section(text):
    """The OPTIONS section of a help text (options named elsewhere may be examples)."""
    m = re.search(r"^OPTIONS\n(.*?)(?=^[A-Z][A-Z ]*$|\Z)", text, re.M | re.S)
    return m.group(1) if m else ""


def check_man(sioc, page):
    man = read(page).replace("\\-", "-").replace("\\e", "\\")
    top = help_of([sioc, "--help"])
    verbs = re.findall(r"^    (\S+)\s", re.search(r"^VERBS\n(.*?)\n\n", top, re.M | re.S)
                       .group(1) + "\n", re.M)
    if not verbs:
        problem("`sioc --help` lists no verbs")
    texts = [("sioc", top)] + [(f"sioc {v}", help_of([sioc, v, "--help"])) for v in verbs]
    count = 0
    for who, text in texts[1:]:
        # A complete help text, in the layout the man page generator reads.
        heads = re.findall(r"^([A-Z][A-Z ]*)$", text, re.M)
        for need in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS"):
            if need not in heads:
                problem(f"`{who} --help` has no {need} section")
        if not re.search(r"^NAME\n    " + re.escape(who) + r" - \S", text, re.M):
            problem(f"`{who} --help`: NAME is not '{who} - <summary>'")
    for who, text in texts:
        opts = set(OPTION.findall(options_section(text)))
        if not opts:
            problem(f"`{who} --help` has no OPTIONS section with options")
        for opt in sorted(opts):
            count += 1
            if not re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", man):
                problem(f"{opt} of `{who} --help` is not in {os.path.basename(page)}")
    for v in verbs:
        if not re.search(r'^\.SH "' + re.escape(v.upper()) + '"', man, re.M):
            problem(f"the man page has no section for verb {v}")
    # The page is installed: it must not name the machine it was built on.
    source_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build_root = os.path.dirname(os.path.dirname(os.path.abspath(sioc)))
    for where in sorted({source_root, build_root}):
        if where != "/" and where in man:
            problem(f"{os.path.basename(page)} names the build machine's directory {where}")
    print(f"{len(verbs)} verbs, {count} options checked against the man page")


# ---------------------------------------------------------------------------
# doxygen

API_FN = re.compile(r"^SIOC_API\s+[^;{]*?\b([a-z_][a-z0-9_]*)\s*\(", re.S | re.M)


def header_functions(root):
    names = set()
    for h in glob.glob(os.path.join(root, "include", "sioc", "*.h")):
        names |= set(API_FN.findall(read(h)))
    return names


def map_symbols(root):
    text = re.sub(r"/\*.*?\*/", "", read(os.path.join(root, "sioc.map")), flags=re.S)
    body = text.split("global:", 1)[1].split("local:", 1)[0]
    return {s.strip() for s in body.split(";") if s.strip()}


def check_doxygen(doxygen, doxyfile, root):
    with tempfile.TemporaryDirectory(prefix="sioc-doxygen-") as tmp:
        conf = (f"@INCLUDE = {doxyfile}\n"
                f"OUTPUT_DIRECTORY = {tmp}\n"
                "WARN_AS_ERROR = FAIL_ON_WARNINGS\n"
                "GENERATE_HTML = NO\n"
                "GENERATE_XML = YES\n"
                "XML_PROGRAMLISTING = NO\n")
        p = subprocess.run([doxygen, "-"], input=conf, capture_output=True, text=True,
                           timeout=110)
        warnings = [ln for ln in (p.stdout + p.stderr).splitlines() if ln.strip()]
        for w in warnings:
            problem("doxygen: " + w)
        if p.returncode != 0 and not warnings:
            problem(f"doxygen exited {p.returncode}")
        index = os.path.join(tmp, "xml", "index.xml")
        if not os.path.exists(index):
            problem("doxygen wrote no XML index")
            return
        documented = set()
        for member in ET.parse(index).getroot().iter("member"):
            if member.get("kind") == "function":
                documented.add(member.findtext("name"))
    declared = header_functions(root)
    exported = map_symbols(root)
    for name in sorted(declared - documented):
        problem(f"{name}: declared SIOC_API but missing from the API reference")
    for name in sorted(declared - exported):
        problem(f"{name}: declared SIOC_API but not exported by sioc.map")
    for name in sorted(exported - declared):
        problem(f"{name}: exported by sioc.map but declared in no public header")
    print(f"{len(declared)} public functions documented, {len(warnings)} doxygen warnings")


# ---------------------------------------------------------------------------
# tutorial

def norm(block):
    return [ln.strip() for ln in block.splitlines() if ln.strip()]


def contains(haystack, needle):
    n = len(needle)
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def check_tutorial(root):
    text = read(os.path.join(root, "docs", "tutorial.md"))
    # Each C (or meson) block belongs to the file named last before it, as
    # "From `examples/NAME.c`" (or tests/install/consumer/...).
    current = None
    blocks = 0
    for m in re.finditer(r"From\s+`([^`]+\.(?:c|cpp|build))`|```(c|cpp|meson)\n(.*?)```", text,
                         re.S):
        if m.group(1):
            current = m.group(1)
            continue
        blocks += 1
        if current is None:
            problem(f"tutorial.md: C block {blocks} comes before any 'From `FILE`' line")
            continue
        path = os.path.join(root, current)
        if not os.path.exists(path):
            problem(f"tutorial.md: {current} does not exist")
            continue
        if not contains(norm(read(path)), norm(m.group(3))):
            first = norm(m.group(3))[0] if norm(m.group(3)) else ""
            problem(f"tutorial.md: block {blocks} ({first[:50]}...) is not in {current}")
    if blocks == 0:
        problem("tutorial.md has no C code blocks")
    for example in sorted(glob.glob(os.path.join(root, "examples", "*.c"))):
        name = "examples/" + os.path.basename(example)
        if name not in text:
            problem(f"tutorial.md does not present {name}")
    # Every example file named anywhere in docs/ exists.
    for md in glob.glob(os.path.join(root, "docs", "*.md")):
        for name in set(re.findall(r"\b(examples/[\w./-]+\.(?:c|py|js|txt|build))", read(md))):
            if not os.path.exists(os.path.join(root, name)):
                problem(f"{os.path.basename(md)} names {name}, which does not exist")
    print(f"{blocks} tutorial code blocks found in the examples")


# ---------------------------------------------------------------------------
# lifetimes

RETURNS_POINTER = re.compile(
    r"^SIOC_API\s+((?:const\s+)?\w+\s*\*|eio_slice\s+)\s*([a-z_][a-z0-9_]*)\s*\(", re.M)


def check_lifetimes(root):
    doc = read(os.path.join(root, "docs", "lifetimes.md"))
    patterns = [p[:-1] for p in re.findall(r"`(\w+\*)`", doc)]
    count = 0
    for h in sorted(glob.glob(os.path.join(root, "include", "sioc", "*.h"))):
        for _, name in RETURNS_POINTER.findall(read(h)):
            count += 1
            if f"`{name}`" not in doc and not any(name.startswith(p) for p in patterns):
                problem(f"lifetimes.md does not say how long the result of {name} lives")
    if count == 0:
        problem("no function returning a pointer found in the headers")
    print(f"{count} functions returning pointers found in lifetimes.md")


# ---------------------------------------------------------------------------
# limits

STRUCT = re.compile(r"typedef struct (\w+_(?:options|limits)) \{(.*?)\n\} \1;", re.S)
FIELD = re.compile(r"^\s*(?:const\s+)?[\w ]+?[\s*]+(\w+);", re.M)


def check_limits(root):
    doc = read(os.path.join(root, "docs", "limits.md"))
    # The document's sections: "## `name`" then its text.
    sections = dict(re.findall(r"^## `(\w+)`\n(.*?)(?=^## |\Z)", doc, re.M | re.S))
    count = 0
    for h in sorted(glob.glob(os.path.join(root, "include", "sioc", "*.h"))):
        for name, body in STRUCT.findall(read(h)):
            body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
            if name not in sections:
                problem(f"limits.md has no section ## `{name}` ({os.path.basename(h)})")
                continue
            for field in FIELD.findall(body):
                count += 1
                if f"`{field}`" not in sections[name]:
                    problem(f"limits.md: `{name}` section does not mention `{field}`")
    print(f"{count} option and limit fields found in limits.md")


# ---------------------------------------------------------------------------
# index

def check_index(root):
    docs = os.path.join(root, "docs")
    index = read(os.path.join(docs, "README.md"))
    links = set(re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", index))
    for link in sorted(links):
        if "://" not in link and not os.path.exists(os.path.join(docs, link)):
            problem(f"README.md links {link}, which does not exist")
    for md in sorted(glob.glob(os.path.join(docs, "*.md"))):
        name = os.path.basename(md)
        if name != "README.md" and name not in links:
            problem(f"README.md does not link {name}")
    print(f"{len(links)} links in docs/README.md")


def main():
    check, args = sys.argv[1], sys.argv[2:]
    if check == "man":
        check_man(*args)
    elif check == "doxygen":
        check_doxygen(*args)
    elif check == "tutorial":
        check_tutorial(*args)
    elif check == "limits":
        check_limits(*args)
    elif check == "lifetimes":
        check_lifetimes(*args)
    elif check == "index":
        check_index(*args)
    else:
        raise SystemExit(f"unknown check {check}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
