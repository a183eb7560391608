# awsrole prompt hook for PowerShell (Windows PowerShell 5.1, PowerShell 7).
#
# Install: put this line at the END of $PROFILE (after anything else that
# defines the prompt function, e.g. oh-my-posh or starship):
#     awsrole hook powershell | Out-String | Invoke-Expression
#
# At each prompt, if this session holds credentials from `awsrole env`
# ($Env:AWSROLE_PROFILE and $Env:AWSROLE_EXPIRATION are set) that expire
# within $Env:AWSROLE_REFRESH_BEFORE (default 10m), run `awsrole env` again
# and apply the result. When nothing is due the check is an integer
# comparison against .NET's clock: no process is started. Your own prompt
# function keeps running, and sees the same $? and $LASTEXITCODE.
# Documentation: docs/hooks.md.
#
# All names start with __Awsrole. Loading this twice installs it once.

# --- State (kept when this file is loaded again) ---
# Key    "PROFILE EXPIRATION" of the credentials the state is about
# Next   no refresh attempt before this time (Unix seconds)
# Fails  failed attempts in a row, for the back-off
# Mode   '' | 'capped' (window >= lifetime) | 'mfa' (code needed, warned)
# Noted  profiles already told that their window was capped
# WSrc / W   AWSROLE_REFRESH_BEFORE as given / in seconds
if (-not (Test-Path Variable:global:__AwsroleState)) {
    $global:__AwsroleState = @{
        Key   = ''
        Next  = [long]0
        Fails = 0
        Mode  = ''
        Noted = @()
        WSrc  = ''
        W     = [long]600
    }
}

function global:__AwsroleNow {
    [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
}

function global:__AwsroleWarn([string]$Message) {
    [Console]::Error.WriteLine("awsrole: $Message")
}

# AWSROLE_REFRESH_BEFORE -> W (seconds). Accepts humantime's whole-number
# forms: "10m", "1h30m", "14m 55s", "2 hours". Anything else (empty, "1.5h",
# "500ms") means the default 10m, with a warning once.
function global:__AwsroleWindow {
    $s = $global:__AwsroleState
    $src = [string]$env:AWSROLE_REFRESH_BEFORE
    $s.WSrc = $src
    if ($src -eq '') {
        $s.W = [long]600
        return
    }
    $rest = $src
    $total = [long]0
    $ok = $true
    while ($rest -cmatch '^\s*([0-9]+)\s*([a-zA-Z]+)([\s\S]*)\z') {
        $n = $Matches[1]
        $unit = $Matches[2]
        $rest = $Matches[3]
        $mult = switch -CaseSensitive -Regex ($unit) {
            '^(s|sec|secs|second|seconds)$' { 1 }
            '^(m|min|mins|minute|minutes)$' { 60 }
            '^(h|hr|hrs|hour|hours)$' { 3600 }
            '^(d|day|days)$' { 86400 }
            '^(w|wk|wks|week|weeks)$' { 604800 }
            '^(M|month|months)$' { 2630016 }
            '^(y|year|years)$' { 31557600 }
            default { 0 }
        }
        if ($mult -eq 0 -or $n.Length -gt 9) {
            $ok = $false
            break
        }
        $total += [long]$n * $mult
    }
    if ($ok -and $rest -cnotmatch '\S' -and $src -cmatch '[0-9]') {
        $s.W = $total
    }
    else {
        $s.W = [long]600
        __AwsroleWarn "AWSROLE_REFRESH_BEFORE=$src is not a duration like 10m, 1h30m or 90s; using 10m"
    }
}

# The check run at each prompt: cheap unless the credentials are due.
function global:__AwsroleCheck {
    $p = [string]$env:AWSROLE_PROFILE
    $e = [string]$env:AWSROLE_EXPIRATION
    if ($p -eq '' -or $e -cnotmatch '^[0-9]{1,15}\z') {
        return
    }
    $s = $global:__AwsroleState
    if ([string]$env:AWSROLE_REFRESH_BEFORE -cne $s.WSrc) {
        __AwsroleWindow
    }
    $now = __AwsroleNow
    if ($now + $s.W -gt [long]$e) {
        __AwsroleRefresh $now
    }
}

# Due: refresh unless backing off. Never throws, never prompts unless
# $Env:AWSROLE_HOOK_MFA is 'prompt'.
function global:__AwsroleRefresh([long]$Now) {
    $ErrorActionPreference = 'Continue'
    $s = $global:__AwsroleState
    $p = [string]$env:AWSROLE_PROFILE
    $e = [long]$env:AWSROLE_EXPIRATION
    $key = "$p $($env:AWSROLE_EXPIRATION)"
    if ($key -cne $s.Key) {
        $s.Key = $key
        $s.Next = [long]0
        $s.Fails = 0
        $s.Mode = ''
    }
    if ($Now -lt $s.Next) {
        return
    }
    if ($s.Mode -eq 'capped') {
        # Only credentials that outlive the current ones are worth taking.
        $min = [Math]::Max([long]0, $e - $Now) + 1
    }
    else {
        # One second more than the window: whatever the cache returns is
        # then not due again at the next prompt (whole-second clocks).
        $min = $s.W + 1
    }
    # Interrupted (Ctrl-C) attempts back off too.
    $s.Next = $Now + 60
    $argv = @('env', '--shell', 'powershell', '--min-ttl', "$($min)s")
    if ($env:AWSROLE_HOOK_MFA -ne 'prompt') {
        $argv += '--no-input'
    }
    $argv += @('--', $p)
    $exe = Get-Command -Name awsrole -CommandType Application -ErrorAction SilentlyContinue |
        Select-Object -First 1
    $out = $null
    if ($null -eq $exe) {
        $rc = 127
    }
    else {
        $out = & $exe.Source @argv 2>$null
        $rc = $LASTEXITCODE
    }
    $Now = __AwsroleNow
    $q = "'" + ($p -replace "'", "''") + "'"
    if ($rc -eq 0) {
        ($out -join "`n") | Invoke-Expression
        $s.Key = "$($env:AWSROLE_PROFILE) $($env:AWSROLE_EXPIRATION)"
        $s.Next = [long]0
        $s.Fails = 0
        $s.Mode = ''
        $x = [string]$env:AWSROLE_EXPIRATION
        if ($x -cmatch '^[0-9]{1,15}\z' -and $Now + $s.W -gt [long]$x) {
            # These credentials live no longer than the window: refreshing
            # at every prompt would call STS every time. Wait half of their
            # remaining life instead.
            $life = [long]$x - $Now
            $s.Mode = 'capped'
            $s.Next = $Now + [long][Math]::Max(1, [Math]::Floor($life / 2))
            if ($s.Noted -cnotcontains $p) {
                $s.Noted += $p
                __AwsroleWarn "credentials of $p last $($life)s, not more than AWSROLE_REFRESH_BEFORE ($($s.W)s): refreshing them at half their remaining life instead"
            }
        }
    }
    elseif ($rc -eq 6) {
        # Look in the cache again now and then (a code entered in another
        # terminal serves this one too), but warn once per credentials.
        if ($s.Mode -ne 'mfa') {
            $s.Mode = 'mfa'
            __AwsroleWarn "$p needs an MFA code to refresh; run: awsrole env $q | Invoke-Expression"
        }
    }
    else {
        $s.Fails += 1
        $delay = [long][Math]::Min(600, 60 * [Math]::Pow(2, [Math]::Min(10, $s.Fails - 1)))
        $s.Next = $Now + $delay
        $why = switch ($rc) {
            3 { 'configuration error' }
            4 { 'STS refused' }
            5 { 'STS unreachable' }
            127 { 'awsrole not found on PATH' }
            default { "exit status $rc" }
        }
        __AwsroleWarn "could not refresh $p ($why); keeping the current credentials, next try in $($delay)s (details: awsrole env $q)"
    }
}

# Install once: wrap the prompt function that exists now. The wrapper runs
# the check, puts $? and $LASTEXITCODE back as they were, then runs the
# original prompt, whose output is the prompt.
if ((Get-Item Function:prompt -ErrorAction SilentlyContinue).ScriptBlock -notmatch '__AwsroleCheck') {
    $global:__AwsroleUserPrompt = (Get-Item Function:prompt -ErrorAction SilentlyContinue).ScriptBlock
    if ($null -eq $global:__AwsroleUserPrompt) {
        $global:__AwsroleUserPrompt = { "PS $($executionContext.SessionState.Path.CurrentLocation)$('>' * ($nestedPromptLevel + 1)) " }
    }
    function global:prompt {
        $__awsroleOk = $?
        $__awsroleHad = Test-Path Variable:global:LASTEXITCODE
        $__awsroleCode = if ($__awsroleHad) { $global:LASTEXITCODE } else { $null }
        try {
            __AwsroleCheck
        }
        catch {
            # The prompt never breaks.
        }
        if ($__awsroleHad) {
            $global:LASTEXITCODE = $__awsroleCode
        }
        else {
            Remove-Variable -Name LASTEXITCODE -Scope Global -ErrorAction Ignore
        }
        if (-not $__awsroleOk) {
            # Sets $? to False for the original prompt; Ignore writes nothing.
            Write-Error -Message 'awsrole: restoring $?' -ErrorAction Ignore
        }
        & $global:__AwsroleUserPrompt
    }
}
