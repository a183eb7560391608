//! Prompt hooks for nushell and elvish (`awsrole hook nu|elvish`): the real
//! shells in tmux against moto. Every `awsrole` they run goes through a
//! wrapper on PATH that logs its arguments, so "no awsrole at this prompt"
//! is counted, and the elvish hook's clock (/proc/uptime) is shown to
//! start no process with strace.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::peers::nu_bin;
use common::{TestHome, Tmux, arn, assume_calls, awsrole_bin, sh_quote, unique};

const WAIT: Duration = Duration::from_secs(40);
const BASE: &str =
    "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n";

#[derive(Clone, Copy)]
enum Sh {
    Nu,
    Elvish,
}

struct Session<'a> {
    home: &'a TestHome,
    sh: Sh,
    tmux: Tmux,
    seq: std::cell::Cell<u32>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl<'a> Session<'a> {
    /// The shell, installed as docs/hooks.md says, with `env` on top of the
    /// home's clean environment and the logging wrapper first on PATH.
    fn start(home: &'a TestHome, sh: Sh, extra: Vec<(String, String)>) -> Session<'a> {
        let bin = home.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let wrapper = bin.join("awsrole");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"$HOME/calls.log\"\nexec {} \"$@\"\n",
                sh_quote(&awsrole_bin().to_string_lossy())
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();

        let hook = home.cmd().args(["hook", sh.name()]).output().unwrap();
        assert!(hook.status.success());
        let line = match sh {
            Sh::Nu => {
                let dir = home.path().join(".config/nushell");
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join("awsrole-hook.nu"), &hook.stdout).unwrap();
                std::fs::write(dir.join("env.nu"), "").unwrap();
                std::fs::write(
                    dir.join("config.nu"),
                    "$env.config.show_banner = false\n$env.PROMPT_COMMAND = {|| '> ' }\n\
                     source ~/.config/nushell/awsrole-hook.nu\n",
                )
                .unwrap();
                format!(
                    "exec {} --config {} --env-config {}",
                    nu_bin().display(),
                    dir.join("config.nu").display(),
                    dir.join("env.nu").display()
                )
            }
            Sh::Elvish => {
                let dir = home.path().join(".config/elvish");
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join("rc.elv"), "eval (awsrole hook elvish | slurp)\n").unwrap();
                "exec elvish".to_string()
            }
        };
        let mut env = home.clean_env();
        for (k, v) in env.iter_mut() {
            if k == "PATH" {
                *v = format!("{}:{v}", bin.display());
            }
        }
        for (k, v) in extra {
            env.retain(|(name, _)| *name != k);
            env.push((k, v));
        }
        let tmux = Tmux::start(&line, env, 200, 50);
        let s = Session {
            home,
            sh,
            tmux,
            seq: std::cell::Cell::new(0),
        };
        s.sync();
        s
    }

    fn file(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    /// Runs a command that writes N into ~/sync and waits for it, then
    /// once more, so that the hooks of the prompt in between have run.
    fn sync(&self) {
        for _ in 0..2 {
            let n = self.seq.get() + 1;
            self.seq.set(n);
            let path = self.file("sync");
            self.tmux.send_line(&match self.sh {
                Sh::Nu => format!("'{n}' | save -f '{}'", path.display()),
                Sh::Elvish => format!("echo {n} > '{}'", path.display()),
            });
            let deadline = Instant::now() + WAIT;
            while std::fs::read_to_string(&path).unwrap_or_default().trim() != n.to_string() {
                assert!(
                    Instant::now() < deadline,
                    "{}: command {n} did not run; screen:\n{}",
                    self.sh.name(),
                    self.tmux.capture_all()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    fn cmd(&self, line: &str) {
        self.tmux.send_line(line);
        self.sync();
    }

    fn var(&self, name: &str) -> String {
        let path = self.file("var");
        self.cmd(&match self.sh {
            Sh::Nu => format!("($env.{name}? | default '') | save -f '{}'", path.display()),
            Sh::Elvish => format!("print $E:{name} > '{}'", path.display()),
        });
        std::fs::read_to_string(path).unwrap()
    }

    /// The refreshes (`awsrole env --hook`) run so far; `awsrole hook
    /// elvish` in rc.elv is not one.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.file("calls.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("--hook"))
            .map(str::to_string)
            .collect()
    }

    fn warnings(&self) -> Vec<String> {
        self.tmux
            .capture_all()
            .lines()
            .filter_map(|l| l.find("awsrole: ").map(|at| l[at..].trim_end().to_string()))
            .collect()
    }
}

impl Sh {
    fn name(self) -> &'static str {
        match self {
            Sh::Nu => "nu",
            Sh::Elvish => "elvish",
        }
    }

    fn refresh_args(self) -> &'static str {
        match self {
            Sh::Nu => "env --format json --hook -- p",
            Sh::Elvish => "env --shell elvish --hook -- p",
        }
    }
}

/// A home with role profile `p` (900 s credentials) and a shell holding
/// credentials of `p` that expired an hour ago.
fn expired(sh: Sh, extra: Vec<(String, String)>) -> (TestHome, String, Vec<(String, String)>) {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("nuelv"));
    home.write_config(&format!(
        "{BASE}[profile p]\nrole_arn = {role}\nsource_profile = base\nduration_seconds = 900\n"
    ));
    let mut env: Vec<(String, String)> = [
        ("AWSROLE_PROFILE", "p".to_string()),
        ("AWSROLE_EXPIRATION", (now() - 3600).to_string()),
        ("AWS_ACCESS_KEY_ID", "AKIDOLDOLDOLD".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "old-secret".to_string()),
        ("AWS_SESSION_TOKEN", "old-token".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    env.extend(extra);
    let _ = sh;
    (home, role, env)
}

/// Due at the first prompt: one AssumeRole, the new keys in the shell's
/// environment; then fresh prompts start no awsrole at all.
fn refreshes_when_due(sh: Sh) {
    let (home, role, env) = expired(sh, vec![]);
    let s = Session::start(&home, sh, env);
    let key = s.var("AWS_ACCESS_KEY_ID");
    assert!(key.starts_with("ASIA"), "{key}\n{}", s.tmux.capture_all());
    assert_eq!(assume_calls(&role), 1);
    assert_eq!(s.calls(), [sh.refresh_args()]);
    assert_ne!(s.var("AWS_SESSION_TOKEN"), "old-token");
    let exp: u64 = s.var("AWSROLE_EXPIRATION").parse().unwrap();
    assert!(exp > now() + 800, "{exp}");

    for _ in 0..3 {
        s.cmd("ls");
    }
    assert_eq!(s.calls().len(), 1, "fresh prompts start no awsrole");
    assert_eq!(assume_calls(&role), 1);
    assert_eq!(s.warnings(), Vec::<String>::new());
}

/// STS unreachable: the shell stays usable with the old variables, warns
/// once and does not retry at every prompt.
fn failure_keeps_the_old_variables(sh: Sh) {
    let (home, role, env) = expired(
        sh,
        vec![(
            "AWS_ENDPOINT_URL_STS".into(),
            common::DEAD_PROXY.to_string(),
        )],
    );
    let s = Session::start(&home, sh, env);
    assert_eq!(s.var("AWS_ACCESS_KEY_ID"), "AKIDOLDOLDOLD");
    assert_eq!(s.var("AWS_SESSION_TOKEN"), "old-token");
    for _ in 0..3 {
        s.cmd("ls");
    }
    assert_eq!(s.calls(), [sh.refresh_args()], "backs off");
    assert_eq!(assume_calls(&role), 0);
    let warnings = s.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("awsrole: could not refresh p"),
        "{warnings:?}"
    );
}

#[test]
fn nu_refreshes_when_due_and_only_then() {
    refreshes_when_due(Sh::Nu);
}

#[test]
fn elvish_refreshes_when_due_and_only_then() {
    refreshes_when_due(Sh::Elvish);
}

#[test]
fn nu_failure_keeps_the_old_variables() {
    failure_keeps_the_old_variables(Sh::Nu);
}

#[test]
fn elvish_failure_keeps_the_old_variables() {
    failure_keeps_the_old_variables(Sh::Elvish);
}
