#!/usr/bin/env bash
# Cost of the prompt hooks (`awsrole hook SHELL`), per prompt:
#   bench/hooks.sh [--quick]
#
# 1. Nothing due, real prompts: an interactive bash or zsh reading N empty
#    lines runs its prompt hooks N times; the time with the hook minus the
#    time without, over N. fish does not draw prompts for piped input, so
#    for fish the same is measured with `emit fish_prompt`.
# 2. Nothing due, processes: the same runs under strace, counting the
#    process-creating system calls (clone, fork, vfork, execve): per prompt
#    (the prompts after the first), and one-off (the first prompt, where
#    bash reads an existing DEBUG trap to chain it).
# 3. Nothing due, the hook function alone, with every clock each shell can
#    use (bash: $EPOCHSECONDS, printf %(%s)T, $SECONDS + date; zsh:
#    $EPOCHSECONDS, %D{%s}; fish: path mtime, date).
# 4. A refresh: the due prompt with the new credentials in the cache (one
#    `awsrole env` that reads the cache) and without (AssumeRole on a local
#    moto server).
# 5. Nothing due, before each command (bash PS0 + DEBUG trap, zsh preexec,
#    fish_preexec): an interactive bash or zsh reading N `:` lines with the
#    hook, minus the same with the check before commands switched off
#    (_AWSROLE_HOOK_PREEXEC=off), over N; processes counted with strace,
#    per command (TRACE_N commands minus none) and one-off (none: start-up
#    and the first prompt).
#    fish: `emit fish_preexec`, minus an empty handler.
#    `bench/hooks.sh --preexec` runs only this part, with the debug binary
#    (the binary only prints the hook here).
#
# PowerShell is not installed here: its hook is not measured.
# Builds the release binary; needs the test peers (scripts/setup) and strace.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# shellcheck source=scripts/setup
source "$ROOT/scripts/setup"

MODE=${1:-}
N=20000        # prompts per interactive run
RUNS=5         # interactive runs per case (the fastest counts)
CALLS=50000    # hook calls in the function benchmark
TRACE_N=2000   # prompts under strace
REFRESHES=30   # refreshes per case
if [[ $MODE == --quick ]]; then
    N=4000 RUNS=3 CALLS=5000 TRACE_N=500 REFRESHES=5
fi

if [[ $MODE == --preexec ]]; then
    cargo build --quiet
    AWSROLE=$ROOT/target/debug/awsrole
else
    say "building awsrole (release)"
    cargo build --release --quiet
    AWSROLE=$ROOT/target/release/awsrole
fi

WORK=$(mktemp -d)
trap 'kill "${MOTO_PID:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
if [[ $MODE == --preexec ]]; then MOTO_URL=http://127.0.0.1:9; else start_moto "$WORK"; fi
mkdir -p "$WORK/home/.aws" "$WORK/bin" "$WORK/zdot"
ln -s "$AWSROLE" "$WORK/bin/awsrole"
cat >"$WORK/home/.aws/config" <<'EOF'
[profile base]
aws_access_key_id = AKIDBASE
aws_secret_access_key = base-secret
[profile bench]
role_arn = arn:aws:iam::123456789012:role/bench-hooks
source_profile = base
EOF
export HOME=$WORK/home PATH=$WORK/bin:$PATH AWS_ENDPOINT_URL_STS=$MOTO_URL
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWSROLE_PROFILE AWSROLE_EXPIRATION \
    AWSROLE_REFRESH_BEFORE AWSROLE_HOOK_MFA PROMPT_COMMAND
for sh in bash zsh fish; do
    awsrole hook "$sh" >"$WORK/hook.$sh"
done
head -c "$N" /dev/zero | tr '\0' '\n' >"$WORK/lines"
head -c "$TRACE_N" /dev/zero | tr '\0' '\n' >"$WORK/trace-lines"
FRESH=$((EPOCHSECONDS + 3600))

# Start-up files: $1 = with|without the hook.
rcfiles() {
    local line=':'
    if [[ $1 == with ]]; then line=". $WORK/hook.bash"; fi
    printf '%s\nexport AWSROLE_PROFILE=bench AWSROLE_EXPIRATION=%s AWSROLE_NEXT=%s\n' "$line" "$FRESH" "$((FRESH - 599))" >"$WORK/bashrc"
    line=':'
    if [[ $1 == with ]]; then line=". $WORK/hook.zsh"; fi
    printf '%s\nexport AWSROLE_PROFILE=bench AWSROLE_EXPIRATION=%s AWSROLE_NEXT=%s\n' "$line" "$FRESH" "$((FRESH - 599))" >"$WORK/zdot/.zshrc"
}

# Seconds (fastest of RUNS) for an interactive shell to read $2 lines.
interactive_time() {
    local sh=$1 lines=$2 best= t0 t1 d i
    for ((i = 0; i < RUNS; i++)); do
        t0=$EPOCHREALTIME
        case $sh in
        bash) bash --noprofile --rcfile "$WORK/bashrc" -i <"$lines" >/dev/null 2>&1 ;;
        zsh) ZDOTDIR=$WORK/zdot zsh -d -i <"$lines" >/dev/null 2>&1 ;;
        esac
        t1=$EPOCHREALTIME
        d=$(((${t1/./} - ${t0/./})))
        if [[ -z $best ]] || ((d < best)); then best=$d; fi
    done
    echo "$best"
}

# Processes created (clone/fork system calls) in the strace output.
forks() { grep -cE '^[0-9]+ +(clone3?|v?fork)\(' "$WORK/strace" || true; }

# Processes created by one interactive run reading $2 (default: the
# $TRACE_N empty lines; an empty file draws the first prompt only).
interactive_spawns() {
    local sh=$1 input=${2:-$WORK/trace-lines}
    case $sh in
    bash) strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o "$WORK/strace" \
        bash --noprofile --rcfile "$WORK/bashrc" -i <"$input" >/dev/null 2>&1 ;;
    zsh) ZDOTDIR=$WORK/zdot strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o "$WORK/strace" \
        zsh -d -i <"$input" >/dev/null 2>&1 ;;
    esac
    forks
}

us() { # microseconds (integer, from integer us and a count) with one decimal
    local total=$1 n=$2
    printf '%d.%d' $((total / n)) $((total * 10 / n % 10))
}

# Before each command: $1 = shell, $2 = on|off; seconds (fastest of RUNS)
# for an interactive shell reading $3 (`:` lines), or with $4 = trace the
# processes it starts.
preexec_rc() {
    local off=
    if [[ $2 == off ]]; then off='_AWSROLE_HOOK_PREEXEC=off '; fi
    printf '%s. %s\nexport AWSROLE_PROFILE=bench AWSROLE_EXPIRATION=%s AWSROLE_NEXT=%s\n' "$off" "$WORK/hook.$1" "$FRESH" "$((FRESH - 599))" >"$WORK/pre.$1"
    cp "$WORK/pre.zsh" "$WORK/zdot/.zshrc" 2>/dev/null || true
}
preexec_run() {
    local sh=$1 input=$2 trace=${3:-}
    local -a pre=()
    if [[ -n $trace ]]; then pre=(strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o "$WORK/strace"); fi
    case $sh in
    bash) "${pre[@]}" bash --noprofile --rcfile "$WORK/pre.bash" -i <"$input" >/dev/null 2>&1 ;;
    zsh) ZDOTDIR=$WORK/zdot "${pre[@]}" zsh -d -i <"$input" >/dev/null 2>&1 ;;
    esac
}
preexec_time() {
    local best= t0 t1 d i
    for ((i = 0; i < RUNS; i++)); do
        t0=$EPOCHREALTIME
        preexec_run "$1" "$WORK/colons"
        t1=$EPOCHREALTIME
        d=$((${t1/./} - ${t0/./}))
        if [[ -z $best ]] || ((d < best)); then best=$d; fi
    done
    echo "$best"
}
preexec_section() {
    local sh on off s_on s_off diff verdict=() hook empty
    head -c "$N" /dev/zero | tr '\0' '\n' | sed 's/^/:/' >"$WORK/colons"
    head -c "$TRACE_N" /dev/zero | tr '\0' '\n' | sed 's/^/:/' >"$WORK/trace-colons"
    echo "#### Nothing due: the check before each command ($N commands)"
    echo
    echo "| shell | how | check per command | processes per command (strace, $TRACE_N commands) | one-off processes |"
    echo "|---|---|---|---|---|"
    for sh in bash zsh; do
        # Processes: with the hook minus without, for TRACE_N commands and for
        # none (start-up and the first prompt: the one-off ones).
        preexec_rc "$sh" off
        off=$(preexec_time "$sh")
        preexec_run "$sh" "$WORK/trace-colons" trace
        s_off=$(forks)
        preexec_run "$sh" /dev/null trace
        z_off=$(forks)
        preexec_rc "$sh" on
        on=$(preexec_time "$sh")
        preexec_run "$sh" "$WORK/trace-colons" trace
        s_on=$(forks)
        preexec_run "$sh" /dev/null trace
        z_on=$(forks)
        once=$((z_on - z_off)) s_on=$((s_on - once))
        diff=$((on - off))
        if ((diff < 0)); then diff=0; fi
        case $sh in
        bash) how='PS0 + DEBUG trap' ;;
        zsh) how='preexec_functions' ;;
        esac
        echo "| $sh | $how | $(us "$diff" "$N") us | $((s_on - s_off)) | $once |"
        if ((diff / N < 50 && s_on == s_off)); then verdict+=("$sh met"); else verdict+=("$sh **missed**"); fi
    done
    read -r hook empty < <(fish --no-config -c '
        set -l n $argv[2]
        function __empty --on-event bench_empty; set -l s $status; return $s; end
        source $argv[1]
        set -gx AWSROLE_PROFILE bench
        set -gx AWSROLE_EXPIRATION (math (path mtime /) + (path mtime --relative /) + 3600); set -gx AWSROLE_NEXT (math $AWSROLE_EXPIRATION - 599)
        set -l r (seq $n)
        set -l t0 (command date +%s.%N)
        for i in $r; emit bench_empty; end
        set -l t1 (command date +%s.%N)
        for i in $r; emit fish_preexec; end
        set -l t2 (command date +%s.%N)
        echo (math -s0 "($t2 - $t1) * 1000000") (math -s0 "($t1 - $t0) * 1000000")' "$WORK/hook.fish" "$N")
    strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o "$WORK/strace" fish --no-config -c '
        source $argv[1]; set -gx AWSROLE_PROFILE bench
        set -gx AWSROLE_EXPIRATION (math (path mtime /) + (path mtime --relative /) + 3600); set -gx AWSROLE_NEXT (math $AWSROLE_EXPIRATION - 599)
        set i 0; while test $i -lt $argv[2]; emit fish_preexec; set i (math $i + 1); end' "$WORK/hook.fish" 0
    s_off=$(forks)
    strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o "$WORK/strace" fish --no-config -c '
        source $argv[1]; set -gx AWSROLE_PROFILE bench
        set -gx AWSROLE_EXPIRATION (math (path mtime /) + (path mtime --relative /) + 3600); set -gx AWSROLE_NEXT (math $AWSROLE_EXPIRATION - 599)
        set i 0; while test $i -lt $argv[2]; emit fish_preexec; set i (math $i + 1); end' "$WORK/hook.fish" "$TRACE_N"
    s_on=$(forks)
    echo "| fish | fish_preexec (\`emit\`, $N times) | $(us "$hook" "$N") us (an empty handler: $(us "$empty" "$N") us) | $((s_on - s_off)) | not measured |"
    echo
    echo "Target (issue 12), under 50 us per command with no process: ${verdict[*]}; fish: see the row."
    echo
}

if [[ $MODE == --preexec ]]; then
    echo "### Prompt hooks: the check before each command"
    echo
    echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; bash $BASH_VERSION, $(zsh --version | cut -d' ' -f2), fish $(fish --version | sed 's/.*version //')"
    echo
    preexec_section
    exit 0
fi

echo "### Prompt hooks: cost per prompt"
echo
echo "$(uname -sr), $(nproc) CPUs; bash $BASH_VERSION, $(zsh --version | cut -d' ' -f2), fish $(fish --version | sed 's/.*version //')"
echo

say "nothing due: interactive prompts"
echo "#### Nothing due: real prompts (interactive shell reading $N empty lines)"
echo
echo "| shell | without hook | with hook | hook per prompt | processes per prompt (strace, $TRACE_N prompts) | one-off processes |"
echo "|---|---|---|---|---|---|"
: >"$WORK/no-lines"
verdict=()
for sh in bash zsh; do
    rcfiles without
    t_without=$(interactive_time "$sh" "$WORK/lines")
    s_without=$(interactive_spawns "$sh")
    o_without=$(interactive_spawns "$sh" "$WORK/no-lines")
    rcfiles with
    t_with=$(interactive_time "$sh" "$WORK/lines")
    s_with=$(interactive_spawns "$sh")
    o_with=$(interactive_spawns "$sh" "$WORK/no-lines")
    diff=$((t_with - t_without))
    if ((diff < 0)); then diff=0; fi
    # Per prompt: the prompts after the first; one-off: the first prompt.
    per=$(((s_with - o_with) - (s_without - o_without)))
    echo "| $sh | $((t_without / 1000)) ms | $((t_with / 1000)) ms | $(us "$diff" "$N") us | $per in $TRACE_N prompts | $((o_with - o_without)) |"
    if ((diff / N < 50 && per == 0)); then
        verdict+=("$sh met")
    else
        verdict+=("$sh **missed**")
    fi
done
echo
echo "Target (issue 7), under 50 us per prompt with no process: ${verdict[*]}."
echo
say "nothing due: before each command"
preexec_section

say "nothing due: the hook function with each clock"
echo "#### Nothing due: the hook function alone ($CALLS calls), by clock"
echo
echo "| shell | clock | hook per call | empty function per call | processes per call (strace) |"
echo "|---|---|---|---|---|"

bench_bash() { # $1 clock, $2 calls
    _AWSROLE_HOOK_CLOCK=$1 bash --norc --noprofile -c '
        . "$1"; n=$2
        export AWSROLE_PROFILE=bench AWSROLE_EXPIRATION=$((EPOCHSECONDS + 3600)) AWSROLE_NEXT=$((EPOCHSECONDS + 3001))
        empty() { local s=$?; return $s; }
        __awsrole_hook
        t0=$EPOCHREALTIME; for ((i = 0; i < n; i++)); do empty; done
        t1=$EPOCHREALTIME; for ((i = 0; i < n; i++)); do __awsrole_hook; done
        t2=$EPOCHREALTIME
        echo "$((${t2/./} - ${t1/./})) $((${t1/./} - ${t0/./}))"' bench "$WORK/hook.bash" "$2"
}
bench_zsh() {
    _AWSROLE_HOOK_CLOCK=$1 zsh -f -c '
        . "$1"; n=$2; zmodload zsh/datetime
        export AWSROLE_PROFILE=bench AWSROLE_EXPIRATION=$((EPOCHSECONDS + 3600)) AWSROLE_NEXT=$((EPOCHSECONDS + 3001))
        empty() { local s=$?; return $s; }
        __awsrole_hook
        t0=$EPOCHREALTIME; for ((i = 0; i < n; i++)); do empty; done
        t1=$EPOCHREALTIME; for ((i = 0; i < n; i++)); do __awsrole_hook; done
        t2=$EPOCHREALTIME
        printf "%.0f %.0f\n" $(( (t2 - t1) * 1e6 )) $(( (t1 - t0) * 1e6 ))' bench "$WORK/hook.zsh" "$2"
}
bench_fish() { # `emit fish_prompt`, as fish does before each prompt
    _AWSROLE_HOOK_CLOCK=$1 fish --no-config -c '
        set -l n $argv[2]
        function __empty --on-event bench_empty; set -l s $status; return $s; end
        set -gx AWSROLE_PROFILE bench
        set -gx AWSROLE_EXPIRATION (math (command date +%s) + 3600); set -gx AWSROLE_NEXT (math $AWSROLE_EXPIRATION - 599)
        set -l r (seq $n)
        set -l t0 (command date +%s.%N)
        for i in $r; emit bench_empty; end
        set -l t1 (command date +%s.%N)
        source $argv[1]
        emit fish_prompt
        set -l t2 (command date +%s.%N)
        for i in $r; emit fish_prompt; end
        set -l t3 (command date +%s.%N)
        echo (math -s0 "($t3 - $t2) * 1000000") (math -s0 "($t1 - $t0) * 1000000")' "$WORK/hook.fish" "$2"
}
spawns_per() { # $1 shell, $2 clock: processes created by TRACE_N calls
    local a b
    strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o "$WORK/strace" \
        bash -c '"bench_$1" "$2" "$3"' bench "$1" "$2" 0 >/dev/null 2>&1
    a=$(forks)
    strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o "$WORK/strace" \
        bash -c '"bench_$1" "$2" "$3"' bench "$1" "$2" "$TRACE_N" >/dev/null 2>&1
    b=$(forks)
    echo "$((b - a)) in $TRACE_N calls"
}
export -f bench_bash bench_zsh bench_fish
export WORK
for case in "bash epoch" "bash printf" "bash seconds" "zsh epoch" "zsh prompt" "fish path" "fish date"; do
    read -r sh clock <<<"$case"
    calls=$CALLS
    if [[ $clock == date ]]; then calls=$((CALLS / 20)); fi # a process per call
    read -r hook empty < <("bench_$sh" "$clock" "$calls")
    echo "| $sh | $clock | $(us "$hook" "$calls") us | $(us "$empty" "$calls") us | $(spawns_per "$sh" "$clock") |"
done
echo

say "refresh: cache hit and STS call"
echo "#### A refresh (the due prompt): median of $REFRESHES"
echo
echo "| shell | new credentials in the cache | AssumeRole (local moto) |"
echo "|---|---|---|"
CACHE=$HOME/.aws/cli/cache
refresh_bash() { # $1 = hit|sts; prints microseconds, one per line
    bash --norc --noprofile -c '
        . "$1"; mode=$2; n=$3; cache=$4
        for ((i = 0; i < n; i++)); do
            if [[ $mode == sts ]]; then rm -rf "$cache"; fi
            export AWSROLE_PROFILE=bench AWSROLE_EXPIRATION=1
            unset AWSROLE_NEXT
            t0=$EPOCHREALTIME; __awsrole_hook; t1=$EPOCHREALTIME
            [[ $AWSROLE_EXPIRATION != 1 ]] || { echo "refresh failed" >&2; exit 1; }
            echo $((${t1/./} - ${t0/./}))
        done' bench "$WORK/hook.bash" "$1" "$REFRESHES" "$CACHE"
}
refresh_zsh() {
    zsh -f -c '
        . "$1"; mode=$2; n=$3; cache=$4; zmodload zsh/datetime
        for ((i = 0; i < n; i++)); do
            if [[ $mode == sts ]]; then rm -rf "$cache"; fi
            export AWSROLE_PROFILE=bench AWSROLE_EXPIRATION=1
            unset AWSROLE_NEXT
            t0=$EPOCHREALTIME; __awsrole_hook; t1=$EPOCHREALTIME
            [[ $AWSROLE_EXPIRATION != 1 ]] || { echo "refresh failed" >&2; exit 1; }
            printf "%.0f\n" $(( (t1 - t0) * 1e6 ))
        done' bench "$WORK/hook.zsh" "$1" "$REFRESHES" "$CACHE"
}
refresh_fish() { # date(1) around each call; its own cost is measured and removed
    fish --no-config -c '
        source $argv[1]
        set -l mode $argv[2]
        for i in (seq $argv[3])
            if test $mode = sts; command rm -rf $argv[4]; end
            set -gx AWSROLE_PROFILE bench
            set -gx AWSROLE_EXPIRATION 1
            set -e AWSROLE_NEXT
            set -l t0 (command date +%s.%N)
            emit fish_prompt
            set -l t1 (command date +%s.%N)
            set -l t2 (command date +%s.%N)
            if test "$AWSROLE_EXPIRATION" = 1; echo "refresh failed" >&2; exit 1; end
            # (t1 - t0) minus the cost of one date, (t2 - t1)
            math -s0 "(($t1 - $t0) - ($t2 - $t1)) * 1000000"
        end' "$WORK/hook.fish" "$1" "$REFRESHES" "$CACHE"
}
median_ms() {
    sort -n | awk '{ a[NR] = $1 } END { m = a[int((NR + 1) / 2)]; printf "%.1f ms", m / 1000 }'
}
for sh in bash zsh fish; do
    "refresh_$sh" hit >/dev/null # warm the cache and the page cache
    hit=$("refresh_$sh" hit | median_ms)
    sts=$("refresh_$sh" sts | median_ms)
    echo "| $sh | $hit | $sts |"
done
echo
echo "PowerShell: not measured (pwsh is not installed here); its check is one"
echo "comparison with [DateTimeOffset]::UtcNow.ToUnixTimeSeconds(), no process."
