"""Strict checker for awsrole's cmd.exe output (there is no cmd.exe here).

Reads a batch file from stdin and applies cmd's parsing of a batch line to
the small subset awsrole emits, rejecting (exit 1, reason on stderr) every
line that would not mean exactly one plain assignment:

  - lines end in CR LF, and hold no other control character;
  - phase 1, percent expansion in a batch file: `%%` is one `%`; any other
    `%` would expand a variable or argument, or vanish: rejected;
  - phase 2, special characters: `^` makes the next character literal (a
    final `^` would join the next line: rejected); an unescaped `"` would
    start quoting, and unescaped `& | < > ( )` are operators: rejected;
  - delayed expansion (`!`) is assumed off, cmd's default (documented).

Accepted commands: `set NAME=value` (`set NAME=` removes NAME), and the
exact lines `ver >nul` and `cmd /c exit N`. Prints JSON:
[{"op": "set", "name": ..., "value": ...}, {"op": "unset", "name": ...},
 {"op": "status", "value": N}]
"""

import json
import re
import sys

NAME = re.compile(r"[A-Z_][A-Z0-9_]*\Z")


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def phase1(line):
    out, i = [], 0
    while i < len(line):
        c = line[i]
        if c == "%":
            if line[i + 1 : i + 2] != "%":
                fail(f"a lone % would expand: {line!r}")
            out.append("%")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def phase2(line):
    out, i = [], 0
    while i < len(line):
        c = line[i]
        if c == "^":
            if i + 1 == len(line):
                fail(f"a final ^ continues the line: {line!r}")
            out.append(line[i + 1])
            i += 2
            continue
        if c == '"':
            fail(f"an unescaped quote starts quoting: {line!r}")
        if c in "&|<>()":
            fail(f"an unescaped {c} is an operator: {line!r}")
        out.append(c)
        i += 1
    return "".join(out)


def main():
    text = sys.stdin.buffer.read().decode("utf-8")
    if text and not text.endswith("\r\n"):
        fail("the last line does not end in CR LF")
    ops = []
    for line in text.split("\r\n")[:-1]:
        if any(ord(c) < 32 or ord(c) == 127 for c in line):
            fail(f"control character in line {line!r}")
        if line == "ver >nul":
            ops.append({"op": "status", "value": 0})
            continue
        m = re.fullmatch(r"cmd /c exit ([0-9]{1,3})", line)
        if m:
            ops.append({"op": "status", "value": int(m.group(1))})
            continue
        command = phase2(phase1(line))
        if not command.startswith("set "):
            fail(f"not a set command: {line!r}")
        name, eq, value = command[4:].partition("=")
        if not eq or not NAME.match(name):
            fail(f"bad variable name: {line!r}")
        if value == "":
            ops.append({"op": "unset", "name": name})
        else:
            ops.append({"op": "set", "name": name, "value": value})
    print(json.dumps(ops))


main()
