//! The hook never ends, blocks or alters the shell: every combination of
//! the strict options and traps users run with, in real interactive shells
//! (one tmux session per shell; each combination is a child shell started
//! from it). The hook holds due credentials of a profile that does not
//! exist, so each shell also goes through a failed refresh.

use super::*;

/// The lines typed in every combination; each `echo` appends what the
/// shell holds at that point to ~/LOG. `sh -c 'exit 0' | sh -c 'exit 3' &&
/// :` fails without ending a `set -e` shell, with or without pipefail.
fn typed(sh: Sh) -> Vec<String> {
    let log = "$L";
    match sh {
        Sh::Bash | Sh::Zsh => {
            let ps = if sh == Sh::Bash {
                "${PIPESTATUS[*]}"
            } else {
                "${pipestatus[*]}"
            };
            vec![
                "false && true".into(),
                format!("echo \"A $?\" >> {log}"),
                "sh -c 'exit 0' | sh -c 'exit 3' && :".into(),
                format!("echo \"B $? {ps}\" >> {log}"),
                ": one two".into(),
                format!("echo \"C $_\" >> {log}"),
                // Due again: the refresh fails before this command and
                // at the prompt after it.
                "AWSROLE_NEXT=0".into(),
                format!("echo \"E $?\" >> {log}; exit"),
            ]
        }
        Sh::Fish => vec![
            "false".into(),
            format!("echo \"A $status\" >> {log}"),
            "true | false".into(),
            format!("echo \"B $status $pipestatus\" >> {log}"),
            "set -gx AWSROLE_NEXT 0".into(),
            format!("echo \"E $status\" >> {log}; exit"),
        ],
    }
}

/// Runs one child shell per start-up text in `rcs` from one tmux session;
/// returns what each wrote to its log, and the screen.
fn run_children(home: &TestHome, sh: Sh, rcs: &[String]) -> (Vec<String>, String) {
    install_wrapper(home);
    let mut env = home.clean_env();
    for (k, v) in env.iter_mut() {
        if k == "PATH" {
            *v = format!("{}:{v}", home.path().join("bin").display());
        }
    }
    let tmux = Tmux::start("exec sh", env, 200, 50);
    let mut logs = Vec::new();
    for (i, rc) in rcs.iter().enumerate() {
        let log = format!("log-{i}");
        let ready = home.path().join(format!("{log}.ready"));
        let rc_file = home.path().join(format!("rc-{i}"));
        let ready_line = match sh {
            Sh::Fish => "\necho > $L.ready\n".to_string(),
            _ => "\n: > $L.ready\n".to_string(),
        };
        let set_log = match sh {
            Sh::Fish => format!("set -g L ~/{log}\n"),
            _ => format!("L=~/{log}\n"),
        };
        std::fs::write(&rc_file, format!("{set_log}{rc}{ready_line}")).unwrap();
        let start = match sh {
            Sh::Bash => format!("bash --noprofile --rcfile ~/rc-{i} -i"),
            Sh::Zsh => {
                let dir = home.path().join(format!("z{i}"));
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::copy(&rc_file, dir.join(".zshrc")).unwrap();
                format!("ZDOTDIR=~/z{i} zsh -d -i")
            }
            Sh::Fish => format!("fish --no-config -i -C 'source ~/rc-{i}'"),
        };
        tmux.send_line(&start);
        let deadline = Instant::now() + WAIT;
        while !ready.exists() {
            assert!(
                Instant::now() < deadline,
                "{} #{i} did not start:\n{}",
                sh.name(),
                tmux.capture_all()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        for line in typed(sh) {
            tmux.send_line(&line);
        }
        let path = home.path().join(&log);
        let deadline = Instant::now() + WAIT;
        loop {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.lines().any(|l| l.starts_with("E ")) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} #{i} did not finish; rc:\n{rc}\nscreen:\n{}",
                sh.name(),
                tmux.capture_all()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        // The outer shell answers once the child has exited: its log is
        // complete (traps run for `exit` too).
        tmux.send_line(&format!("echo done-''{i}"));
        tmux.wait_for(&format!("done-{i}\n"), WAIT);
        logs.push(std::fs::read_to_string(&path).unwrap());
    }
    (logs, tmux.capture_all())
}

fn hook_file(home: &TestHome, sh: Sh) -> String {
    let out = run(Command::new(awsrole_bin()).args(["hook", sh.name()]));
    out.assert_success();
    let path = home.path().join(format!("hook.{}", sh.name()));
    std::fs::write(&path, &out.stdout).unwrap();
    path.to_string_lossy().into_owned()
}

const DUE: &str = "export AWSROLE_PROFILE=nosuch AWSROLE_EXPIRATION=$(( $(date +%s) + 60 ))";

/// bash: set -e, set -u, pipefail, errtrace and extdebug in all 32
/// combinations, each once with user DEBUG, ERR and RETURN traps and once
/// without, PROMPT_COMMAND as a string and as an array; the same shells
/// without the hook write the same log ($?, $PIPESTATUS, $_, the statuses
/// the user's traps and PROMPT_COMMAND saw, the traps that ran).
#[test]
fn bash_strict_modes_and_traps_are_left_alone() {
    let home = TestHome::new();
    let hook = hook_file(&home, Sh::Bash);
    let mut rcs = Vec::new();
    let mut names = Vec::new();
    for bits in 0..64u32 {
        let mut rc = String::from("PS1='$ '\n");
        let mut name = Vec::new();
        for (bit, opt) in [
            "set -e",
            "set -u",
            "set -o pipefail",
            "set -o errtrace",
            "shopt -s extdebug",
        ]
        .iter()
        .enumerate()
        {
            if bits & (1 << bit) != 0 {
                rc += opt;
                rc += "\n";
                name.push(*opt);
            }
        }
        let traps = bits & 32 != 0;
        if traps {
            // The hook's own functions are filtered out: a RETURN or
            // DEBUG trap sees shell functions run at the prompt, any
            // PROMPT_COMMAND function's as well.
            rc += "trap '__s=$?; [[ ${FUNCNAME[0]-} == __awsrole* || $BASH_COMMAND == *__awsrole* ]] || echo \"dbg $__s $BASH_COMMAND\" >> ~/LOG' DEBUG\n\
                   trap 'echo \"err $?\" >> ~/LOG' ERR\n\
                   trap '__s=$?; [[ ${FUNCNAME[0]-} == __awsrole* ]] || echo \"ret $__s\" >> ~/LOG' RETURN\n";
            name.push("traps");
        }
        if bits % 3 == 0 {
            rc += "__u_pc() { echo \"pc $? $_\" >> ~/LOG; }\nPROMPT_COMMAND=(__u_pc)\n";
            name.push("array");
        } else {
            rc += "__u_pc() { echo \"pc $? $_\" >> ~/LOG; }\nPROMPT_COMMAND='__u_pc'\n";
        }
        let rc = rc.replace("~/LOG", "$L");
        // Sourcing a file runs a RETURN trap: the same for both.
        // Both source ~/log-N.src: the hook, or an empty file.
        let hook_text = std::fs::read_to_string(&hook).unwrap();
        for text in ["", hook_text.as_str()] {
            let src = home.path().join(format!("log-{}.src", rcs.len()));
            std::fs::write(src, text).unwrap();
            rcs.push(format!("{rc}. $L.src\n{DUE}\n"));
        }
        names.push(name.join(", "));
    }
    let (logs, screen) = run_children(&home, Sh::Bash, &rcs);
    for (i, name) in names.iter().enumerate() {
        let (base, hooked) = (&logs[2 * i], &logs[2 * i + 1]);
        assert!(
            base.contains("A 1\n") && base.contains("B 3 0 3\n") && base.contains("E 0\n"),
            "{name}: {base}"
        );
        // The user's own DEBUG trap sets $_; without it, $_ is the command's.
        assert!(
            name.contains("traps") || base.contains("C two\n"),
            "{name}: {base}"
        );
        // Under extdebug a DEBUG trap also runs inside sourced files and
        // command substitutions: it sees the hook file's own lines while it
        // loads, and once, at the first prompt, the `trap -p DEBUG` that
        // reads it for chaining. From then on, the same.
        let from_start = |log: &str| log[log.find("$L.ready").unwrap_or(0)..].to_string();
        let (base, mut hooked) = (from_start(base), from_start(hooked));
        if name.contains("extdebug") && name.contains("traps") {
            hooked = hooked.replacen("dbg 0 trap -p DEBUG\n", "", 1);
        }
        assert_eq!(hooked, base, "bash with {name}: with the hook / without");
    }
    // Every hooked shell tried the refresh (at a prompt and before a
    // command) and said so on one line each time.
    let calls = hook_calls(&home);
    assert_eq!(calls.len(), 2 * 64, "{calls:?}");
    let warned = screen
        .lines()
        .filter(|l| l.contains("awsrole: could not refresh nosuch (configuration error)"))
        .count();
    assert!(warned > 0);
    assert!(!screen.contains("unbound variable"), "{screen}");
}

/// zsh: err_exit, err_return, nounset, warn_create_global, ksh_arrays,
/// sh_word_split, local_traps and pipe_fail in all 256 combinations.
#[test]
fn zsh_options_are_left_alone() {
    let home = TestHome::new();
    let hook = hook_file(&home, Sh::Zsh);
    let opts = [
        "err_exit",
        "err_return",
        "nounset",
        "warn_create_global",
        "ksh_arrays",
        "sh_word_split",
        "local_traps",
        "pipe_fail",
    ];
    let mut rcs = Vec::new();
    for bits in 0..256u32 {
        let set: Vec<&str> = opts
            .iter()
            .enumerate()
            .filter(|(b, _)| bits & (1 << b) != 0)
            .map(|(_, o)| *o)
            .collect();
        rcs.push(format!(
            "PROMPT='%# '\n__u_pc() {{ print -r -- \"pc $? $_\" >> $L }}\nprecmd_functions+=(__u_pc)\n\
             . {hook}\n{DUE}\nsetopt {}\n",
            set.join(" ")
        ));
    }
    // The same without the hook, the reference.
    rcs.push(format!(
        "PROMPT='%# '\n__u_pc() {{ print -r -- \"pc $? $_\" >> $L }}\nprecmd_functions+=(__u_pc)\n\
         . /dev/null\n{DUE}\n"
    ));
    let (logs, screen) = run_children(&home, Sh::Zsh, &rcs);
    let reference = &logs[256];
    // The user's precmd saw each command's status and $_.
    assert_eq!(
        reference,
        "pc 0 :\npc 1 false\nA 1\npc 0 A 1\npc 3 exit 3\nB 3 0 3\npc 0 B 3 0 3\npc 0 two\nC two\npc 0 C two\npc 0 \nE 0\n"
    );
    for (bits, log) in logs[..256].iter().enumerate() {
        assert_eq!(
            log, reference,
            "zsh options #{bits}, with the hook / without"
        );
    }
    assert_eq!(hook_calls(&home).len(), 2 * 256);
    for bad in ["parameter not set", "created globally", "command not found"] {
        assert!(!screen.contains(bad), "{bad}: {screen}");
    }
}

/// fish, with and without `set -g fish_trace 1`: $status and $pipestatus.
#[test]
fn fish_trace_and_statuses_are_left_alone() {
    let home = TestHome::new();
    let hook = hook_file(&home, Sh::Fish);
    let due = "set -gx AWSROLE_PROFILE nosuch; set -gx AWSROLE_EXPIRATION (math (date +%s) + 60)";
    let rcs = vec![
        format!("source {hook}\n{due}\n"),
        format!("source {hook}\n{due}\nset -g fish_trace 1\n"),
    ];
    let (logs, _) = run_children(&home, Sh::Fish, &rcs);
    for log in &logs {
        assert_eq!(log, "A 1\nB 1 0 1\nE 0\n");
    }
    assert_eq!(hook_calls(&home).len(), 4);
}
