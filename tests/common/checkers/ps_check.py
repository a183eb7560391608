"""Strict checker for awsrole's PowerShell output (there is no pwsh here).

Reads statements from stdin, one per line, as `| Invoke-Expression` would
receive them. Each line is parsed on its own with tree-sitter-powershell;
any ERROR/MISSING node, or any construct outside the small subset awsrole
emits, is a failure (exit 1, reason on stderr). Accepted lines:

    $Env:NAME = <expr>    expr: 'verbatim' | [char]N | expr + expr
    Remove-Item -ErrorAction SilentlyContinue Env:NAME

Values are evaluated with PowerShell's rules (string + x concatenates;
char + x would be numeric, so it is rejected) and printed as JSON:
[{"op": "set", "name": ..., "value": ...}, {"op": "unset", "name": ...}]
"""

import json
import re
import sys

import tree_sitter
import tree_sitter_powershell

# PowerShell treats all of these as single quotes, in any combination.
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
NAME = r"[A-Z_][A-Z0-9_]*"

# Nodes that may only pass a single named child through, with no operators.
WRAPPERS = {
    "pipeline",
    "pipeline_chain",
    "logical_expression",
    "bitwise_expression",
    "comparison_expression",
    "additive_expression",
    "multiplicative_expression",
    "format_expression",
    "range_expression",
    "array_literal_expression",
    "unary_expression",
    "expression_with_unary_operator",
    "left_assignment_expression",
}


class Reject(Exception):
    pass


def text(node):
    return node.text.decode("utf-8")


def check_clean(node):
    if node.is_error or node.is_missing or node.type == "ERROR":
        raise Reject(f"parse error at {node.start_point}: {node.type}")
    for child in node.children:
        check_clean(child)


def unwrap(node):
    while node.type in WRAPPERS and len(node.children) == 1 and node.children[0].is_named:
        node = node.children[0]
    return node


def verbatim(token):
    """Decodes a single-quoted string token the way PowerShell's tokenizer does."""
    if not token or token[0] not in SINGLE_QUOTES:
        raise Reject(f"not a single-quoted string: {token!r}")
    out, i = [], 1
    while True:
        if i >= len(token):
            raise Reject("unterminated single-quoted string")
        c = token[i]
        if c in SINGLE_QUOTES:
            if i + 1 < len(token) and token[i + 1] in SINGLE_QUOTES:
                out.append(token[i + 1])
                i += 2
                continue
            if i + 1 != len(token):
                raise Reject(f"string ends early, leaving {token[i + 1:]!r}")
            return "".join(out)
        if c in "\r\n":
            raise Reject("line break inside string")
        out.append(c)
        i += 1


def units(s):
    data = s.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]


def evaluate(node):
    """Returns (kind, utf16_units) with kind 'str' or 'char'."""
    node = unwrap(node)
    kinds = [c.type for c in node.children]
    if node.type == "additive_expression" and len(kinds) == 3 and kinds[1] == "+":
        left_kind, left = evaluate(node.children[0])
        if left_kind != "str":
            raise Reject("[char] + ... is numeric addition, not concatenation")
        _, right = evaluate(node.children[2])
        return "str", left + right
    if node.type == "string_literal" and kinds == ["verbatim_string_characters"]:
        return "str", units(verbatim(text(node.children[0])))
    if node.type == "cast_expression" and len(kinds) == 2:
        if text(node.children[0]).lower() != "[char]":
            raise Reject(f"unexpected cast {text(node.children[0])!r}")
        number = unwrap(node.children[1])
        if number.type != "integer_literal" or not re.fullmatch(r"[0-9]+", text(number)):
            raise Reject(f"unexpected [char] operand {text(number)!r}")
        value = int(text(number))
        if value > 0xFFFF:
            raise Reject(f"[char]{value} is out of range")
        return "char", [value]
    raise Reject(f"unexpected {node.type} {text(node)!r}")


def check_line(parser, line):
    tree = parser.parse(line.encode("utf-8"))
    root = tree.root_node
    check_clean(root)
    if root.type != "program" or [c.type for c in root.children] != ["statement_list"]:
        raise Reject("not a single statement list")
    statements = root.children[0].children
    if len(statements) != 1:
        raise Reject(f"{len(statements)} statements on one line")
    stmt = statements[0]
    if stmt.type != "pipeline" or len(stmt.children) != 1:
        raise Reject(f"unexpected statement {stmt.type}")
    stmt = stmt.children[0]

    if stmt.type == "assignment_expression":
        left, op, right = stmt.children
        var = unwrap(left)
        m = re.fullmatch(r"\$Env:(" + NAME + ")", text(var))
        if var.type != "variable" or not m:
            raise Reject(f"assigns to {text(var)!r}, not $Env:NAME")
        if text(op) != "=":
            raise Reject(f"operator {text(op)!r}")
        _, value = evaluate(right)
        data = b"".join(u.to_bytes(2, "little") for u in value)
        try:
            decoded = data.decode("utf-16-le")
        except UnicodeDecodeError:
            raise Reject("value has an unpaired surrogate")
        return {"op": "set", "name": m.group(1), "value": decoded}

    command = unwrap(stmt)
    if command.type == "command":
        parts = [c for c in command.children if c.type != "command_argument_sep"]
        elems = []
        for p in parts[1:]:
            if p.type != "command_elements":
                raise Reject(f"unexpected {p.type} in command")
            elems += [c for c in p.children if c.type != "command_argument_sep"]
        words = [(e.type, text(e)) for e in elems]
        if text(parts[0]) != "Remove-Item" or words[:2] != [
            ("command_parameter", "-ErrorAction"),
            ("generic_token", "SilentlyContinue"),
        ]:
            raise Reject(f"unexpected command {text(command)!r}")
        m = re.fullmatch(r"Env:(" + NAME + ")", words[2][1]) if len(words) == 3 else None
        if not m or words[2][0] != "generic_token":
            raise Reject(f"unexpected Remove-Item target in {text(command)!r}")
        return {"op": "unset", "name": m.group(1)}

    raise Reject(f"unexpected statement {stmt.type}")


def main():
    data = sys.stdin.buffer.read().decode("utf-8")
    # PowerShell splits native output on CR as well as LF.
    if "\r" in data:
        sys.exit("ps_check: input contains a carriage return")
    if data and not data.endswith("\n"):
        sys.exit("ps_check: input does not end with a newline")
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    results = []
    for number, line in enumerate(data.split("\n")[:-1], 1):
        try:
            results.append(check_line(parser, line))
        except Reject as e:
            sys.exit(f"ps_check: line {number}: {e}")
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
