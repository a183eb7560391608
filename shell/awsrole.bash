# awsrole prompt hook for bash 3.2+. Put at the END of ~/.bashrc (after anything else that sets PROMPT_COMMAND):
#     eval "$(awsrole hook bash)"
# At each prompt and before each command: from $AWSROLE_NEXT (set by `awsrole env`) on, run `awsrole env --hook` and
# evaluate what it prints; awsrole decides the rest. Before, one integer comparison, no process. See docs/hooks.md.
# Clock: $EPOCHSECONDS (bash 5), printf %(%s)T (4.2+), else $SECONDS + an offset read once from date(1),
# between two equal $SECONDS. _AWSROLE_HOOK_CLOCK forces one (tests, bench/hooks.sh).
__awsrole_v=$((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1])) __awsrole_clock=${_AWSROLE_HOOK_CLOCK:-}
case $__awsrole_clock in epoch | printf | seconds) ;; *) __awsrole_clock=seconds
    ((__awsrole_v < 402)) || __awsrole_clock=printf; ((__awsrole_v < 500)) || __awsrole_clock=epoch ;; esac
__awsrole_now() {
    case $__awsrole_clock in
    epoch) __awsrole_t=$EPOCHSECONDS ;;
    printf) printf -v __awsrole_t '%(%s)T' -1 ;;
    *) local a d i=0
        while { [[ -z ${__awsrole_off:-} ]] || ((SECONDS < __awsrole_sec)); } && ((i++ < 5)); do
            a=$SECONDS d=$(command date +%s 2>/dev/null)
            [[ $a != "$SECONDS" || -z $d || $d == *[!0-9]* ]] || { __awsrole_off=$((d - a)) && break; }
        done
        __awsrole_sec=$SECONDS __awsrole_t=$((${__awsrole_off:-0} + SECONDS)) ;;
    esac
}
# The check, at each prompt (PROMPT_COMMAND) and before commands; returns 0, and set -e and ERR never see a failed
# refresh. It sets __awsrole_n, the copy of AWSROLE_NEXT that PS0 compares with: a decimal number (in arithmetic
# `a[$(cmd)]` would run), 0 (due) if not one, far ahead with nothing to renew. (bash restores $? and $_ after
# PROMPT_COMMAND; __awsrole_hook keeps $? for other callers.)
__awsrole_n=0 __awsrole_go=0
__awsrole_prompt() {
    [[ ${AWSROLE_NEXT:-x} == *[!0-9]* || ${#AWSROLE_NEXT} -gt 15 ]] && __awsrole_n=0 || __awsrole_n=$((10#$AWSROLE_NEXT))
    [[ $__awsrole_clock == epoch ]] && __awsrole_t=$EPOCHSECONDS || __awsrole_now || :
    if ((__awsrole_t >= __awsrole_n)); then
        if [[ -n ${AWSROLE_PROFILE:-} && ${AWSROLE_EXPIRATION:-x} != *[!0-9]* ]]; then __awsrole_refresh || :
        else __awsrole_n=999999999999999999; fi
    fi
    [[ -z $__awsrole_ps0 || ${PS0-} == *__awsrole_go* ]] || PS0=${PS0-}$__awsrole_ps0
}
__awsrole_hook() { local __awsrole_status=$?; __awsrole_prompt; return $__awsrole_status; }
# Due. AWSROLE_NEXT a minute ahead first, for an awsrole that is interrupted (Ctrl-C) or missing. __awsrole_n is
# then stale (due): the next check renews it.
__awsrole_refresh() {
    local out; __awsrole_now; export AWSROLE_NEXT=$((__awsrole_t + 60))
    out=$(command awsrole env --shell bash --hook -- "$AWSROLE_PROFILE") && eval "$out"
}
# Before each command line (bash 4.4+): PS0 sets __awsrole_go when due, in arithmetic (no process, no call); the
# DEBUG trap acts on it before the line's first simple command. `((` keeps $_, bash keeps $?; "$_" keeps $_ in
# the call, whose status is the $? it got, for a chained user DEBUG trap.
__awsrole_debug() {
    local __awsrole_status=$?; ((!__awsrole_go)) || { __awsrole_go=0; __awsrole_prompt; }; return $__awsrole_status
}
# Install once. bash 5.1+ runs every element of an array PROMPT_COMMAND: a later `PROMPT_COMMAND=...` keeps it.
__awsrole_add() {
    if ((__awsrole_v >= 501)); then PROMPT_COMMAND+=("$1")
    elif [[ -n ${PROMPT_COMMAND:-} ]]; then PROMPT_COMMAND=$PROMPT_COMMAND$'\n'$1
    else PROMPT_COMMAND=$1; fi
}
[[ "${PROMPT_COMMAND[*]:-}" == *__awsrole_prompt* ]] || __awsrole_add __awsrole_prompt
# Before commands: with bash-preexec, one of its preexec_functions; else PS0 + a DEBUG trap that runs an existing
# one after it. Inside a sourced file bash hides the DEBUG trap: it is read and chained at the first prompt, by a
# one-off PROMPT_COMMAND element. _AWSROLE_HOOK_PREEXEC=off: only the prompt check (tests, bench/hooks.sh).
__awsrole_ps0=
if [[ ${_AWSROLE_HOOK_PREEXEC:-} == off ]]; then :
elif [[ -n ${bash_preexec_imported:-}${__bp_imported:-} ]]; then
    __awsrole_debug_bp() { __awsrole_prompt; }
    [[ " ${preexec_functions[*]:-} " == *" __awsrole_debug_bp "* ]] || preexec_functions+=(__awsrole_debug_bp)
elif ((__awsrole_v >= 404)); then
    __awsrole_ps0=EPOCHSECONDS && [[ $__awsrole_clock == epoch ]] || __awsrole_ps0='\D{%s}' # 4.4: strftime
    __awsrole_ps0='${__awsrole_z[__awsrole_go='$__awsrole_ps0'>=__awsrole_n]:-}'
    [[ ${PS0-} == *__awsrole_go* ]] || PS0=${PS0-}$__awsrole_ps0
    __awsrole_once='__awsrole_prev=$(trap -p DEBUG) __awsrole_trap'
    __awsrole_trap() {
        if ((__awsrole_v >= 501)); then PROMPT_COMMAND=("${PROMPT_COMMAND[@]/"$__awsrole_once"/}")
        else PROMPT_COMMAND=${PROMPT_COMMAND//$'\n'"$__awsrole_once"/}; fi
        if [[ $__awsrole_prev == *__awsrole_debug* ]]; then return 0
        elif [[ -z $__awsrole_prev ]]; then trap '((!__awsrole_go))||__awsrole_debug "$_"||: "$_"' DEBUG
        else eval "set -- $__awsrole_prev" && trap '__awsrole_debug "$_"&&: "$_"
'"$3" DEBUG; fi
    }
    [[ "${PROMPT_COMMAND[*]}" == *__awsrole_trap* ]] || __awsrole_add "$__awsrole_once"
fi
