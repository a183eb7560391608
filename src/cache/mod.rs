//! The AWS CLI's credential cache (`~/.aws/cli/cache/<sha1>.json`): same file
//! names, same JSON, atomic writes and a per-key lock so that concurrent
//! refreshes make one STS call ([`single_flight`]).

mod lifetime;
mod lock;
mod single_flight;
mod trust;

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use sha1::{Digest, Sha1};

use crate::chain::RoleHop;
use crate::creds::Credentials;
use crate::platform;
use crate::pyjson::{Py, dumps};
use crate::timefmt::{format_utc, parse_expiration};

pub use lifetime::{DEFAULT_SESSION, Lifetime};
pub use lock::{KeyLock, LockError, lock_holder};
pub use single_flight::{Entry, Kind, Miss, lock_timeout, lookup, refresh, single_flight};
#[cfg(unix)]
pub use trust::geteuid;
use trust::{Untrusted, open_own_file};

/// How long to wait for another process refreshing the same entry (it may
/// be waiting for someone to type an MFA code).
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// The AWS CLI's cache key for an AssumeRole call: SHA-1 of the sorted
/// arguments, without TokenCode and without a generated session name.
pub fn assume_role_key(hop: &RoleHop) -> String {
    // Python's sort_keys order, written out by hand.
    let mut args: Vec<(&str, Py)> = Vec::with_capacity(5);
    if let Some(d) = hop.duration_seconds {
        args.push(("DurationSeconds", Py::Int(d)));
    }
    if let Some(v) = &hop.external_id {
        args.push(("ExternalId", Py::Str(v)));
    }
    args.push(("RoleArn", Py::Str(&hop.role_arn)));
    if let Some(v) = &hop.role_session_name {
        args.push(("RoleSessionName", Py::Str(v)));
    }
    if let Some(v) = &hop.mfa_serial {
        args.push(("SerialNumber", Py::Str(v)));
    }
    sha1_hex(&dumps(&Py::Obj(args)))
}

pub fn sha1_hex(text: &str) -> String {
    let digest = Sha1::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What STS returned for one call (AssumeRole, AssumeRoleWithWebIdentity,
/// GetSessionToken): what a cache file holds.
#[derive(Clone, Debug)]
pub struct RoleCredentials {
    pub credentials: Credentials,
    pub assumed_role_id: Option<String>,
    pub arn: Option<String>,
}

impl RoleCredentials {
    /// The cache file body, as AWS CLI v1 writes it: one line of
    /// `json.dumps` output, no trailing newline.
    pub fn to_cache_json(&self) -> String {
        let c = &self.credentials;
        let expiration = c.expiration.map(format_utc).unwrap_or_default();
        let account = self.arn.as_deref().and_then(account_of);
        let mut creds = vec![
            ("AccessKeyId", Py::Str(&c.access_key_id)),
            ("SecretAccessKey", Py::Str(&c.secret_access_key)),
            (
                "SessionToken",
                Py::Str(c.session_token.as_deref().unwrap_or("")),
            ),
            ("Expiration", Py::Str(&expiration)),
        ];
        if let Some(a) = account {
            creds.push(("AccountId", Py::Str(a)));
        }
        let mut top = vec![("Credentials", Py::Obj(creds))];
        if let (Some(id), Some(arn)) = (&self.assumed_role_id, &self.arn) {
            top.push((
                "AssumedRoleUser",
                Py::Obj(vec![("AssumedRoleId", Py::Str(id)), ("Arn", Py::Str(arn))]),
            ));
        }
        dumps(&Py::Obj(top))
    }
}

/// `arn:aws:sts::123456789012:assumed-role/...` -> `123456789012`.
fn account_of(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (!account.is_empty() && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// Parse a cache file body. Anything unusable (torn write, foreign format,
/// missing fields, unparsable time) is `None`: a miss, never an error.
pub fn parse_entry(body: &[u8]) -> Option<Credentials> {
    parse_with_role(body).map(|(c, _)| c)
}

/// The credentials and the entry's `AssumedRoleUser.Arn`, when it has one.
fn parse_with_role(body: &[u8]) -> Option<(Credentials, Option<String>)> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let c = v.get("Credentials")?;
    let field = |k: &str| c.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let arn = v
        .get("AssumedRoleUser")
        .and_then(|u| u.get("Arn"))
        .and_then(|a| a.as_str())
        .map(str::to_string);
    let creds = Credentials {
        access_key_id: field("AccessKeyId").filter(|s| !s.is_empty())?,
        secret_access_key: field("SecretAccessKey").filter(|s| !s.is_empty())?,
        session_token: field("SessionToken").filter(|s| !s.is_empty()),
        expiration: Some(parse_expiration(&field("Expiration")?)?),
    };
    Some((creds, arn))
}

/// Does `assumed` (`arn:P:sts::ACCOUNT:assumed-role/NAME/SESSION`) name the
/// role `role_arn` (`arn:P:iam::ACCOUNT:role/PATH/NAME`)? Partition, account
/// and role name must match (an assumed-role ARN carries no path). A role
/// ARN of another shape cannot be judged and is not refused here.
pub fn same_role(role_arn: &str, assumed: &str) -> bool {
    let Some((partition, account, resource)) = arn_parts(role_arn, "iam") else {
        return true;
    };
    let Some(name) = resource
        .strip_prefix("role/")
        .and_then(|r| r.rsplit('/').next())
    else {
        return true;
    };
    let Some((p, a, res)) = arn_parts(assumed, "sts") else {
        return false;
    };
    let got = res
        .strip_prefix("assumed-role/")
        .and_then(|r| r.split_once('/'))
        .map(|(n, _)| n);
    p == partition && a == account && got == Some(name)
}

/// `(partition, account, resource)` of `arn:P:SERVICE::ACCOUNT:RESOURCE`.
fn arn_parts<'a>(arn: &'a str, service: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let mut it = arn.splitn(6, ':');
    let (arn_word, p, s, region, account, resource) = (
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    );
    (arn_word == "arn" && s == service && region.is_empty() && !account.is_empty())
        .then_some((p, account, resource))
}

/// True when `creds` stay valid for more than `min_ttl` after `now`.
pub fn is_fresh(creds: &Credentials, now: SystemTime, min_ttl: Duration) -> bool {
    match creds.expiration {
        Some(exp) => exp.duration_since(now).is_ok_and(|left| left > min_ttl),
        None => false,
    }
}

/// "in FILE, valid until TIME", for `--verbose`.
pub fn expiry_note(c: &Credentials, path: &Path) -> String {
    let until = c
        .expiration
        .map(format_utc)
        .unwrap_or_else(|| "no expiry".to_string());
    format!("in {}, valid until {until}", path.display())
}

/// Cache files are small; anything bigger is not ours and not the CLI's.
const MAX_ENTRY_BYTES: u64 = 1 << 20;

#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
    /// The folder check, made once (and said once) per process and folder.
    dir_ok: Arc<OnceLock<bool>>,
}

impl Cache {
    pub fn new(dir: PathBuf) -> Self {
        Cache {
            dir,
            dir_ok: Arc::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn entry_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// False (said once on stderr) when the folder is not ours alone:
    /// nothing is then read from it or written into it.
    pub fn usable(&self) -> bool {
        *self.dir_ok.get_or_init(|| match trust::check_dir(&self.dir) {
            None => true,
            Some(why) => {
                eprintln!(
                    "awsrole: warning: not using the cache folder {}: {why}; until then credentials are not cached",
                    self.dir.display()
                );
                false
            }
        })
    }

    /// Read an entry; a missing or unusable file is `None`.
    ///
    /// Only a regular file owned by the current user and writable by nobody
    /// else, in a folder that is ours alone, is trusted: a symbolic link
    /// (never followed), a FIFO or device (opened without blocking, never
    /// read), or a file of another user (whose credentials would send your
    /// API calls to their account) is reported on stderr and treated as a
    /// miss; the next refresh replaces it with a file of our own (the rename
    /// replaces the link itself, never its target).
    pub fn read(&self, key: &str) -> Option<Credentials> {
        self.read_role(key, None)
    }

    /// [`Cache::read`], and the entry must be for `role_arn` when given: an
    /// entry whose `AssumedRoleUser.Arn` names another role (moved or copied
    /// under this key) is reported and is a miss. An entry without that
    /// field (a minimal one, which the AWS CLI accepts) is used.
    pub fn read_role(&self, key: &str, role_arn: Option<&str>) -> Option<Credentials> {
        let body = self.read_body(key)?;
        let (creds, arn) = parse_with_role(&body)?;
        if let (Some(want), Some(arn)) = (role_arn, &arn)
            && !same_role(want, arn)
        {
            eprintln!(
                "awsrole: warning: ignoring cached credentials in {}: they are for {arn}, not for role {want} (the file was moved or copied there; a refresh replaces it)",
                self.entry_path(key).display()
            );
            return None;
        }
        Some(creds)
    }

    /// The raw body of an entry, with the trust rules of [`Cache::read`].
    pub fn read_body(&self, key: &str) -> Option<Vec<u8>> {
        if !self.usable() {
            return None;
        }
        let path = self.entry_path(key);
        let file = match open_own_file(&path, false) {
            Ok(f) => f,
            Err(Untrusted::Missing) => return None,
            Err(Untrusted::Refused(why)) => {
                eprintln!(
                    "awsrole: warning: ignoring cached credentials in {}: {why}; awsrole trusts only regular files owned by you and writable by you alone (a refresh replaces it)",
                    path.display()
                );
                return None;
            }
        };
        let mut body = Vec::new();
        file.take(MAX_ENTRY_BYTES).read_to_end(&mut body).ok()?;
        Some(body)
    }

    /// Modification time of an entry, to tell whether another process
    /// rewrote it while we waited for the lock.
    pub fn modified(&self, key: &str) -> Option<SystemTime> {
        fs::symlink_metadata(self.entry_path(key))
            .ok()?
            .modified()
            .ok()
    }

    /// Replace an entry atomically: temp file in the same folder (0600),
    /// write, rename. A reader sees the old file or the new one. No fsync:
    /// an entry is a copy of what STS can give again, and one lost or torn
    /// by a power cut reads as a miss, here and in the AWS CLI (which never
    /// syncs its cache). Two fsyncs per hop cost 0.7 ms on a quiet disk and
    /// up to hundreds under load, on the path between a chain's hops.
    pub fn write(&self, key: &str, body: &str) -> io::Result<()> {
        self.replace(key, body, false)
    }

    /// [`Cache::write`], made durable (file and folder synced): for what
    /// only the user can give again, the SSO token from a browser login.
    pub fn write_durable(&self, key: &str, body: &str) -> io::Result<()> {
        self.replace(key, body, true)
    }

    fn replace(&self, key: &str, body: &str, durable: bool) -> io::Result<()> {
        self.ensure_dir()?;
        if !self.usable() {
            return Err(io::Error::other(
                "the folder is not yours alone (see above)",
            ));
        }
        // One temp name per key: the key lock makes us its only writer, and a
        // crash leaves at most one stray file per key, reused next time.
        let tmp = self.dir.join(format!("{key}.json.awsrole-tmp"));
        let result = (|| {
            // A leftover (or planted) temp file is removed, never opened: a
            // symbolic link there must not make us truncate its target.
            // create_new (O_EXCL) does not follow a link either.
            match fs::remove_file(&tmp) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            let mut opts = OpenOptions::new();
            opts.write(true).create_new(true);
            let mut f = platform::private_file(&mut opts).open(&tmp)?;
            f.write_all(body.as_bytes())?;
            if durable {
                f.sync_all()?;
            }
            // Windows: retried while a scanner holds the entry open.
            platform::replace(&tmp, &self.entry_path(key))?;
            if durable {
                platform::sync_dir(&self.dir)?;
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    pub(crate) fn ensure_dir(&self) -> io::Result<()> {
        platform::create_private_dir(&self.dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(arn: &str) -> RoleHop {
        RoleHop {
            role_arn: arn.into(),
            ..Default::default()
        }
    }

    #[test]
    fn key_of_plain_role_matches_the_aws_cli() {
        assert_eq!(
            assume_role_key(&hop("arn:aws:iam::123456789012:role/marketingadminrole")),
            "8e3e980585dddb1d2841b4fab7107e2a3ec02cb0"
        );
    }

    fn sample() -> RoleCredentials {
        RoleCredentials {
            credentials: Credentials {
                access_key_id: "ASIAEXAMPLE".into(),
                secret_access_key: "sec\"ret".into(),
                session_token: Some("tok".into()),
                expiration: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_628_193_482)),
            },
            assumed_role_id: Some("AROA:s".into()),
            arn: Some("arn:aws:sts::123456789012:assumed-role/r/s".into()),
        }
    }

    #[test]
    fn cache_body_is_python_json_on_one_line() {
        assert_eq!(
            sample().to_cache_json(),
            r#"{"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "sec\"ret", "SessionToken": "tok", "Expiration": "2021-08-05T19:58:02Z", "AccountId": "123456789012"}, "AssumedRoleUser": {"AssumedRoleId": "AROA:s", "Arn": "arn:aws:sts::123456789012:assumed-role/r/s"}}"#
        );
    }

    #[test]
    fn written_entry_reads_back_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("cli/cache"));
        cache.write("k", &sample().to_cache_json()).unwrap();
        assert_eq!(cache.read("k"), Some(sample().credentials));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&cache.entry_path("k")), 0o600);
            assert_eq!(mode(cache.dir()), 0o700);
        }
        let names: Vec<_> = fs::read_dir(cache.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["k.json"], "no temp file left behind");
    }

    #[test]
    fn unusable_entries_are_misses() {
        for body in [
            &b""[..],
            b"{",
            b"null",
            b"{\"Credentials\": {}}",
            b"{\"Credentials\": {\"AccessKeyId\": \"a\", \"SecretAccessKey\": \"b\", \"SessionToken\": \"c\"}}",
            b"{\"Credentials\": {\"AccessKeyId\": \"a\", \"SecretAccessKey\": \"b\", \"Expiration\": \"soon\"}}",
            b"\xff\xfe",
        ] {
            assert_eq!(parse_entry(body), None, "{:?}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn minimal_entry_in_each_time_style_is_read() {
        for exp in [
            "2021-08-05T19:58:02Z",
            "2021-08-05T19:58:02.123456Z",
            "2021-08-05T19:58:02+00:00",
            "2021-08-05T19:58:02UTC",
        ] {
            let body = format!(
                r#"{{"Credentials": {{"AccessKeyId": "a", "SecretAccessKey": "b", "SessionToken": "c", "Expiration": "{exp}"}}}}"#
            );
            let c = parse_entry(body.as_bytes()).expect(exp);
            assert_eq!(c.expiration_unix(), Some(1_628_193_482));
        }
    }

    #[test]
    fn role_names_account_and_partition_must_match() {
        let assumed = "arn:aws:sts::123456789012:assumed-role/admin/s1";
        assert!(same_role("arn:aws:iam::123456789012:role/admin", assumed));
        assert!(same_role(
            "arn:aws:iam::123456789012:role/a/b/admin",
            assumed
        ));
        assert!(!same_role(
            "arn:aws:iam::123456789012:role/readonly",
            assumed
        ));
        assert!(!same_role("arn:aws:iam::210987654321:role/admin", assumed));
        assert!(!same_role(
            "arn:aws-cn:iam::123456789012:role/admin",
            assumed
        ));
        assert!(!same_role(
            "arn:aws:iam::123456789012:role/admin",
            "garbage"
        ));
        assert!(!same_role(
            "arn:aws:iam::123456789012:role/admin",
            "arn:aws:sts::123456789012:federated-user/admin"
        ));
        // Not a role ARN: nothing to compare with.
        assert!(same_role("not-an-arn", assumed));
    }

    #[test]
    fn an_entry_moved_under_another_roles_key_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("c"));
        cache.write("k", &sample().to_cache_json()).unwrap();
        let mine = "arn:aws:iam::123456789012:role/r";
        assert!(cache.read_role("k", Some(mine)).is_some());
        assert!(
            cache
                .read_role("k", Some("arn:aws:iam::123456789012:role/other"))
                .is_none()
        );
        // A minimal entry (no AssumedRoleUser) is used.
        let minimal = r#"{"Credentials": {"AccessKeyId": "a", "SecretAccessKey": "b", "SessionToken": "c", "Expiration": "2999-01-01T00:00:00Z"}}"#;
        cache.write("m", minimal).unwrap();
        assert!(cache.read_role("m", Some(mine)).is_some());
    }

    #[cfg(unix)]
    #[test]
    fn nothing_is_read_from_or_written_into_a_folder_others_may_write() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("c"));
        cache.write("k", &sample().to_cache_json()).unwrap();
        fs::set_permissions(cache.dir(), fs::Permissions::from_mode(0o777)).unwrap();
        let fresh = Cache::new(cache.dir().to_path_buf());
        assert_eq!(fresh.read("k"), None);
        assert!(fresh.write("k2", "{}").is_err());
        assert!(!fresh.entry_path("k2").exists());
    }

    #[test]
    fn freshness_window_is_strict() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let mut c = sample().credentials;
        c.expiration = Some(now + Duration::from_secs(901));
        assert!(is_fresh(&c, now, Duration::from_secs(900)));
        c.expiration = Some(now + Duration::from_secs(900));
        assert!(!is_fresh(&c, now, Duration::from_secs(900)));
        c.expiration = Some(now - Duration::from_secs(1));
        assert!(!is_fresh(&c, now, Duration::ZERO));
    }
}
