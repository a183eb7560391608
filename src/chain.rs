//! Profile chain resolution: which base credentials, then which AssumeRole
//! hops. Pure: no I/O, no environment. Rules follow botocore and the
//! cross-SDK suite (docs/compatibility.md).

mod depth;
mod sso;

pub use depth::{overlong, too_long};

use crate::profile_file::{Location, ProfileSet, PyInt, Section, python_int};

/// Where the first credentials in a chain come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// `aws_access_key_id` / `aws_secret_access_key` in a profile.
    StaticKeys {
        profile: String,
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
    },
    /// `credential_source = Environment | Ec2InstanceMetadata | EcsContainer`.
    Named {
        profile: String,
        source: NamedSource,
    },
    /// `web_identity_token_file` + `role_arn` in a profile.
    WebIdentity {
        profile: String,
        role_arn: String,
        token_file: String,
        session_name: Option<String>,
    },
    /// IAM Identity Center: the profile's `sso_*` settings, with the
    /// `[sso-session]` ones merged in.
    Sso {
        profile: String,
        settings: Vec<(String, String)>,
    },
    /// `credential_process` in a source profile.
    Process { profile: String, command: String },
}

impl Base {
    /// The profile that holds the base credentials.
    pub fn profile(&self) -> &str {
        match self {
            Base::StaticKeys { profile, .. }
            | Base::Named { profile, .. }
            | Base::WebIdentity { profile, .. }
            | Base::Sso { profile, .. }
            | Base::Process { profile, .. } => profile,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedSource {
    Environment,
    Ec2InstanceMetadata,
    EcsContainer,
}

impl NamedSource {
    pub fn name(self) -> &'static str {
        match self {
            NamedSource::Environment => "Environment",
            NamedSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            NamedSource::EcsContainer => "EcsContainer",
        }
    }
}

/// One AssumeRole call, with the profile settings that shape it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleHop {
    pub profile: String,
    pub role_arn: String,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub role_session_name: Option<String>,
    /// Read as Python's `int()` reads it; a value that is not an integer is
    /// dropped (as botocore drops it), one outside 900..=43200 is an error.
    pub duration_seconds: Option<i64>,
    pub at: Option<Location>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub base: Base,
    /// In call order: `hops[0]` is signed with the base credentials.
    pub hops: Vec<RoleHop>,
}

impl Chain {
    /// Every profile the chain reads, base first, each once in a row.
    pub fn profiles(&self) -> Vec<&str> {
        let mut out = vec![self.base.profile()];
        for hop in &self.hops {
            if out.last() != Some(&hop.profile.as_str()) {
                out.push(&hop.profile);
            }
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    UnknownProfile,
    MissingSourceProfile,
    BothSources,
    NoSource,
    UnknownCredentialSource,
    Loop,
    PartialKeys,
    NoCredentials,
    InvalidWebIdentity,
    InvalidSso,
    /// A setting whose value STS would refuse (duration_seconds).
    InvalidValue,
    TooLong,
}

/// Role hops a chain may have: far above real use (each hop is an
/// AssumeRole call); botocore has no limit of its own.
pub const MAX_HOPS: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainError {
    pub kind: ErrorKind,
    /// Profile where the problem is.
    pub profile: String,
    pub at: Option<Location>,
    /// What is wrong and how to fix it (no file name: the caller adds it).
    pub message: String,
}

impl ChainError {
    fn new(kind: ErrorKind, section: Option<&Section>, profile: &str, message: String) -> Self {
        ChainError {
            kind,
            profile: profile.to_string(),
            at: section.and_then(|s| s.at),
            message,
        }
    }

    /// Point at the line of `key` rather than the section header.
    fn at_key(mut self, section: &Section, key: &str) -> Self {
        if let Some(p) = section.prop(key) {
            self.at = Some(p.at);
        }
        self
    }
}

/// Build the chain of profile `selected`.
pub fn build(set: &ProfileSet, selected: &str) -> Result<Chain, ChainError> {
    let Some(profile) = set.profiles.get(selected) else {
        let mut message = if set.profiles.is_empty() {
            format!("profile `{selected}` not found: no profiles are defined")
        } else {
            format!("profile `{selected}` not found")
        };
        message.push_str(&ignored_hint(set));
        return Err(ChainError::new(
            ErrorKind::UnknownProfile,
            None,
            selected,
            message,
        ));
    };
    // A loop, not recursion: a chain may be as long as the files are.
    let mut visited = vec![selected.to_string()];
    let mut hops = Vec::new();
    let (mut name, mut section, mut is_selected) = (selected, profile, true);
    let base = loop {
        let step = resolve_profile(set, section, name, is_selected, &visited, &mut hops)?;
        if hops.len() > MAX_HOPS {
            return Err(too_long(set, selected));
        }
        match step {
            Step::Base(base) => break base,
            Step::Source(source_name, source) => {
                visited.push(source_name.to_string());
                (name, section, is_selected) = (source_name, source, false);
            }
        }
    };
    hops.reverse();
    Ok(Chain { base, hops })
}

/// What one profile leads to: the chain's base, or its source profile.
enum Step<'s> {
    Base(Base),
    Source(&'s str, &'s Section),
}

/// Resolve one profile; role hops are pushed outermost first.
fn resolve_profile<'s>(
    set: &'s ProfileSet,
    profile: &'s Section,
    name: &str,
    selected: bool,
    visited: &[String],
    hops: &mut Vec<RoleHop>,
) -> Result<Step<'s>, ChainError> {
    // A source profile's static keys win over its own role_arn.
    if !selected && has_static_keys(profile) {
        return static_keys(profile, name).map(Step::Base);
    }
    let role_arn = profile.get("role_arn");
    if let Some(token_file) = profile.get("web_identity_token_file") {
        let Some(role_arn) = role_arn else {
            return Err(ChainError::new(
                ErrorKind::InvalidWebIdentity,
                Some(profile),
                name,
                format!(
                    "profile `{name}` sets web_identity_token_file but `role_arn` was missing: add role_arn"
                ),
            )
            .at_key(profile, "web_identity_token_file"));
        };
        return Ok(Step::Base(Base::WebIdentity {
            profile: name.to_string(),
            role_arn: role_arn.to_string(),
            token_file: token_file.to_string(),
            session_name: session_name(profile),
        }));
    }
    let Some(role_arn) = role_arn else {
        return non_role_base(set, profile, name).map(Step::Base);
    };
    hops.push(role_hop(profile, name, role_arn)?);

    let source_profile = profile.get("source_profile");
    let credential_source = profile.get("credential_source");
    match (source_profile, credential_source) {
        (Some(_), Some(_)) => Err(ChainError::new(
            ErrorKind::BothSources,
            Some(profile),
            name,
            format!(
                "profile `{name}`: the profile contained both source_profile and credential_source; keep exactly one of them"
            ),
        )
        .at_key(profile, "credential_source")),
        (None, None) => Err(ChainError::new(
            ErrorKind::NoSource,
            Some(profile),
            name,
            format!(
                "profile `{name}` has role_arn, so the profile must contain `source_profile` or `credential_source` (e.g. `source_profile = default`)"
            ),
        )
        .at_key(profile, "role_arn")),
        (None, Some(source)) => {
            let source = match source {
                "Environment" => NamedSource::Environment,
                "Ec2InstanceMetadata" => NamedSource::Ec2InstanceMetadata,
                "EcsContainer" => NamedSource::EcsContainer,
                other => {
                    return Err(ChainError::new(
                        ErrorKind::UnknownCredentialSource,
                        Some(profile),
                        name,
                        format!(
                            "profile `{name}`: credential_source `{other}` is not one of Environment, Ec2InstanceMetadata, EcsContainer (the names are case-sensitive)"
                        ),
                    )
                    .at_key(profile, "credential_source"));
                }
            };
            Ok(Step::Base(Base::Named {
                profile: name.to_string(),
                source,
            }))
        }
        (Some(source_name), None) => {
            let Some(source) = set.profiles.get(source_name) else {
                return Err(ChainError::new(
                    ErrorKind::MissingSourceProfile,
                    Some(profile),
                    name,
                    format!(
                        "could not find source profile {source_name} referenced from {name}: define [profile {source_name}] or fix source_profile{}",
                        ignored_hint(set)
                    ),
                )
                .at_key(profile, "source_profile"));
            };
            if visited.iter().any(|v| v == source_name) {
                // A profile may name itself to use its own static keys.
                if source_name == name && has_static_keys(source) {
                    return static_keys(source, source_name).map(Step::Base);
                }
                let mut path = visited.join(" -> ");
                path.push_str(" -> ");
                path.push_str(source_name);
                return Err(ChainError::new(
                    ErrorKind::Loop,
                    Some(profile),
                    name,
                    format!(
                        "the source_profile chain formed an infinite loop: {path}; point one of them at a profile with keys"
                    ),
                )
                .at_key(profile, "source_profile"));
            }
            Ok(Step::Source(source_name, source))
        }
    }
}

fn role_hop(profile: &Section, name: &str, role_arn: &str) -> Result<RoleHop, ChainError> {
    for key in [
        "role_arn",
        "source_profile",
        "external_id",
        "mfa_serial",
        "role_session_name",
        "duration_seconds",
    ] {
        single_value(profile, name, key)?;
    }
    Ok(RoleHop {
        profile: name.to_string(),
        role_arn: role_arn.to_string(),
        external_id: profile.get("external_id").map(str::to_string),
        mfa_serial: profile.get("mfa_serial").map(str::to_string),
        role_session_name: session_name(profile),
        duration_seconds: duration_seconds(profile, name)?,
        at: profile.prop("role_arn").map(|p| p.at).or(profile.at),
    })
}

/// `key =` followed by indented `name = value` lines is a block of
/// sub-properties (botocore reads a dict there and fails); these settings
/// take one value.
fn single_value(profile: &Section, name: &str, key: &str) -> Result<(), ChainError> {
    match profile.get(key) {
        Some(v) if v.starts_with('\n') => Err(ChainError::new(
            ErrorKind::InvalidValue,
            Some(profile),
            name,
            format!(
                "profile `{name}`: {key} is empty and the indented lines after it are read as its sub-properties; give {key} a value or remove the indentation of the next lines"
            ),
        )
        .at_key(profile, key)),
        _ => Ok(()),
    }
}

/// A blank `role_session_name` is no name: botocore then generates one and
/// leaves it out of the cache key.
fn session_name(profile: &Section) -> Option<String> {
    profile
        .get("role_session_name")
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// The longest role session STS grants.
const DURATION_MAX: i64 = 43200;

/// `duration_seconds` as botocore reads it (`int(value)`, so `3_600`,
/// `٣٦٠٠` and `３６００` are 3600; anything else is dropped). A value no STS
/// call can succeed with (above 43200, beyond 32 bits, zero or negative) is
/// an error here, before any call. 1..899 is sent: STS answers that itself
/// (botocore refuses it before calling; moto, used for short-lived test
/// credentials, accepts it).
fn duration_seconds(profile: &Section, name: &str) -> Result<Option<i64>, ChainError> {
    let Some(text) = profile.get("duration_seconds") else {
        return Ok(None);
    };
    match python_int(text) {
        PyInt::Invalid => Ok(None),
        PyInt::Value(v) if (1..=DURATION_MAX).contains(&v) => Ok(Some(v)),
        PyInt::Value(_) | PyInt::Huge { .. } => Err(ChainError::new(
            ErrorKind::InvalidValue,
            Some(profile),
            name,
            format!(
                "profile `{name}`: duration_seconds = {text} is outside what STS accepts (900 to 43200 seconds, at most 3600 when one role assumes another); set a value in that range or remove it"
            ),
        )
        .at_key(profile, "duration_seconds")),
    }
}

/// `; note: config file line 3: section [profile a b] is ignored: …` for
/// each header botocore and awsrole both ignore, or nothing.
fn ignored_hint(set: &ProfileSet) -> String {
    set.ignored.iter().map(|i| format!("; note: {i}")).collect()
}

/// A profile without role_arn: static keys, SSO or credential_process.
fn non_role_base(set: &ProfileSet, profile: &Section, name: &str) -> Result<Base, ChainError> {
    if has_static_keys(profile) {
        return static_keys(profile, name);
    }
    if let Some(sso) = sso::sso_settings(set, profile, name)? {
        return Ok(sso);
    }
    if let Some(command) = profile.get("credential_process") {
        return Ok(Base::Process {
            profile: name.to_string(),
            command: command.to_string(),
        });
    }
    Err(ChainError::new(
        ErrorKind::NoCredentials,
        Some(profile),
        name,
        format!(
            "profile `{name}` did not contain credential information: give it aws_access_key_id and aws_secret_access_key, or role_arn with source_profile"
        ),
    ))
}

fn has_static_keys(profile: &Section) -> bool {
    profile.get("aws_access_key_id").is_some() || profile.get("aws_secret_access_key").is_some()
}

fn static_keys(profile: &Section, name: &str) -> Result<Base, ChainError> {
    let key = profile.get("aws_access_key_id");
    let secret = profile.get("aws_secret_access_key");
    let (Some(key), Some(secret)) = (key, secret) else {
        let missing = if key.is_none() {
            "aws_access_key_id"
        } else {
            "aws_secret_access_key"
        };
        return Err(ChainError::new(
            ErrorKind::PartialKeys,
            Some(profile),
            name,
            format!(
                "profile `{name}` has partial keys: profile missing {missing}; add it or remove the other key"
            ),
        )
        .at_key(profile, "aws_access_key_id")
        .at_key(profile, "aws_secret_access_key"));
    };
    Ok(Base::StaticKeys {
        profile: name.to_string(),
        access_key_id: key.to_string(),
        secret_access_key: secret.to_string(),
        session_token: profile
            .get("aws_session_token")
            .or_else(|| profile.get("aws_security_token"))
            .map(str::to_string),
    })
}
