//! How long STS makes one request's credentials live: what a `--min-ttl`
//! is measured against. STS grants exactly the DurationSeconds it is sent
//! (or refuses the call); without one it grants its default of one hour.

use std::time::Duration;

/// STS's session length when no DurationSeconds is sent (AssumeRole,
/// AssumeRoleWithWebIdentity).
pub const DEFAULT_SESSION: Duration = Duration::from_secs(3600);

/// The DurationSeconds AssumeRole accepts (up to the role's own maximum).
const ASSUME_ROLE_RANGE: std::ops::RangeInclusive<i64> = 900..=43_200;

/// One request's session length, and how to word it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifetime {
    /// Known when the request fixes it; `None` for a duration STS itself
    /// would refuse (only stand-ins grant those).
    pub length: Option<Duration>,
    /// Where the length comes from: "duration_seconds = 3600 at FILE:LINE".
    pub origin: String,
    /// How to get longer sessions.
    pub fix: &'static str,
}

impl Lifetime {
    /// AssumeRole: `duration_seconds` (found at `at`, "FILE:LINE"), else
    /// STS's default.
    pub fn assume_role(duration_seconds: Option<i64>, at: &str) -> Lifetime {
        let fix = "raise duration_seconds (up to the role's maximum session duration; at most 1h when the source is itself a role) or ask for less";
        match duration_seconds {
            Some(d) => Lifetime {
                length: ASSUME_ROLE_RANGE
                    .contains(&d)
                    .then(|| Duration::from_secs(d.unsigned_abs())),
                origin: if at.is_empty() {
                    format!("duration_seconds = {d}")
                } else {
                    format!("duration_seconds = {d} at {at}")
                },
                fix,
            },
            None => Lifetime {
                length: Some(DEFAULT_SESSION),
                origin: "no duration_seconds is set: STS's default is 1h".to_string(),
                fix,
            },
        }
    }

    /// AssumeRoleWithWebIdentity: awsrole, like the AWS CLI, sends no
    /// DurationSeconds.
    pub fn web_identity() -> Lifetime {
        Lifetime {
            length: Some(DEFAULT_SESSION),
            origin: "STS's default for web identity: 1h".to_string(),
            fix: "ask for less",
        }
    }

    /// An MFA session (GetSessionToken) of `length`.
    pub fn mfa_session(length: Duration) -> Lifetime {
        Lifetime {
            length: Some(length),
            origin: "the MFA session length (AWSROLE_MFA_SESSION)".to_string(),
            fix: "raise AWSROLE_MFA_SESSION (up to 36h) or ask for less",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_only_for_durations_sts_accepts() {
        let l = Lifetime::assume_role(None, "");
        assert_eq!(l.length, Some(DEFAULT_SESSION));
        let l = Lifetime::assume_role(Some(7200), "/h/.aws/config:4");
        assert_eq!(l.length, Some(Duration::from_secs(7200)));
        assert_eq!(l.origin, "duration_seconds = 7200 at /h/.aws/config:4");
        assert_eq!(Lifetime::assume_role(Some(12), "").length, None);
        assert_eq!(Lifetime::assume_role(Some(43_201), "").length, None);
        assert_eq!(Lifetime::assume_role(Some(-900), "").length, None);
    }
}
