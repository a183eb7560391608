#!/usr/bin/env bash
# The credential endpoint of `awsrole exec --server`: answer time when the
# credentials are in memory (the warm case: every answer until --min-ttl is
# reached), and the supervisor's memory.
#   bench/server.sh [--quick]
# Called by bench/run with HOME (profile hop1), AWS_ENDPOINT_URL_STS, AWSROLE
# and PY set. Each request is a new connection, as SDKs make them; the time
# is measured in a Python client from connect() to the end of the answer.
set -euo pipefail
N=5000
if [[ ${1:-} == --quick ]]; then
    N=1000
fi
: "${AWSROLE:?set by bench/run}" "${PY:?set by bench/run}"
dir=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && touch "$dir/done" && wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

# The command writes the endpoint and token to a private file, then waits.
# shellcheck disable=SC2016 # expanded by the inner sh
"$AWSROLE" exec --server hop1 -- sh -c 'umask 077; printf "%s\n%s\n" "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN" >"$1/ep.tmp" && mv "$1/ep.tmp" "$1/ep"; while [ ! -e "$1/done" ]; do sleep 0.1; done' sh "$dir" &
pid=$!
i=0
while [[ ! -e $dir/ep ]] && ((i++ < 300)); do sleep 0.1; done
rss_idle=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")

read -r p50 p99 max conc < <("$PY/python" - "$dir/ep" "$N" <<'PY'
import socket, sys, threading, time
uri, token = open(sys.argv[1]).read().split()
n = int(sys.argv[2])
host, path = uri[len("http://"):].split("/", 1)
port = int(host.split(":")[1])
req = f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n\r\n".encode()

def one():
    t = time.perf_counter_ns()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 200"), data[:40]
    return time.perf_counter_ns() - t

for _ in range(50):
    one()
times = sorted(one() for _ in range(n))
pct = lambda p: times[min(len(times) - 1, int(len(times) * p))] / 1000
# 100 clients at once, 10 requests each: the wall time per request.
def client():
    for _ in range(10):
        one()
threads = [threading.Thread(target=client) for _ in range(100)]
t = time.perf_counter_ns()
for th in threads:
    th.start()
for th in threads:
    th.join()
conc = (time.perf_counter_ns() - t) / 1000 / 1000
print("%.0f %.0f %.0f %.0f" % (pct(0.50), pct(0.99), times[-1] / 1000, conc))
PY
)
rss_after=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
threads=$(awk '/^Threads/ { print $2 }' "/proc/$pid/status")

cat <<REPORT
### exec --server: the credential endpoint

Warm answers (credentials in memory), $N sequential requests, each on a new
connection, timed by a Python client from connect() to the end of the answer:

| p50 | p99 | max | 100 clients x 10 requests at once: wall time per request |
|---:|---:|---:|---:|
| ${p50} us | ${p99} us | ${max} us | ${conc} us |

Supervisor memory (VmRSS of the awsrole process): ${rss_idle} KiB before the
first request, ${rss_after} KiB after them (peak ${hwm} KiB); ${threads} threads when idle.
REPORT
