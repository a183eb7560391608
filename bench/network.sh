#!/usr/bin/env bash
# The cold path over TLS, and a 3-hop chain over a slow link:
#   bench/network.sh [--quick]
# Called by bench/run with HOME (profiles hop1..hop3), MOTO_URL, AWSROLE and
# PY set. Everything is on loopback:
#
#   client -> [delay relay, 40 ms each way] -> [TLS front] -> moto_server
#
# The TLS front (bench/relay.py --tls --http) holds a certificate from a test CA made
# here with openssl; it keeps client connections open, so a client that
# reuses its connection makes one handshake. The delay relay holds every
# chunk 40 ms in each direction (an 80 ms round trip); it accepts TCP at once,
# so the TCP handshake is not delayed and "one handshake" below is the TLS 1.3
# handshake, one round trip. A second delay relay speaks HTTP CONNECT, for the
# AWS CLI v2 (HTTPS_PROXY; it has no setting for the STS endpoint of its
# credential provider), and for awsrole when it honours HTTPS_PROXY.
# The latency comes from the relay: awsrole is never slowed down itself.
set -euo pipefail
RUNS=20
SLOW=5
if [[ ${1:-} == --quick ]]; then
    RUNS=5
    SLOW=2
fi
: "${AWSROLE:?set by bench/run}" "${PY:?set by bench/run}" "${MOTO_URL:?set by bench/run}"
AWS2=/usr/bin/aws # Debian's awscli package: the AWS CLI v2
dir=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT
CACHE=$HOME/.aws/cli/cache
say() { printf '==> %s\n' "$*" >&2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# A test CA and a server certificate for the names the clients ask for.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -subj /CN=awsrole-bench-CA 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/srv.key" -out "$dir/srv.csr" -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:sts.amazonaws.com,DNS:sts.us-east-1.amazonaws.com\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$dir/ext"
openssl x509 -req -in "$dir/srv.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/ext" -out "$dir/srv.pem" 2>/dev/null

# relay NAME ARGS...: start bench/relay.py, wait for its port (in $dir/NAME.port).
relay() {
    local name=$1 i
    shift
    "$PY/python" "$HERE/relay.py" --listen-port-file "$dir/$name.port" "$@" </dev/null >/dev/null &
    pids+=($!)
    for ((i = 0; i < 100; i++)); do
        [[ -s $dir/$name.port ]] && return 0
        sleep 0.05
    done
    echo "bench/network.sh: relay $name did not start" >&2
    return 1
}
conns() { sed -n 's/^connections //p' "$dir/$1.port.count" 2>/dev/null || echo 0; }
relay tls --to "${MOTO_URL#http://}" --tls "$dir/srv.pem" "$dir/srv.key" --http
tls=$(cat "$dir/tls.port")
relay slow --to "127.0.0.1:$tls" --delay-ms 40
slow=$(cat "$dir/slow.port")
relay proxy --to "127.0.0.1:$tls" --delay-ms 40 --connect
proxy=$(cat "$dir/proxy.port")

median_ms() { "$PY/python" -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f" % (r["median"]*1000))' "$1"; }
calc() { "$PY/python" -c "import sys; a = [float(x) for x in sys.argv[1:]]; print('%.1f' % ($1))" "${@:2}"; }
# hf NAME RUNS [--prepare CMD] COMMAND: median in ms (stdout discarded).
hf() {
    local name=$1 runs=$2
    shift 2
    hyperfine --style none --warmup 1 --runs "$runs" -N --export-json "$dir/$name.json" "$@" >/dev/null 2>&1 ||
        hyperfine --style none --warmup 1 --runs "$runs" --export-json "$dir/$name.json" "$@" >/dev/null
    median_ms "$dir/$name.json"
}
# One signed AssumeRole per URL, all on one connection.
CURL="curl -fsS --aws-sigv4 aws:amz:us-east-1:sts --user AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY -d Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/bare&RoleSessionName=b --cacert $dir/ca.pem"
urls() { local i; for ((i = 0; i < $2; i++)); do printf '%s ' "$1"; done; }

# awsrole trusts the test CA through AWS_CA_BUNDLE where it reads it, else
# through SSL_CERT_FILE (rustls-native-certs reads it in place of the
# system store).
with_ca=(env "AWS_CA_BUNDLE=$dir/ca.pem" "SSL_CERT_FILE=$dir/ca.pem")
awsrole_env() { # awsrole_env URL PROFILE: the command line, as one string
    echo "${with_ca[*]} AWS_ENDPOINT_URL_STS=$1 $AWSROLE env $2 --shell bash"
}

say "cold path over TLS"
# One round trip: 20 calls on one connection (one handshake), per call.
rt20=$(hf tls_rt20 "$SLOW" "$CURL $(urls "https://localhost:$tls/" 20)")
rt1=$(hf tls_rt1 "$SLOW" "$CURL https://localhost:$tls/")
rt3=$(hf tls_rt3 "$SLOW" "$CURL $(urls "https://localhost:$tls/" 3)")
rt=$(calc 'a[0] / 20' "$rt20")
cold1=$(hf tls_cold1 "$RUNS" --prepare "rm -rf $CACHE" "$(awsrole_env "https://localhost:$tls" hop1)")
cold3=$(hf tls_cold3 "$RUNS" --prepare "rm -rf $CACHE" "$(awsrole_env "https://localhost:$tls" hop3)")
rm -rf "$CACHE"
before=$(conns tls)
${with_ca[*]} AWS_ENDPOINT_URL_STS="https://localhost:$tls" "$AWSROLE" env hop3 --shell bash >/dev/null
conns3=$(($(conns tls) - before))

say "3 hops over an 80 ms round trip"
slow_curl=$(hf slow_curl "$SLOW" "$CURL $(urls "https://localhost:$slow/" 3)")
proxy_curl=$(hf proxy_curl "$SLOW" "$CURL -x http://127.0.0.1:$proxy $(urls https://sts.us-east-1.amazonaws.com/ 3)")
slow3=$(hf slow3 "$SLOW" --prepare "rm -rf $CACHE" "$(awsrole_env "https://localhost:$slow" hop3)")
rm -rf "$CACHE"
before=$(conns slow)
${with_ca[*]} AWS_ENDPOINT_URL_STS="https://localhost:$slow" "$AWSROLE" env hop3 --shell bash >/dev/null
slow_conns=$(($(conns slow) - before))
# Through the CONNECT proxy, if this awsrole honours HTTPS_PROXY (a probe:
# did the proxy see a connection?).
rm -rf "$CACHE"
before=$(conns proxy)
env -u AWS_ENDPOINT_URL_STS "AWS_CA_BUNDLE=$dir/ca.pem" "HTTPS_PROXY=http://127.0.0.1:$proxy" \
    timeout 20 "$AWSROLE" env hop3 --shell bash >/dev/null 2>&1 || true
if (($(conns proxy) > before)); then
    proxy3=$(hf proxy3 "$SLOW" --prepare "rm -rf $CACHE" \
        "env -u AWS_ENDPOINT_URL_STS AWS_CA_BUNDLE=$dir/ca.pem HTTPS_PROXY=http://127.0.0.1:$proxy $AWSROLE env hop3 --shell bash")
    proxy3="$proxy3 ms"
else
    proxy3="not measured: this build ignores HTTPS_PROXY"
fi
cli3=$(hf cli3 "$SLOW" --prepare "rm -rf $CACHE" \
    "env -u AWS_ENDPOINT_URL_STS AWS_CA_BUNDLE=$dir/ca.pem HTTPS_PROXY=http://127.0.0.1:$proxy $AWS2 configure export-credentials --profile hop3")
# The issue's bound: one handshake + 3 round trips (as curl measured them on
# this link, server time included) + 5 ms.
target=$(calc 'a[0] + 5' "$slow_curl")

cat <<REPORT
### The network path (TLS, latency)

Loopback only: a TLS front (Python \`ssl\`, a test CA made with openssl) in front of moto_server; for the slow link, a relay that holds each chunk 40 ms in each direction. $("$AWS2" --version 2>&1 | cut -d' ' -f1) from Debian for comparison.

| cold path over TLS (empty cache) | median |
|---|---:|
| bare AssumeRole round trip (curl, 20 calls on one connection, per call) | ${rt} ms |
| curl: one TLS handshake + 1 call (a process, like awsrole) | ${rt1} ms |
| curl: one TLS handshake + 3 calls on one connection | ${rt3} ms |
| \`awsrole env\`, 1 hop | ${cold1} ms (own overhead beyond curl's $(calc 'a[0] - a[1]' "$cold1" "$rt1") ms) |
| \`awsrole env\`, 3 hops | ${cold3} ms (own overhead beyond curl's $(calc 'a[0] - a[1]' "$cold3" "$rt3") ms) |

A 3-hop \`awsrole env\` opened ${conns3} TLS connection(s) to the front.

| 3 hops, 80 ms round trip (empty cache) | median |
|---|---:|
| curl: one TLS handshake + 3 calls on one connection, direct | ${slow_curl} ms |
| curl: the same through the CONNECT proxy (one more round trip) | ${proxy_curl} ms |
| \`awsrole env hop3\`, direct (${slow_conns} connection(s)) | ${slow3} ms |
| \`awsrole env hop3\` through the CONNECT proxy | ${proxy3} |
| AWS CLI v2 \`aws configure export-credentials --profile hop3\` through the CONNECT proxy | ${cli3} ms |

Target (issue 16): 1 handshake + 3 round trips (curl's figure) + 5 ms = ${target} ms; awsrole direct: ${slow3} ms, $("$PY/python" -c "import sys; print('met' if float(sys.argv[1]) <= float(sys.argv[2]) else '**missed**')" "$slow3" "$target"). On an idle machine the ideal is 4 x 80 ms plus the server's time.
REPORT
