#!/usr/bin/env python3
"""test-summary.py TESTLOG.json [...]

Counts the results in meson's JSON test logs and prints one line,
"N passed, N failed" (plus ", N skipped" when some were skipped).
Exits 1 if a log is missing or unreadable, or if any test failed."""
import json
import sys

PASS = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}


def main():
    passed = failed = skipped = 0
    ok = True
    for path in sys.argv[1:]:
        try:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    result = json.loads(line).get("result")
                    if result in PASS:
                        passed += 1
                    elif result in SKIP:
                        skipped += 1
                    else:
                        failed += 1
        except (OSError, ValueError) as e:
            print(f"cannot read {path}: {e}", file=sys.stderr)
            ok = False
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if ok and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
