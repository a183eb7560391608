//! A private HOME with `~/.aws/`, config writing, and the clean environment
//! awsrole and both AWS CLIs run with there.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use awsrole::cache::{assume_role_key, parse_entry};
use awsrole::chain::RoleHop;
use awsrole::creds::Credentials;

use super::capture;
use super::moto::moto;
use super::peers::{AWS_V2, DEAD_PROXY, awsrole_bin, test_path, venv_bin};
use super::tmux::Tmux;
use super::{Output, loud_panic, run};

/// A temporary HOME with `~/.aws/`, and commands that run with a clean env in it.
pub struct TestHome {
    dir: tempfile::TempDir,
    moto: bool,
}

/// Before the temporary HOME goes, the secrets in it are recorded for the
/// suite-wide secret scan (see `capture`).
impl Drop for TestHome {
    fn drop(&mut self) {
        capture::record_home(self.dir.path());
    }
}

impl Default for TestHome {
    fn default() -> Self {
        Self::new()
    }
}

impl TestHome {
    pub fn new() -> TestHome {
        let dir = tempfile::Builder::new()
            .prefix("awsrole-home-")
            .tempdir()
            .expect("temp HOME");
        std::fs::create_dir_all(dir.path().join(".aws")).expect("create ~/.aws");
        TestHome { dir, moto: false }
    }

    /// Builder: commands get `AWS_ENDPOINT_URL_STS=<moto endpoint>` (starts moto).
    pub fn with_moto(mut self) -> TestHome {
        moto();
        self.moto = true;
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join(".aws/config")
    }

    pub fn credentials_path(&self) -> PathBuf {
        self.path().join(".aws/credentials")
    }

    /// Writes `<home>/.aws/config`.
    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config_path(), text).expect("write ~/.aws/config");
    }

    /// Writes `<home>/.aws/credentials`.
    pub fn write_credentials(&self, text: &str) {
        std::fs::write(self.credentials_path(), text).expect("write ~/.aws/credentials");
    }

    /// `<home>/.aws/cli/cache` (may not exist yet).
    pub fn cache_dir(&self) -> PathBuf {
        self.path().join(".aws/cli/cache")
    }

    /// The AWS CLI cache entry of `hop`: `<cache_dir>/<key>.json`.
    pub fn entry_path(&self, hop: &RoleHop) -> PathBuf {
        self.cache_dir()
            .join(format!("{}.json", assume_role_key(hop)))
    }

    /// The cached credentials of `hop`; panics when the entry is missing or
    /// unusable.
    #[track_caller]
    pub fn cached(&self, hop: &RoleHop) -> Credentials {
        let file = self.entry_path(hop);
        let body = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        parse_entry(&body).unwrap_or_else(|| panic!("{}: not a usable entry", file.display()))
    }

    /// The clean environment every command here gets: PATH (the test process's),
    /// HOME, LANG=C.UTF-8, and AWS_ENDPOINT_URL_STS when `with_moto()`. No
    /// AWS_REGION, AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE.
    pub fn clean_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            (
                "PATH".to_string(),
                test_path().to_string_lossy().into_owned(),
            ),
            (
                "HOME".to_string(),
                self.path().to_string_lossy().into_owned(),
            ),
            ("LANG".to_string(), "C.UTF-8".to_string()),
        ];
        if self.moto {
            env.push(("AWS_ENDPOINT_URL_STS".to_string(), moto().endpoint()));
        }
        env
    }

    fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .envs(self.clean_env())
            .current_dir(self.path());
        cmd
    }

    /// The awsrole binary, clean env, cwd = HOME. Add args/env on the result.
    pub fn cmd(&self) -> Command {
        self.command(awsrole_bin())
    }

    /// `awsrole env ARGS --shell bash`, run to completion.
    pub fn env_bash(&self, args: &[&str]) -> Output {
        run(self.cmd().arg("env").args(args).args(["--shell", "bash"]))
    }

    /// The venv's AWS CLI v1 (honours AWS_ENDPOINT_URL_STS), same env.
    pub fn aws_v1(&self) -> Command {
        self.command(venv_bin("aws"))
    }

    /// The AWS CLI v1's `sts get-caller-identity --profile PROFILE --output json`.
    pub fn aws_v1_identity(&self, profile: &str) -> Command {
        let mut cmd = self.aws_v1();
        cmd.args([
            "sts",
            "get-caller-identity",
            "--profile",
            profile,
            "--output",
            "json",
        ]);
        cmd
    }

    /// Debian's AWS CLI v2.9 at /usr/bin/aws, same env. It ignores
    /// AWS_ENDPOINT_URL_STS, so HTTP(S)_PROXY point at a dead loopback port: a cache
    /// miss fails instead of reaching the real STS (loopback itself bypasses it, so
    /// a v2 that does honour the endpoint still reaches moto). AWS_PAGER is empty.
    pub fn aws_v2(&self) -> Command {
        if !Path::new(AWS_V2).is_file() {
            loud_panic(&[
                &format!("TEST PEER MISSING: {AWS_V2} (Debian package awscli, AWS CLI v2)"),
                "Run `scripts/test`: it installs the Debian packages the tests need.",
            ]);
        }
        let mut cmd = self.command(AWS_V2);
        for k in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
            cmd.env(k, DEAD_PROXY);
        }
        cmd.env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .env("AWS_PAGER", "");
        cmd
    }

    /// A tmux session running `command_line` (via `sh -c`) with this home's env.
    pub fn tmux(&self, command_line: &str, width: u16, height: u16) -> Tmux {
        Tmux::start(command_line, self.clean_env(), width, height)
    }
}
