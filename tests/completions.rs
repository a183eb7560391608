//! Shell completion, end to end: the scripts under `completions/` are what
//! `awsrole completions SHELL` prints; real bash, zsh, fish and elvish load
//! them and, at Tab time, get profile names from the real binary reading the
//! test HOME's config as it is at that moment. PowerShell (not installed):
//! the script is checked with tree-sitter's PowerShell grammar, and the
//! binary's answers are checked as the script's block would read them.
//!
//! Regenerate the checked-in scripts (and man pages) with
//! `AWSROLE_UPDATE_GENERATED=1 cargo test --test completions --test man`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Output, TestHome, Tmux, awsrole_bin, run, venv_bin};

/// Each shell `awsrole completions` supports, and its checked-in file.
const SCRIPTS: [(&str, &str); 5] = [
    ("bash", "awsrole.bash"),
    ("zsh", "_awsrole"),
    ("fish", "awsrole.fish"),
    ("powershell", "_awsrole.ps1"),
    ("elvish", "awsrole.elv"),
];

const REGENERATE: &str = "AWSROLE_UPDATE_GENERATED=1 cargo test --test completions --test man";

const CONFIG: &str = "\
[default]
region = eu-west-1

[profile marketingadmin]
role_arn = arn:aws:iam::123456789012:role/marketingadminrole
source_profile = default

[profile dev-a]
region = eu-west-1

[profile dev-b]
region = eu-west-1

[sso-session corp]
sso_region = eu-west-1
";

const CREDENTIALS: &str = "[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = notasecret\n";

/// Every profile in CONFIG + CREDENTIALS, sorted (not the sso-session).
const ALL: [&str; 5] = ["ci", "default", "dev-a", "dev-b", "marketingadmin"];

const WAIT: Duration = Duration::from_secs(20);

fn completions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("completions")
}

fn script_path(shell: &str) -> PathBuf {
    let file = SCRIPTS
        .iter()
        .find(|(s, _)| *s == shell)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no script for {shell}"));
    completions_dir().join(file)
}

fn updating() -> bool {
    std::env::var_os("AWSROLE_UPDATE_GENERATED").is_some_and(|v| v == "1")
}

fn home() -> TestHome {
    let h = TestHome::new();
    h.write_config(CONFIG);
    h.write_credentials(CREDENTIALS);
    h
}

/// PATH with the binary's folder first: the scripts run `awsrole` by name.
fn path_with_bin() -> String {
    let dir = awsrole_bin()
        .parent()
        .expect("binary folder")
        .to_string_lossy()
        .into_owned();
    let rest = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
    format!("{dir}:{rest}")
}

/// The home's clean env (PATH, HOME, LANG) with `awsrole` on PATH.
fn env_for(home: &TestHome) -> Vec<(String, String)> {
    let mut env = home.clean_env();
    for (k, v) in &mut env {
        if k == "PATH" {
            *v = path_with_bin();
        }
    }
    env
}

fn program(home: &TestHome, name: &str) -> Command {
    let mut cmd = Command::new(name);
    cmd.env_clear().envs(env_for(home)).current_dir(home.path());
    cmd
}

#[track_caller]
fn ok(out: Output) -> String {
    out.assert_success();
    assert_eq!(out.stderr, "", "unexpected stderr: {out:#?}");
    out.stdout
}

/// The values the binary offers for the last of `words` (`words[0]` is
/// `awsrole`), through the fish protocol: one `value[\thelp]` per line.
fn candidates(home: &TestHome, words: &[&str]) -> Vec<String> {
    let out = ok(run(program(home, "awsrole")
        .env("AWSROLE_COMPLETE", "fish")
        .arg("--")
        .args(words)));
    out.lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_owned())
        .collect()
}

fn profiles_only(values: &[String]) -> Vec<&str> {
    values
        .iter()
        .map(String::as_str)
        .filter(|v| !v.starts_with('-'))
        .collect()
}

// ------------------------------------------------------------ generated files

#[test]
fn checked_in_scripts_are_what_awsrole_completions_prints() {
    let home = TestHome::new();
    let mut stale = Vec::new();
    for (shell, _) in SCRIPTS {
        let fresh = ok(run(home.cmd().args(["completions", shell])));
        let path = script_path(shell);
        let have = std::fs::read(&path).ok();
        if have.as_deref() == Some(fresh.as_bytes()) {
            continue;
        }
        if updating() {
            std::fs::create_dir_all(completions_dir()).unwrap();
            std::fs::write(&path, &fresh).unwrap();
            eprintln!("updated {}", path.display());
        } else {
            stale.push(format!(
                "{} (differs from `awsrole completions {shell}`)",
                path.display()
            ));
        }
    }
    let expected: Vec<&str> = SCRIPTS.iter().map(|(_, f)| *f).collect();
    for entry in std::fs::read_dir(completions_dir()).expect("completions/ exists") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !expected.contains(&name.as_str()) {
            stale.push(format!("completions/{name} (not generated by anything)"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale completion scripts:\n  {}\nregenerate with: {REGENERATE}",
        stale.join("\n  ")
    );
}

#[test]
fn complete_env_prints_the_same_script_as_the_subcommand() {
    let home = TestHome::new();
    for (shell, _) in SCRIPTS {
        let via_env = ok(run(home.cmd().env("AWSROLE_COMPLETE", shell)));
        let via_cmd = ok(run(program(&home, "awsrole").args(["completions", shell])));
        assert_eq!(via_env, via_cmd, "{shell}");
        // Run by absolute path, the script still calls `awsrole` from PATH.
        assert!(
            !via_env.contains(&*awsrole_bin().to_string_lossy()),
            "{shell}: script names the build path:\n{via_env}"
        );
    }
    let pwsh = ok(run(program(&home, "awsrole").args(["completions", "pwsh"])));
    assert_eq!(
        pwsh,
        std::fs::read_to_string(script_path("powershell")).unwrap()
    );
    let bad = run(program(&home, "awsrole").args(["completions", "tcsh"]));
    assert_eq!(bad.code, 2, "{bad:#?}");
    assert_eq!(bad.stdout, "");
}

// ------------------------------------------------ the protocol, every command

/// `(subcommand path, argument)` for every argument of the tree matching `pick`.
fn arguments_where(pick: &dyn Fn(&clap::Arg) -> bool) -> Vec<(Vec<String>, clap::Arg)> {
    fn walk(
        cmd: &clap::Command,
        path: &[String],
        pick: &dyn Fn(&clap::Arg) -> bool,
        out: &mut Vec<(Vec<String>, clap::Arg)>,
    ) {
        for a in cmd.get_arguments().filter(|a| pick(a)) {
            out.push((path.to_vec(), a.clone()));
        }
        for sub in cmd.get_subcommands() {
            let mut p = path.to_vec();
            p.push(sub.get_name().to_owned());
            walk(sub, &p, pick, out);
        }
    }
    let mut cmd = awsrole::commands::completions::command();
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, &[], pick, &mut out);
    out
}

/// The words that put the cursor on a value of `arg`, ending in `partial`.
fn words_for(path: &[String], arg: &clap::Arg, partial: &str) -> Vec<String> {
    let mut words = vec!["awsrole".to_owned()];
    words.extend(path.iter().cloned());
    if let Some(long) = arg.get_long() {
        words.push(format!("--{long}"));
    } else if let Some(short) = arg.get_short() {
        words.push(format!("-{short}"));
    } else {
        // Positional: earlier positionals get a placeholder value.
        let index = arg.get_index().expect("positional has an index");
        words.extend((1..index).map(|_| "x".to_owned()));
    }
    words.push(partial.to_owned());
    words
}

#[test]
fn every_profile_argument_completes_profile_names_from_the_config() {
    let home = home();
    let args = arguments_where(&|a| {
        awsrole::commands::completions::PROFILE_VALUED.contains(&a.get_id().as_str())
    });
    assert!(
        args.iter().any(|(p, _)| p == &["env"]),
        "env's profile argument not found: {args:?}"
    );
    // `--source-profile` (ad-hoc `--role-arn`) on env, exec and console.
    for cmd in ["env", "exec", "console"] {
        assert!(
            args.iter()
                .any(|(p, a)| p == &[cmd] && a.get_long() == Some("source-profile")),
            "{cmd} --source-profile not found: {args:?}"
        );
    }
    for (path, arg) in &args {
        let words = words_for(path, arg, "mark");
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        assert_eq!(candidates(&home, &refs), ["marketingadmin"], "{words:?}");

        let words = words_for(path, arg, "");
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        assert_eq!(profiles_only(&candidates(&home, &refs)), ALL, "{words:?}");
    }
}

#[test]
fn every_shell_argument_completes_shell_names() {
    let home = home();
    let args = arguments_where(&|a| {
        a.get_id() == "shell"
            || a.get_value_names()
                .is_some_and(|v| v.iter().any(|n| n == "SHELL"))
    });
    assert!(
        args.len() >= 2,
        "env --shell and completions SHELL: {args:?}"
    );
    for (path, arg) in &args {
        let words = words_for(path, arg, "");
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let got = candidates(&home, &refs);
        for shell in ["bash", "zsh", "fish", "powershell"] {
            assert!(got.iter().any(|c| c == shell), "{words:?}: {got:?}");
        }
        let words = words_for(path, arg, "fi");
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        assert_eq!(candidates(&home, &refs), ["fish"], "{words:?}");
    }
}

#[test]
fn subcommands_complete_from_the_binary() {
    let home = home();
    let got = candidates(&home, &["awsrole", ""]);
    let mut cmd = awsrole::commands::completions::command();
    cmd.build();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        assert!(got.iter().any(|c| c == sub.get_name()), "{got:?}");
    }
    assert_eq!(candidates(&home, &["awsrole", "en"]), ["env"]);
}

#[test]
fn missing_or_broken_config_gives_no_candidates_and_no_noise() {
    let home = TestHome::new();
    assert!(profiles_only(&candidates(&home, &["awsrole", "env", ""])).is_empty());
    home.write_config("[profile ok]\n[profile broken\n");
    assert!(profiles_only(&candidates(&home, &["awsrole", "env", ""])).is_empty());
    home.write_config("[profile ok]\n");
    assert_eq!(candidates(&home, &["awsrole", "env", "o"]), ["ok"]);
}

#[test]
fn profile_files_come_from_the_environment_at_tab_time() {
    let home = home();
    let other = home.path().join("other-config");
    std::fs::write(&other, "[profile elsewhere]\n").unwrap();
    let out = ok(run(program(&home, "awsrole")
        .env("AWSROLE_COMPLETE", "fish")
        .env("AWS_CONFIG_FILE", &other)
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"))
        .args(["--", "awsrole", "env", ""])));
    let values: Vec<String> = out.lines().map(|l| l.to_owned()).collect();
    assert_eq!(profiles_only(&values), ["elsewhere"]);
}

// ------------------------------------------------------------------ bash

const BASH_DRIVER: &str = r#"
source "$1"
spec=$(complete -p awsrole) || exit 1
fn=${spec##*-F }
fn=${fn%% *}
ask() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(( $# - 1 ))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMP_TYPE=9
    COMPREPLY=()
    "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\n' "${COMPREPLY[@]}" "--end--"
}
ask awsrole env mark
ask awsrole env --shell f
ask awsrole en
ask awsrole env ''
printf '[profile marketplace]\n' >> "$HOME/.aws/config"
ask awsrole env market
export AWS_CONFIG_FILE="$HOME/other-config"
printf '[profile elsewhere]\n' > "$AWS_CONFIG_FILE"
ask awsrole env e
"#;

fn answers(stdout: &str) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    for line in stdout.lines() {
        if line == "--end--" {
            out.push(Vec::new());
        } else if !line.is_empty() {
            out.last_mut().unwrap().push(line.to_owned());
        }
    }
    out.pop();
    out
}

#[test]
fn bash_registered_function_answers_with_profiles_read_at_tab_time() {
    let home = home();
    let out = ok(run(program(&home, "bash")
        .args(["--norc", "--noprofile", "-c", BASH_DRIVER, "driver"])
        .arg(script_path("bash"))));
    let got = answers(&out);
    assert_eq!(got.len(), 6, "{out}");
    assert_eq!(got[0], ["marketingadmin"]);
    assert_eq!(got[1], ["fish"]);
    assert_eq!(got[2], ["env"]);
    assert_eq!(profiles_only(&got[3]), ALL);
    // Not baked in: a profile added after the script was loaded completes.
    assert_eq!(got[4], ["marketingadmin", "marketplace"]);
    // The environment of the shell at Tab time picks the file.
    assert_eq!(got[5], ["elsewhere"]);
}

#[test]
fn bash_interactive_tab_via_bash_completion_loader() {
    // The documented install: ~/.local/share/bash-completion/completions/awsrole,
    // found by bash-completion's on-demand loader.
    let home = home();
    let dir = home.path().join(".local/share/bash-completion/completions");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(script_path("bash"), dir.join("awsrole")).unwrap();
    let loader = Path::new("/usr/share/bash-completion/bash_completion");
    assert!(
        loader.is_file(),
        "TEST PEER MISSING: {} (Debian package bash-completion)",
        loader.display()
    );
    let tmux = Tmux::start("exec bash --norc --noprofile -i", env_for(&home), 120, 30);
    tmux.send_line(&format!(
        "PS1='$ '; source {}; echo lo''aded",
        loader.display()
    ));
    tmux.wait_for("loaded", WAIT);
    tmux.send_keys("awsrole env mark");
    tmux.send_key("Tab");
    tmux.wait_for("$ awsrole env marketingadmin", WAIT);
    tmux.send_key("C-u");
    tmux.send_keys("awsrole env --shell z");
    tmux.send_key("Tab");
    tmux.wait_for("$ awsrole env --shell zsh", WAIT);
}

// ------------------------------------------------------------------- zsh

fn zsh_session(home: &TestHome, setup: &str) -> Tmux {
    let tmux = Tmux::start("exec zsh -f -i", env_for(home), 120, 30);
    tmux.send_line(&format!(
        "PS1='%% '; {setup}; autoload -Uz compinit && compinit -u -D && print lo''aded"
    ));
    tmux.wait_for("loaded", WAIT);
    tmux
}

#[test]
fn zsh_sourced_script_completes_profiles_and_shells() {
    let home = home();
    let tmux = zsh_session(&home, "true");
    tmux.send_line(&format!(
        "source {}; print sour''ced",
        script_path("zsh").display()
    ));
    tmux.wait_for("sourced", WAIT);
    tmux.send_keys("awsrole env mark");
    tmux.send_key("Tab");
    tmux.wait_for("% awsrole env marketingadmin", WAIT);
    tmux.send_key("C-u");
    tmux.send_keys("awsrole env --shell fi");
    tmux.send_key("Tab");
    tmux.wait_for("% awsrole env --shell fish", WAIT);
    // Ambiguous: both candidates are listed under the line.
    tmux.send_key("C-u");
    tmux.send_keys("awsrole env dev-");
    tmux.send_key("Tab");
    let screen = tmux.wait_for("dev-b", WAIT);
    assert!(screen.contains("dev-a"), "{screen}");
}

#[test]
fn zsh_fpath_autoload_completes_on_the_first_tab() {
    // The documented install: `_awsrole` in a folder of $fpath, before compinit.
    let home = home();
    let dir = home.path().join(".zfunc");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(script_path("zsh"), dir.join("_awsrole")).unwrap();
    let tmux = zsh_session(&home, &format!("fpath=({} $fpath)", dir.display()));
    tmux.send_keys("awsrole env mark");
    tmux.send_key("Tab"); // once: the first Tab must already complete
    tmux.wait_for("% awsrole env marketingadmin", WAIT);
    // A profile added now completes too (read at Tab time).
    std::fs::write(
        home.config_path(),
        format!("{CONFIG}[profile marketplace]\n"),
    )
    .unwrap();
    tmux.send_key("C-u");
    tmux.send_keys("awsrole env marketp");
    tmux.send_key("Tab");
    tmux.wait_for("% awsrole env marketplace", WAIT);
}

// ------------------------------------------------------------------ fish

const FISH_DRIVER: &str = r#"
function ask
    complete -C $argv[1]
    echo --end--
end
ask 'awsrole env mark'
ask 'awsrole env --shell f'
ask 'awsrole en'
printf '[profile marketplace]\n' >> $HOME/.aws/config
ask 'awsrole env market'
"#;

fn fish_answers(home: &TestHome, setup: &str) -> Vec<Vec<String>> {
    let out = ok(run(program(home, "fish")
        .args(["--no-config", "-c"])
        .arg(format!("{setup}\n{FISH_DRIVER}"))));
    answers(&out)
}

#[track_caller]
fn check_fish(got: &[Vec<String>]) {
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(
        got[0],
        ["marketingadmin\tarn:aws:iam::123456789012:role/marketingadminrole"]
    );
    assert_eq!(got[1], ["fish"]);
    assert_eq!(got[2].len(), 1, "{got:?}");
    assert!(got[2][0].starts_with("env\t"), "{got:?}");
    let names: Vec<&str> = got[3]
        .iter()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(names, ["marketingadmin", "marketplace"]);
}

#[test]
fn fish_sourced_script_completes_profiles_read_at_tab_time() {
    let home = home();
    let setup = format!("source {}", script_path("fish").display());
    check_fish(&fish_answers(&home, &setup));
}

#[test]
fn fish_completions_folder_autoloads() {
    // The documented install: ~/.config/fish/completions/awsrole.fish.
    let home = home();
    let dir = home.path().join(".config/fish/completions");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(script_path("fish"), dir.join("awsrole.fish")).unwrap();
    let setup = format!(
        "set -g fish_complete_path {} $fish_complete_path",
        dir.display()
    );
    check_fish(&fish_answers(&home, &setup));
}

// ---------------------------------------------------------------- elvish

#[test]
fn elvish_arg_completer_completes_profiles() {
    let home = home();
    let tmux = Tmux::start("exec elvish -norc", env_for(&home), 120, 30);
    tmux.send_line(&format!(
        "eval (slurp < {}); echo lo''aded",
        script_path("elvish").display()
    ));
    tmux.wait_for("loaded", WAIT);
    tmux.send_line("put ($edit:completion:arg-completer[awsrole] awsrole env mark)");
    tmux.wait_for("▶ marketingadmin", WAIT);
    tmux.send_line("put ($edit:completion:arg-completer[awsrole] awsrole env --shell p)");
    let screen = tmux.wait_for("▶ powershell", WAIT);
    assert!(screen.contains("▶ pwsh"), "{screen}");
}

// ------------------------------------------------------------ powershell

/// Parses a PowerShell file with tree-sitter-powershell: exit 1 with the
/// errors, or prints each command's elements as JSON lists.
const PS_PARSE: &str = r#"
import json, sys
import tree_sitter, tree_sitter_powershell
src = open(sys.argv[1], "rb").read()
parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
root = parser.parse(src).root_node
bad = []
commands = []
def walk(node):
    if node.is_error or node.is_missing or node.type == "ERROR":
        bad.append(f"{node.type} at {node.start_point}: {node.text[:80]!r}")
    if node.type == "command":
        words = []
        for child in node.children:
            if child.type == "command_name":
                words.append(child.text.decode())
            elif child.type == "command_elements":
                words += [c.text.decode()[:40] for c in child.children if c.type != "command_argument_sep"]
        commands.append(words)
    for child in node.children:
        walk(child)
walk(root)
if bad:
    sys.exit("parse errors:\n" + "\n".join(bad))
json.dump(commands, sys.stdout)
"#;

fn ps_parse(path: &Path) -> Result<Vec<Vec<String>>, String> {
    let out = run(Command::new(venv_bin("python"))
        .args(["-c", PS_PARSE])
        .arg(path));
    if out.code != 0 {
        return Err(out.stderr);
    }
    Ok(serde_json::from_str(&out.stdout).expect("checker prints JSON"))
}

#[test]
fn powershell_script_parses_and_registers_a_native_completer() {
    let commands = ps_parse(&script_path("powershell")).unwrap_or_else(|e| panic!("{e}"));
    let register = commands
        .iter()
        .find(|c| c.first().map(String::as_str) == Some("Register-ArgumentCompleter"))
        .unwrap_or_else(|| panic!("no Register-ArgumentCompleter: {commands:?}"));
    let at = |flag: &str| register.iter().position(|w| w == flag);
    assert!(at("-Native").is_some(), "{register:?}");
    let name = at("-CommandName").expect("-CommandName");
    assert_eq!(register[name + 1], "awsrole", "{register:?}");
    let block = at("-ScriptBlock").expect("-ScriptBlock");
    assert!(register[block + 1].starts_with('{'), "{register:?}");
    // The block runs `& awsrole -- <command line>` with AWSROLE_COMPLETE=powershell.
    let text = std::fs::read_to_string(script_path("powershell")).unwrap();
    assert!(
        text.contains("$env:AWSROLE_COMPLETE = \"powershell\";"),
        "{text}"
    );
    assert!(text.contains("& awsrole -- $args"), "{text}");

    // The checker does reject a broken script.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.ps1");
    std::fs::write(&broken, text.replacen("}", "", 1)).unwrap();
    assert!(ps_parse(&broken).is_err(), "broken script accepted");
}

/// What the PowerShell block turns the binary's output into: each line is
/// `value` or `value<TAB>help`, and becomes CompletionResult(value, .., help).
fn powershell_results(home: &TestHome, line: &str, word: &str) -> Vec<(String, String)> {
    let mut args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    if word.is_empty() {
        args.push(String::new()); // the block appends " ''"
    }
    let out = ok(run(program(home, "awsrole")
        .env("AWSROLE_COMPLETE", "powershell")
        .arg("--")
        .args(&args)));
    out.lines()
        .map(|l| {
            let split: Vec<&str> = l.split('\t').collect();
            let help = if split.len() == 2 { split[1] } else { split[0] };
            (split[0].to_owned(), help.to_owned())
        })
        .collect()
}

#[test]
fn powershell_output_gives_profiles_with_their_roles() {
    let home = home();
    assert_eq!(
        powershell_results(&home, "awsrole env mark", "mark"),
        [(
            "marketingadmin".to_owned(),
            "arn:aws:iam::123456789012:role/marketingadminrole".to_owned()
        )]
    );
    let all = powershell_results(&home, "awsrole env ", "");
    let names: Vec<String> = all.into_iter().map(|(v, _)| v).collect();
    assert_eq!(profiles_only(&names), ALL);
    let shells = powershell_results(&home, "awsrole env --shell pw", "pw");
    assert_eq!(shells, [("pwsh".to_owned(), "pwsh".to_owned())]);
}

// --------------------------------------------------- after `exec PROFILE --`

/// A command of our own on PATH (`awsroletestcmd`) and a file to complete,
/// in the home; returns the shell line that puts the command on PATH and
/// moves into the home.
fn exec_fixture(home: &TestHome) -> String {
    let bin = home.path().join("xbin");
    std::fs::create_dir_all(&bin).unwrap();
    let cmd = bin.join("awsroletestcmd");
    std::fs::write(&cmd, "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cmd, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(home.path().join("uniquefile.txt"), "").unwrap();
    format!("PATH={}:$PATH; cd {}", bin.display(), home.path().display())
}

#[test]
fn bash_completes_the_command_after_exec_dashdash() {
    let home = home();
    let fixture = exec_fixture(&home);
    let loader = "/usr/share/bash-completion/bash_completion";
    let tmux = Tmux::start("exec bash --norc --noprofile -i", env_for(&home), 120, 30);
    tmux.send_line(&format!(
        "PS1='$ '; {fixture}; source {loader}; source {}; echo lo''aded",
        script_path("bash").display()
    ));
    tmux.wait_for("loaded", WAIT);
    // The command name, from PATH.
    tmux.send_keys("awsrole exec dev-a -- awsroletestc");
    tmux.send_key("Tab");
    tmux.wait_for("$ awsrole exec dev-a -- awsroletestcmd", WAIT);
    // No completion of its own: file paths (after the space Tab added).
    tmux.send_keys("uniquef");
    tmux.send_key("Tab");
    tmux.wait_for(
        "$ awsrole exec dev-a -- awsroletestcmd uniquefile.txt",
        WAIT,
    );
    // Its own completion once it has one; options before `--` are skipped.
    tmux.send_key("C-u");
    tmux.send_line("complete -W 'alpha-sub beta' awsroletestcmd; echo regi''stered");
    tmux.wait_for("registered", WAIT);
    tmux.send_keys("awsrole -v exec --no-input dev-a -- awsroletestcmd alp");
    tmux.send_key("Tab");
    tmux.wait_for("-- awsroletestcmd alpha-sub", WAIT);
    // Before `--`, awsrole's own completion still answers.
    tmux.send_key("C-u");
    tmux.send_keys("awsrole exec mark");
    tmux.send_key("Tab");
    tmux.wait_for("$ awsrole exec marketingadmin", WAIT);
}

#[test]
fn zsh_completes_the_command_after_exec_dashdash() {
    let home = home();
    let fixture = exec_fixture(&home);
    let tmux = zsh_session(&home, &fixture);
    tmux.send_line(&format!(
        "source {}; print sour''ced",
        script_path("zsh").display()
    ));
    tmux.wait_for("sourced", WAIT);
    tmux.send_keys("awsrole exec dev-a -- awsroletestc");
    tmux.send_key("Tab");
    tmux.wait_for("% awsrole exec dev-a -- awsroletestcmd", WAIT);
    tmux.send_keys("uniquef");
    tmux.send_key("Tab");
    tmux.wait_for(
        "% awsrole exec dev-a -- awsroletestcmd uniquefile.txt",
        WAIT,
    );
    tmux.send_key("C-u");
    tmux.send_line(
        "_awsroletestcmd() { compadd alpha-sub beta }; compdef _awsroletestcmd awsroletestcmd; print regi''stered",
    );
    tmux.wait_for("registered", WAIT);
    tmux.send_keys("awsrole exec --no-input dev-a -- awsroletestcmd alp");
    tmux.send_key("Tab");
    tmux.wait_for("-- awsroletestcmd alpha-sub", WAIT);
    tmux.send_key("C-u");
    tmux.send_keys("awsrole exec mark");
    tmux.send_key("Tab");
    tmux.wait_for("% awsrole exec marketingadmin", WAIT);
}

#[test]
fn fish_completes_the_command_after_exec_dashdash() {
    let home = home();
    let fixture = exec_fixture(&home)
        .replace("PATH=", "set PATH ")
        .replace(":$PATH", " $PATH");
    let driver = format!(
        "{fixture}\nsource {}\n{}\n",
        script_path("fish").display(),
        r#"
function ask
    complete -C $argv[1]
    echo --end--
end
ask 'awsrole exec dev-a -- awsroletestc'
ask 'awsrole exec dev-a -- awsroletestcmd uniquef'
complete -c awsroletestcmd -f -a 'alpha-sub beta'
ask 'awsrole -v exec --no-input dev-a -- awsroletestcmd alp'
ask 'awsrole exec mark'
"#
    );
    let got = answers(&ok(run(program(&home, "fish")
        .args(["--no-config", "-c"])
        .arg(driver))));
    let names: Vec<Vec<&str>> = got
        .iter()
        .map(|a| a.iter().map(|l| l.split('\t').next().unwrap()).collect())
        .collect();
    assert_eq!(
        names,
        [
            vec!["awsroletestcmd"],
            vec!["uniquefile.txt"],
            vec!["alpha-sub"],
            vec!["marketingadmin"]
        ]
    );
}

#[test]
fn fish_interactive_tab_after_exec_dashdash() {
    let home = home();
    let fixture = exec_fixture(&home)
        .replace("PATH=", "set PATH ")
        .replace(":$PATH", " $PATH");
    let tmux = Tmux::start("exec fish --no-config", env_for(&home), 120, 30);
    tmux.send_line(&format!(
        "set -g fish_autosuggestion_enabled 0; function fish_prompt; echo -n '> '; end; {fixture}; source {}; echo lo''aded",
        script_path("fish").display()
    ));
    tmux.wait_for("loaded", WAIT);
    tmux.send_keys("awsrole exec dev-a -- awsroletestc");
    tmux.send_key("Tab");
    tmux.wait_for("> awsrole exec dev-a -- awsroletestcmd", WAIT);
    tmux.send_keys("uniquef");
    tmux.send_key("Tab");
    tmux.wait_for(
        "> awsrole exec dev-a -- awsroletestcmd uniquefile.txt",
        WAIT,
    );
}
