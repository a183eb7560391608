# awsrole prompt hook for fish.
#
# Install: put this line in ~/.config/fish/config.fish:
#     awsrole hook fish | source
#
# At each prompt (the fish_prompt event), if this shell holds credentials from
# `awsrole env` (AWSROLE_PROFILE and AWSROLE_EXPIRATION are set) that expire
# within AWSROLE_REFRESH_BEFORE (default 10m), run `awsrole env` again and
# apply the result. fish has no clock variable: the time is read with the
# `path mtime` builtin (fish 3.5+), no process; older fish runs date(1).
# Documentation: docs/hooks.md.
#
# All names start with __awsrole_. Sourcing this twice installs it once.

# --- Clock: __awsrole_now sets __awsrole_t to the Unix time in seconds. ---
# The modification time of / plus its age (`path mtime --relative`) is the
# current time, from two builtins; both are read at every call, so a change
# to / in between is harmless. _AWSROLE_HOOK_CLOCK=date forces date(1) (for
# tests and bench/hooks.sh).
if test "$_AWSROLE_HOOK_CLOCK" != date; and builtin -n | string match -q path
    set -g __awsrole_clock path
else
    set -g __awsrole_clock date
end

function __awsrole_now
    if test $__awsrole_clock = path
        set -g __awsrole_t (math (path mtime /) + (path mtime --relative /))
    else
        set -g __awsrole_t (command date +%s)
    end
end

# --- State (kept when this file is sourced again) ---
# __awsrole_key    "PROFILE EXPIRATION" of the credentials the state is about
# __awsrole_next   no refresh attempt before this time (Unix seconds)
# __awsrole_fails  failed attempts in a row, for the back-off
# __awsrole_mode   "" | capped (window >= lifetime) | mfa (code needed, warned)
# __awsrole_noted  profiles already told that their window was capped
# __awsrole_wsrc / __awsrole_w   AWSROLE_REFRESH_BEFORE as given / in seconds
set -q __awsrole_key; or set -g __awsrole_key ''
set -q __awsrole_next; or set -g __awsrole_next 0
set -q __awsrole_fails; or set -g __awsrole_fails 0
set -q __awsrole_mode; or set -g __awsrole_mode ''
set -q __awsrole_noted; or set -g __awsrole_noted
set -q __awsrole_wsrc; or set -g __awsrole_wsrc ''
set -q __awsrole_w; or set -g __awsrole_w 600
set -g __awsrole_t 0
# Cached due time: __awsrole_e (the AWSROLE_EXPIRATION it is for),
# __awsrole_d (due after), __awsrole_m (mtime of /) and __awsrole_l (d - m).
set -g __awsrole_e ''
set -g __awsrole_d ''
set -g __awsrole_m ''
set -g __awsrole_l 0

# AWSROLE_REFRESH_BEFORE -> __awsrole_w (seconds). Accepts humantime's
# whole-number forms: "10m", "1h30m", "14m 55s", "2 hours". Anything else
# (empty, "1.5h", "500ms") means the default 10m, with a warning once.
function __awsrole_window
    set -l src "$AWSROLE_REFRESH_BEFORE"
    set -g __awsrole_wsrc $src
    if test -z "$src"
        set -g __awsrole_w 600
        return 0
    end
    set -l rest $src
    set -l total 0
    set -l ok 1
    set -l m
    set -l mult
    while set m (string match -r '^\s*([0-9]+)\s*([a-zA-Z]+)' -- $rest)
        switch $m[3]
            case s sec secs second seconds
                set mult 1
            case m min mins minute minutes
                set mult 60
            case h hr hrs hour hours
                set mult 3600
            case d day days
                set mult 86400
            case w wk wks week weeks
                set mult 604800
            case M month months
                set mult 2630016
            case y year years
                set mult 31557600
            case '*'
                set ok ''
        end
        if test -z "$ok"; or test (string length -- $m[2]) -gt 9
            set ok ''
            break
        end
        set total (math "$total + $m[2] * $mult")
        set rest (string sub -s (math (string length -- $m[1]) + 1) -- $rest)
    end
    if test -n "$ok"; and not string match -qr '\S' -- $rest; and string match -qr '[0-9]' -- $src
        set -g __awsrole_w $total
    else
        set -g __awsrole_w 600
        printf 'awsrole: AWSROLE_REFRESH_BEFORE=%s is not a duration like 10m, 1h30m or 90s; using 10m\n' "$src" >&2
    end
end

# The prompt hook: cheap unless the credentials are due. fish spends most of
# its time on command substitutions (about 35 us each), so there is one per
# prompt: the due time is recomputed only when AWSROLE_EXPIRATION or
# AWSROLE_REFRESH_BEFORE change, and compared with the age of / (`path mtime
# --relative`) after subtracting the mtime of /, read in the same
# substitution.
# Before each command too (fish_preexec), unless _AWSROLE_HOOK_PREEXEC=off
# (for tests and bench/hooks.sh). fish keeps $status and $pipestatus
# around event handlers; the local fish_trace keeps `set -g fish_trace 1`
# from tracing the hook's own lines.
set -l __awsrole_events --on-event fish_preexec
if test "$_AWSROLE_HOOK_PREEXEC" = off
    set __awsrole_events
end
function __awsrole_hook --on-event fish_prompt $__awsrole_events
    set -l __awsrole_status $status
    set -l fish_trace
    if test -n "$AWSROLE_PROFILE"
        if test "$AWSROLE_EXPIRATION" != "$__awsrole_e"; or test "$AWSROLE_REFRESH_BEFORE" != "$__awsrole_wsrc"
            __awsrole_due_time
        end
        if test -n "$__awsrole_d"
            if test $__awsrole_clock = path
                # Age first: if / changes in between, the sum errs early.
                set -l c (path mtime --relative /; path mtime /)
                if set -q c[2]; and test "$c[2]" != "$__awsrole_m"
                    set -g __awsrole_m $c[2]
                    set -g __awsrole_l (math "$__awsrole_d - $c[2]")
                end
                if set -q c[2]; and test $c[1] -gt $__awsrole_l
                    __awsrole_now
                    __awsrole_refresh
                end
            else
                __awsrole_now
                if test $__awsrole_t -gt $__awsrole_d
                    __awsrole_refresh
                end
            end
        end
    end
    return $__awsrole_status
end

# __awsrole_d: the time after which the credentials are due
# (AWSROLE_EXPIRATION - window), or empty when AWSROLE_EXPIRATION is not a
# plain number.
function __awsrole_due_time
    set -g __awsrole_e "$AWSROLE_EXPIRATION"
    if test "$AWSROLE_REFRESH_BEFORE" != "$__awsrole_wsrc"
        __awsrole_window
    end
    set -g __awsrole_m ''
    if string match -qr '^[0-9]{1,15}$' -- "$AWSROLE_EXPIRATION"
        set -g __awsrole_d (math "$AWSROLE_EXPIRATION - $__awsrole_w")
    else
        set -g __awsrole_d ''
    end
end

# Due: refresh unless backing off. Never fails, never prompts unless
# AWSROLE_HOOK_MFA=prompt.
function __awsrole_refresh
    set -l profile "$AWSROLE_PROFILE"
    set -l key "$AWSROLE_PROFILE $AWSROLE_EXPIRATION"
    if test "$key" != "$__awsrole_key"
        set -g __awsrole_key $key
        set -g __awsrole_next 0
        set -g __awsrole_fails 0
        set -g __awsrole_mode ''
    end
    if test $__awsrole_t -lt $__awsrole_next
        return 0
    end
    set -l min
    if test "$__awsrole_mode" = capped
        # Only credentials that outlive the current ones are worth taking.
        set min (math "max(0, $AWSROLE_EXPIRATION - $__awsrole_t) + 1")
    else
        # One second more than the window: whatever the cache returns is
        # then not due again at the next prompt (whole-second clocks).
        set min (math "$__awsrole_w + 1")
    end
    # Interrupted (Ctrl-C) attempts back off too.
    set -g __awsrole_next (math "$__awsrole_t + 60")
    set -l args env --shell fish --min-ttl {$min}s
    if test "$AWSROLE_HOOK_MFA" != prompt
        set -a args --no-input
    end
    set -l out (command awsrole $args -- $profile 2>/dev/null | string collect)
    set -l rc $pipestatus[1]
    __awsrole_now
    set -l q (string escape -- $profile)
    switch $rc
        case 0
            printf '%s\n' "$out" | source
            set -g __awsrole_key "$AWSROLE_PROFILE $AWSROLE_EXPIRATION"
            set -g __awsrole_next 0
            set -g __awsrole_fails 0
            set -g __awsrole_mode ''
            if string match -qr '^[0-9]{1,15}$' -- "$AWSROLE_EXPIRATION"; and test $__awsrole_t -gt (math "$AWSROLE_EXPIRATION - $__awsrole_w")
                # These credentials live no longer than the window: refreshing
                # at every prompt would call STS every time. Wait half of
                # their remaining life instead.
                set -l life (math "$AWSROLE_EXPIRATION - $__awsrole_t")
                set -g __awsrole_mode capped
                set -g __awsrole_next (math "$__awsrole_t + max(1, floor($life / 2))")
                if not contains -- $profile $__awsrole_noted
                    set -ga __awsrole_noted $profile
                    printf 'awsrole: credentials of %s last %ss, not more than AWSROLE_REFRESH_BEFORE (%ss): refreshing them at half their remaining life instead\n' \
                        $profile $life $__awsrole_w >&2
                end
            end
        case 6
            # Look in the cache again now and then (a code entered in
            # another terminal serves this one too), but warn once per
            # credentials.
            if test "$__awsrole_mode" != mfa
                set -g __awsrole_mode mfa
                printf 'awsrole: %s needs an MFA code to refresh; run: awsrole env %s | source\n' $profile $q >&2
            end
        case '*'
            set -g __awsrole_fails (math "$__awsrole_fails + 1")
            set -l delay (math "min(600, 60 * 2 ^ min(10, $__awsrole_fails - 1))")
            set -g __awsrole_next (math "$__awsrole_t + $delay")
            set -l why "exit status $rc"
            switch $rc
                case 3
                    set why 'configuration error'
                case 4
                    set why 'STS refused'
                case 5
                    set why 'STS unreachable'
                case 127
                    set why 'awsrole not found on PATH'
            end
            printf 'awsrole: could not refresh %s (%s); keeping the current credentials, next try in %ss (details: awsrole env %s)\n' \
                $profile $why $delay $q >&2
    end
    return 0
end
