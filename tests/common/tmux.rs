//! tmux: real terminals for interactive programs.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use super::peers::test_path;
use super::{Output, run, unique};

/// A detached tmux session on its own server (socket `tmux -S <tempdir>/<unique>`,
/// so no stale socket is left in /tmp/tmux-UID), killed on Drop.
/// The pane stays after its program exits (remain-on-exit) so the last screen can
/// still be read; there is no status line, so the pane is exactly width x height.
pub struct Tmux {
    socket: PathBuf,
    dir: tempfile::TempDir,
}

const TMUX_TARGET: &str = "=main:";

impl Tmux {
    /// Starts `command_line` (run by `sh -c`) in a `width` x `height` pane. The
    /// pane's environment is exactly PATH (the test's), HOME (a temp dir), LANG
    /// (C.UTF-8), then `env` on top, plus what tmux adds (TERM, TMUX, TMUX_PANE).
    pub fn start<I, K, V>(command_line: &str, env: I, width: u16, height: u16) -> Tmux
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let dir = tempfile::Builder::new()
            .prefix("awsrole-tmux-")
            .tempdir()
            .expect("temp dir for tmux");
        let conf = dir.path().join("tmux.conf");
        std::fs::write(
            &conf,
            "set -g remain-on-exit on\nset -g status off\nset -g history-limit 10000\nset -g escape-time 0\n",
        )
        .expect("write tmux.conf");
        let tmux = Tmux {
            socket: dir.path().join(unique("tmux")),
            dir,
        };
        let mut cmd = Command::new("tmux");
        cmd.arg("-S")
            .arg(&tmux.socket)
            .arg("-f")
            .arg(&conf)
            .arg("-u")
            .args(["new-session", "-d", "-s", "main", "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .args(["sh", "-c", command_line])
            .env_clear()
            .env("PATH", test_path())
            .env("HOME", tmux.dir.path())
            .env("LANG", "C.UTF-8")
            .env("SHELL", "/bin/sh")
            .envs(env)
            .current_dir(tmux.dir.path());
        let out = run(&mut cmd);
        if !out.success() {
            panic!("tmux new-session failed: {out:#?}");
        }
        tmux
    }

    fn tmux(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(&self.socket).args(args);
        run(&mut cmd)
    }

    fn tmux_ok(&self, args: &[&str]) -> String {
        let out = self.tmux(args);
        if !out.success() {
            panic!("tmux {args:?} failed: {out:#?}");
        }
        out.stdout
    }

    /// Types `text` literally (no key-name interpretation).
    pub fn send_keys(&self, text: &str) {
        self.tmux_ok(&["send-keys", "-t", TMUX_TARGET, "-l", "--", text]);
    }

    /// Sends named tmux keys, e.g. `"Enter"`, `"C-c"`, `"C-d"`, `"Escape"`.
    pub fn send_key(&self, key: &str) {
        self.tmux_ok(&["send-keys", "-t", TMUX_TARGET, key]);
    }

    /// Types `text` then Enter.
    pub fn send_line(&self, text: &str) {
        self.send_keys(text);
        self.send_key("Enter");
    }

    /// The visible screen as plain text (one line per row, trailing blanks cut).
    pub fn capture(&self) -> String {
        self.tmux_ok(&["capture-pane", "-p", "-t", TMUX_TARGET])
    }

    /// The whole scrollback plus screen, wrapped lines joined.
    pub fn capture_all(&self) -> String {
        self.tmux_ok(&["capture-pane", "-p", "-J", "-S", "-", "-t", TMUX_TARGET])
    }

    /// Polls the screen until it contains `text`; returns that screen. Panics with
    /// the screen on timeout.
    #[track_caller]
    pub fn wait_for(&self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.capture();
            if screen.contains(text) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {text:?} on the tmux screen:\n\
                     ----8<----\n{screen}\n----8<----\nscrollback:\n{}",
                    self.capture_all()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
