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
/// How long a marker line may take before it is typed again.
const RESEND: Duration = Duration::from_secs(3);
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
            let line = match self.sh {
                Sh::Nu => format!("'{n}' | save -f '{}'", path.display()),
                Sh::Elvish => format!("echo {n} > '{}'", path.display()),
            };
            self.tmux.send_line(&line);
            let deadline = Instant::now() + WAIT;
            let mut resend = Instant::now() + RESEND;
            while std::fs::read_to_string(&path).unwrap_or_default().trim() != n.to_string() {
                assert!(
                    Instant::now() < deadline,
                    "{}: command {n} did not run; screen:\n{}",
                    self.sh.name(),
                    self.tmux.capture_all()
                );
                // nushell can drop a line typed while a hook still runs
                // (seen under load); the marker line is idempotent, so it
                // is typed again rather than waited for in vain.
                if Instant::now() >= resend {
                    self.tmux.send_line(&line);
                    resend = Instant::now() + RESEND;
                }
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

impl Sh {
    /// Sets an environment variable at the prompt.
    fn set_env(self, name: &str, value: &str) -> String {
        match self {
            Sh::Nu => format!("$env.{name} = '{value}'"),
            Sh::Elvish => format!("set-env {name} '{value}'"),
        }
    }
}

/// One field of AWSROLE_HOOK_STATE.
fn state_field(state: &str, name: &str) -> String {
    state
        .split_whitespace()
        .find_map(|f| f.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {state:?}"))
        .to_string()
}

/// The same policy as the other hooks: each failure doubles the pause.
fn backoff_grows(sh: Sh) {
    let (home, _role, env) = expired(
        sh,
        vec![(
            "AWS_ENDPOINT_URL_STS".into(),
            common::DEAD_PROXY.to_string(),
        )],
    );
    let s = Session::start(&home, sh, env);
    let t = now();
    assert_eq!(
        s.warnings(),
        [
            "awsrole: could not refresh p (STS unreachable); keeping the current credentials, next try in 60s (details: awsrole env p)"
        ]
    );
    let next: u64 = s.var("AWSROLE_NEXT").parse().unwrap();
    assert!(
        (t.saturating_sub(5)..=t + 61).contains(&(next - 60)),
        "{next}"
    );
    // The pause is over (simulated): the second failure waits twice as long.
    s.cmd(&sh.set_env("AWSROLE_NEXT", "0"));
    assert_eq!(s.calls().len(), 2);
    let warnings = s.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[1].ends_with("next try in 120s (details: awsrole env p)"));
    assert_eq!(state_field(&s.var("AWSROLE_HOOK_STATE"), "fails"), "2");
    assert_eq!(s.var("AWS_ACCESS_KEY_ID"), "AKIDOLDOLDOLD");
}

#[test]
fn nu_backoff_grows() {
    backoff_grows(Sh::Nu);
}

#[test]
fn elvish_backoff_grows() {
    backoff_grows(Sh::Elvish);
}

/// MFA mode: one line naming the shell's own command, then quiet looks in
/// the cache; never a prompt.
fn mfa_warns_once(sh: Sh) {
    let (home, role, env) = expired(sh, vec![]);
    home.write_config(&format!(
        "{BASE}[profile p]\nrole_arn = {role}\nsource_profile = base\n\
         mfa_serial = arn:aws:iam::123456789012:mfa/nuelv\n"
    ));
    let s = Session::start(&home, sh, env);
    let command = match sh {
        Sh::Nu => "awsrole env p --format json | from json | load-env",
        Sh::Elvish => "eval (awsrole env p | slurp)",
    };
    let expected = format!("awsrole: p needs an MFA code to refresh; run: {command}");
    assert_eq!(s.warnings(), std::slice::from_ref(&expected));
    for _ in 0..2 {
        s.cmd(&sh.set_env("X", "y"));
    }
    assert_eq!(s.calls().len(), 1);
    s.cmd(&sh.set_env("AWSROLE_NEXT", "0"));
    assert_eq!(s.calls().len(), 2);
    assert_eq!(s.warnings(), [expected]);
    assert_eq!(state_field(&s.var("AWSROLE_HOOK_STATE"), "mode"), "mfa");
    assert!(!s.tmux.capture_all().contains("Enter MFA code"));
    assert_eq!(assume_calls(&role), 0);
}

#[test]
fn nu_mfa_warns_once() {
    mfa_warns_once(Sh::Nu);
}

#[test]
fn elvish_mfa_warns_once() {
    mfa_warns_once(Sh::Elvish);
}

/// Processes (clone without CLONE_THREAD, fork, vfork, execve in strace)
/// an interactive elvish with the hook and fresh credentials starts while
/// `commands` lines run (each runs both checks), after start-up. `clock`:
/// _AWSROLE_HOOK_CLOCK.
fn elvish_processes(commands: u32, clock: &str) -> Vec<String> {
    let home = TestHome::new();
    let dir = home.path().join(".config/elvish");
    std::fs::create_dir_all(&dir).unwrap();
    let hook = home.cmd().args(["hook", "elvish"]).output().unwrap();
    std::fs::write(home.path().join("hook.elv"), &hook.stdout).unwrap();
    let next = now() + 3000;
    std::fs::write(
        dir.join("rc.elv"),
        format!(
            "eval (slurp < ~/hook.elv)\nset-env AWSROLE_PROFILE p\n\
             set-env AWSROLE_EXPIRATION {}\nset-env AWSROLE_NEXT {next}\n",
            next + 599
        ),
    )
    .unwrap();
    let trace = home.path().join("trace");
    let mut env = home.clean_env();
    env.push(("_AWSROLE_HOOK_CLOCK".into(), clock.into()));
    let tmux = Tmux::start(
        &format!(
            "exec strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o {} elvish",
            trace.display()
        ),
        env,
        200,
        50,
    );
    let sync = home.path().join("sync");
    let wait = |n: u32| {
        tmux.send_line(&format!("echo {n} > '{}'", sync.display()));
        let deadline = Instant::now() + WAIT;
        while std::fs::read_to_string(&sync).unwrap_or_default().trim() != n.to_string() {
            assert!(Instant::now() < deadline, "{}", tmux.capture_all());
            std::thread::sleep(Duration::from_millis(20));
        }
        // The prompt after it (and its check) is drawn.
        std::thread::sleep(Duration::from_millis(300));
    };
    let started = || -> Vec<String> {
        std::fs::read_to_string(&trace)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                ["clone(", "clone3(", "fork(", "execve("]
                    .iter()
                    .any(|c| l.contains(c))
            })
            // Threads of the Go runtime are not processes.
            .filter(|l| !l.contains("CLONE_THREAD"))
            .map(str::to_string)
            .collect()
    };
    wait(1);
    let before = started().len();
    for _ in 0..commands {
        tmux.send_line("nop");
    }
    wait(2);
    started()[before..].to_vec()
}

/// The elvish hook's clock is /proc/uptime read by a redirection: checks
/// with nothing due start no process. With the date(1) clock (macOS's
/// fallback) every check starts one: the count can fail.
#[test]
fn elvish_fresh_checks_start_no_process() {
    assert_eq!(elvish_processes(50, ""), Vec::<String>::new());
    let with_date = elvish_processes(50, "date").len();
    assert!(with_date >= 100, "{with_date}");
}
