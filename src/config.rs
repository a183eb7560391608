//! The config and credentials files as every command sees them: located,
//! parsed, and worded in errors (file:line, nearest profile names). Also the
//! profile name and the STS region, which come from the same settings.

use std::path::PathBuf;

use crate::Getenv;
use crate::chain::{self, Chain, ChainError};
use crate::error::{Error, Status};
use crate::files::{self, Locations};
use crate::process_loop;
use crate::profile_file::{self, Location, ProfileSet, Section};

/// Region for STS when neither the profile nor the environment names one.
pub const FALLBACK_REGION: &str = "us-east-1";

/// The config and credentials files, located and parsed.
pub struct Config {
    pub locations: Locations,
    pub set: ProfileSet,
}

impl Config {
    pub fn load(getenv: Getenv) -> Result<Config, Error> {
        let locations = files::locate(getenv, files::current_platform());
        let set = files::load(&locations).map_err(|e| Error::new(Status::Config, e.to_string()))?;
        Ok(Config { locations, set })
    }

    /// Like [`Config::load`] for profile `name` only, and its chain, built
    /// once: both files are read and checked in full (same errors), but
    /// only the profiles the chain reads are built (`name`, its
    /// `source_profile`s, the profiles `credential_process = awsrole
    /// credential-process X` names, and so on), plus every `sso-session` and
    /// `services` section. When the chain does not build on that subset,
    /// every profile is built and the chain is built again on them, so that
    /// errors (nearest names) and fallbacks see the whole files.
    pub fn load_for(
        getenv: Getenv,
        name: &str,
    ) -> Result<(Config, Result<Chain, ChainError>), Error> {
        let locations = files::locate(getenv, files::current_platform());
        let (config, credentials) = files::load_indexed(&locations)
            .map_err(|e| Error::new(Status::Config, e.to_string()))?;
        // Each profile taken costs a scan of the files' sections: stop well
        // past any chain that can build (the full build below then gives
        // the error), so that a pathological chain stays fast.
        let taken = std::cell::Cell::new(0usize);
        let bounded = |section: &Section| {
            taken.set(taken.get() + 1);
            if taken.get() > 4 * (chain::MAX_HOPS + 1) {
                Vec::new()
            } else {
                depends_on(section)
            }
        };
        let set = profile_file::select(&config, &credentials, name, &bounded);
        let (set, chain) = match chain::build(&set, name) {
            Ok(chain) => (set, Ok(chain)),
            Err(_) => {
                let all = ProfileSet::merge(config.to_set(), credentials.to_set());
                let chain = chain::build(&all, name);
                (all, chain)
            }
        };
        Ok((Config { locations, set }, chain))
    }

    /// The profile's chain, or a config error naming file, line and fix.
    pub fn chain(&self, name: &str) -> Result<Chain, Error> {
        chain::build(&self.set, name).map_err(|e| self.chain_error(e))
    }

    /// A chain error with file:line, and the nearest names for an unknown
    /// profile.
    pub fn chain_error(&self, e: ChainError) -> Error {
        chain_error(e, &self.set, &self.locations)
    }

    /// `~/.aws/cli/cache`, when there is a home directory.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        cache_dir(&self.locations)
    }

    /// `file:line` of a place in one of the two files.
    pub fn file_line(&self, at: Location) -> String {
        self.locations.file_line(at)
    }

    /// `key` of `profile`, with where it is written, when it is set.
    pub fn setting(&self, profile: &str, key: &str) -> Option<ProfileSetting> {
        let prop = self.set.profiles.get(profile)?.prop(key)?;
        Some(ProfileSetting {
            value: prop.value.clone(),
            origin: format!(
                "{key} of profile `{profile}` at {}",
                self.file_line(prop.at)
            ),
        })
    }

    /// `file:line: ` of `key` in `profile` (of the section when the key is
    /// not there), or nothing: the start of a message about that setting.
    pub fn key_prefix(&self, profile: &str, key: &str) -> String {
        let Some(section) = self.set.profiles.get(profile) else {
            return String::new();
        };
        match section.prop(key).map(|p| p.at).or(section.at) {
            Some(at) => format!("{}: ", self.file_line(at)),
            None => String::new(),
        }
    }
}

/// A profile's setting, with where it is written (for messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileSetting {
    pub value: String,
    /// e.g. "ca_bundle of profile `dev` at /home/me/.aws/config:12".
    pub origin: String,
}

/// `<home>/.aws/cli/cache`, the AWS CLI's credential cache.
pub fn cache_dir(locations: &Locations) -> Option<PathBuf> {
    locations
        .home
        .as_ref()
        .map(|home| home.join(".aws").join("cli").join("cache"))
}

/// PROFILE, then AWS_PROFILE, then AWS_DEFAULT_PROFILE, then `default`.
pub fn profile_name(arg: Option<&str>, getenv: Getenv) -> String {
    if let Some(p) = arg {
        return p.to_string();
    }
    let profile = getenv("AWS_PROFILE").filter(|p| !p.is_empty());
    let legacy = getenv("AWS_DEFAULT_PROFILE").filter(|p| !p.is_empty());
    if let (Some(p), Some(l)) = (&profile, &legacy)
        && p != l
    {
        eprintln!(
            "awsrole: warning: AWS_PROFILE={p} and AWS_DEFAULT_PROFILE={l} differ; using {p} (the AWS CLI v1 would use {l})"
        );
    }
    profile.or(legacy).unwrap_or_else(|| "default".to_string())
}

/// The region STS is called in: the profile's, else AWS_REGION, else
/// AWS_DEFAULT_REGION, else [`FALLBACK_REGION`].
pub fn sts_region(profile_region: Option<&str>, getenv: Getenv) -> String {
    profile_region
        .map(str::to_string)
        .or_else(|| getenv("AWS_REGION").filter(|r| !r.is_empty()))
        .or_else(|| getenv("AWS_DEFAULT_REGION").filter(|r| !r.is_empty()))
        .unwrap_or_else(|| FALLBACK_REGION.to_string())
}

/// The profile's section, or an empty one (for endpoint and region lookups
/// of a profile that is no longer in the files).
pub fn section_or_empty<'a>(set: &'a ProfileSet, name: &str, empty: &'a Section) -> &'a Section {
    set.profiles.get(name).unwrap_or(empty)
}

/// The other profiles resolving a profile may read: its `source_profile`
/// and the target of `credential_process = awsrole credential-process X`
/// (followed by [`process_loop::check`]). Used by [`Config::load_for`].
fn depends_on(section: &Section) -> Vec<String> {
    let mut out: Vec<String> = section
        .get("source_profile")
        .map(str::to_string)
        .into_iter()
        .collect();
    out.extend(
        section
            .get("credential_process")
            .and_then(process_loop::awsrole_process_target),
    );
    out
}

/// A chain error with file:line, and the nearest names for an unknown profile.
pub fn chain_error(e: ChainError, set: &ProfileSet, locations: &Locations) -> Error {
    let mut message = String::new();
    if let Some(at) = e.at {
        message.push_str(&locations.file_line(at));
        message.push_str(": ");
    }
    message.push_str(&e.message);
    if e.kind == chain::ErrorKind::UnknownProfile {
        let near = nearest_names(&e.profile, set.profiles.keys().map(String::as_str));
        if !near.is_empty() {
            message.push_str(&format!("; did you mean {}?", near.join(", ")));
        } else if !set.profiles.is_empty() {
            message.push_str(&format!(
                " in {} or {}",
                locations.config.display(),
                locations.credentials.display()
            ));
        } else {
            message.push_str(&format!(
                " (looked in {} and {})",
                locations.config.display(),
                locations.credentials.display()
            ));
        }
    }
    Error::new(Status::Config, message)
}

/// Up to three profile names close to `wanted` (edit distance, or prefix).
fn nearest_names<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let limit = (wanted.chars().count() / 4).max(2);
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|n| {
            let d = edit_distance(&wanted.to_lowercase(), &n.to_lowercase());
            let close = d <= limit || n.starts_with(wanted) || wanted.starts_with(n);
            close.then_some((d, n))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let names = ["marketingadmin", "marketing-ro", "prod", "default"];
        assert_eq!(
            nearest_names("marketingadmn", names.into_iter()),
            vec!["marketingadmin"]
        );
        assert_eq!(nearest_names("prd", names.into_iter()), vec!["prod"]);
        assert!(nearest_names("zzzzzzzz", names.into_iter()).is_empty());
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
