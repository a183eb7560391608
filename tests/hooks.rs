//! Prompt hooks (`awsrole hook SHELL`): real interactive bash, zsh and fish
//! in tmux, started from their usual start-up files, against moto. Every
//! `awsrole` the shells run goes through a wrapper on PATH that logs its
//! arguments, so "no process at this prompt" is counted, not assumed.
//! PowerShell (not installed here) is checked with the real
//! tree-sitter-powershell grammar and exact-output tests of its structure.

mod common;

use std::cell::Cell;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use awsrole::cache::parse_entry;
use common::{TestHome, Tmux, arn, assume_calls, awsrole_bin, moto, run, sh_quote, unique};

const WAIT: Duration = Duration::from_secs(40);
const ACCOUNT: &str = "123456789012";
const BASE: &str =
    "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Sleeps until the Unix time is at least `t` (whole seconds).
fn sleep_until(t: u64) {
    let target = UNIX_EPOCH + Duration::from_secs(t) + Duration::from_millis(50);
    if let Ok(d) = target.duration_since(SystemTime::now()) {
        std::thread::sleep(d);
    }
}

/// Asks moto whose access key this is (moto reads the key from the
/// Authorization header and knows the keys it issued for AssumeRole).
fn caller_arn(access_key: &str) -> String {
    let port = moto().port();
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to moto");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential={access_key}/20250101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let start = raw.find("<Arn>").unwrap_or_else(|| panic!("no Arn: {raw}")) + 5;
    let end = raw[start..].find("</Arn>").unwrap() + start;
    raw[start..end].to_string()
}

// ---------------------------------------------------------------------------
// Interactive shells
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sh {
    Bash,
    Zsh,
    Fish,
}

impl Sh {
    fn name(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
        }
    }

    /// The interactive shell, reading its usual start-up file from HOME.
    fn command_line(self) -> &'static str {
        match self {
            Sh::Bash => "exec bash --noprofile -i",
            Sh::Zsh => "exec zsh -d -i",
            Sh::Fish => "exec fish -i",
        }
    }

    fn rc_path(self, home: &Path) -> PathBuf {
        match self {
            Sh::Bash => home.join(".bashrc"),
            Sh::Zsh => home.join(".zshrc"),
            Sh::Fish => home.join(".config/fish/config.fish"),
        }
    }

    /// The installation line the documentation gives.
    fn install(self) -> &'static str {
        match self {
            Sh::Bash => "eval \"$(awsrole hook bash)\"",
            Sh::Zsh => "eval \"$(awsrole hook zsh)\"",
            Sh::Fish => "awsrole hook fish | source",
        }
    }

    fn export(self, name: &str, value: &str) -> String {
        match self {
            Sh::Bash | Sh::Zsh => format!("export {name}={}", sh_quote(value)),
            Sh::Fish => format!("set -gx {name} {}", sh_quote(value)),
        }
    }

    fn eval_env(self, profile: &str) -> String {
        match self {
            Sh::Bash | Sh::Zsh => format!("eval \"$(awsrole env {profile})\""),
            Sh::Fish => format!("awsrole env {profile} | source"),
        }
    }

    /// The user's own prompt machinery, installed BEFORE the hook: a prompt
    /// showing the last status, and a PROMPT_COMMAND / precmd / event
    /// handler logging the status it sees (`pre:N`). bash and zsh run with
    /// `set -u` / `setopt nounset`.
    fn user_before(self, tag: &str, bash_array: bool) -> String {
        match self {
            Sh::Bash => {
                let pc = if bash_array {
                    "PROMPT_COMMAND=(__user_pre __user_pre2)"
                } else {
                    "PROMPT_COMMAND='__user_pre'"
                };
                format!(
                    "set -u\nPS1='[$?]\\$ '\n\
                     __user_pre() {{ echo \"pre:$?\" >> ~/prompts-{tag}.log; }}\n\
                     __user_pre2() {{ echo \"pre2:$?\" >> ~/prompts-{tag}.log; }}\n{pc}\n"
                )
            }
            Sh::Zsh => format!(
                "setopt nounset ksh_arrays sh_word_split extended_glob rc_quotes\n\
                 PROMPT='[%?]%# '\n\
                 __user_pre() {{ print -r -- \"pre:$?\" >> ~/prompts-{tag}.log }}\n\
                 precmd_functions+=(__user_pre)\n"
            ),
            Sh::Fish => format!(
                "set -g fish_greeting ''\n\
                 function fish_prompt; printf '[%s]> ' $status; end\n\
                 function __user_pre --on-event fish_prompt; echo \"pre:$status\" >> ~/prompts-{tag}.log; end\n"
            ),
        }
    }

    /// User prompt code added AFTER the hook (it must see the same status).
    fn user_after(self, tag: &str) -> String {
        match self {
            Sh::Bash => format!(
                "__user_post() {{ echo \"post:$?\" >> ~/prompts-{tag}.log; }}\nPROMPT_COMMAND+=(__user_post)\n"
            ),
            Sh::Zsh => format!(
                "__user_post() {{ print -r -- \"post:$?\" >> ~/prompts-{tag}.log }}\nprecmd_functions+=(__user_post)\n"
            ),
            Sh::Fish => format!(
                "function __user_post --on-event fish_prompt; echo \"post:$status\" >> ~/prompts-{tag}.log; end\n"
            ),
        }
    }

    /// Shell code that blocks until ~/go exists (after writing ~/ready-TAG).
    fn barrier(self, tag: &str) -> String {
        match self {
            Sh::Bash | Sh::Zsh => {
                format!(": > ~/ready-{tag}\nwhile [ ! -e ~/go ]; do sleep 0.01; done\n")
            }
            Sh::Fish => format!("echo > ~/ready-{tag}\nwhile not test -e ~/go; sleep 0.01; end\n"),
        }
    }

    /// Prints variable NAME's value (empty when unset) into FILE.
    fn dump_var(self, name: &str, file: &str) -> String {
        match self {
            Sh::Bash | Sh::Zsh => format!("printf '%s' \"${{{name}-}}\" > {file}"),
            Sh::Fish => format!("printf '%s' \"${name}\" > {file}"),
        }
    }

    /// Prints how many times the hook is installed.
    fn installed_count(self, file: &str) -> String {
        match self {
            Sh::Bash => format!(
                "printf '%s\\n' \"${{PROMPT_COMMAND[@]}}\" | grep -c __awsrole_prompt > {file}"
            ),
            Sh::Zsh => format!(
                "print -l -- \"${{precmd_functions[@]}}\" | grep -c __awsrole_check > {file}"
            ),
            Sh::Fish => {
                format!(
                    "functions --handlers-type generic | grep -c '^fish_prompt __awsrole_hook$' > {file}"
                )
            }
        }
    }
}

#[derive(Default)]
struct Opts {
    /// Variables in the shell's environment at start (on top of the home's).
    env: Vec<(String, String)>,
    /// Start-up file text between the user's prompt code and the hook.
    before: String,
    /// Start-up file text after the hook (and the user's post hook).
    after: String,
    /// Install the hook twice.
    twice: bool,
    bash_array: bool,
}

/// One interactive shell in tmux, in a TestHome whose PATH starts with a
/// logging `awsrole` wrapper.
struct Session<'a> {
    home: &'a TestHome,
    sh: Sh,
    tag: String,
    tmux: Tmux,
    seq: Cell<u32>,
}

/// Writes `<home>/bin/awsrole`, which logs its arguments to calls.log.
fn install_wrapper(home: &TestHome) {
    let bin = home.path().join("bin");
    if bin.join("awsrole").exists() {
        return;
    }
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"$HOME/calls.log\"\nexec {} \"$@\"\n",
        sh_quote(&awsrole_bin().to_string_lossy())
    );
    let path = bin.join("awsrole");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The `awsrole env` runs made by hooks (they pass --hook), so far.
fn hook_calls(home: &TestHome) -> Vec<String> {
    std::fs::read_to_string(home.path().join("calls.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("env ") && l.contains("--hook"))
        .map(str::to_string)
        .collect()
}

/// One field (`fails`, `mode`) of the state `awsrole env --hook` keeps in
/// AWSROLE_HOOK_STATE.
fn state_field(state: &str, name: &str) -> String {
    state
        .split_whitespace()
        .find_map(|f| f.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {state:?}"))
        .to_string()
}

impl<'a> Session<'a> {
    fn start(home: &'a TestHome, sh: Sh, opts: Opts) -> Session<'a> {
        install_wrapper(home);
        let tag = format!("{}{}", sh.name(), unique("").trim_start_matches('-'));
        let mut rc = sh.user_before(&tag, opts.bash_array);
        rc += &opts.before;
        rc += sh.install();
        rc += "\n";
        if opts.twice {
            rc += sh.install();
            rc += "\n";
        }
        rc += &sh.user_after(&tag);
        rc += &opts.after;
        let rc_path = sh.rc_path(home.path());
        std::fs::create_dir_all(rc_path.parent().unwrap()).unwrap();
        std::fs::write(&rc_path, rc).unwrap();

        let mut env = home.clean_env();
        for (k, v) in env.iter_mut() {
            if k == "PATH" {
                *v = format!("{}:{v}", home.path().join("bin").display());
            }
        }
        for (k, v) in opts.env {
            env.retain(|(name, _)| *name != k);
            env.push((k, v));
        }
        let tmux = Tmux::start(sh.command_line(), env, 220, 50);
        Session {
            home,
            sh,
            tag,
            tmux,
            seq: Cell::new(0),
        }
    }

    fn file(&self, what: &str) -> PathBuf {
        self.home.path().join(format!("{what}-{}", self.tag))
    }

    /// Waits until every command typed so far has run and the prompt after
    /// it was drawn (so the hook for that prompt has finished).
    fn sync(&self) {
        let n = self.seq.get() + 1;
        self.seq.set(n);
        let file = self.file("sync");
        self.tmux
            .send_line(&format!("echo {n} > ~/sync-{}", self.tag));
        let deadline = Instant::now() + WAIT;
        loop {
            let got = std::fs::read_to_string(&file).unwrap_or_default();
            if got.trim() == n.to_string() {
                break;
            }
            if Instant::now() > deadline {
                panic!(
                    "{}: command {n} did not run; screen:\n{}",
                    self.sh.name(),
                    self.tmux.capture_all()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // The prompt after the sync command: wait for it to be drawn too.
        self.wait_prompt_after_sync(n);
    }

    fn wait_prompt_after_sync(&self, n: u32) {
        let marker = format!("echo {n} > ~/sync-{}", self.tag);
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.tmux.capture_all();
            if let Some(at) = screen.rfind(&marker) {
                let rest = &screen[at + marker.len()..];
                if rest.lines().skip(1).any(|l| l.starts_with('[')) {
                    return;
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "{}: no prompt after command {n}; screen:\n{screen}",
                    self.sh.name()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `line`, then waits for it to run and the next prompt.
    fn cmd(&self, line: &str) {
        self.tmux.send_line(line);
        self.sync();
    }

    fn var(&self, name: &str) -> String {
        let file = format!("~/var-{}", self.tag);
        self.cmd(&self.sh.dump_var(name, &file));
        std::fs::read_to_string(self.file("var")).unwrap()
    }

    fn num(&self, name: &str) -> u64 {
        let v = self.var(name);
        v.parse()
            .unwrap_or_else(|_| panic!("{}: ${name} = {v:?} is not a number", self.sh.name()))
    }

    /// Statuses the user's prompt code saw, in order (`pre:0`, `post:7`...).
    fn prompt_log(&self) -> Vec<String> {
        std::fs::read_to_string(self.home.path().join(format!("prompts-{}.log", self.tag)))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn screen(&self) -> String {
        self.tmux.capture_all()
    }

    /// Lines the hook printed (they start with "awsrole:"; the echo of a
    /// command typed ahead may precede one on its screen line).
    fn warnings(&self) -> Vec<String> {
        self.screen()
            .lines()
            .filter_map(|l| l.find("awsrole: ").map(|at| l[at..].trim_end().to_string()))
            .collect()
    }

    /// The prompt drawn before the last sync command ("[7]$ " in bash).
    fn prompt_before_last_sync(&self) -> String {
        let marker = format!("echo {} > ~/sync-{}", self.seq.get(), self.tag);
        let screen = self.screen();
        let line = screen
            .lines()
            .rfind(|l| l.contains(&marker))
            .unwrap_or_else(|| panic!("no {marker:?} on the screen:\n{screen}"));
        let before = &line[..line.rfind(&marker).unwrap()];
        before[before.rfind('[').unwrap_or(0)..].to_string()
    }

    fn installed_count(&self) -> u32 {
        let file = format!("~/var-{}", self.tag);
        self.cmd(&self.sh.installed_count(&file));
        let text = std::fs::read_to_string(self.file("var")).unwrap();
        text.trim().parse().unwrap()
    }

    /// No shell error anywhere in the session (set -u, syntax, fish errors).
    fn assert_no_shell_errors(&self) {
        let screen = self.screen();
        for bad in [
            "unbound variable",
            "parameter not set",
            "command not found",
            "Unknown command",
            "syntax error",
            "parse error",
            "fish: ",
            "math: ",
            "bad math",
            "no such file",
        ] {
            assert!(
                !screen.contains(bad),
                "{}: {bad:?} on the screen:\n{screen}",
                self.sh.name()
            );
        }
    }
}

/// A home with a role profile `p` (source_profile = base), moto as STS.
fn role_home(extra: &str) -> (TestHome, String) {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("hook"));
    home.write_config(&format!(
        "{BASE}[profile p]\nrole_arn = {role}\nsource_profile = base\n{extra}"
    ));
    (home, role)
}

/// Environment of a shell that already holds credentials of `profile`
/// which expired long ago (as after a night with the laptop closed).
fn expired_env(profile: &str) -> Vec<(String, String)> {
    [
        ("AWSROLE_PROFILE", profile.to_string()),
        ("AWSROLE_EXPIRATION", (now() - 3600).to_string()),
        ("AWS_ACCESS_KEY_ID", "AKIDOLDOLDOLD".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "old-secret".to_string()),
        ("AWS_SESSION_TOKEN", "old-token".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn cached_expiration_of(home: &TestHome, access_key: &str) -> u64 {
    for entry in std::fs::read_dir(home.cache_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        if let Some(c) = parse_entry(&std::fs::read(&path).unwrap())
            && c.access_key_id == access_key
        {
            return c.expiration_unix().unwrap();
        }
    }
    panic!("no cache entry holds {access_key}");
}

// ---------------------------------------------------------------------------
// Refresh inside the window, and nothing at other prompts
// ---------------------------------------------------------------------------

/// duration_seconds = 900 and a window of 14m50s: credentials are due 10 s
/// after they were issued (so about every 10 s, each time an STS call). Fresh prompts start no `awsrole`; the first
/// prompt after they are due replaces them (new keys that moto knows, the
/// cache's expiration), with $? intact for the user's prompt code before
/// and after the hook; the prompts right after start nothing again.
fn refresh_at_next_prompt(sh: Sh, bash_array: bool) {
    let (home, role) = role_home("duration_seconds = 900\nregion = eu-west-3\n");
    let s = Session::start(
        &home,
        sh,
        Opts {
            env: vec![("AWSROLE_REFRESH_BEFORE".into(), "14m50s".into())],
            twice: true,
            bash_array,
            ..Opts::default()
        },
    );
    s.sync();
    assert_eq!(s.installed_count(), 1, "sourcing twice installs once");

    s.cmd(&sh.eval_env("p"));
    assert_eq!(assume_calls(&role), 1);
    let key1 = s.var("AWS_ACCESS_KEY_ID");
    let token1 = s.var("AWS_SESSION_TOKEN");
    let exp1 = s.num("AWSROLE_EXPIRATION");
    assert!(key1.starts_with("ASIA"), "{key1}");
    // `awsrole env` told the hook when to act: 890 s before expiry.
    assert_eq!(s.num("AWSROLE_NEXT"), exp1 - 889);

    // Fresh: prompts start no process at all.
    for _ in 0..3 {
        s.cmd("true");
    }
    assert_eq!(hook_calls(&home), Vec::<String>::new());

    assert!(now() < exp1 - 890, "too slow: the credentials became due");
    // Due (now + 890 > expiration) from exp1 - 889 on.
    sleep_until(exp1 - 889);
    let before = s.prompt_log().len();
    s.cmd("sh -c 'exit 7'");
    // What the user's prompt code saw at that prompt (up to the next one).
    let log = s.prompt_log();
    let seen: Vec<&str> = log[before..]
        .iter()
        .enumerate()
        .take_while(|(i, l)| *i == 0 || !l.starts_with("pre:"))
        .map(|(_, l)| l.as_str())
        .collect();
    let expected: &[&str] = if bash_array {
        &["pre:7", "pre2:7", "post:7"]
    } else {
        &["pre:7", "post:7"]
    };
    assert_eq!(
        seen, expected,
        "user prompt code before and after the hook saw $? = 7: {log:?}"
    );
    let prompt = s.prompt_before_last_sync();
    assert!(
        prompt.starts_with("[7]") && prompt.len() == 5,
        "the prompt after the refresh is the user's, with status 7: {prompt:?}\n{}",
        s.screen()
    );

    let calls = hook_calls(&home);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(
        calls[0].starts_with(&format!("env --shell {} --hook -- p", sh.name())),
        "{calls:?}"
    );
    assert_eq!(assume_calls(&role), 2);
    let key2 = s.var("AWS_ACCESS_KEY_ID");
    let exp2 = s.num("AWSROLE_EXPIRATION");
    assert_ne!(key2, key1);
    assert_ne!(s.var("AWS_SESSION_TOKEN"), token1);
    assert!(exp2 > exp1, "{exp2} > {exp1}");
    assert_eq!(exp2, cached_expiration_of(&home, &key2));
    // The refresh asked the cache for the window + 1 s (a fresh entry, so
    // due again only 890 s before its own expiry).
    assert_eq!(s.num("AWSROLE_NEXT"), exp2 - 889);
    let role_name = role.rsplit('/').next().unwrap();
    assert!(
        caller_arn(&key2).starts_with(&format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/")),
        "moto does not know {key2} as {role}"
    );
    assert_eq!(s.var("AWS_REGION"), "eu-west-3");

    // Not a loop: the next prompts are quiet again.
    for _ in 0..3 {
        s.cmd("true");
    }
    assert_eq!(hook_calls(&home).len(), 1);
    assert_eq!(assume_calls(&role), 2);
    assert_eq!(s.warnings(), Vec::<String>::new());
    s.assert_no_shell_errors();
}

#[test]
fn bash_refreshes_at_the_next_prompt_and_only_then() {
    refresh_at_next_prompt(Sh::Bash, false);
}

#[test]
fn bash_keeps_an_array_prompt_command() {
    refresh_at_next_prompt(Sh::Bash, true);
}

#[test]
fn zsh_refreshes_at_the_next_prompt_and_only_then() {
    refresh_at_next_prompt(Sh::Zsh, false);
}

#[test]
fn fish_refreshes_at_the_next_prompt_and_only_then() {
    refresh_at_next_prompt(Sh::Fish, false);
}

// ---------------------------------------------------------------------------
// A window longer than the credentials live
// ---------------------------------------------------------------------------

/// Credentials of 12 s with a window of 1h are due as soon as they are
/// issued. The hook refreshes once, says so once, and then waits half of
/// their remaining life before the next refresh instead of calling STS at
/// every prompt.
fn window_longer_than_lifetime(sh: Sh) {
    let (home, role) = role_home("duration_seconds = 12\n");
    let s = Session::start(
        &home,
        sh,
        Opts {
            env: vec![("AWSROLE_REFRESH_BEFORE".into(), "1h".into())],
            ..Opts::default()
        },
    );
    s.sync();
    let t = now();
    s.cmd(&sh.eval_env("p"));
    // The prompt after that eval was due: one refresh, then capped.
    assert_eq!(hook_calls(&home).len(), 1, "{:?}", hook_calls(&home));
    assert_eq!(assume_calls(&role), 2);
    assert_eq!(state_field(&s.var("AWSROLE_HOOK_STATE"), "mode"), "capped");
    let next = s.num("AWSROLE_NEXT");
    let exp = s.num("AWSROLE_EXPIRATION");
    assert!(
        next > t && next <= exp,
        "next try at half-life: t {t} next {next} exp {exp}"
    );
    for _ in 0..4 {
        s.cmd("true");
    }
    assert!(now() < next, "too slow: half-life already passed");
    assert_eq!(hook_calls(&home).len(), 1, "no refresh before half-life");
    assert_eq!(assume_calls(&role), 2);

    sleep_until(next);
    s.cmd("true");
    let calls = hook_calls(&home);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(assume_calls(&role), 3);
    assert!(s.num("AWSROLE_EXPIRATION") > exp);
    let notes: Vec<String> = s
        .warnings()
        .into_iter()
        .filter(|w| w.contains("half their remaining life"))
        .collect();
    assert_eq!(notes.len(), 1, "one note per profile: {notes:?}");
    assert!(
        notes[0].starts_with("awsrole: credentials of p last ")
            && notes[0].contains("not more than AWSROLE_REFRESH_BEFORE (3600s)"),
        "{notes:?}"
    );
    s.assert_no_shell_errors();
}

#[test]
fn bash_window_longer_than_lifetime_does_not_loop() {
    window_longer_than_lifetime(Sh::Bash);
}

#[test]
fn zsh_window_longer_than_lifetime_does_not_loop() {
    window_longer_than_lifetime(Sh::Zsh);
}

#[test]
fn fish_window_longer_than_lifetime_does_not_loop() {
    window_longer_than_lifetime(Sh::Fish);
}

// ---------------------------------------------------------------------------
// Several shells at once
// ---------------------------------------------------------------------------

/// bash, zsh and fish hold the same expired credentials and draw their
/// first prompt at the same moment: three hook runs, one AssumeRole, and
/// all three shells end up with the same new keys.
#[test]
fn three_shells_refreshing_together_make_one_assume_role() {
    let (home, role) = role_home("");
    let sessions: Vec<Session> = [Sh::Bash, Sh::Zsh, Sh::Fish]
        .into_iter()
        .map(|sh| {
            let tag = unique(sh.name());
            let s = Session::start(
                &home,
                sh,
                Opts {
                    env: expired_env("p"),
                    after: sh.barrier(&tag),
                    ..Opts::default()
                },
            );
            (s, tag)
        })
        .map(|(s, tag)| {
            let ready = home.path().join(format!("ready-{tag}"));
            let deadline = Instant::now() + WAIT;
            while !ready.exists() {
                assert!(Instant::now() < deadline, "{} never got ready", s.sh.name());
                std::thread::sleep(Duration::from_millis(10));
            }
            s
        })
        .collect();
    std::fs::write(home.path().join("go"), "").unwrap();
    let keys: Vec<String> = sessions
        .iter()
        .map(|s| {
            s.sync();
            s.var("AWS_ACCESS_KEY_ID")
        })
        .collect();
    assert_eq!(hook_calls(&home).len(), 3, "{:?}", hook_calls(&home));
    assert_eq!(assume_calls(&role), 1, "the cache lock made it one call");
    assert!(keys[0].starts_with("ASIA"), "{keys:?}");
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    for s in &sessions {
        assert_eq!(s.warnings(), Vec::<String>::new());
        s.assert_no_shell_errors();
    }
}

// ---------------------------------------------------------------------------
// Failures back off
// ---------------------------------------------------------------------------

/// STS unreachable: one warning, the old credentials stay, no retry at the
/// next prompts; when the back-off time has come (simulated by clearing
/// AWSROLE_NEXT) the next failure doubles the delay; once STS answers
/// again the credentials are replaced and the back-off is reset.
fn backoff_when_unreachable(sh: Sh) {
    let (home, role) = role_home("");
    let mut env = expired_env("p");
    env.push((
        "AWS_ENDPOINT_URL_STS".into(),
        common::DEAD_PROXY.to_string(),
    ));
    let s = Session::start(
        &home,
        sh,
        Opts {
            env,
            ..Opts::default()
        },
    );
    s.sync();
    let t = now();
    assert_eq!(hook_calls(&home).len(), 1);
    let warnings = s.warnings();
    assert_eq!(
        warnings,
        [
            "awsrole: could not refresh p (STS unreachable); keeping the current credentials, next try in 60s (details: awsrole env p)"
        ],
    );
    assert_eq!(s.var("AWS_ACCESS_KEY_ID"), "AKIDOLDOLDOLD");
    let next = s.num("AWSROLE_NEXT");
    assert!(
        (t + 55..=t + 61).contains(&next),
        "next try about 60 s later: t {t} next {next}"
    );
    for _ in 0..3 {
        s.cmd("true");
    }
    assert_eq!(hook_calls(&home).len(), 1, "no retry at every prompt");
    assert_eq!(s.warnings().len(), 1);

    // 60 s later (simulated): second failure, twice the delay.
    s.cmd(&sh.export("AWSROLE_NEXT", "0"));
    assert_eq!(hook_calls(&home).len(), 2);
    let warnings = s.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[1].contains("next try in 120s"), "{warnings:?}");
    assert_eq!(state_field(&s.var("AWSROLE_HOOK_STATE"), "fails"), "2");

    // STS is back.
    s.cmd(&sh.export("AWS_ENDPOINT_URL_STS", &moto().endpoint()));
    s.cmd(&sh.export("AWSROLE_NEXT", "0"));
    assert_eq!(hook_calls(&home).len(), 3);
    assert_eq!(assume_calls(&role), 1);
    let key = s.var("AWS_ACCESS_KEY_ID");
    assert!(key.starts_with("ASIA"), "{key}");
    assert_eq!(state_field(&s.var("AWSROLE_HOOK_STATE"), "fails"), "0");
    assert_eq!(s.warnings().len(), 2);
    s.assert_no_shell_errors();
}

#[test]
fn bash_backs_off_when_sts_is_unreachable() {
    backoff_when_unreachable(Sh::Bash);
}

#[test]
fn zsh_backs_off_when_sts_is_unreachable() {
    backoff_when_unreachable(Sh::Zsh);
}

#[test]
fn fish_backs_off_when_sts_is_unreachable() {
    backoff_when_unreachable(Sh::Fish);
}

// ---------------------------------------------------------------------------
// MFA
// ---------------------------------------------------------------------------

const MFA_SERIAL: &str = "arn:aws:iam::123456789012:mfa/hookuser";

fn mfa_home() -> (TestHome, String) {
    role_home(&format!("mfa_serial = {MFA_SERIAL}\n"))
}

/// An MFA profile never blocks the prompt: one warning with the command to
/// run, then silence (even when the hook looks in the cache again) until
/// the credentials in the shell change.
fn mfa_warns_once(sh: Sh) {
    let (home, role) = mfa_home();
    let s = Session::start(
        &home,
        sh,
        Opts {
            env: expired_env("p"),
            ..Opts::default()
        },
    );
    s.sync();
    let command = match sh {
        Sh::Bash | Sh::Zsh => "eval \"$(awsrole env p)\"",
        Sh::Fish => "awsrole env p | source",
    };
    let expected = format!("awsrole: p needs an MFA code to refresh; run: {command}");
    assert_eq!(s.warnings(), std::slice::from_ref(&expected));
    assert_eq!(hook_calls(&home).len(), 1);
    assert!(!s.screen().contains("Enter MFA code"), "{}", s.screen());
    for _ in 0..3 {
        s.cmd("true");
    }
    assert_eq!(hook_calls(&home).len(), 1);
    // A minute later (simulated) it looks in the cache again, quietly.
    s.cmd(&sh.export("AWSROLE_NEXT", "0"));
    assert_eq!(hook_calls(&home).len(), 2);
    assert_eq!(s.warnings().len(), 1);
    // Other credentials in the shell, due (as `awsrole env` would export
    // them): a new episode, a new warning.
    let exp = now() - 7200;
    s.cmd(&format!(
        "{}; {}",
        sh.export("AWSROLE_EXPIRATION", &exp.to_string()),
        sh.export("AWSROLE_NEXT", &(exp - 599).to_string())
    ));
    assert_eq!(hook_calls(&home).len(), 3);
    assert_eq!(s.warnings(), [expected.clone(), expected]);
    assert_eq!(assume_calls(&role), 0);
    assert_eq!(s.var("AWS_ACCESS_KEY_ID"), "AKIDOLDOLDOLD");
    s.assert_no_shell_errors();
}

#[test]
fn bash_mfa_warns_once_and_never_blocks() {
    mfa_warns_once(Sh::Bash);
}

#[test]
fn zsh_mfa_warns_once_and_never_blocks() {
    mfa_warns_once(Sh::Zsh);
}

#[test]
fn fish_mfa_warns_once_and_never_blocks() {
    mfa_warns_once(Sh::Fish);
}

/// AWSROLE_HOOK_MFA=prompt: the hook asks for the code at the prompt.
fn mfa_prompt_mode(sh: Sh) {
    let (home, role) = mfa_home();
    let mut env = expired_env("p");
    env.push(("AWSROLE_HOOK_MFA".into(), "prompt".into()));
    // The code goes to AssumeRole itself (no MFA session, see tests/sources_mfa.rs).
    env.push(("AWSROLE_MFA_SESSION".into(), "off".into()));
    let s = Session::start(
        &home,
        sh,
        Opts {
            env,
            ..Opts::default()
        },
    );
    s.tmux
        .wait_for(&format!("Enter MFA code for {MFA_SERIAL}:"), WAIT);
    s.tmux.send_line("246810");
    s.sync();
    let calls = hook_calls(&home);
    assert_eq!(calls.len(), 1);
    let sent = moto().requests_where("AssumeRole", "RoleArn", &role);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].param("TokenCode"), Some("246810"));
    assert_eq!(sent[0].param("SerialNumber"), Some(MFA_SERIAL));
    let key = s.var("AWS_ACCESS_KEY_ID");
    assert!(key.starts_with("ASIA"), "{key}");
    assert_eq!(s.warnings(), Vec::<String>::new());
    s.assert_no_shell_errors();
}

#[test]
fn bash_mfa_prompt_mode_asks_at_the_prompt() {
    mfa_prompt_mode(Sh::Bash);
}

#[test]
fn zsh_mfa_prompt_mode_asks_at_the_prompt() {
    mfa_prompt_mode(Sh::Zsh);
}

#[test]
fn fish_mfa_prompt_mode_asks_at_the_prompt() {
    mfa_prompt_mode(Sh::Fish);
}

// ---------------------------------------------------------------------------
// Window parsing and clocks, non-interactively
// ---------------------------------------------------------------------------

/// AWSROLE_REFRESH_BEFORE values and the seconds humantime gives them
/// (null: not a whole-number duration, so the default 600 and a warning);
/// hook_policy's unit test reads the same table.
fn windows() -> Vec<(String, Option<u64>)> {
    serde_json::from_str(include_str!("hooks/refresh_windows.json")).unwrap()
}

fn driver_for(sh: Sh, clock: &str, body: &str) -> common::Output {
    let dir = tempfile::tempdir().unwrap();
    let hook = run(Command::new(awsrole_bin()).args(["hook", sh.name()]));
    hook.assert_success();
    let hook_path = dir.path().join("hook");
    std::fs::write(&hook_path, &hook.stdout).unwrap();
    let script = match sh {
        Sh::Bash | Sh::Zsh => format!(
            "set -u\n. {}\n{body}",
            sh_quote(&hook_path.to_string_lossy())
        ),
        Sh::Fish => format!("source {}\n{body}", sh_quote(&hook_path.to_string_lossy())),
    };
    let program = match sh {
        Sh::Bash => vec!["bash", "--norc", "--noprofile", "-c"],
        Sh::Zsh => vec!["zsh", "-f", "-c"],
        Sh::Fish => vec!["fish", "--no-config", "-c"],
    };
    run(Command::new(program[0])
        .args(&program[1..])
        .arg(script)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", dir.path())
        .env("_AWSROLE_HOOK_CLOCK", clock))
}

/// The window is read by awsrole (`env --hook` of fresh credentials
/// only tells the hook when to act): evaluated in the real shell,
/// AWSROLE_NEXT is the expiration minus the window plus one second, and a
/// value that is not a whole-second duration is the default with one line.
fn window_parsing(sh: Sh) {
    let exp = now() + 2 * 31_557_600;
    let bin = sh_quote(&awsrole_bin().to_string_lossy());
    let mut body = match sh {
        Sh::Bash | Sh::Zsh => format!("export AWSROLE_PROFILE=p AWSROLE_EXPIRATION={exp}\n"),
        Sh::Fish => format!("set -gx AWSROLE_PROFILE p; set -gx AWSROLE_EXPIRATION {exp}\n"),
    };
    let table = windows();
    for (input, _) in &table {
        let (set, load) = match sh {
            Sh::Bash | Sh::Zsh => (
                format!("export AWSROLE_REFRESH_BEFORE={}", sh_quote(input)),
                format!("eval \"$({bin} env --shell {} --hook -- p)\"", sh.name()),
            ),
            Sh::Fish => (
                format!("set -gx AWSROLE_REFRESH_BEFORE {}", sh_quote(input)),
                format!("{bin} env --shell fish --hook -- p | source"),
            ),
        };
        body += &format!("{set}\n{load}\necho \"$AWSROLE_NEXT\"\n");
    }
    let out = driver_for(sh, "", &body);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let got: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(got.len(), table.len(), "{}", out.stdout);
    let mut warned = Vec::new();
    for ((input, want), got) in table.iter().zip(got) {
        assert_eq!(
            got,
            (exp - want.unwrap_or(600) + 1).to_string(),
            "{}: AWSROLE_REFRESH_BEFORE={input:?}",
            sh.name()
        );
        if want.is_none() {
            warned.push(format!(
                "awsrole: AWSROLE_REFRESH_BEFORE={input} is not a duration like 10m, 1h30m or 90s; using 10m"
            ));
        }
    }
    let stderr: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(stderr, warned, "{}", sh.name());
}

#[test]
fn bash_parses_the_window_like_humantime() {
    window_parsing(Sh::Bash);
}

#[test]
fn zsh_parses_the_window_like_humantime() {
    window_parsing(Sh::Zsh);
}

#[test]
fn fish_parses_the_window_like_humantime() {
    window_parsing(Sh::Fish);
}

/// Every clock a hook can use gives the Unix time: bash's $EPOCHSECONDS,
/// printf %(%s)T (bash 4.2+) and $SECONDS + date(1) (bash 3.2), zsh's
/// $EPOCHSECONDS and %D{%s}, fish's `path mtime` and date(1).
#[test]
fn every_clock_tells_the_unix_time() {
    for (sh, clock, expected_clock) in [
        (Sh::Bash, "", "epoch"),
        (Sh::Bash, "printf", "printf"),
        (Sh::Bash, "seconds", "seconds"),
        (Sh::Zsh, "", "epoch"),
        (Sh::Zsh, "prompt", "prompt"),
        (Sh::Fish, "", "path"),
        (Sh::Fish, "date", "date"),
    ] {
        let body = "__awsrole_now\necho \"$__awsrole_clock $__awsrole_t\"\n\
                    __awsrole_now\necho \"$__awsrole_clock $__awsrole_t\"\n";
        let before = now();
        let out = driver_for(sh, clock, body);
        let after = now();
        assert_eq!(out.code, 0, "{sh:?} {clock}: {}", out.stderr);
        assert_eq!(out.stderr, "", "{sh:?} {clock}");
        for line in out.stdout.lines() {
            let (name, t) = line.split_once(' ').unwrap();
            assert_eq!(name, expected_clock, "{sh:?}");
            let t: u64 = t
                .parse()
                .unwrap_or_else(|_| panic!("{sh:?} {clock}: {line}"));
            assert!(
                (before..=after).contains(&t),
                "{sh:?} {clock}: {t} not in {before}..={after}"
            );
        }
    }
}

/// Without AWSROLE_PROFILE, without AWSROLE_EXPIRATION (long-term keys,
/// under `set -u`), or with an AWSROLE_EXPIRATION or AWSROLE_NEXT that is
/// not a plain number (AWSROLE_NEXT is used in arithmetic, where bash and
/// zsh would run a command substitution hidden in it), the hook does
/// nothing and keeps $?.
#[test]
fn hook_ignores_foreign_or_hostile_values_and_keeps_status() {
    for sh in [Sh::Bash, Sh::Zsh, Sh::Fish] {
        let hostile = "a[$(echo pwned >&2)]";
        let set = |name: &str, value: &str| match sh {
            Sh::Bash | Sh::Zsh => format!("export {name}={}", sh_quote(value)),
            Sh::Fish => format!("set -gx {name} {}", sh_quote(value)),
        };
        let status = match sh {
            Sh::Fish => "echo \"status=$status\"",
            _ => "echo \"status=$?\"",
        };
        let unset = match sh {
            Sh::Fish => "set -e AWSROLE_EXPIRATION",
            _ => "unset AWSROLE_EXPIRATION",
        };
        let body = format!(
            "sh -c 'exit 1'; __awsrole_hook; {status}\n\
             {}\n{unset}\nsh -c 'exit 2'; __awsrole_hook; {status}\n\
             {}\nsh -c 'exit 3'; __awsrole_hook; {status}\n\
             {}\nsh -c 'exit 4'; __awsrole_hook; {status}\n\
             {}\nsh -c 'exit 5'; __awsrole_hook; {status}\n\
             {}\nsh -c 'exit 6'; __awsrole_hook; {status}\n",
            set("AWSROLE_PROFILE", "p"),
            set("AWSROLE_EXPIRATION", hostile),
            set("AWSROLE_EXPIRATION", "1 + 1"),
            set("AWSROLE_NEXT", hostile),
            set("AWSROLE_NEXT", "1"),
        );
        let out = driver_for(sh, "", &body);
        assert_eq!(out.code, 0, "{sh:?}: {}", out.stderr);
        assert_eq!(
            out.stdout, "status=1\nstatus=2\nstatus=3\nstatus=4\nstatus=5\nstatus=6\n",
            "{sh:?}"
        );
        assert_eq!(out.stderr, "", "{sh:?}");
    }
}

// ---------------------------------------------------------------------------
// The printed scripts; PowerShell
// ---------------------------------------------------------------------------

#[test]
fn hook_prints_the_files_in_shell_dir() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shell");
    for (arg, file) in [
        ("bash", "awsrole.bash"),
        ("zsh", "awsrole.zsh"),
        ("fish", "awsrole.fish"),
        ("powershell", "awsrole.ps1"),
        ("pwsh", "awsrole.ps1"),
    ] {
        let out = run(Command::new(awsrole_bin()).args(["hook", arg]));
        out.assert_success();
        assert_eq!(out.stdout, std::fs::read_to_string(dir.join(file)).unwrap());
        assert_eq!(out.stderr, "");
    }
    for arg in ["sh", "posix"] {
        let out = run(Command::new(awsrole_bin()).args(["hook", arg]));
        assert_eq!(out.code, 2, "{out:?}");
        assert_eq!(out.stdout, "");
        assert_eq!(
            out.stderr,
            "awsrole: error: POSIX sh has no prompt hook (no PROMPT_COMMAND or precmd): use bash, zsh, fish, powershell, nu or elvish\n"
        );
    }
    let out = run(Command::new(awsrole_bin()).args(["hook", "csh"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.stdout, "");
}

/// One policy: every hook runs `awsrole env --hook` for AWSROLE_PROFILE
/// when AWSROLE_NEXT has come, and none of them holds the policy itself
/// (its messages, the window, the back-off); those are awsrole's.
#[test]
fn every_hook_leaves_the_policy_to_awsrole() {
    for (arg, runs) in [
        (
            "bash",
            "command awsrole env --shell bash --hook -- \"$AWSROLE_PROFILE\"",
        ),
        (
            "zsh",
            "command awsrole env --shell zsh --hook -- \"$AWSROLE_PROFILE\"",
        ),
        (
            "fish",
            "command awsrole env --shell fish --hook -- $AWSROLE_PROFILE",
        ),
        (
            "powershell",
            "@('env', '--shell', 'powershell', '--hook', '--', $p)",
        ),
        ("nu", "^awsrole env --format json --hook -- $profile"),
        (
            "elvish",
            "e:awsrole env --shell elvish --hook -- $E:AWSROLE_PROFILE",
        ),
    ] {
        let out = run(Command::new(awsrole_bin()).args(["hook", arg]));
        out.assert_success();
        assert!(out.stdout.contains(runs), "{arg} hook lacks {runs:?}");
        assert!(out.stdout.contains("AWSROLE_NEXT"), "{arg}");
        for policy in [
            "needs an MFA code",
            "could not refresh",
            "half their remaining life",
            "is not a duration",
            "--min-ttl",
            "--no-input",
            "AWSROLE_HOOK_MFA",
            "AWSROLE_HOOK_STATE",
            "600",
            "2630016",
        ] {
            assert!(!out.stdout.contains(policy), "{arg} hook holds {policy:?}");
        }
        let code = out.stdout.lines().filter(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#')
        });
        assert!(code.count() <= 80, "{arg} hook: more than 80 lines of code");
    }
}

/// Runs tests/common/checkers/ps_hook_check.py on `script`: Ok(facts) or Err(stderr).
fn ps_hook_check(script: &str) -> Result<serde_json::Value, String> {
    common::python_checker("ps_hook_check.py", script)
}

fn powershell_hook() -> String {
    let out = run(Command::new(awsrole_bin()).args(["hook", "powershell"]));
    out.assert_success();
    out.stdout
}

/// The PowerShell hook parses with the real grammar, and its structure is
/// exactly this: the functions, the commands it runs, the variables it
/// reads (none unassigned) and the arguments it gives awsrole. With
/// PSReadLine loaded it also checks after Enter, before the line runs,
/// from PSReadLine's AddToHistoryHandler, chaining the handler that was
/// there (installed once).
#[test]
fn powershell_hook_parses_and_has_this_structure() {
    let script = powershell_hook();
    let facts = ps_hook_check(&script).expect("grammar rejected the hook");
    let strings = |key: &str| -> Vec<String> {
        facts[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        strings("functions"),
        [
            "global:__AwsroleCheck",
            "global:__AwsroleSafe",
            "global:prompt"
        ]
    );
    assert_eq!(
        strings("commands"),
        [
            "Get-Command",
            "Get-Item",
            "Get-Module",
            "Get-PSReadLineOption",
            "Invoke-Expression",
            "Remove-Variable",
            "Select-Object",
            "Set-PSReadLineOption",
            "Test-Path",
            "Write-Error",
            "__AwsroleCheck",
            "__AwsroleSafe"
        ]
    );
    assert_eq!(
        strings("env"),
        ["AWSROLE_EXPIRATION", "AWSROLE_NEXT", "AWSROLE_PROFILE"]
    );
    assert_eq!(strings("unassigned"), Vec::<String>::new());
    assert_eq!(
        strings("argv"),
        ["@('env', '--shell', 'powershell', '--hook', '--', $p)"]
    );
    // The fresh check: one comparison with the clock, before anything else.
    let check = &script[script.find("function global:__AwsroleCheck").unwrap()..];
    let lines: Vec<&str> = check.lines().skip(1).take(2).map(str::trim).collect();
    assert_eq!(
        lines,
        [
            "$n = [string]$env:AWSROLE_NEXT",
            "if ($n -cmatch '^[0-9]{1,15}\\z' -and [DateTimeOffset]::UtcNow.ToUnixTimeSeconds() -lt [long]$n) { return }"
        ]
    );
    // PSReadLine: installed once, the old handler kept and called.
    for needle in [
        "if ((Get-Module PSReadLine) -and -not (Test-Path Variable:global:__AwsroleHistory)) {",
        "$global:__AwsroleHistory = (Get-PSReadLineOption).AddToHistoryHandler",
        "Set-PSReadLineOption -AddToHistoryHandler {",
        "        __AwsroleSafe\n        if ($null -eq $global:__AwsroleHistory) { return $true }\n        return $global:__AwsroleHistory.Invoke($line)",
    ] {
        assert!(script.contains(needle), "{needle}");
    }
}

/// The checker above can fail: a syntax error, a misspelt variable.
#[test]
fn powershell_hook_checker_catches_mistakes() {
    let good = powershell_hook();
    let broken = good.replacen("if ($null -eq $exe) {", "if ($null -eq $exe {", 1);
    assert_ne!(broken, good);
    assert!(
        ps_hook_check(&broken).is_err(),
        "missing parenthesis accepted"
    );

    let typo = good.replacen("($out -join", "($outt -join", 1);
    assert_ne!(typo, good);
    let facts = ps_hook_check(&typo).unwrap();
    assert_eq!(facts["unassigned"], serde_json::json!(["outt"]));

    let param = good.replacen(".Invoke($line)", ".Invoke($lin)", 1);
    assert_ne!(param, good);
    let facts = ps_hook_check(&param).unwrap();
    assert_eq!(facts["unassigned"], serde_json::json!(["lin"]));
}

#[path = "hooks/preexec.rs"]
mod preexec;

#[path = "hooks/strict.rs"]
mod strict;

#[path = "hooks/no_process.rs"]
mod no_process;

#[path = "hooks/interrupt.rs"]
mod interrupt;
