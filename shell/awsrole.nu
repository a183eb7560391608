# awsrole prompt hook for nushell. Install (config.nu):
#   awsrole hook nu | save -f ~/.config/nushell/awsrole-hook.nu
#   source ~/.config/nushell/awsrole-hook.nu
#
# Before each prompt and each command, when the credentials exported by
# `awsrole env` (AWSROLE_PROFILE, AWSROLE_EXPIRATION) expire within
# AWSROLE_REFRESH_BEFORE (default 10m), run `awsrole env --format json` and
# load the result. The due check uses nushell's own clock: when nothing is
# due no process is started. A failed refresh keeps the current variables,
# warns once and waits 5 minutes. Documentation: docs/hooks.md.

# AWSROLE_REFRESH_BEFORE in seconds: "600", "600s", "10m" or "1h"; anything
# else means the default 10m.
def __awsrole_window [] {
    let s = ($env.AWSROLE_REFRESH_BEFORE? | default '' | into string | str trim)
    let m = ($s | parse -r '^(?<n>[0-9]{1,9})(?<u>[smh]?)$')
    if ($m | is-empty) { return 600 }
    let n = ($m.0.n | into int)
    match $m.0.u { 'm' => ($n * 60), 'h' => ($n * 3600), _ => $n }
}

def --env __awsrole_check [] {
    let exp = ($env.AWSROLE_EXPIRATION? | default '' | into string)
    let profile = ($env.AWSROLE_PROFILE? | default '' | into string)
    if ($profile == '') or ($exp !~ '^[0-9]{1,15}$') { return }
    let now = (date now | format date '%s' | into int)
    let w = (__awsrole_window)
    if $now < (($exp | into int) - $w) { return }
    if $now < ($env._AWSROLE_HOOK_NEXT? | default 0 | into int) { return }
    $env._AWSROLE_HOOK_NEXT = $now + 300
    # One second more than the window: the result is not due at the next prompt.
    let r = (do { ^awsrole env --format json --min-ttl $"($w + 1)s" --no-input -- $profile } | complete)
    if $r.exit_code == 0 {
        let vars = ($r.stdout | from json)
        let gone = ($vars | transpose k v | where v == null | get k)
        $vars | reject ...$gone | load-env
        for k in $gone { hide-env -i $k }
        # Credentials that live no longer than the window would be due
        # again at once: keep the 5-minute pause for them.
        let e = ($env.AWSROLE_EXPIRATION? | default '' | into string)
        if ($e =~ '^[0-9]{1,15}$') and ($now <= (($e | into int) - $w)) {
            $env._AWSROLE_HOOK_NEXT = 0
        }
    } else {
        let key = $"($profile) ($exp)"
        if ($env._AWSROLE_HOOK_WARNED? | default '') != $key {
            $env._AWSROLE_HOOK_WARNED = $key
            print -e $"awsrole: could not refresh ($profile) \(exit status ($r.exit_code)\); keeping the current credentials, retrying every 5 minutes \(details: awsrole env ($profile)\)"
        }
    }
}

$env.config.hooks.pre_prompt = ($env.config.hooks.pre_prompt? | default [] | append {|| __awsrole_check })
$env.config.hooks.pre_execution = ($env.config.hooks.pre_execution? | default [] | append {|| __awsrole_check })
