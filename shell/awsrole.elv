# awsrole prompt hook for elvish. Install (rc.elv):
#   eval (awsrole hook elvish | slurp)
#
# Before each prompt (edit:before-readline) and each command
# (edit:after-readline), when the credentials exported by `awsrole env`
# (AWSROLE_PROFILE, AWSROLE_EXPIRATION) expire within AWSROLE_REFRESH_BEFORE
# (default 10m), run `awsrole env --shell elvish` again and evaluate it.
# Elvish 0.19 has no builtin wall clock, so while AWSROLE_EXPIRATION is set
# each check starts one `date +%s`; awsrole itself runs only when a refresh
# is due. A failed refresh keeps the current variables, warns once and
# waits 5 minutes. Documentation: docs/hooks.md.

use re
use str

var -awsrole-next = (num 0)
var -awsrole-warned = ''

# AWSROLE_REFRESH_BEFORE in seconds: "600", "600s", "10m" or "1h"; anything
# else means the default 10m.
fn -awsrole-window {
  var s = ''
  if (has-env AWSROLE_REFRESH_BEFORE) { set s = (str:trim-space $E:AWSROLE_REFRESH_BEFORE) }
  if (re:match '^[0-9]{1,9}$' $s) { put (num $s); return }
  if (re:match '^[0-9]{1,9}[smh]$' $s) {
    put (* (num $s[..-1]) [&s=(num 1) &m=(num 60) &h=(num 3600)][$s[-1..]])
    return
  }
  put (num 600)
}

fn -awsrole-check {
  if (or (not (has-env AWSROLE_PROFILE)) (not (has-env AWSROLE_EXPIRATION))) { return }
  var profile = $E:AWSROLE_PROFILE
  var exp = $E:AWSROLE_EXPIRATION
  if (or (eq $profile '') (not (re:match '^[0-9]{1,15}$' $exp))) { return }
  var w = (-awsrole-window)
  var now = (num (e:date +%s))
  if (< $now (- (num $exp) $w)) { return }
  if (< $now $-awsrole-next) { return }
  set -awsrole-next = (+ $now 300)
  var out = ''
  # One second more than the window: the result is not due at the next prompt.
  var ok = ?(set out = (e:awsrole env --shell elvish --min-ttl (+ $w 1)s --no-input -- $profile 2>/dev/null | slurp))
  if $ok {
    eval $out
    # Credentials that live no longer than the window would be due again
    # at once: keep the 5-minute pause for them.
    if (and (has-env AWSROLE_EXPIRATION) (re:match '^[0-9]{1,15}$' $E:AWSROLE_EXPIRATION)) {
      if (<= $now (- (num $E:AWSROLE_EXPIRATION) $w)) { set -awsrole-next = (num 0) }
    }
  } elif (not (eq $-awsrole-warned $profile' '$exp)) {
    set -awsrole-warned = $profile' '$exp
    echo 'awsrole: could not refresh '$profile'; keeping the current credentials, retrying every 5 minutes (details: awsrole env '$profile')' >&2
  }
}

set edit:before-readline = [$@edit:before-readline {|| try { -awsrole-check } catch { } }]
set edit:after-readline = [$@edit:after-readline {|_| try { -awsrole-check } catch { } }]
