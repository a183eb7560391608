//! The registration scripts: clap_complete's, plus a hand-over to the
//! shell's own completion for the command line after `awsrole exec ... --`.
//!
//! clap's engine only knows awsrole's arguments; after `--` the words are
//! another command's, so the scripts stop asking awsrole there: the first
//! word completes command names from PATH, the rest use that command's own
//! completion, or file paths where it has none. Each script finds the
//! subcommand as the first word not starting with `-` (global flags take
//! no value), and the first `--` after `exec` before the cursor.

use std::io::Write;

use clap_complete::env::{Bash, EnvCompleter, Fish, Zsh};

/// bash: bash-completion's `_comp_command_offset` (2.12) or
/// `_command_offset` (older); without bash-completion, `compgen`.
const BASH: &str = r#"
_awsrole_exec_offset() {
    local i sub=
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ -z $sub ]]; then
            [[ ${COMP_WORDS[i]} == -* ]] && continue
            sub=${COMP_WORDS[i]}
            [[ $sub == exec ]] || return 1
        elif [[ ${COMP_WORDS[i]} == -- ]]; then
            _awsrole_offset=$((i + 1))
            return 0
        fi
    done
    return 1
}
_awsrole_complete() {
    local _awsrole_offset
    if ! _awsrole_exec_offset; then
        _clap_complete_awsrole "$@"
        return
    fi
    compopt +o nospace 2>/dev/null
    if declare -F _comp_command_offset >/dev/null; then
        _comp_command_offset "$_awsrole_offset"
    elif declare -F _command_offset >/dev/null; then
        _command_offset "$_awsrole_offset"
    elif ((COMP_CWORD == _awsrole_offset)); then
        COMPREPLY=($(compgen -c -- "$2"))
    else
        COMPREPLY=($(compgen -f -- "$2"))
    fi
}
"#;

/// zsh: `_normal` on the words after `--`, as `sudo` or `env` do.
const ZSH: &str = r#"
function _awsrole_complete() {
    local i sub=
    for ((i = 2; i < CURRENT; i++)); do
        if [[ -z $sub ]]; then
            [[ ${words[i]} == -* ]] && continue
            sub=${words[i]}
            [[ $sub == exec ]] || break
        elif [[ ${words[i]} == -- ]]; then
            shift i words
            (( CURRENT -= i ))
            _normal
            return
        fi
    done
    _clap_dynamic_completer_awsrole "$@"
}
compdef _awsrole_complete awsrole
"#;

/// fish: `complete -C` on the words after `--`, re-escaped.
const FISH: &str = r#"
function __awsrole_exec_words
    set -l sub
    set -l after
    set -l found
    for w in (commandline --current-process --tokenize --cut-at-cursor)[2..-1]
        if set -q found[1]
            set -a after $w
        else if not set -q sub[1]
            string match -q -- '-*' $w; and continue
            set sub $w
            test "$sub" = exec; or return 1
        else if test "$w" = --
            set found 1
        end
    end
    set -q found[1]; or return 1
    string escape -- $after
    return 0
end
complete --keep-order --exclusive --command awsrole --condition '__awsrole_exec_words >/dev/null' --arguments '(complete -C (string join " " -- (__awsrole_exec_words) (commandline --current-token)))'
"#;

/// Writes `inner`'s script, then `extra`, keeping clap's completion for
/// everything but `exec ... --`.
fn wrap(
    inner: &dyn EnvCompleter,
    extra: &str,
    args: (&str, &str, &str, &str),
    buf: &mut dyn Write,
) -> std::io::Result<()> {
    let (var, name, bin, completer) = args;
    let mut script = Vec::new();
    inner.write_registration(var, name, bin, completer, &mut script)?;
    let script = String::from_utf8(script).expect("registration scripts are UTF-8");
    buf.write_all(script.as_bytes())?;
    buf.write_all(extra.as_bytes())
}

macro_rules! exec_aware {
    ($(#[$doc:meta])* $ty:ident, $inner:expr, $extra:expr, $fix:expr) => {
        $(#[$doc])*
        pub struct $ty;

        impl EnvCompleter for $ty {
            fn name(&self) -> &'static str {
                $inner.name()
            }

            fn is(&self, name: &str) -> bool {
                $inner.is(name)
            }

            fn write_registration(
                &self,
                var: &str,
                name: &str,
                bin: &str,
                completer: &str,
                buf: &mut dyn Write,
            ) -> std::io::Result<()> {
                let mut out = Vec::new();
                wrap(&$inner, $extra, (var, name, bin, completer), &mut out)?;
                let text = String::from_utf8(out).expect("UTF-8");
                buf.write_all($fix(text).as_bytes())
            }

            fn write_complete(
                &self,
                cmd: &mut clap::Command,
                args: Vec<std::ffi::OsString>,
                current_dir: Option<&std::path::Path>,
                buf: &mut dyn Write,
            ) -> std::io::Result<()> {
                $inner.write_complete(cmd, args, current_dir, buf)
            }
        }
    };
}

exec_aware!(
    /// bash, handing over after `exec ... --`.
    BashExec,
    Bash,
    BASH,
    |s: String| s.replace("-F _clap_complete_awsrole awsrole", "-F _awsrole_complete awsrole")
);

exec_aware!(
    /// fish: the clap line only where the hand-over does not apply.
    FishExec,
    Fish,
    FISH,
    |s: String| s.replacen(
        "--command awsrole --arguments",
        "--command awsrole --condition 'not __awsrole_exec_words >/dev/null' --arguments",
        1
    )
);

exec_aware!(
    /// zsh, handing over after `exec ... --`, and also working as an
    /// autoloaded `_awsrole` in `$fpath`: autoloaded by compinit (its
    /// `#compdef` first line), the file's body *is* the function `_awsrole`,
    /// run at the first Tab, so the last line also completes when the body
    /// runs as `_awsrole`; when sourced, `$funcstack[1]` is the file.
    ZshExec,
    Zsh,
    ZSH,
    |s: String| s + "if [[ ${funcstack[1]-} == _awsrole ]]; then _awsrole_complete \"$@\"; fi\n"
);
