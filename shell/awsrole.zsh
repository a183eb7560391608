# awsrole prompt hook for zsh.
#
# Install: put this line in ~/.zshrc:
#     eval "$(awsrole hook zsh)"
#
# At each prompt (precmd), if this shell holds credentials from `awsrole env`
# (AWSROLE_PROFILE and AWSROLE_EXPIRATION are set) that expire within
# AWSROLE_REFRESH_BEFORE (default 10m), run `awsrole env` again and apply the
# result. When nothing is due the check is a few integer comparisons against
# $EPOCHSECONDS: no process is started. Documentation: docs/hooks.md.
#
# All names start with __awsrole_. Sourcing this twice installs it once.

# --- Clock: $EPOCHSECONDS from the zsh/datetime module; without it, the
# prompt escape %D{%s} (strftime, no process either). _AWSROLE_HOOK_CLOCK
# forces one of them (for tests and bench/hooks.sh). ---
typeset -g __awsrole_clock=prompt
if [[ ${_AWSROLE_HOOK_CLOCK:-} != prompt ]] && zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null; then
    __awsrole_clock=epoch
fi

__awsrole_now() {
    if [[ $__awsrole_clock == epoch ]]; then
        __awsrole_t=$EPOCHSECONDS
    else
        __awsrole_t=${(%):-%D{%s}}
    fi
}

# --- State (kept when this file is sourced again) ---
# __awsrole_key    "PROFILE EXPIRATION" of the credentials the state is about
# __awsrole_next   no refresh attempt before this time (Unix seconds)
# __awsrole_fails  failed attempts in a row, for the back-off
# __awsrole_mode   "" | capped (window >= lifetime) | mfa (code needed, warned)
# __awsrole_noted  profiles already told that their window was capped
# __awsrole_wsrc / __awsrole_w   AWSROLE_REFRESH_BEFORE as given / in seconds
typeset -g __awsrole_key=${__awsrole_key:-}
typeset -g __awsrole_next=${__awsrole_next:-0}
typeset -g __awsrole_fails=${__awsrole_fails:-0}
typeset -g __awsrole_mode=${__awsrole_mode:-}
typeset -g __awsrole_noted=${__awsrole_noted:-}
typeset -g __awsrole_wsrc=${__awsrole_wsrc:-}
typeset -g __awsrole_w=${__awsrole_w:-600}
typeset -g __awsrole_t=0

# AWSROLE_REFRESH_BEFORE -> __awsrole_w (seconds). Accepts humantime's
# whole-number forms: "10m", "1h30m", "14m 55s", "2 hours". Anything else
# (empty, "1.5h", "500ms") means the default 10m, with a warning once.
__awsrole_window() {
    emulate -L zsh
    setopt extended_glob
    local src=${AWSROLE_REFRESH_BEFORE:-} rest total=0 n u m ok=1
    __awsrole_wsrc=$src
    rest=$src
    if [[ -z $src ]]; then
        __awsrole_w=600
        return 0
    fi
    while [[ $rest == (#b)[[:space:]]#([0-9]##)[[:space:]]#([a-zA-Z]##)(*) ]]; do
        n=$match[1]
        u=$match[2]
        rest=$match[3]
        case $u in
        (s|sec|secs|second|seconds) m=1 ;;
        (m|min|mins|minute|minutes) m=60 ;;
        (h|hr|hrs|hour|hours) m=3600 ;;
        (d|day|days) m=86400 ;;
        (w|wk|wks|week|weeks) m=604800 ;;
        (M|month|months) m=2630016 ;;
        (y|year|years) m=31557600 ;;
        (*) ok= ;;
        esac
        if [[ -z $ok ]] || (( ${#n} > 9 )); then
            ok=
            break
        fi
        (( total += 10#$n * m ))
    done
    if [[ -n $ok && $rest != *[^[:space:]]* && $src == *[0-9]* ]]; then
        __awsrole_w=$total
    else
        __awsrole_w=600
        printf 'awsrole: AWSROLE_REFRESH_BEFORE=%s is not a duration like 10m, 1h30m or 90s; using 10m\n' "$src" >&2
    fi
}

# The check: cheap unless the credentials are due. Returns the status it
# was called with. Written to work under any user options (no_unset,
# ksh_arrays, sh_word_split...); the refresh runs under `emulate -L zsh`.
__awsrole_hook() {
    local __awsrole_status=$?
    if [[ -n ${AWSROLE_PROFILE:-} && ${AWSROLE_EXPIRATION:-x} != *[^0-9]* && ${#AWSROLE_EXPIRATION} -lt 16 ]]; then
        if [[ ${AWSROLE_REFRESH_BEFORE:-} != "$__awsrole_wsrc" ]]; then
            __awsrole_window
        fi
        if [[ $__awsrole_clock == epoch ]]; then
            __awsrole_t=$EPOCHSECONDS
        else
            __awsrole_now
        fi
        if (( __awsrole_t + __awsrole_w > 10#$AWSROLE_EXPIRATION )); then
            __awsrole_refresh
        fi
    fi
    return $__awsrole_status
}

# At each prompt (precmd) and after Enter, before the command (preexec).
# As the left side of `||`, where err_exit and err_return do not apply, and
# with status 0: zsh gives the next hook and the command line the $? and
# $_ of the user's command anyway.
__awsrole_check() {
    __awsrole_hook || :
}

# Due: refresh unless backing off. Never fails, never prompts unless
# AWSROLE_HOOK_MFA=prompt.
__awsrole_refresh() {
    emulate -L zsh
    local profile=$AWSROLE_PROFILE key="$AWSROLE_PROFILE $AWSROLE_EXPIRATION"
    local out rc min delay why q n
    if [[ $key != "$__awsrole_key" ]]; then
        __awsrole_key=$key
        __awsrole_next=0
        __awsrole_fails=0
        __awsrole_mode=
    fi
    if (( __awsrole_t < __awsrole_next )); then
        return 0
    fi
    if [[ $__awsrole_mode == capped ]]; then
        # Only credentials that outlive the current ones are worth taking.
        (( min = 10#$AWSROLE_EXPIRATION - __awsrole_t ))
        if (( min < 0 )); then min=0; fi
        (( min += 1 ))
    else
        # One second more than the window: whatever the cache returns is
        # then not due again at the next prompt (whole-second clocks).
        (( min = __awsrole_w + 1 ))
    fi
    # Interrupted (Ctrl-C) attempts back off too.
    (( __awsrole_next = __awsrole_t + 60 ))
    if [[ ${AWSROLE_HOOK_MFA:-} == prompt ]]; then
        out=$(command awsrole env --shell zsh --min-ttl "${min}s" -- "$profile" 2>/dev/null)
    else
        out=$(command awsrole env --shell zsh --min-ttl "${min}s" --no-input -- "$profile" 2>/dev/null)
    fi
    rc=$?
    __awsrole_now
    q=${(q)profile}
    case $rc in
    (0)
        eval "$out"
        __awsrole_key="${AWSROLE_PROFILE:-} ${AWSROLE_EXPIRATION:-}"
        __awsrole_next=0
        __awsrole_fails=0
        __awsrole_mode=
        if [[ ${AWSROLE_EXPIRATION:-x} != *[^0-9]* ]] && (( __awsrole_t + __awsrole_w > 10#$AWSROLE_EXPIRATION )); then
            # These credentials live no longer than the window: refreshing
            # at every prompt would call STS every time. Wait half of their
            # remaining life instead.
            (( delay = (10#$AWSROLE_EXPIRATION - __awsrole_t) / 2 ))
            if (( delay < 1 )); then delay=1; fi
            __awsrole_mode=capped
            (( __awsrole_next = __awsrole_t + delay ))
            if [[ $'\n'$__awsrole_noted$'\n' != *$'\n'"$profile"$'\n'* ]]; then
                __awsrole_noted=$__awsrole_noted$'\n'$profile
                printf 'awsrole: credentials of %s last %ss, not more than AWSROLE_REFRESH_BEFORE (%ss): refreshing them at half their remaining life instead\n' \
                    "$profile" "$(( 10#$AWSROLE_EXPIRATION - __awsrole_t ))" "$__awsrole_w" >&2
            fi
        fi
        ;;
    (6)
        # Look in the cache again now and then (a code entered in another
        # terminal serves this one too), but warn once per credentials.
        if [[ $__awsrole_mode != mfa ]]; then
            __awsrole_mode=mfa
            printf 'awsrole: %s needs an MFA code to refresh; run: eval "$(awsrole env %s)"\n' "$profile" "$q" >&2
        fi
        ;;
    (*)
        (( __awsrole_fails += 1 ))
        delay=60
        n=1
        while (( n < __awsrole_fails && delay < 600 )); do
            (( delay *= 2, n += 1 ))
        done
        if (( delay > 600 )); then delay=600; fi
        (( __awsrole_next = __awsrole_t + delay ))
        case $rc in
        (3) why='configuration error' ;;
        (4) why='STS refused' ;;
        (5) why='STS unreachable' ;;
        (127) why='awsrole not found on PATH' ;;
        (*) why="exit status $rc" ;;
        esac
        printf 'awsrole: could not refresh %s (%s); keeping the current credentials, next try in %ss (details: awsrole env %s)\n' \
            "$profile" "$why" "$delay" "$q" >&2
        ;;
    esac
    return 0
}

# Install once, after the user's own precmd and preexec functions.
# _AWSROLE_HOOK_PREEXEC=off leaves only the prompt check (for tests and
# bench/hooks.sh).
() {
    emulate -L zsh
    typeset -ga precmd_functions preexec_functions
    if (( ! ${precmd_functions[(Ie)__awsrole_check]} )); then
        precmd_functions+=(__awsrole_check)
    fi
    if [[ ${_AWSROLE_HOOK_PREEXEC:-} != off ]] && (( ! ${preexec_functions[(Ie)__awsrole_check]} )); then
        preexec_functions+=(__awsrole_check)
    fi
}
