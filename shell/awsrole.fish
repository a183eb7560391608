# awsrole prompt hook for fish. Put in ~/.config/fish/config.fish:
#     awsrole hook fish | source
# At each prompt (fish_prompt) and before each command (fish_preexec): once the clock reaches $AWSROLE_NEXT
# (set by `awsrole env`), run `awsrole env --hook` and source what it prints (new credentials, or when to try
# again); awsrole decides everything else. Otherwise one comparison, no process. Documentation: docs/hooks.md.
# Names start with __awsrole_; loading twice installs once.

# Clock: fish has no clock variable. The age of / plus its modification time (`path mtime`, fish 3.5+) is the
# time, from builtins; older fish runs date(1). _AWSROLE_HOOK_CLOCK=date forces date (tests, bench/hooks.sh).
set -g __awsrole_clock date
if test "$_AWSROLE_HOOK_CLOCK" != date; and builtin -n | string match -q path
    set -g __awsrole_clock path
end
function __awsrole_now
    if test $__awsrole_clock = path
        set -g __awsrole_t (math (path mtime /) + (path mtime --relative /))
    else
        set -g __awsrole_t (command date +%s)
    end
end
# The check compares the age of / with __awsrole_l = AWSROLE_NEXT - mtime of /, recomputed when either changes
# (__awsrole_k): one command substitution per prompt. Far ahead with nothing to renew.
set -g __awsrole_k ''
set -g __awsrole_l 0

# fish keeps $status and $pipestatus around event handlers; the local fish_trace keeps `set -g fish_trace 1`
# from tracing the hook. _AWSROLE_HOOK_PREEXEC=off: only the prompt check (tests, bench/hooks.sh).
function __awsrole_hook --on-event fish_prompt
    set -l __awsrole_status $status
    set -l fish_trace
    if test -z "$AWSROLE_PROFILE"
        set -g __awsrole_k ''
        set -g __awsrole_l 999999999999999
    else if test $__awsrole_clock = path
        set -l c (path mtime --relative /; path mtime /)
        if test "$AWSROLE_NEXT $AWSROLE_EXPIRATION $c[2]" != "$__awsrole_k"
            set -g __awsrole_k "$AWSROLE_NEXT $AWSROLE_EXPIRATION $c[2]"
            set -g __awsrole_l 999999999999999
            if string match -qr '^[0-9]{1,15}$' -- "$AWSROLE_EXPIRATION"
                set -g __awsrole_l -1
                string match -qr '^[0-9]{1,15}$' -- "$AWSROLE_NEXT"; and set -g __awsrole_l (math "$AWSROLE_NEXT - $c[2]")
            end
        end
        test $c[1] -ge $__awsrole_l; and __awsrole_refresh
    else if not string match -qr '^[0-9]{1,15}$' -- "$AWSROLE_NEXT"; or begin; __awsrole_now; test $__awsrole_t -ge $AWSROLE_NEXT; end
        __awsrole_refresh
    end
    return $__awsrole_status
end

# Before each command: the age of / alone, a builtin read through a pipe (cheaper than a command substitution),
# against the __awsrole_l of the last prompt. (If / changes in between, the next prompt catches up.)
if test "$_AWSROLE_HOOK_PREEXEC" = off
else if test $__awsrole_clock = path
    function __awsrole_preexec --on-event fish_preexec
        set -l fish_trace
        path mtime --relative / | read -l a; and test $a -lt $__awsrole_l; or __awsrole_hook
    end
else
    function __awsrole_preexec --on-event fish_preexec
        __awsrole_hook
    end
end

# Due. AWSROLE_NEXT a minute ahead first, for an awsrole that is interrupted (Ctrl-C) or missing.
function __awsrole_refresh
    string match -qr '^[0-9]{1,15}$' -- "$AWSROLE_EXPIRATION"; or return 0
    __awsrole_now
    set -gx AWSROLE_NEXT (math $__awsrole_t + 60)
    set -l out (command awsrole env --shell fish --hook -- $AWSROLE_PROFILE | string collect)
    test $pipestatus[1] -eq 0; and printf '%s\n' "$out" | source
    return 0
end
