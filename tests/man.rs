//! Man pages and the interface they document: the checked-in `man/*.1` are
//! what `generate::pages()` (tests/man/generate.rs) generates from the clap definitions; real
//! `man -l` renders each without a warning; every command's `--help` has
//! examples; colour only on a terminal and never with NO_COLOR; the exit
//! statuses the page documents are the ones the binary returns; every
//! environment variable the source reads is documented.
//!
//! Regenerate the checked-in pages (and completion scripts) with
//! `AWSROLE_UPDATE_GENERATED=1 cargo test --test completions --test man`.

mod common;
// Under man/, so that Cargo does not build it as a test of its own.
#[path = "man/generate.rs"]
mod generate;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Output, TestHome, run};
use generate::{ENVIRONMENT, EXIT_STATUSES, describe_status, pages};

const REGENERATE: &str = "AWSROLE_UPDATE_GENERATED=1 cargo test --test completions --test man";

fn man_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("man")
}

fn updating() -> bool {
    std::env::var_os("AWSROLE_UPDATE_GENERATED").is_some_and(|v| v == "1")
}

/// Every visible command as its word path: `[]`, `["env"]`, ...
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        out.push(path.to_vec());
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut p = path.to_vec();
            p.push(sub.get_name().to_owned());
            walk(sub, &p, out);
        }
    }
    let mut cmd = awsrole::commands::completions::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, &[], &mut out);
    out
}

fn page_file(path: &[String]) -> String {
    let mut name = "awsrole".to_owned();
    for p in path {
        name.push('-');
        name.push_str(p);
    }
    format!("{name}.1")
}

// ------------------------------------------------------------ generated files

#[test]
fn checked_in_man_pages_are_current() {
    let pages = pages();
    let mut stale = Vec::new();
    for page in &pages {
        let path = man_dir().join(&page.file_name);
        if std::fs::read(&path).ok().as_deref() == Some(page.roff.as_bytes()) {
            continue;
        }
        if updating() {
            std::fs::create_dir_all(man_dir()).unwrap();
            std::fs::write(&path, &page.roff).unwrap();
            eprintln!("updated {}", path.display());
        } else if path.exists() {
            stale.push(format!(
                "man/{} (differs from the clap definitions)",
                page.file_name
            ));
        } else {
            stale.push(format!(
                "man/{} (missing: a new subcommand?)",
                page.file_name
            ));
        }
    }
    for entry in std::fs::read_dir(man_dir()).expect("man/ exists") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !pages.iter().any(|p| p.file_name == name) {
            if updating() {
                std::fs::remove_file(man_dir().join(&name)).unwrap();
                eprintln!("removed man/{name}");
            } else {
                stale.push(format!("man/{name} (no such command any more)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale man pages:\n  {}\nregenerate with: {REGENERATE}",
        stale.join("\n  ")
    );
}

#[test]
fn one_page_per_command() {
    let mut want: Vec<String> = command_paths().iter().map(|p| page_file(p)).collect();
    let mut have: Vec<String> = pages().into_iter().map(|p| p.file_name).collect();
    want.sort();
    have.sort();
    assert_eq!(have, want);
}

// --------------------------------------------------------------- rendering

/// `man -l FILE` as a reader gets it (80 columns, no pager, plain text),
/// with groff's warnings on.
fn man(file: &Path) -> Output {
    run(Command::new("man")
        .args(["--warnings", "-l"])
        .arg(file)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("HOME", std::env::temp_dir()))
}

#[test]
fn every_page_renders_cleanly_with_man() {
    assert!(
        Path::new("/usr/bin/man").is_file(),
        "TEST PEER MISSING: /usr/bin/man (Debian packages man-db, groff-base)"
    );
    for page in pages() {
        // Render the generated text, so that this holds before regenerating too.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(&page.file_name);
        std::fs::write(&file, &page.roff).unwrap();
        let out = man(&file);
        assert!(out.success(), "{}: {out:#?}", page.file_name);
        assert_eq!(out.stderr, "", "{}: warnings", page.file_name);
        let text = out.stdout;
        for heading in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "EXIT STATUS",
            "ENVIRONMENT",
            "FILES",
            "EXAMPLES",
            "SEE ALSO",
        ] {
            assert!(
                text.lines().any(|l| l == heading),
                "{}: no {heading} section:\n{text}",
                page.file_name
            );
        }
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "{}: overlong {line:?}",
                page.file_name
            );
            let raw = line.starts_with('.') || line.contains("\\-") || line.contains("\\f");
            assert!(!raw, "{}: roff leaked: {line:?}", page.file_name);
        }
    }
}

#[test]
fn main_page_renders_and_documents_everything() {
    let out = man(&man_dir().join("awsrole.1"));
    assert!(out.success() && out.stderr.is_empty(), "{out:#?}");
    let text = out.stdout;
    // Joined, so that wrapped lines still match.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for path in command_paths().iter().filter(|p| !p.is_empty()) {
        let name = format!("awsrole-{}(1)", path.join("-"));
        assert!(flat.contains(&name), "{name} not listed:\n{text}");
    }
    for status in EXIT_STATUSES {
        let code = status.map_or(0, |s| s as u8);
        let line = format!("{code} {}", describe_status(status));
        assert!(flat.contains(&line), "exit status {code} missing:\n{text}");
    }
    for path in [
        "~/.aws/config",
        "~/.aws/credentials",
        "~/.aws/cli/cache/<sha1>.json",
        "~/.aws/cli/cache/<sha1>.lock",
    ] {
        assert!(flat.contains(path), "{path} missing from FILES");
    }
    for var in common::VARIABLES {
        assert!(flat.contains(var), "{var} (set by env) missing");
    }
    assert!(
        flat.contains("eval \"$(awsrole env marketingadmin)\""),
        "{text}"
    );
}

#[test]
fn whatis_parses_every_page() {
    for page in pages() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(&page.file_name);
        std::fs::write(&file, &page.roff).unwrap();
        let out = run(Command::new("lexgrog").arg(&file));
        assert!(out.success(), "{}: {out:#?}", page.file_name);
        let name = page.file_name.trim_end_matches(".1");
        assert!(
            out.stdout.contains(&format!("\"{name} - ")),
            "{}: {}",
            page.file_name,
            out.stdout
        );
    }
}

// ----------------------------------------------------- documented behaviour

#[test]
fn every_command_help_has_examples() {
    let home = TestHome::new();
    for path in command_paths() {
        let out = run(home.cmd().args(&path).arg("--help"));
        assert_eq!(out.code, 0, "{path:?}: {out:#?}");
        assert!(
            out.stdout.contains("\nExamples:\n  "),
            "`awsrole {} --help` has no Examples: section:\n{}",
            path.join(" "),
            out.stdout
        );
        assert!(out.stdout.contains("awsrole"), "{}", out.stdout);
    }
}

/// Every name the source reads with `getenv("..")`, `var("..")`,
/// `var_os("..")` or `env("..")`.
fn variables_read_by_source() -> Vec<String> {
    fn scan(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                scan(&path, out);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for pattern in ["getenv(\"", "var(\"", "var_os(\"", "env(\""] {
                for (at, _) in text.match_indices(pattern) {
                    let rest = &text[at + pattern.len()..];
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                        .collect();
                    if !name.is_empty() && rest[name.len()..].starts_with('"') {
                        out.push(name);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    scan(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_variable_the_source_reads_is_documented() {
    let read = variables_read_by_source();
    assert!(
        read.iter().any(|v| v == "AWS_PROFILE"),
        "scan found {read:?}"
    );
    let documented: String = ENVIRONMENT
        .iter()
        .map(|(names, what)| format!("{names} {what}"))
        .collect();
    let missing: Vec<&String> = read
        .iter()
        .filter(|v| {
            !documented
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|w| w == v.as_str())
        })
        .collect();
    assert!(
        missing.is_empty(),
        "read by src/ but not in generate::ENVIRONMENT: {missing:?}"
    );
}

#[test]
fn exit_statuses_are_those_documented() {
    let home = TestHome::new();
    home.write_config(
        "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = notasecret\n\
         [profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n\
         mfa_serial = arn:aws:iam::123456789012:mfa/u\n",
    );
    let code = |args: &[&str]| run(home.cmd().args(args)).code;
    assert_eq!(code(&["--help"]), 0);
    assert_eq!(code(&["--version"]), 0);
    assert_eq!(code(&["--no-such-option"]), 2);
    assert_eq!(code(&[]), 2, "no subcommand");
    assert_eq!(code(&["no-such-command"]), 2);
    assert_eq!(code(&["env", "--shell", "tcsh"]), 2);
    assert_eq!(code(&["env", "no-such-profile", "--shell", "bash"]), 3);
    assert_eq!(code(&["env", "mfa", "--no-input", "--shell", "bash"]), 6);
    // The documented numbers are the ones in awsrole::error::Status.
    let codes: Vec<u8> = EXIT_STATUSES
        .iter()
        .map(|s| s.map_or(0, |s| s as u8))
        .collect();
    assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6]);
}

// ------------------------------------------------------------------- colour

/// Runs `awsrole ARGS` on a real pseudo-terminal (util-linux `script`);
/// returns what the terminal received (stdout and stderr).
fn on_terminal(home: &TestHome, args: &str, extra_env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c"])
        .arg(format!("{} {args}", common::awsrole_bin().display()))
        .arg("/dev/null")
        .env_clear()
        .envs(home.clean_env())
        .env("TERM", "xterm-256color")
        .current_dir(home.path());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = run(&mut cmd);
    format!("{}{}", out.stdout, out.stderr)
}

const ESC: &str = "\x1b[";

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let home = TestHome::new();
    for path in command_paths() {
        let args = format!("{} --help", path.join(" "));
        let tty = on_terminal(&home, &args, &[]);
        assert!(tty.contains("Usage"), "{tty}");
        assert!(
            tty.contains(ESC),
            "`awsrole {args}` on a terminal has no colour"
        );
        let no_color = on_terminal(&home, &args, &[("NO_COLOR", "1")]);
        assert!(no_color.contains("Usage"), "{no_color}");
        assert!(!no_color.contains(ESC), "NO_COLOR: {no_color:?}");
        let dumb = on_terminal(&home, &args, &[("TERM", "dumb")]);
        assert!(!dumb.contains(ESC), "TERM=dumb: {dumb:?}");
        let piped = run(home.cmd().args(&path).arg("--help"));
        assert!(!piped.stdout.contains(ESC), "piped: {:?}", piped.stdout);
    }
    // Usage errors too.
    let tty = on_terminal(&home, "--no-such-option", &[]);
    assert!(tty.contains(ESC), "{tty:?}");
    let no_color = on_terminal(&home, "--no-such-option", &[("NO_COLOR", "1")]);
    assert!(
        no_color.contains("error:") && !no_color.contains(ESC),
        "{no_color:?}"
    );
    let piped = run(home.cmd().arg("--no-such-option"));
    assert!(piped.stderr.contains("error:") && !piped.stderr.contains(ESC));
}
