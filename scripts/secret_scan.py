#!/usr/bin/env python3
"""Suite-wide secret scan: fails if any secret the test suite saw appears in
any output that must never hold one.

    scripts/secret_scan.py CAPTURE_DIR

CAPTURE_DIR is what the test harness filled (AWSROLE_TEST_CAPTURE_DIR, see
tests/common/capture.rs):
  secrets.*.jsonl   one JSON string per line: secret keys and session tokens
                    seen on stdout, in cache files and in config files
  stderr.*.log      the stderr of every awsrole (and peer) run the harness made
  console.log       everything `cargo test` printed (panic messages included)

Secrets shorter than 12 characters or with fewer than 5 distinct characters
are not searched for (fixture values like "s", "--------" or "sso-session" are words that
legitimately appear in messages; real secret keys have 40 characters).
Exit 0: clean; 1: a secret was found (its file, line and a masked form are
printed, never the secret itself); 2: nothing was captured (a broken set-up
must not pass as clean).
"""

import glob
import json
import os
import sys


def masked(s):
    return f"{s[:3]}...({len(s)} chars)"


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    d = sys.argv[1]
    secrets = set()
    for path in glob.glob(os.path.join(d, "secrets.*.jsonl")):
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                line = line.strip()
                if line:
                    secrets.add(json.loads(line))
    searched = sorted(s for s in secrets if len(s) >= 12 and len(set(s)) >= 5)
    logs = sorted(glob.glob(os.path.join(d, "stderr.*.log")))
    console = os.path.join(d, "console.log")
    if os.path.exists(console):
        logs.append(console)
    if not searched or not logs:
        print(
            f"secret scan: nothing captured in {d} "
            f"({len(searched)} secrets, {len(logs)} logs): is AWSROLE_TEST_CAPTURE_DIR set?",
            file=sys.stderr,
        )
        return 2
    hits = 0
    total = 0
    runs = 0
    for path in logs:
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", errors="replace")
        total += len(data)
        runs += data.count("\n===== ")
        for s in searched:
            at = data.find(s)
            if at >= 0:
                hits += 1
                line = data.count("\n", 0, at) + 1
                print(
                    f"secret scan: SECRET FOUND in {path}:{line}: {masked(s)}",
                    file=sys.stderr,
                )
    print(
        f"secret scan: {len(searched)} distinct secrets searched for in "
        f"{len(logs)} logs ({total} characters; stderr of {runs} recorded runs "
        f"with output on stderr): {hits} found",
        file=sys.stderr,
    )
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
