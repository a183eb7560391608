# awsrole prompt hook for elvish. Install (rc.elv):
#   eval (awsrole hook elvish | slurp)
# Before each prompt (edit:before-readline) and each command (edit:after-readline): once the clock reaches
# $E:AWSROLE_NEXT (set by `awsrole env`), run `awsrole env --hook` and evaluate what it prints (new credentials,
# or when to try again); awsrole decides everything else. Otherwise one comparison, no process.
# Documentation: docs/hooks.md.

use math
use re
use str

# Clock: elvish 0.19 has none. /proc/uptime (boot time, suspend included) is read by a redirection, no process;
# the wall clock is that plus an offset read from date(1) when the hook loads and after each refresh. Without
# /proc/uptime (macOS), or with _AWSROLE_HOOK_CLOCK=date (tests), each check runs date +%s.
var -awsrole-off = $nil
fn -awsrole-up { put (num (str:split ' ' (slurp < /proc/uptime) | take 1)) }
fn -awsrole-sync {
  set -awsrole-off = $nil
  if (not-eq $E:_AWSROLE_HOOK_CLOCK date) {
    try { var up = (-awsrole-up); set -awsrole-off = (- (num (e:date +%s.%N)) $up) } catch { }
  }
}
fn -awsrole-now {
  if (eq $-awsrole-off $nil) { put (num (e:date +%s)) } else { put (math:floor (+ $-awsrole-off (-awsrole-up))) }
}
-awsrole-sync

fn -awsrole-check {
  if (re:match '^[0-9]{1,15}$' $E:AWSROLE_NEXT) {
    if (< (-awsrole-now) (num $E:AWSROLE_NEXT)) { return }
  }
  if (or (eq $E:AWSROLE_PROFILE '') (not (re:match '^[0-9]{1,15}$' $E:AWSROLE_EXPIRATION))) { return }
  # Due. AWSROLE_NEXT a minute ahead first, for an awsrole that is interrupted (Ctrl-C) or missing.
  set-env AWSROLE_NEXT (to-string (exact-num (+ (-awsrole-now) 60)))
  var out = ''
  if ?(set out = (e:awsrole env --shell elvish --hook -- $E:AWSROLE_PROFILE | slurp)) { eval $out }
  -awsrole-sync
}

set edit:before-readline = [$@edit:before-readline {|| try { -awsrole-check } catch { } }]
set edit:after-readline = [$@edit:after-readline {|_| try { -awsrole-check } catch { } }]
