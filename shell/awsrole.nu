# awsrole prompt hook for nushell. Install (config.nu):
#   awsrole hook nu | save -f ~/.config/nushell/awsrole-hook.nu
#   source ~/.config/nushell/awsrole-hook.nu
# Before each prompt and each command: once the clock (`date now`, a builtin) reaches $env.AWSROLE_NEXT (set by
# `awsrole env`), run `awsrole env --format json --hook` and load what it prints (new credentials, or when to try
# again); awsrole decides everything else. Otherwise one integer comparison, no process. Documentation: docs/hooks.md.

def --env __awsrole_check [] {
    let next = ($env.AWSROLE_NEXT? | default '' | into string)
    if ($next =~ '^[0-9]{1,15}$') and ((date now | into int) // 1_000_000_000 < ($next | into int)) { return }
    let profile = ($env.AWSROLE_PROFILE? | default '' | into string)
    if ($profile == '') or (($env.AWSROLE_EXPIRATION? | default '' | into string) !~ '^[0-9]{1,15}$') { return }
    # Due. AWSROLE_NEXT a minute ahead first, for an awsrole that is interrupted (Ctrl-C) or missing.
    $env.AWSROLE_NEXT = ((date now | into int) // 1_000_000_000 + 60 | into string)
    let r = (do { ^awsrole env --format json --hook -- $profile } | complete)
    print -e -n $r.stderr
    if $r.exit_code != 0 { return }
    let vars = ($r.stdout | from json)
    let gone = ($vars | transpose k v | where v == null | get k)
    $vars | reject ...$gone | load-env
    for k in $gone { hide-env -i $k }
}

$env.config.hooks.pre_prompt = ($env.config.hooks.pre_prompt? | default [] | append {|| __awsrole_check })
$env.config.hooks.pre_execution = ($env.config.hooks.pre_execution? | default [] | append {|| __awsrole_check })
