"""Static checks of a whole PowerShell script (the prompt hook), with the
real tree-sitter-powershell grammar; there is no pwsh here.

Reads the script on stdin. Exit 1 with the reason on stderr when the
grammar finds any ERROR or MISSING node. Otherwise prints JSON facts for
exact-output tests:

  functions        names of the functions defined, in order
  commands         every command name invoked (sorted, unique)
  env              every $env:NAME read or written (sorted, unique, upper case)
  unassigned       variables read but never assigned, declared as a
                   parameter, or automatic (sorted; should be empty)
  state_keys       keys of the hashtable literal assigned to
                   $global:__AwsroleState
  state_members    member names used on $s, the local alias of that state
  argv             right-hand sides assigned to $argv, in order (the
                   arguments given to awsrole)
  strings          every expandable ("...") string, in order
"""

import json
import re
import sys

import tree_sitter
import tree_sitter_powershell

AUTOMATIC = {
    "?", "_", "true", "false", "null", "matches", "lastexitcode",
    "executioncontext", "nestedpromptlevel", "erroractionpreference",
}


def text(node):
    return node.text.decode("utf-8")


def walk(node):
    yield node
    for child in node.children:
        yield from walk(child)


def variable_name(token):
    """`$global:Foo` -> ('global', 'foo'); `@argv` -> ('', 'argv')."""
    name = token.lstrip("$@")
    if name.startswith("{") and name.endswith("}"):
        name = name[1:-1]
    scope = ""
    if ":" in name:
        scope, name = name.split(":", 1)
    return scope.lower(), name.lower()


def first_variable(node):
    for n in walk(node):
        if n.type == "variable":
            return n
    return None


def main():
    src = sys.stdin.buffer.read()
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    root = parser.parse(src).root_node
    for n in walk(root):
        if n.is_error or n.is_missing or n.type == "ERROR":
            sys.exit(f"ps_hook_check: parse error at line {n.start_point[0] + 1}: {text(n)[:80]!r}")

    functions, commands, env = [], set(), set()
    assigned, read = set(), set()
    state_keys, state_members, argv, strings = [], set(), [], []

    for n in walk(root):
        if n.type == "function_statement":
            functions.append(text(n.child_by_field_name("function_name") or
                                  next(c for c in n.children if c.type == "function_name")))
        elif n.type == "command_name":
            commands.add(text(n))
        elif n.type == "script_parameter":
            v = first_variable(n)
            if v is not None:
                assigned.add(variable_name(text(v)))
        elif n.type == "assignment_expression":
            left = n.children[0]
            v = first_variable(left)
            if v is not None and text(left).strip() == text(v):
                scope, name = variable_name(text(v))
                assigned.add((scope, name))
                right = text(n.children[-1]).strip()
                if name == "argv":
                    argv.append(right)
                if name == "__awsrolestate":
                    for key in walk(n.children[-1]):
                        if key.type == "key_expression":
                            state_keys.append(text(key))
        elif n.type == "member_access":
            obj = n.children[0]
            if obj.type == "variable" and text(obj).lower() == "$s":
                name = next(c for c in n.children if c.type == "member_name")
                state_members.add(text(name))
        elif n.type == "variable":
            scope, name = variable_name(text(n))
            if scope == "env":
                env.add(name.upper())
            else:
                read.add((scope, name))
        elif n.type == "expandable_string_literal":
            strings.append(text(n))
            # "$name" inside a string is a read the grammar does not split out.
            for m in re.finditer(r"\$(?:(global|script|local|env):)?([A-Za-z_][A-Za-z0-9_]*)", text(n)):
                scope = (m.group(1) or "").lower()
                if scope == "env":
                    env.add(m.group(2).upper())
                else:
                    read.add((scope, m.group(2).lower()))

    assigned_names = {name for _, name in assigned}
    unassigned = sorted(
        f"{scope + ':' if scope else ''}{name}"
        for scope, name in read
        if name not in AUTOMATIC and name not in assigned_names
    )
    json.dump(
        {
            "functions": functions,
            "commands": sorted(commands),
            "env": sorted(env),
            "unassigned": unassigned,
            "state_keys": state_keys,
            "state_members": sorted(state_members),
            "argv": argv,
            "strings": strings,
        },
        sys.stdout,
        indent=1,
    )


if __name__ == "__main__":
    main()
