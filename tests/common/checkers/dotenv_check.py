"""Reads a file as `docker run --env-file` does (docker's rule): lines split
at LF, one trailing CR dropped (Go's bufio.ScanLines); each line, without
its leading whitespace, is skipped when
empty or starting with `#`; otherwise it is NAME=VALUE split at the first
`=`, VALUE taken literally (no quotes, no escapes, trailing blanks kept).
A NAME with whitespace is an error. Prints the pairs as a JSON object."""

import json
import sys

text = sys.stdin.buffer.read().decode("utf-8")
env = {}
for line in text.split("\n"):
    line = line.removesuffix("\r").lstrip()
    if not line or line.startswith("#"):
        continue
    name, eq, value = line.partition("=")
    if not eq or any(c.isspace() for c in name):
        print(f"bad line {line!r}", file=sys.stderr)
        sys.exit(1)
    env[name] = value
print(json.dumps(env))
