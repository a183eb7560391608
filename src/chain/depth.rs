//! Chains longer than [`MAX_HOPS`]: the error, and finding every such
//! profile at once (for `list`), without walking each chain.

use super::{ChainError, ErrorKind, MAX_HOPS, has_static_keys};
use crate::profile_file::{ProfileSet, Section};

/// The error for a chain longer than [`MAX_HOPS`], naming its first
/// profiles and pointing at the selected profile's `source_profile`.
pub fn too_long(set: &ProfileSet, selected: &str) -> ChainError {
    let mut names = vec![format!("`{selected}`")];
    let mut at = set.profiles.get(selected);
    while names.len() < 4
        && let Some(next) = at.and_then(|p| p.get("source_profile"))
    {
        names.push(format!("`{next}`"));
        at = set.profiles.get(next);
    }
    let section = set.profiles.get(selected);
    let mut e = ChainError::new(
        ErrorKind::TooLong,
        section,
        selected,
        format!(
            "the source_profile chain of `{selected}` has more than {MAX_HOPS} role hops ({} -> ...); awsrole stops at {MAX_HOPS} (far above real use: each hop is an AssumeRole call): point a profile along it at one with credentials",
            names.join(" -> ")
        ),
    );
    if let Some(section) = section {
        e = e.at_key(section, "source_profile");
    }
    e
}

/// The profiles whose chain has more than [`MAX_HOPS`] role hops, found for
/// every profile at once in time linear in the number of profiles (`list`
/// on a pathological file), with the hop rules of [`build`]; loops and
/// other errors are left to [`build`].
pub fn overlong(set: &ProfileSet) -> std::collections::HashSet<&str> {
    use std::collections::HashMap;
    fn next(p: &Section) -> Option<&str> {
        if p.get("web_identity_token_file").is_some() || p.get("role_arn").is_none() {
            return None;
        }
        p.get("source_profile")
    }
    let own_hop = |p: &Section| {
        usize::from(p.get("role_arn").is_some() && p.get("web_identity_token_file").is_none())
    };
    // Role hops of a profile's chain when it is a source (its own static
    // keys win): walked once per profile, iteratively.
    let mut depth: HashMap<&str, usize> = HashMap::new();
    for start in set.profiles.keys() {
        let mut path: Vec<&str> = Vec::new();
        let mut on_path: HashMap<&str, usize> = HashMap::new();
        let mut cur = start.as_str();
        let mut tail = loop {
            if let Some(&n) = depth.get(cur) {
                break n;
            }
            let Some(p) = set.profiles.get(cur) else {
                break 0;
            };
            if has_static_keys(p) {
                depth.insert(cur, 0);
                break 0;
            }
            if let Some(&i) = on_path.get(cur) {
                // A loop: endless, so as long as it is (build words it).
                let len = path.len() - i;
                for name in path.drain(i..) {
                    depth.insert(name, len);
                }
                break len;
            }
            on_path.insert(cur, path.len());
            path.push(cur);
            match next(p) {
                Some(n) => cur = n,
                None => break 0,
            }
        };
        while let Some(name) = path.pop() {
            tail += own_hop(&set.profiles[name]);
            depth.insert(name, tail);
        }
    }
    set.profiles
        .iter()
        .filter(|(_, p)| next(p).is_some_and(|n| 1 + depth.get(n).copied().unwrap_or(0) > MAX_HOPS))
        .map(|(name, _)| name.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{ErrorKind, build};
    use crate::profile_file::parse_config;

    fn chain_of(hops: usize, base: &str) -> String {
        let mut text = format!("[profile p0]\n{base}\n");
        for i in 1..=hops {
            text.push_str(&format!(
                "[profile p{i}]\nrole_arn = arn:aws:iam::1:role/r{i}\nsource_profile = p{}\n",
                i - 1
            ));
        }
        text
    }

    #[test]
    fn overlong_agrees_with_build() {
        for base in [
            "aws_access_key_id = a\naws_secret_access_key = b",
            "role_arn = arn:aws:iam::1:role/r0\ncredential_source = Environment",
            "credential_process = true",
        ] {
            let set = parse_config(&chain_of(MAX_HOPS + 5, base)).unwrap();
            let found = overlong(&set);
            for name in set.profiles.keys() {
                let too_long = build(&set, name).is_err_and(|e| e.kind == ErrorKind::TooLong);
                assert_eq!(found.contains(name.as_str()), too_long, "{name} ({base})");
            }
            assert!(!found.is_empty());
        }
    }

    #[test]
    fn loops_are_left_to_build_unless_longer_than_the_cap() {
        let short = "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n";
        let set = parse_config(short).unwrap();
        assert!(overlong(&set).is_empty());
        assert_eq!(build(&set, "a").unwrap_err().kind, ErrorKind::Loop);
    }
}
