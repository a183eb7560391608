# awsrole prompt hook for zsh. Put in ~/.zshrc:
#     eval "$(awsrole hook zsh)"
# At each prompt (precmd) and before each command (preexec): once the clock reaches $AWSROLE_NEXT (set by
# `awsrole env`), run `awsrole env --hook` and evaluate what it prints (new credentials, or when to try
# again); awsrole decides everything else. Otherwise one integer comparison, no process.
# Documentation: docs/hooks.md. Names start with __awsrole_; loading twice installs once.

# Clock: $EPOCHSECONDS from zsh/datetime, else the prompt escape %D{%s} (no process either).
# _AWSROLE_HOOK_CLOCK=prompt forces the latter (tests, bench/hooks.sh).
typeset -g __awsrole_clock=prompt __awsrole_t=0
if [[ ${_AWSROLE_HOOK_CLOCK:-} != prompt ]] && zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null; then
    __awsrole_clock=epoch
fi
__awsrole_now() {
    if [[ $__awsrole_clock == epoch ]]; then __awsrole_t=$EPOCHSECONDS; else __awsrole_t=${(%):-%D{%s}}; fi
}

# The check; returns the status it got. Written for any user options (nounset, ksh_arrays...).
__awsrole_hook() {
    local __awsrole_status=$?
    if [[ ${AWSROLE_NEXT:-x} == *[^0-9]* || ${#AWSROLE_NEXT} -gt 15 ]] || { __awsrole_now && (( __awsrole_t >= 10#$AWSROLE_NEXT )) }; then
        if [[ -n ${AWSROLE_PROFILE:-} && ${AWSROLE_EXPIRATION:-x} != *[^0-9]* ]]; then __awsrole_refresh; fi
    fi
    return $__awsrole_status
}

# Due. AWSROLE_NEXT a minute ahead first, for an awsrole that is interrupted (Ctrl-C) or missing.
__awsrole_refresh() {
    emulate -L zsh
    local out
    __awsrole_now
    export AWSROLE_NEXT=$(( __awsrole_t + 60 ))
    out=$(command awsrole env --shell zsh --hook -- "$AWSROLE_PROFILE") && eval "$out"
}

# precmd and preexec: the fresh case inline (one function call less); otherwise the hook as the left side of
# `||`, where err_exit and err_return do not apply. zsh gives the next hook and the command line the user's
# $? and $_ anyway.
__awsrole_check() {
    [[ $__awsrole_clock == epoch && ${AWSROLE_NEXT:-x} != *[^0-9]* && ${#AWSROLE_NEXT} -lt 16 ]] &&
        (( EPOCHSECONDS < 10#$AWSROLE_NEXT )) && return 0
    __awsrole_hook || :
}

# Install once, after the user's own hooks. _AWSROLE_HOOK_PREEXEC=off: only the prompt check (tests, bench).
() {
    emulate -L zsh
    typeset -ga precmd_functions preexec_functions
    (( ${precmd_functions[(Ie)__awsrole_check]} )) || precmd_functions+=(__awsrole_check)
    if [[ ${_AWSROLE_HOOK_PREEXEC:-} != off ]] && (( ! ${preexec_functions[(Ie)__awsrole_check]} )); then
        preexec_functions+=(__awsrole_check)
    fi
}
