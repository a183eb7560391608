# awsrole prompt hook for bash (3.2 and later).
#
# Install: put this line at the END of ~/.bashrc (after anything else that
# sets PROMPT_COMMAND):
#     eval "$(awsrole hook bash)"
#
# At each prompt, if this shell holds credentials from `awsrole env`
# (AWSROLE_PROFILE and AWSROLE_EXPIRATION are set) that expire within
# AWSROLE_REFRESH_BEFORE (default 10m), run `awsrole env` again and apply the
# result. When nothing is due the check is a few integer comparisons against
# the shell's own clock: no process is started. Documentation: docs/hooks.md.
#
# All names start with __awsrole_. Sourcing this twice installs it once.

# --- Clock: __awsrole_now sets __awsrole_t to the Unix time in seconds. ---
# bash 5 has $EPOCHSECONDS; bash 4.2+ has printf's %(%s)T; older bash (macOS
# ships 3.2) adds $SECONDS to an offset read once from date(1).
# _AWSROLE_HOOK_CLOCK forces one of them (for tests and bench/hooks.sh).
case ${_AWSROLE_HOOK_CLOCK:-} in
epoch | printf | seconds) __awsrole_clock=$_AWSROLE_HOOK_CLOCK ;;
*)
    if ((BASH_VERSINFO[0] >= 5)); then
        __awsrole_clock=epoch
    elif ((BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 2)); then
        __awsrole_clock=printf
    else
        __awsrole_clock=seconds
    fi
    ;;
esac
case $__awsrole_clock in
epoch)
    __awsrole_now() { __awsrole_t=$EPOCHSECONDS; }
    ;;
printf)
    __awsrole_now() { printf -v __awsrole_t '%(%s)T' -1; }
    ;;
*)
    # $SECONDS counts whole seconds of the wall clock since bash started, so
    # date(1) is needed once; it is read between two equal $SECONDS values so
    # that no second boundary falls in between. Read again if SECONDS went
    # backwards (someone assigned it).
    __awsrole_now() {
        if [[ -z ${__awsrole_off:-} ]] || ((SECONDS < __awsrole_sec)); then
            local a b d i=0
            while ((i < 5)); do
                a=$SECONDS
                d=$(command date +%s 2>/dev/null)
                b=$SECONDS
                if [[ $a == "$b" && -n $d && $d != *[!0-9]* ]]; then
                    __awsrole_off=$((d - a))
                    break
                fi
                i=$((i + 1))
            done
        fi
        __awsrole_sec=$SECONDS
        __awsrole_t=$((${__awsrole_off:-0} + SECONDS))
    }
    ;;
esac

# --- State (kept when this file is sourced again) ---
# __awsrole_key    "PROFILE EXPIRATION" of the credentials the state is about
# __awsrole_next   no refresh attempt before this time (Unix seconds)
# __awsrole_fails  failed attempts in a row, for the back-off
# __awsrole_mode   "" | capped (window >= lifetime) | mfa (code needed, warned)
# __awsrole_noted  profiles already told that their window was capped
# __awsrole_wsrc / __awsrole_w   AWSROLE_REFRESH_BEFORE as given / in seconds
__awsrole_key=${__awsrole_key:-}
__awsrole_next=${__awsrole_next:-0}
__awsrole_fails=${__awsrole_fails:-0}
__awsrole_mode=${__awsrole_mode:-}
__awsrole_noted=${__awsrole_noted:-}
__awsrole_wsrc=${__awsrole_wsrc:-}
__awsrole_w=${__awsrole_w:-600}
__awsrole_t=0

# AWSROLE_REFRESH_BEFORE -> __awsrole_w (seconds). Accepts humantime's
# whole-number forms: "10m", "1h30m", "14m 55s", "2 hours". Anything else
# (empty, "1.5h", "500ms") means the default 10m, with a warning once.
__awsrole_window() {
    local src=${AWSROLE_REFRESH_BEFORE:-} rest total=0 n u m ok=1
    local re='^[[:space:]]*([0-9]+)[[:space:]]*([a-zA-Z]+)(.*)$'
    __awsrole_wsrc=$src
    rest=$src
    if [[ -z $src ]]; then
        __awsrole_w=600
        return 0
    fi
    while [[ $rest =~ $re ]]; do
        n=${BASH_REMATCH[1]}
        u=${BASH_REMATCH[2]}
        rest=${BASH_REMATCH[3]}
        case $u in
        s | sec | secs | second | seconds) m=1 ;;
        m | min | mins | minute | minutes) m=60 ;;
        h | hr | hrs | hour | hours) m=3600 ;;
        d | day | days) m=86400 ;;
        w | wk | wks | week | weeks) m=604800 ;;
        M | month | months) m=2630016 ;;
        y | year | years) m=31557600 ;;
        *) ok= ;;
        esac
        if [[ -z $ok || ${#n} -gt 9 ]]; then
            ok=
            break
        fi
        total=$((total + 10#$n * m))
    done
    if [[ -n $ok && $rest != *[![:space:]]* && $src == *[0-9]* ]]; then
        __awsrole_w=$total
    else
        __awsrole_w=600
        printf 'awsrole: AWSROLE_REFRESH_BEFORE=%s is not a duration like 10m, 1h30m or 90s; using 10m\n' "$src" >&2
    fi
}

# The check: cheap unless the credentials are due. Returns the status it
# was called with. The shell calls it through __awsrole_prompt and
# __awsrole_debug, as the left side of `||`, where set -e and the ERR trap
# do not apply (a status or a failed refresh never ends the shell).
__awsrole_hook() {
    local __awsrole_status=$?
    if [[ -n ${AWSROLE_PROFILE:-} && ${AWSROLE_EXPIRATION:-x} != *[!0-9]* && ${#AWSROLE_EXPIRATION} -lt 16 ]]; then
        if [[ ${AWSROLE_REFRESH_BEFORE:-} != "$__awsrole_wsrc" ]]; then
            __awsrole_window
        fi
        if [[ $__awsrole_clock == epoch ]]; then
            __awsrole_t=$EPOCHSECONDS
        else
            __awsrole_now
        fi
        if ((__awsrole_t + __awsrole_w > 10#$AWSROLE_EXPIRATION)); then
            __awsrole_refresh
        fi
    fi
    return $__awsrole_status
}

# At each prompt (PROMPT_COMMAND). bash restores $? and $_ after it.
__awsrole_prompt() {
    __awsrole_hook || :
    if [[ -n $__awsrole_ps0 && ${PS0-} != *__awsrole_go* ]]; then
        PS0=${PS0-}$__awsrole_ps0
    fi
}

# Before each command line (bash 4.4+): PS0, expanded once after a line is
# read, sets __awsrole_go without a process; the DEBUG trap, before the
# line's first simple command, checks then. "$_" as the last argument
# keeps $_; bash keeps $? and $PIPESTATUS around traps. Returns the $? it
# got, for a user's DEBUG trap run after it; alone, the trap ends with
# status 0, so that extdebug never skips the user's command.
__awsrole_debug() {
    local __awsrole_status=$?
    if [[ -n ${__awsrole_go:-} ]]; then
        __awsrole_go=
        # The fresh case inline (one function call less per command).
        if [[ $__awsrole_clock == epoch && -n ${AWSROLE_PROFILE:-} && ${AWSROLE_EXPIRATION:-x} != *[!0-9]* && ${#AWSROLE_EXPIRATION} -lt 16 && ${AWSROLE_REFRESH_BEFORE:-} == "$__awsrole_wsrc" ]] &&
            ((EPOCHSECONDS + __awsrole_w <= 10#$AWSROLE_EXPIRATION)); then
            :
        else
            __awsrole_hook || :
        fi
    fi
    return $__awsrole_status
}

# Due: refresh unless backing off. Never fails, never prompts unless
# AWSROLE_HOOK_MFA=prompt.
__awsrole_refresh() {
    local profile=$AWSROLE_PROFILE key="$AWSROLE_PROFILE $AWSROLE_EXPIRATION"
    local out rc min delay why q n
    if [[ $key != "$__awsrole_key" ]]; then
        __awsrole_key=$key
        __awsrole_next=0
        __awsrole_fails=0
        __awsrole_mode=
    fi
    if ((__awsrole_t < __awsrole_next)); then
        return 0
    fi
    if [[ $__awsrole_mode == capped ]]; then
        # Only credentials that outlive the current ones are worth taking.
        min=$((10#$AWSROLE_EXPIRATION - __awsrole_t))
        if ((min < 0)); then min=0; fi
        min=$((min + 1))
    else
        # One second more than the window: whatever the cache returns is
        # then not due again at the next prompt (whole-second clocks).
        min=$((__awsrole_w + 1))
    fi
    # Interrupted (Ctrl-C) attempts back off too.
    __awsrole_next=$((__awsrole_t + 60))
    if [[ ${AWSROLE_HOOK_MFA:-} == prompt ]]; then
        out=$(command awsrole env --shell bash --min-ttl "${min}s" -- "$profile" 2>/dev/null)
    else
        out=$(command awsrole env --shell bash --min-ttl "${min}s" --no-input -- "$profile" 2>/dev/null)
    fi
    rc=$?
    __awsrole_now
    printf -v q '%q' "$profile"
    case $rc in
    0)
        eval "$out"
        __awsrole_key="${AWSROLE_PROFILE:-} ${AWSROLE_EXPIRATION:-}"
        __awsrole_next=0
        __awsrole_fails=0
        __awsrole_mode=
        if [[ ${AWSROLE_EXPIRATION:-x} != *[!0-9]* ]] && ((__awsrole_t + __awsrole_w > 10#$AWSROLE_EXPIRATION)); then
            # These credentials live no longer than the window: refreshing
            # at every prompt would call STS every time. Wait half of their
            # remaining life instead.
            delay=$(((10#$AWSROLE_EXPIRATION - __awsrole_t) / 2))
            if ((delay < 1)); then delay=1; fi
            __awsrole_mode=capped
            __awsrole_next=$((__awsrole_t + delay))
            if [[ $'\n'$__awsrole_noted$'\n' != *$'\n'"$profile"$'\n'* ]]; then
                __awsrole_noted=$__awsrole_noted$'\n'$profile
                printf 'awsrole: credentials of %s last %ss, not more than AWSROLE_REFRESH_BEFORE (%ss): refreshing them at half their remaining life instead\n' \
                    "$profile" "$((10#$AWSROLE_EXPIRATION - __awsrole_t))" "$__awsrole_w" >&2
            fi
        fi
        ;;
    6)
        # Look in the cache again now and then (a code entered in another
        # terminal serves this one too), but warn once per credentials.
        if [[ $__awsrole_mode != mfa ]]; then
            __awsrole_mode=mfa
            printf 'awsrole: %s needs an MFA code to refresh; run: eval "$(awsrole env %s)"\n' "$profile" "$q" >&2
        fi
        ;;
    *)
        __awsrole_fails=$((__awsrole_fails + 1))
        delay=60
        n=1
        while ((n < __awsrole_fails && delay < 600)); do
            delay=$((delay * 2))
            n=$((n + 1))
        done
        if ((delay > 600)); then delay=600; fi
        __awsrole_next=$((__awsrole_t + delay))
        case $rc in
        3) why='configuration error' ;;
        4) why='STS refused' ;;
        5) why='STS unreachable' ;;
        127) why='awsrole not found on PATH' ;;
        *) why="exit status $rc" ;;
        esac
        printf 'awsrole: could not refresh %s (%s); keeping the current credentials, next try in %ss (details: awsrole env %s)\n' \
            "$profile" "$why" "$delay" "$q" >&2
        ;;
    esac
    return 0
}

# Install once, after the user's own PROMPT_COMMAND. bash 5.1+ runs every
# element of an array PROMPT_COMMAND, so a user assigning the string form
# later (element 0) keeps this hook; older bash gets one more line.
if [[ "${PROMPT_COMMAND[*]:-}" != *__awsrole_prompt* ]]; then
    if ((BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1))); then
        PROMPT_COMMAND+=(__awsrole_prompt)
    elif [[ -n ${PROMPT_COMMAND:-} ]]; then
        PROMPT_COMMAND=$PROMPT_COMMAND$'\n'__awsrole_prompt
    else
        PROMPT_COMMAND=__awsrole_prompt
    fi
fi

# The check before commands. With bash-preexec, one of its preexec
# functions. Otherwise (bash 4.4+) PS0 and a DEBUG trap that runs an
# existing DEBUG trap after it, with the same $? and $_. _AWSROLE_HOOK_PREEXEC=off
# leaves only the prompt check (for tests and bench/hooks.sh).
__awsrole_ps0=
if [[ ${_AWSROLE_HOOK_PREEXEC:-} == off ]]; then
    :
elif [[ -n ${bash_preexec_imported:-}${__bp_imported:-} ]]; then
    if [[ " ${preexec_functions[*]:-} " != *" __awsrole_debug_bp "* ]]; then
        __awsrole_debug_bp() { __awsrole_hook || :; }
        preexec_functions+=(__awsrole_debug_bp)
    fi
elif ((BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 4))); then
    __awsrole_ps0='${__awsrole_z[__awsrole_go=1]:-}'
    if [[ ${PS0-} != *__awsrole_go* ]]; then
        PS0=${PS0-}$__awsrole_ps0
    fi
    # Inside a function or a sourced file, bash hides the DEBUG trap, so
    # it is read and chained at the first prompt, from PROMPT_COMMAND's top
    # level: a one-off element that removes itself.
    __awsrole_once='__awsrole_prev=$(trap -p DEBUG) __awsrole_trap'
    __awsrole_trap() {
        if ((BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1))); then
            PROMPT_COMMAND=("${PROMPT_COMMAND[@]/"$__awsrole_once"/}")
        else
            PROMPT_COMMAND=${PROMPT_COMMAND//$'\n'"$__awsrole_once"/}
        fi
        if [[ $__awsrole_prev == *__awsrole_debug* ]]; then
            return 0
        elif [[ -z $__awsrole_prev ]]; then
            trap '__awsrole_debug "$_" || : "$_"' DEBUG
        else
            eval "set -- $__awsrole_prev"
            trap '__awsrole_debug "$_" && : "$_"
'"$3" DEBUG
        fi
    }
    if [[ "${PROMPT_COMMAND[*]}" != *__awsrole_trap* ]]; then
        if ((BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1))); then
            PROMPT_COMMAND+=("$__awsrole_once")
        else
            PROMPT_COMMAND=$PROMPT_COMMAND$'\n'$__awsrole_once
        fi
    fi
fi
