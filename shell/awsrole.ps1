# awsrole prompt hook for PowerShell (5.1, 7). Put at the END of $PROFILE (after anything that defines prompt):
#     awsrole hook powershell | Out-String | Invoke-Expression
# At each prompt and, with PSReadLine, after Enter before the command runs: once the clock reaches
# $Env:AWSROLE_NEXT (set by `awsrole env`), run `awsrole env --hook` and evaluate what it prints (new
# credentials, or when to try again); awsrole decides everything else. Otherwise one integer comparison, no
# process. Your prompt function keeps running and sees the same $? and $LASTEXITCODE. Documentation: docs/hooks.md.

function global:__AwsroleCheck {
    $n = [string]$env:AWSROLE_NEXT
    if ($n -cmatch '^[0-9]{1,15}\z' -and [DateTimeOffset]::UtcNow.ToUnixTimeSeconds() -lt [long]$n) { return }
    if ([string]$env:AWSROLE_PROFILE -eq '' -or [string]$env:AWSROLE_EXPIRATION -cnotmatch '^[0-9]{1,15}\z') { return }
    # Due. AWSROLE_NEXT a minute ahead first, for an awsrole that is interrupted (Ctrl-C) or missing.
    $env:AWSROLE_NEXT = [string]([DateTimeOffset]::UtcNow.ToUnixTimeSeconds() + 60)
    $exe = Get-Command -Name awsrole -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($null -eq $exe) { return }
    $p = [string]$env:AWSROLE_PROFILE
    $argv = @('env', '--shell', 'powershell', '--hook', '--', $p)
    $out = & $exe.Source @argv
    if ($LASTEXITCODE -eq 0) { ($out -join "`n") | Invoke-Expression }
}

# The check, never throwing, with $LASTEXITCODE as it was.
function global:__AwsroleSafe {
    $had = Test-Path Variable:global:LASTEXITCODE
    $code = if ($had) { $global:LASTEXITCODE } else { $null }
    try { __AwsroleCheck } catch { }
    if ($had) { $global:LASTEXITCODE = $code } else { Remove-Variable -Name LASTEXITCODE -Scope Global -ErrorAction Ignore }
}

# Before the command: PSReadLine calls its AddToHistoryHandler when Enter accepts a line, before the line runs.
# The handler that was there (PSReadLine's own by default) still decides what goes to history.
if ((Get-Module PSReadLine) -and -not (Test-Path Variable:global:__AwsroleHistory)) {
    $global:__AwsroleHistory = (Get-PSReadLineOption).AddToHistoryHandler
    Set-PSReadLineOption -AddToHistoryHandler {
        param([string]$line)
        __AwsroleSafe
        if ($null -eq $global:__AwsroleHistory) { return $true }
        return $global:__AwsroleHistory.Invoke($line)
    }
}

# At each prompt: wrap the prompt function that exists now; put $? back for it.
if ((Get-Item Function:prompt -ErrorAction SilentlyContinue).ScriptBlock -notmatch '__AwsroleSafe') {
    $global:__AwsroleUserPrompt = (Get-Item Function:prompt -ErrorAction SilentlyContinue).ScriptBlock
    if ($null -eq $global:__AwsroleUserPrompt) {
        $global:__AwsroleUserPrompt = { "PS $($executionContext.SessionState.Path.CurrentLocation)$('>' * ($nestedPromptLevel + 1)) " }
    }
    function global:prompt {
        $ok = $?
        __AwsroleSafe
        # Sets $? to False for the original prompt; Ignore writes nothing.
        if (-not $ok) { Write-Error -Message 'awsrole: restoring $?' -ErrorAction Ignore }
        & $global:__AwsroleUserPrompt
    }
}
