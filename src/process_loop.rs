//! `credential_process = awsrole credential-process X` loops: a profile whose
//! credentials come from awsrole itself must not lead back to itself, or
//! awsrole would start awsrole forever. Checked before anything runs.

use std::collections::HashSet;

use crate::chain::{self, Base, Chain};
use crate::error::{Error, Status};
use crate::files::Locations;
use crate::profile_file::ProfileSet;

/// If `command` (a `credential_process` value) runs awsrole's own
/// `credential-process`, the profile it names.
///
/// Recognised: a first word whose file name is `awsrole` (or the name this
/// binary runs under), then `credential-process`, then the profile (options
/// such as `--min-ttl 20m` may come before it). Anything else, e.g. a wrapper
/// script, is not recognised here; the run-time guard of `credential-process`
/// catches those loops.
pub fn awsrole_process_target(command: &str) -> Option<String> {
    let words = split_words(command)?;
    let program = words.first()?;
    let file_name = program.rsplit(['/', '\\']).next().unwrap_or(program);
    let file_name = file_name.strip_suffix(".exe").unwrap_or(file_name);
    let me = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string));
    if file_name != "awsrole" && Some(file_name) != me.as_deref() {
        return None;
    }
    let mut rest = words[1..].iter();
    if rest.next().map(String::as_str) != Some("credential-process") {
        return None;
    }
    while let Some(w) = rest.next() {
        match w.as_str() {
            "--" => return rest.next().cloned(),
            "--min-ttl" => {
                rest.next();
            }
            w if w.starts_with('-') => {}
            w => return Some(w.to_string()),
        }
    }
    None
}

/// Split a command line as botocore does (POSIX shell words: quotes and
/// backslashes, no expansions). `None` for an unterminated quote.
fn split_words(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => cur.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => cur.push(c),
                            '\n' => {}
                            c => {
                                cur.push('\\');
                                cur.push(c);
                            }
                        },
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') | None => {}
                    Some(c) => cur.push(c),
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Some(words)
}

/// Refuse a chain whose base is `credential_process = awsrole
/// credential-process X` when resolving X leads back here: that would start
/// awsrole after awsrole, forever. `locations` words the file:line.
pub fn check(set: &ProfileSet, locations: &Locations, chain: &Chain) -> Result<(), Error> {
    let mut visited: HashSet<String> = chain.profiles().into_iter().map(str::to_string).collect();
    let mut steps: Vec<String> = Vec::new();
    let mut base = chain.base.clone();
    // Each round adds at least one new profile to `visited`, or stops.
    for _ in 0..=set.profiles.len() {
        let Base::Process { profile, command } = &base else {
            return Ok(());
        };
        let Some(target) = awsrole_process_target(command) else {
            return Ok(());
        };
        steps.push(format!(
            "`{profile}` runs `awsrole credential-process {target}`"
        ));
        if visited.contains(&target) {
            let at = set.profiles[profile.as_str()]
                .prop("credential_process")
                .map(|p| format!("{}: ", locations.file_line(p.at)))
                .unwrap_or_default();
            return Err(Error::new(
                Status::Config,
                format!(
                    "{at}profile `{profile}` gets its credentials from `credential_process = {command}`, but resolving `{target}` leads back to it ({}), so awsrole would start itself forever; `credential_process = awsrole credential-process NAME` belongs in a profile that NAME does not depend on: give `{profile}` its own credentials (keys, or role_arn with source_profile) or point the credential_process at another profile",
                    steps.join(", ")
                ),
            ));
        }
        let Ok(next) = chain::build(set, &target) else {
            // Its own error shows when that process runs.
            return Ok(());
        };
        visited.extend(next.profiles().into_iter().map(str::to_string));
        base = next.base;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile_file::parse_config;
    use std::path::PathBuf;

    #[test]
    fn splits_like_a_posix_shell() {
        let w = |s: &str| split_words(s);
        assert_eq!(
            w(r#"  a 'b c'  "d \"e\" \$f \x" g\ h "#).unwrap(),
            vec!["a", "b c", r#"d "e" $f \x"#, "g h"]
        );
        assert_eq!(w("''").unwrap(), vec![""]);
        assert_eq!(w("").unwrap(), Vec::<String>::new());
        assert_eq!(w("'open"), None);
        assert_eq!(w("\"open"), None);
    }

    #[test]
    fn recognises_awsrole_credential_process_commands() {
        let t = |s: &str| awsrole_process_target(s);
        assert_eq!(t("awsrole credential-process x").as_deref(), Some("x"));
        assert_eq!(
            t("'/opt/my tools/awsrole' credential-process --min-ttl 20m -- prod").as_deref(),
            Some("prod")
        );
        assert_eq!(
            t("/usr/bin/awsrole credential-process --no-input --min-ttl=5m p").as_deref(),
            Some("p")
        );
        assert_eq!(t("awsrole.exe credential-process p").as_deref(), Some("p"));
        assert_eq!(t("awsrole env p"), None);
        assert_eq!(t("awsrole credential-process"), None);
        assert_eq!(t("aws-vault export --format=json p"), None);
        assert_eq!(t("/bin/awsrolex credential-process p"), None);
    }

    fn loop_check(text: &str, name: &str) -> Result<(), Error> {
        let locations = Locations {
            home: None,
            config: PathBuf::from("/cfg"),
            credentials: PathBuf::from("/creds"),
        };
        let set = parse_config(text).unwrap();
        let chain = chain::build(&set, name).unwrap();
        check(&set, &locations, &chain)
    }

    #[test]
    fn a_profile_naming_itself_in_credential_process_is_refused() {
        let e = loop_check(
            "[profile x]\ncredential_process = awsrole credential-process x\n",
            "x",
        )
        .unwrap_err();
        assert_eq!(e.status, Status::Config);
        assert!(e.message.starts_with("/cfg:2: profile `x`"), "{e}");
        assert!(e.message.contains("leads back"), "{e}");
    }

    #[test]
    fn loops_through_source_profiles_and_other_processes_are_refused() {
        // y assumes a role from x, whose process asks awsrole for y.
        let two = "[profile x]\ncredential_process = awsrole credential-process y\n\
                   [profile y]\nrole_arn = arn:aws:iam::1:role/y\nsource_profile = x\n";
        assert!(loop_check(two, "y").is_err());
        assert!(loop_check(two, "x").is_err());
        // a -> process(b) -> b's source -> process(a)
        let three = "[profile a]\ncredential_process = awsrole credential-process b\n\
                     [profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n\
                     [profile c]\ncredential_process = awsrole credential-process a\n";
        let e = loop_check(three, "a").unwrap_err();
        assert!(
            e.message
                .contains("`a` runs `awsrole credential-process b`"),
            "{e}"
        );
    }

    #[test]
    fn a_process_for_another_profile_is_fine() {
        let ok = "[profile base]\naws_access_key_id = A\naws_secret_access_key = B\n\
                  [profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n\
                  [profile via]\ncredential_process = awsrole credential-process r\n\
                  [profile chained]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = via\n\
                  [profile other]\ncredential_process = /bin/echo {}\n";
        for name in ["via", "chained", "other", "r"] {
            loop_check(ok, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
