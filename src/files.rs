//! Where the shared config and credentials files are, and loading them.
//!
//! Location rules follow the cross-SDK suite's file-location tests (run by
//! `tests/conformance_profiles.rs`):
//! - home: `$HOME`; on Windows, if unset, `%USERPROFILE%`, then
//!   `%HOMEDRIVE%%HOMEPATH%`. Empty variables count as unset.
//! - The caches (`~/.aws/cli/cache`, `~/.aws/sso/cache`) are where the AWS
//!   CLI's Python finds `~`: the same on Unix, but on Windows
//!   `%USERPROFILE%`, then `%HOMEDRIVE%%HOMEPATH%`, never `$HOME` (Python
//!   3.8 and later), so that both tools share one cache there too.
//! - config: `$AWS_CONFIG_FILE`, else `<home>/.aws/config`;
//!   credentials: `$AWS_SHARED_CREDENTIALS_FILE`, else `<home>/.aws/credentials`.
//! - A leading `~` (alone, or followed by `/`, or `\` on Windows) in those two
//!   variables is replaced by the home directory. `~user` is not expanded.
//!
//! `locate` is pure (environment injected) so that Windows rules can be tested
//! on any host: paths are joined with the target platform's separator as text.
//! With no home directory at all, default paths stay as literal `~/.aws/...`
//! and `load` treats such unexpanded paths as missing files.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::profile_file::{FileKind, Indexed, Location, ProfileSet, parse_bytes};

/// Files larger than this are rejected instead of being parsed.
pub const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Unix,
    Windows,
}

#[derive(Clone, Debug)]
pub struct Locations {
    /// The home directory of the AWS CLI's caches (`~/.aws/cli/cache`,
    /// `~/.aws/sso/cache`), if known: on Windows not `$HOME` (see above).
    pub home: Option<PathBuf>,
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl Locations {
    /// `path:line` of a place in one of the two files, for messages.
    pub fn file_line(&self, at: Location) -> String {
        let path = match at.file {
            FileKind::Config => &self.config,
            FileKind::Credentials => &self.credentials,
        };
        format!("{}:{}", path.display(), at.line)
    }
}

/// The platform this binary was built for.
pub fn current_platform() -> Platform {
    if cfg!(windows) {
        Platform::Windows
    } else {
        Platform::Unix
    }
}

/// Resolve the home directory and the two file paths from the environment.
pub fn locate(getenv: crate::Getenv, platform: Platform) -> Locations {
    let var = |name: &str| getenv(name).filter(|v| !v.is_empty());
    let windows_home = || {
        var("USERPROFILE").or_else(|| match (var("HOMEDRIVE"), var("HOMEPATH")) {
            (Some(drive), Some(path)) => Some(format!("{drive}{path}")),
            _ => None,
        })
    };
    let home: Option<String> = var("HOME").or_else(|| match platform {
        Platform::Unix => None,
        Platform::Windows => windows_home(),
    });
    let sep = match platform {
        Platform::Unix => "/",
        Platform::Windows => "\\",
    };
    let cache_home = match platform {
        Platform::Unix => home.clone(),
        Platform::Windows => windows_home(),
    };
    let default = |file: &str| {
        let base = home.as_deref().unwrap_or("~");
        PathBuf::from(join(platform, base, &format!(".aws{sep}{file}")))
    };
    let from_env =
        |name: &str| var(name).map(|p| PathBuf::from(expand_tilde(&p, home.as_deref(), platform)));
    Locations {
        config: from_env("AWS_CONFIG_FILE").unwrap_or_else(|| default("config")),
        credentials: from_env("AWS_SHARED_CREDENTIALS_FILE")
            .unwrap_or_else(|| default("credentials")),
        home: cache_home.map(PathBuf::from),
    }
}

fn is_sep(platform: Platform, c: char) -> bool {
    c == '/' || (platform == Platform::Windows && c == '\\')
}

fn join(platform: Platform, base: &str, rest: &str) -> String {
    let sep = if platform == Platform::Windows {
        '\\'
    } else {
        '/'
    };
    if base.ends_with(|c| is_sep(platform, c)) {
        format!("{base}{rest}")
    } else {
        format!("{base}{sep}{rest}")
    }
}

fn expand_tilde(path: &str, home: Option<&str>, platform: Platform) -> String {
    let Some(home) = home else {
        return path.to_owned();
    };
    match path.strip_prefix('~') {
        Some("") => home.to_owned(),
        Some(rest) if rest.starts_with(|c| is_sep(platform, c)) => join(
            platform,
            home,
            rest.trim_start_matches(|c| is_sep(platform, c)),
        ),
        _ => path.to_owned(),
    }
}

/// An error reading or parsing one of the files.
#[derive(Clone, Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub line: Option<u32>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for LoadError {}

/// Read and parse both files and merge them; a missing file is empty.
/// Errors carry the path and, for syntax errors, the line.
pub fn load(loc: &Locations) -> Result<ProfileSet, LoadError> {
    let config = load_one(&loc.config, FileKind::Config, loc.home.is_some())?;
    let credentials = load_one(&loc.credentials, FileKind::Credentials, loc.home.is_some())?;
    Ok(ProfileSet::merge(config, credentials))
}

/// Both files read and checked in full (the errors of [`load`]), their
/// sections located but not built: `profile_file::select` then builds only
/// the profiles one resolution reads.
pub fn load_indexed(loc: &Locations) -> Result<(Indexed, Indexed), LoadError> {
    let one = |path: &Path, kind: FileKind| -> Result<Indexed, LoadError> {
        match read_one(path, loc.home.is_some())? {
            Some(bytes) => {
                let indexed = Indexed::from_bytes(kind, bytes).map_err(|e| LoadError {
                    path: path.to_owned(),
                    line: Some(e.line),
                    message: e.message,
                })?;
                // Sections botocore ignores too: said, so a typo is not silent.
                for i in indexed.ignored() {
                    eprintln!(
                        "awsrole: warning: {}:{}: section [{}] is ignored: {}",
                        path.display(),
                        i.at.line,
                        i.header,
                        i.why
                    );
                }
                Ok(indexed)
            }
            None => Ok(Indexed::empty(kind)),
        }
    };
    Ok((
        one(&loc.config, FileKind::Config)?,
        one(&loc.credentials, FileKind::Credentials)?,
    ))
}

fn load_one(path: &Path, kind: FileKind, have_home: bool) -> Result<ProfileSet, LoadError> {
    match read_one(path, have_home)? {
        Some(bytes) => parse_bytes(kind, &bytes).map_err(|e| LoadError {
            path: path.to_owned(),
            line: Some(e.line),
            message: e.message,
        }),
        None => Ok(ProfileSet::default()),
    }
}

/// The bytes of one file, `None` when it is absent.
fn read_one(path: &Path, have_home: bool) -> Result<Option<Vec<u8>>, LoadError> {
    let fail = |line: Option<u32>, message: String| LoadError {
        path: path.to_owned(),
        line,
        message,
    };
    if !have_home && path.to_str().is_some_and(|p| p.starts_with('~')) {
        // No home directory to expand `~` with: behave as if absent.
        return Ok(None);
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // Windows does not open a folder as a file: say what it is.
        Err(_) if path.is_dir() => return Err(fail(None, "is a directory, not a file".into())),
        Err(e) => return Err(fail(None, format!("cannot open: {e}"))),
    };
    let meta = file
        .metadata()
        .map_err(|e| fail(None, format!("cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(fail(None, "is a directory, not a file".into()));
    }
    let too_big = || {
        fail(
            None,
            format!(
                "file is larger than {} MiB; refusing to parse it",
                MAX_FILE_SIZE / (1024 * 1024)
            ),
        )
    };
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_big());
    }
    // Bounded read: also protects against devices/FIFOs/growing files whose
    // metadata length is 0 or wrong.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(None, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_big());
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn locate_with(pairs: &[(&str, &str)], p: Platform) -> Locations {
        let e = env(pairs);
        locate(&|k: &str| e.get(k).cloned(), p)
    }

    #[test]
    fn tilde_expansion() {
        let l = locate_with(
            &[
                ("HOME", "/home/u"),
                ("AWS_CONFIG_FILE", "~/cfg/config"),
                ("AWS_SHARED_CREDENTIALS_FILE", "~other/creds"),
            ],
            Platform::Unix,
        );
        assert_eq!(l.config, PathBuf::from("/home/u/cfg/config"));
        assert_eq!(l.credentials, PathBuf::from("~other/creds"));
        let l = locate_with(
            &[
                ("USERPROFILE", "C:\\Users\\u\\"),
                ("AWS_CONFIG_FILE", "~\\cfg"),
                ("AWS_SHARED_CREDENTIALS_FILE", "~"),
            ],
            Platform::Windows,
        );
        assert_eq!(l.config, PathBuf::from("C:\\Users\\u\\cfg"));
        assert_eq!(l.credentials, PathBuf::from("C:\\Users\\u\\"));
        assert_eq!(l.home, Some(PathBuf::from("C:\\Users\\u\\")));
        // The caches follow Python's `~` on Windows: HOME is not looked at.
        let l = locate_with(
            &[("HOME", "C:\\msys"), ("USERPROFILE", "C:\\Users\\u")],
            Platform::Windows,
        );
        assert_eq!(l.config, PathBuf::from("C:\\msys\\.aws\\config"));
        assert_eq!(l.home, Some(PathBuf::from("C:\\Users\\u")));
    }

    #[test]
    fn no_home() {
        let l = locate_with(&[("USERPROFILE", "C:\\x")], Platform::Unix);
        assert_eq!(l.home, None);
        assert_eq!(l.config, PathBuf::from("~/.aws/config"));
        // Unexpanded `~` paths load as empty.
        assert!(load(&l).unwrap().profiles.is_empty());
        let l = locate_with(&[("HOME", ""), ("HOMEDRIVE", "C:")], Platform::Windows);
        assert_eq!(l.home, None);
    }

    fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    #[test]
    fn load_merges_and_missing_is_empty() {
        let d = tempfile::tempdir().unwrap();
        let config = write(d.path(), "config", b"[profile a]\nregion = r\nk = c\n");
        let credentials = write(d.path(), "credentials", b"[a]\nk = k\n");
        let loc = Locations {
            home: Some(d.path().to_owned()),
            config: config.clone(),
            credentials: d.path().join("missing"),
        };
        let set = load(&loc).unwrap();
        assert_eq!(set.profiles["a"].get("k"), Some("c"));
        let loc = Locations { credentials, ..loc };
        let set = load(&loc).unwrap();
        assert_eq!(set.profiles["a"].get("k"), Some("k"));
        assert_eq!(set.profiles["a"].get("region"), Some("r"));
    }

    #[test]
    fn load_errors_carry_path_and_line() {
        let d = tempfile::tempdir().unwrap();
        let bad = write(d.path(), "config", b"[profile a]\n\nno equals\n");
        let loc = Locations {
            home: None,
            config: bad.clone(),
            credentials: d.path().join("nope"),
        };
        let e = load(&loc).unwrap_err();
        assert_eq!((e.path.as_path(), e.line), (bad.as_path(), Some(3)));
        assert_eq!(
            e.to_string(),
            format!(
                "{}:3: Expected an '=' sign defining a property",
                bad.display()
            )
        );

        let bin = write(d.path(), "credentials", b"[a]\nk = \x00\x01\x02");
        let loc = Locations {
            config: d.path().join("nope"),
            credentials: bin,
            ..loc
        };
        let e = load(&loc).unwrap_err();
        assert!(e.message.contains("binary"), "{e}");
        assert_eq!(e.line, Some(2));

        let latin1 = write(d.path(), "latin1", b"[a]\nk = caf\xe9\n");
        let e = load(&Locations {
            credentials: latin1,
            ..loc.clone()
        })
        .unwrap_err();
        assert!(e.message.contains("UTF-8"), "{e}");
        assert_eq!(e.line, Some(2));

        let e = load(&Locations {
            credentials: d.path().to_owned(),
            ..loc.clone()
        })
        .unwrap_err();
        assert!(e.message.contains("directory"), "{e}");
    }

    #[test]
    fn load_rejects_huge_file() {
        let d = tempfile::tempdir().unwrap();
        let big = d.path().join("config");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_FILE_SIZE + 1).unwrap(); // sparse, cheap
        let loc = Locations {
            home: None,
            config: big,
            credentials: d.path().join("nope"),
        };
        let e = load(&loc).unwrap_err();
        assert!(e.message.contains("larger than 16 MiB"), "{e}");
        assert_eq!(e.line, None);
    }

    #[cfg(unix)]
    #[test]
    fn load_bounded_on_endless_device() {
        // /dev/zero reports length 0 but never ends.
        if !Path::new("/dev/zero").exists() {
            return;
        }
        let loc = Locations {
            home: None,
            config: PathBuf::from("/dev/zero"),
            credentials: PathBuf::from("/nonexistent/awsrole/creds"),
        };
        let e = load(&loc).unwrap_err();
        assert!(e.message.contains("larger than"), "{e}");
    }
}
