//! The Debian package, installed the way a user installs it: `cargo deb`
//! packages the binary under test (its own profile, no rebuild: the release
//! profile's fat LTO is for releases only), `dpkg -i` installs it system-wide,
//! and a user with a fresh HOME and `PATH=/usr/bin:/bin` finds the man pages
//! with `man`, tab-completes a profile name in bash (tmux, bash-completion's
//! loader finding the installed file), zsh and fish, and runs the installed
//! binary. The package is removed again at the end, also when a check fails.
//!
//! Needs root (dpkg) and cargo-deb (scripts/setup installs it into
//! .tools/cargo-deb and exports AWSROLE_TEST_CARGO_DEB); either missing fails
//! loudly. An `awsrole` package or /usr/bin/awsrole that this test did not
//! install is never replaced: the test fails and says so. Runs of this test
//! from other checkouts on the same machine wait for each other (a lock).
//!
//! While the package is installed, /usr/bin/awsrole is on every PATH; the
//! other tests run the built binary (CARGO_BIN_EXE_awsrole, or its folder put
//! first on PATH) and cargo runs test binaries one at a time, so none of them
//! runs meanwhile.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Output, Tmux, awsrole_bin, loud_panic, run};

const PACKAGE: &str = "awsrole";
/// What this test leaves on the system while it runs (lock) and while the
/// package is installed (marker), so a later run can tell its own leftover
/// from a package someone installed on purpose.
const STATE_DIR: &str = "/var/lib/awsrole-deb-test";
/// The user's PATH: the installed binary is the only `awsrole` on it.
const USER_PATH: &str = "/usr/bin:/bin";
const WAIT: Duration = Duration::from_secs(20);

const CONFIG: &str = "\
[default]
region = eu-west-1

[profile marketingadmin]
role_arn = arn:aws:iam::123456789012:role/marketingadminrole
source_profile = default
";

/// Installed path -> the repository file it must be byte-for-byte.
const PLAIN_FILES: [(&str, &str); 9] = [
    (
        "/usr/share/bash-completion/completions/awsrole",
        "completions/awsrole.bash",
    ),
    (
        "/usr/share/zsh/vendor-completions/_awsrole",
        "completions/_awsrole",
    ),
    (
        "/usr/share/fish/vendor_completions.d/awsrole.fish",
        "completions/awsrole.fish",
    ),
    ("/usr/share/awsrole/awsrole.bash", "shell/awsrole.bash"),
    ("/usr/share/awsrole/awsrole.zsh", "shell/awsrole.zsh"),
    ("/usr/share/awsrole/awsrole.fish", "shell/awsrole.fish"),
    ("/usr/share/awsrole/awsrole.ps1", "shell/awsrole.ps1"),
    ("/usr/share/awsrole/awsrole.nu", "shell/awsrole.nu"),
    ("/usr/share/awsrole/awsrole.elv", "shell/awsrole.elv"),
];

/// `awsrole hook ARG` -> the installed script it must equal.
const HOOKS: [(&str, &str); 6] = [
    ("bash", "awsrole.bash"),
    ("zsh", "awsrole.zsh"),
    ("fish", "awsrole.fish"),
    ("powershell", "awsrole.ps1"),
    ("nu", "awsrole.nu"),
    ("elvish", "awsrole.elv"),
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cargo_deb() -> PathBuf {
    let path = std::env::var_os("AWSROLE_TEST_CARGO_DEB")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".tools/cargo-deb/bin/cargo-deb"));
    if !path.is_file() {
        loud_panic(&[
            &format!("TEST TOOL MISSING: cargo-deb ({})", path.display()),
            "Run `scripts/test` from the repository root: scripts/setup installs the",
            "pinned cargo-deb into .tools/cargo-deb and exports AWSROLE_TEST_CARGO_DEB.",
        ]);
    }
    path
}

fn require_root() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        loud_panic(&[
            "THE DEBIAN PACKAGE TEST NEEDS ROOT: it installs the .deb with `dpkg -i`.",
            "CI runs as root. Elsewhere run it as root, e.g.",
            "  sudo -E env PATH=\"$PATH\" cargo test --test deb",
        ]);
    }
}

#[track_caller]
fn ok(out: Output) -> String {
    out.assert_success();
    out.stdout
}

fn dpkg_installed() -> bool {
    let out = run(Command::new("dpkg-query").args(["-W", "-f=${Status}", PACKAGE]));
    out.success() && out.stdout.contains("install ok installed")
}

/// Removes the package (purge: nothing of it stays) and the marker.
fn remove_package() -> Output {
    let out = run(Command::new("dpkg").args(["--purge", PACKAGE]));
    if out.success() {
        let _ = std::fs::remove_file(Path::new(STATE_DIR).join("installed"));
    }
    out
}

/// Purges the package when dropped, so a failed check still cleans up.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let out = remove_package();
        if !out.success() && !std::thread::panicking() {
            panic!("dpkg --purge {PACKAGE} failed: {out:#?}");
        }
    }
}

/// The system-wide lock (held while the returned file lives), after making
/// sure nothing that someone else installed is in the way.
fn take_the_system() -> File {
    std::fs::create_dir_all(STATE_DIR).unwrap();
    let lock = File::create(Path::new(STATE_DIR).join("lock")).unwrap();
    lock.lock().expect("lock the deb test's state");
    let marker = Path::new(STATE_DIR).join("installed");
    if dpkg_installed() {
        if !marker.exists() {
            loud_panic(&[
                "A PACKAGE NAMED awsrole IS INSTALLED, NOT BY THIS TEST.",
                "The test would replace and then remove it. Remove it first",
                "(dpkg --purge awsrole) or run the test on another machine.",
            ]);
        }
        // An earlier run was killed before it could clean up.
        let out = remove_package();
        assert!(out.success(), "removing the leftover package: {out:#?}");
    }
    if Path::new("/usr/bin/awsrole").exists() {
        loud_panic(&[
            "/usr/bin/awsrole EXISTS AND NO PACKAGE OWNS IT.",
            "dpkg -i would overwrite it and the test would then delete it; move it away first.",
        ]);
    }
    lock
}

/// `cargo deb` of the binary under test into `out_dir`; the .deb's path.
fn build_deb(out_dir: &Path) -> PathBuf {
    // target/<profile folder>/awsrole: cargo-deb finds the same file from the
    // profile and the target folder.
    let bin = awsrole_bin();
    let profile_dir = bin.parent().expect("profile folder");
    let target_dir = profile_dir.parent().expect("target folder");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev".to_owned(),
        Some(name) => name.to_owned(),
        None => panic!("unexpected binary path {}", bin.display()),
    };
    let stdout = ok(run(Command::new(cargo_deb())
        .args(["--no-build", "--fast", "--quiet", "--profile", &profile])
        .arg("--output")
        .arg(out_dir)
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(repo())));
    let deb = PathBuf::from(stdout.trim());
    assert!(
        deb.is_file() && deb.starts_with(out_dir),
        "cargo deb printed {stdout:?}"
    );
    deb
}

/// A user's command: only PATH (/usr/bin:/bin), HOME and LANG.
fn user(home: &Path, program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", USER_PATH)
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .current_dir(home);
    cmd
}

fn user_env(home: &Path) -> [(&'static str, String); 3] {
    [
        ("PATH", USER_PATH.to_owned()),
        ("HOME", home.to_string_lossy().into_owned()),
        ("LANG", "C.UTF-8".to_owned()),
    ]
}

#[test]
fn installed_package_puts_everything_where_users_look() {
    require_root();
    cargo_deb();
    let work = tempfile::Builder::new()
        .prefix("awsrole-deb-")
        .tempdir()
        .unwrap();
    let _lock = take_the_system();
    let deb = build_deb(work.path());

    let fields = ok(run(Command::new("dpkg-deb")
        .args(["--show", "--showformat=${Package} ${Version} ${Depends}\n"])
        .arg(&deb)));
    assert!(
        fields.starts_with(&format!("{PACKAGE} {}-", env!("CARGO_PKG_VERSION"))),
        "{fields}"
    );
    assert!(
        fields.contains("libc6"),
        "dependencies from dpkg-shlibdeps: {fields}"
    );

    std::fs::write(Path::new(STATE_DIR).join("installed"), "").unwrap();
    let _installed = Installed;
    ok(run(Command::new("dpkg").arg("-i").arg(&deb)));
    assert!(dpkg_installed());

    let home = tempfile::Builder::new()
        .prefix("awsrole-deb-home-")
        .tempdir()
        .unwrap();
    let home = home.path();
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(home.join(".aws/config"), CONFIG).unwrap();

    // The binary: first on the user's PATH, the version of the one built.
    assert_eq!(
        ok(run(user(home, "sh").args(["-c", "command -v awsrole"]))).trim(),
        "/usr/bin/awsrole"
    );
    let version = ok(run(user(home, "awsrole").arg("--version")));
    assert_eq!(version, format!("awsrole {}\n", env!("CARGO_PKG_VERSION")));
    assert_eq!(
        version,
        ok(run(Command::new(awsrole_bin()).arg("--version")))
    );

    // Completions and hooks: the repository's files, unchanged.
    for (installed, source) in PLAIN_FILES {
        let have =
            std::fs::read(installed).unwrap_or_else(|e| panic!("{installed} not installed: {e}"));
        let want = std::fs::read(repo().join(source)).unwrap();
        assert!(have == want, "{installed} differs from {source}");
    }
    // The documented `eval "$(awsrole hook SHELL)"` and the installed scripts
    // are one and the same.
    for (arg, file) in HOOKS {
        let printed = ok(run(user(home, "awsrole").args(["hook", arg])));
        let installed =
            std::fs::read_to_string(Path::new("/usr/share/awsrole").join(file)).unwrap();
        assert!(
            printed == installed,
            "`awsrole hook {arg}` differs from /usr/share/awsrole/{file}"
        );
    }
    let sourced = run(user(home, "bash").args([
        "--norc",
        "--noprofile",
        "-c",
        "source /usr/share/awsrole/awsrole.bash && [[ ${PROMPT_COMMAND[*]} == *awsrole* ]] && echo hooked",
    ]));
    assert_eq!(ok(sourced), "hooked\n");

    // Man pages: gzipped in man1, found by man-db with no MANPATH, rendered.
    for (page, file) in [("awsrole", "awsrole.1"), ("awsrole-env", "awsrole-env.1")] {
        let path = ok(run(user(home, "man").args(["-w", page])));
        assert_eq!(path, format!("/usr/share/man/man1/{file}.gz\n"));
        let unzipped = ok(run(Command::new("zcat").arg(path.trim())));
        assert_eq!(
            unzipped,
            std::fs::read_to_string(repo().join("man").join(file)).unwrap(),
            "{path}"
        );
        let shown = ok(run(user(home, "man")
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .arg(page)));
        assert!(shown.contains("NAME") && shown.contains(page), "{shown}");
    }
    let manual = std::fs::read_dir(repo().join("man")).unwrap().count();
    let installed_pages = std::fs::read_dir("/usr/share/man/man1")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("awsrole") && name.ends_with(".1.gz")
        })
        .count();
    assert_eq!(installed_pages, manual, "every page of man/ is installed");

    // bash: a fresh interactive shell, bash-completion's on-demand loader
    // finds /usr/share/bash-completion/completions/awsrole at the first Tab
    // (the fresh HOME has no completions of its own).
    let loader = "/usr/share/bash-completion/bash_completion";
    assert!(
        Path::new(loader).is_file(),
        "TEST PEER MISSING: {loader} (Debian package bash-completion)"
    );
    let tmux = Tmux::start("exec bash --norc --noprofile -i", user_env(home), 120, 30);
    tmux.send_line(&format!(
        "PS1='$ '; source {loader}; complete -p awsrole || echo not-yet-lo''aded"
    ));
    tmux.wait_for("not-yet-loaded", WAIT);
    tmux.send_keys("awsrole env mark");
    tmux.send_key("Tab");
    tmux.wait_for("$ awsrole env marketingadmin", WAIT);
    drop(tmux);

    // zsh: /usr/share/zsh/vendor-completions is on Debian's default fpath.
    let tmux = Tmux::start("exec zsh -f -i", user_env(home), 120, 30);
    tmux.send_line("PS1='%% '; autoload -Uz compinit && compinit -u -D && print lo''aded");
    tmux.wait_for("loaded", WAIT);
    tmux.send_keys("awsrole env mark");
    tmux.send_key("Tab");
    tmux.wait_for("% awsrole env marketingadmin", WAIT);
    drop(tmux);

    // fish: vendor_completions.d is on its default fish_complete_path (not
    // with --no-config, so the fresh HOME's empty config is read instead).
    let fish = ok(run(
        user(home, "fish").args(["-c", "complete -C 'awsrole env mark'"])
    ));
    assert_eq!(
        fish,
        "marketingadmin\tarn:aws:iam::123456789012:role/marketingadminrole\n"
    );

    drop(_installed);
    assert!(!dpkg_installed(), "the package is still installed");
    assert!(!Path::new("/usr/bin/awsrole").exists());
    assert!(!Path::new("/usr/share/awsrole").exists());
}
