"""Runs the real AWS CLI v1 in-process, many times, for the differential test.

Starting `aws` costs about 0.4 s a process (imports); one long-lived driver
runs `awscli.clidriver.create_clidriver().main(argv)` per request instead,
with os.environ replaced per request. It is still the real CLI: a new
driver and botocore session per request, reading the files from disk.

Protocol: one JSON object per line on stdin, {"env": {...}, "argv": [...]};
one JSON object per line on stdout, {"rc", "stdout", "stderr", "prompts"}.
MFA prompts are answered with "123456" and recorded.
"""

import contextlib
import getpass
import io
import json
import os
import sys

import awscli.customizations.assumerole as assumerole
import botocore.credentials as credentials
from awscli import clidriver
from botocore import hooks, loaders

PROMPTS = []


def answer(prompt="", stream=None):
    PROMPTS.append(prompt)
    return "123456"


# botocore binds getpass.getpass as a default argument at import time.
getpass.getpass = answer
defaults = list(credentials.AssumeRoleProvider.__init__.__defaults__)
defaults[0] = answer
credentials.AssumeRoleProvider.__init__.__defaults__ = tuple(defaults)


# Set by `import awscli`: where the CLI's own data files are.
DATA_PATH = os.environ.get("AWS_DATA_PATH")


def memoize(orig, key):
    """Cache a pure function of code and data files (test speed only).

    Building a driver re-inspects the same ~400 handler signatures and
    re-lists and re-parses the same data files every time; that is most of
    its 0.3 s.
    What the CLI does with the config files is untouched.
    """
    seen = {}

    def wrapper(*args):
        k = key(*args)
        if k not in seen:
            seen[k] = orig(*args)
        return seen[k]

    return wrapper


hooks.accepts_kwargs = memoize(hooks.accepts_kwargs, lambda f: getattr(f, "__func__", f))
_list = memoize(
    loaders.Loader.list_available_services,
    lambda self, type_name: (tuple(self.search_paths), type_name),
)
loaders.Loader.list_available_services = lambda self, type_name: list(_list(self, type_name))
# The models and endpoint rules (JSON data files, read-only once loaded).
loaders.JSONFileLoader.load_file = memoize(loaders.JSONFileLoader.load_file, lambda self, path: path)
hooks.EventAliaser._alias_event_name = memoize(
    hooks.EventAliaser._alias_event_name,
    lambda self, name: (id(self._event_aliases), name),
)


def run(request):
    os.environ.clear()
    os.environ.update(request["env"])
    if DATA_PATH is not None:
        os.environ["AWS_DATA_PATH"] = DATA_PATH
    # The CLI computes its cache folder from HOME once, at import.
    assumerole.CACHE_DIR = os.path.join(request["env"]["HOME"], ".aws", "cli", "cache")
    PROMPTS.clear()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = clidriver.create_clidriver().main(request["argv"])
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 1
        except BaseException as e:  # noqa: BLE001 - reported to the test
            rc = 254
            err.write("driver: %r" % (e,))
    return {"rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue(), "prompts": list(PROMPTS)}


def main():
    real_stdout = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        real_stdout.write(json.dumps(run(json.loads(line))) + "\n")
        real_stdout.flush()


if __name__ == "__main__":
    main()
