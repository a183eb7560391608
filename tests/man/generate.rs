//! Man pages, generated from the clap definitions with clap_mangen: one page
//! for `awsrole` and one per (visible) subcommand, found by walking the
//! command tree, so a new subcommand gets its page without a change here.
//! Only the tests generate them (the binary has no man-page code): the
//! pages are files under `man/`, checked in.
//!
//! clap_mangen renders NAME, SYNOPSIS, DESCRIPTION, OPTIONS and COMMANDS.
//! This module adds what clap does not know: EXIT STATUS (from
//! [`awsrole::error::Status`]), ENVIRONMENT, FILES, the sections written in a
//! command's `after_help` (an `Examples:` heading becomes EXAMPLES), and SEE
//! ALSO. The checked-in copies under `man/` are compared byte for byte with
//! [`pages`] by `tests/man.rs`; regenerate with
//! `AWSROLE_UPDATE_GENERATED=1 cargo test --test man --test completions`.

use awsrole::cli::Cli;
use awsrole::error::Status;
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};

/// One generated page: its file name (`awsrole-env.1`) and roff source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub file_name: String,
    pub roff: String,
}

/// Every page, the main one first, then subcommands depth-first by name.
pub fn pages() -> Vec<Page> {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut commands = Vec::new();
    collect(&root, &mut commands);
    let names: Vec<String> = commands.iter().map(page_name).collect();
    commands
        .iter()
        .map(|cmd| {
            let name = page_name(cmd);
            let others: Vec<&str> = names
                .iter()
                .filter(|n| **n != name)
                .map(String::as_str)
                .collect();
            Page {
                file_name: format!("{name}.1"),
                roff: render(cmd, &others),
            }
        })
        .collect()
}

fn collect(cmd: &clap::Command, out: &mut Vec<clap::Command>) {
    out.push(cmd.clone());
    let mut subs: Vec<&clap::Command> =
        cmd.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    subs.sort_by_key(|s| s.get_name());
    for sub in subs {
        collect(sub, out);
    }
}

/// `awsrole`, `awsrole-env`, ... (clap's display name once the root is built).
fn page_name(cmd: &clap::Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_owned()
}

fn render(cmd: &clap::Command, others: &[&str]) -> String {
    let name = page_name(cmd);
    let man = Man::new(cmd.clone());
    // Each clap_mangen renderer writes roff's preamble (an apostrophe string
    // definition); keep the first only.
    let preamble = Roff::new().render();
    let mut out = preamble.clone();
    // Not Man::render_title: roff drops the empty date argument, which
    // shifts the source and manual into the wrong fields.
    out.push_str(&format!(
        ".TH {} 1 \"\" \"awsrole {}\" \"awsrole manual\"\n.nh\n.ad l\n",
        name.to_uppercase(),
        env!("CARGO_PKG_VERSION")
    ));
    let mut section = |f: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>| {
        let mut buf = Vec::new();
        f(&mut buf).expect("writing to a Vec cannot fail");
        let text = String::from_utf8(buf).expect("roff output is UTF-8");
        out.push_str(text.strip_prefix(&preamble).unwrap_or(&text));
    };
    section(&|w| man.render_name_section(w));
    section(&|w| man.render_synopsis_section(w));
    section(&|w| man.render_description_section(w));
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        section(&|w| man.render_options_section(w));
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        section(&|w| man.render_subcommands_section(w));
    }

    let mut roff = Roff::new();
    exit_status(&mut roff);
    environment(&mut roff);
    files(&mut roff);
    if let Some(after) = cmd.get_after_long_help().or_else(|| cmd.get_after_help()) {
        after_help_sections(&mut roff, &after.to_string());
    }
    see_also(&mut roff, others);
    let text = roff.render();
    out.push_str(text.strip_prefix(&preamble).unwrap_or(&text));
    out
}

/// Every exit status, in order (`tests/man.rs` checks this against the
/// binary's behaviour for the statuses it can provoke).
pub const EXIT_STATUSES: [Option<Status>; 7] = [
    None,
    Some(Status::Failure),
    Some(Status::Usage),
    Some(Status::Config),
    Some(Status::Sts),
    Some(Status::Unreachable),
    Some(Status::Mfa),
];

/// What an exit status means. Exhaustive on purpose: a new [`Status`] does
/// not compile until it is documented here (and added to [`EXIT_STATUSES`]).
pub fn describe_status(status: Option<Status>) -> &'static str {
    match status {
        None => "Success.",
        Some(Status::Failure) => {
            "Any other failure: the credential cache or its lock, writing the output, running a program."
        }
        Some(Status::Usage) => {
            "Command-line usage: an unknown option or subcommand, a missing or invalid argument."
        }
        Some(Status::Config) => {
            "The config or credentials file cannot be read or parsed, or the profile cannot be used: unknown profile, a source_profile loop, a role without a credential source."
        }
        Some(Status::Sts) => {
            "STS answered with an error: access denied, invalid or expired credentials, a wrong MFA code."
        }
        Some(Status::Unreachable) => {
            "STS or a credential source could not be reached (network, DNS, timeout)."
        }
        Some(Status::Mfa) => {
            "An MFA code is needed but cannot be asked for: --no-input was given, or there is no terminal."
        }
    }
}

fn exit_status(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    for status in EXIT_STATUSES {
        let code = status.map_or(0, |s| s as u8);
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(describe_status(status))]);
    }
}

/// Every environment variable awsrole reads or sets, with what it does.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "AWS_PROFILE",
        "The profile to use when none is given on the command line. exec removes it and AWS_DEFAULT_PROFILE from the command's environment.",
    ),
    (
        "AWS_DEFAULT_PROFILE",
        "The profile to use when neither the command line nor AWS_PROFILE names one (the AWS CLI v1's name). When both are set and differ, AWS_PROFILE wins, with a warning.",
    ),
    (
        "AWS_CONFIG_FILE",
        "The config file, instead of ~/.aws/config. A leading ~/ is the home directory.",
    ),
    (
        "AWS_SHARED_CREDENTIALS_FILE",
        "The credentials file, instead of ~/.aws/credentials. A leading ~/ is the home directory.",
    ),
    (
        "HOME",
        "The home directory, where ~/.aws is. On Windows, when HOME is unset: USERPROFILE, then HOMEDRIVE followed by HOMEPATH.",
    ),
    (
        "AWS_REGION, AWS_DEFAULT_REGION",
        "The STS region when the profile sets no region (AWS_REGION first; us-east-1 when neither is set), unless they hold the region awsrole exported (AWSROLE_REGION). env and exec set both to the profile's region; for a profile without one, they remove those that still hold the region awsrole exported, and keep one the user set.",
    ),
    (
        "AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL",
        "The STS endpoint, as in the AWS CLI: the service-specific variable first, then the global one, then the config file's services and endpoint_url settings.",
    ),
    (
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "When true, the endpoint variables and endpoint settings in the config file are ignored.",
    ),
    (
        "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN",
        "Read as the source credentials of a profile with credential_source = Environment, except when AWSROLE_PROFILE is set: they are then awsrole's own exports, and using them is an error. env sets the first three to the role's credentials, and removes AWS_SECURITY_TOKEN when it is set (a stale legacy token would shadow the new one).",
    ),
    (
        "AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED",
        "For credential_source = Ec2InstanceMetadata (IMDSv2): the metadata service's address (default http://169.254.169.254), and true to turn it off. A missing service fails after about a second (exit status 5).",
    ),
    (
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "For credential_source = EcsContainer: where the container credentials are (a path on 169.254.170.2, or a full URL) and the Authorization header to send (the file wins).",
    ),
    (
        "AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME",
        "Web identity without a profile: used when the selected profile gives no credentials of its own (or no default profile exists). A profile's web_identity_token_file and role_arn win.",
    ),
    (
        "AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL_SSO_OIDC",
        "IAM Identity Center endpoints: the access portal (GetRoleCredentials) and the OIDC service (login and token refresh), e.g. for a local test endpoint. AWS_ENDPOINT_URL and AWS_IGNORE_CONFIGURED_ENDPOINT_URLS apply as for STS.",
    ),
    (
        "HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy, NO_PROXY, no_proxy",
        "Proxies for STS, IAM Identity Center and the console sign-in, with botocore's rules: the lowercase name wins (empty turns the proxy off), user:password in the URL is sent as Basic auth and never printed, NO_PROXY takes *, names, .suffixes, host:port and IP addresses. HTTP_PROXY is ignored when REQUEST_METHOD is set (a CGI script). Instance metadata and container endpoints are never proxied.",
    ),
    (
        "AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE",
        "A PEM file of CA certificates that replaces the default roots for every HTTPS call. AWS_CA_BUNDLE wins over the profile's ca_bundle, which wins over REQUESTS_CA_BUNDLE, as in the AWS CLI. An unreadable or empty bundle is exit status 3.",
    ),
    (
        "SSL_CERT_FILE, SSL_CERT_DIR",
        "Without a CA bundle, the default roots: on Linux awsrole reads the system's bundle file (/etc/ssl/certs/ca-certificates.crt or the other distributions' paths) unless one of these is set; then, and on other systems, the roots come from these variables or the system's store, as OpenSSL reads them.",
    ),
    (
        "BROWSER",
        "The command login opens the sign-in page with (default xdg-open, or open on macOS). When it is set, login uses the browser flow even without a display.",
    ),
    (
        "SSH_CONNECTION, SSH_TTY, DISPLAY, WAYLAND_DISPLAY, container",
        "login uses the device code flow, without a browser, in an SSH session, on Linux without DISPLAY and WAYLAND_DISPLAY, or in a container (unless BROWSER is set).",
    ),
    (
        "AWSROLE_MFA_CODE",
        "An MFA code to use instead of asking: for scripts. Wins over the profile's mfa_process and over the terminal prompt, and works with --no-input.",
    ),
    (
        "AWSROLE_MFA_SESSION",
        "MFA sessions (GetSessionToken, one code for every role with the same mfa_serial and the same IAM user keys): a lifetime between 15m and 36h (default 8h), or off to send the code to every AssumeRole instead.",
    ),
    (
        "AWSROLE_MFA_SERIAL, AWSROLE_MFA_PROFILE",
        "Set for mfa_process: the MFA device and the profile the code is for.",
    ),
    (
        "AWS_CREDENTIAL_EXPIRATION",
        "Set by env and exec: when the credentials expire (ISO 8601, UTC).",
    ),
    (
        "AWSROLE_PROFILE",
        "Set by env and exec: the profile the credentials belong to. Read by status and the prompt hook.",
    ),
    (
        "AWSROLE_EXPIRATION",
        "Set by env and exec: when the credentials expire, in seconds since the Unix epoch. Read by status and the prompt hook.",
    ),
    (
        "AWSROLE_NEXT",
        "Set by env and exec: the second (since the Unix epoch) from which the prompt hook acts, AWSROLE_REFRESH_BEFORE before the expiration; env --hook moves it for the back-off, the MFA mode and credentials shorter than the window. The hook compares the clock with it and starts no process before.",
    ),
    (
        "AWSROLE_HOOK_STATE",
        "Set by env --hook: the prompt hook's failure count and mode, read back by the next env --hook. Not meant to be read or set by hand.",
    ),
    (
        "AWSROLE_REGION",
        "Set by env and exec with AWS_REGION and AWS_DEFAULT_REGION: the region awsrole exported, so that the next env can tell it from a region the user set. Read by status.",
    ),
    (
        "AWSROLE_REFRESH_BEFORE",
        "Read by env (for AWSROLE_NEXT) and env --hook: credentials that expire within this whole-second duration (default 10m) are refreshed by the prompt hook (awsrole-hook(1)). Export it, so that awsrole sees it.",
    ),
    (
        "AWSROLE_HOOK_MFA",
        "Read by env --hook (the prompt hook's refresh): with prompt, it may ask for an MFA code at the prompt; otherwise it says once which command to run.",
    ),
    (
        "DIRENV_IN_ENVRC",
        "Set by direnv while it evaluates an .envrc. When env fails there, it prints exit N instead of (exit N), so that direnv reports the failure and applies nothing from the .envrc.",
    ),
    (
        "AWSROLE_NO_INPUT",
        "1 (or true, yes): as --no-input, for env, exec and credential-process. awsrole sets it for the credential_process and mfa_process commands it runs under --no-input (the prompt hook), so that an awsrole among them never asks for a code either.",
    ),
    (
        "SHELL",
        "The shell to print for when --shell is not given and the calling shell cannot be told from the parent process.",
    ),
    (
        "AWSROLE_COMPLETE",
        "Set by the completion scripts when they run awsrole at a Tab (with _CLAP_COMPLETE_INDEX, _CLAP_IFS and similar); awsrole then prints candidates instead of running a command. See awsrole-completions(1).",
    ),
    (
        "NO_COLOR",
        "When set and not empty, nothing awsrole prints is coloured. Without it, colour is used only on a terminal.",
    ),
    ("TERM", "When dumb, nothing is coloured."),
    (
        "CLICOLOR, CLICOLOR_FORCE",
        "For help and usage messages: CLICOLOR=0 turns colour off, and CLICOLOR_FORCE (not empty) turns it on even when not on a terminal. NO_COLOR wins over both.",
    ),
];

fn environment(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    for (names, what) in ENVIRONMENT {
        roff.control("TP", []);
        let mut line = Vec::new();
        for (i, name) in names.split(", ").enumerate() {
            if i > 0 {
                line.push(roman(", "));
            }
            line.push(bold(name));
        }
        roff.text(line);
        roff.text([roman(*what)]);
    }
}

fn files(roff: &mut Roff) {
    roff.control("SH", ["FILES"]);
    let entries: [(&str, &str); 5] = [
        (
            "~/.aws/config",
            "Profiles: role_arn, source_profile, credential_source, mfa_serial, mfa_process, region, duration_seconds, external_id, role_session_name, web_identity_token_file, credential_process, the sso_* settings and [sso-session] sections, and the services and endpoint_url settings. The same file as the AWS CLI's ($AWS_CONFIG_FILE overrides the path).",
        ),
        (
            "~/.aws/credentials",
            "Long-term access keys, by profile name. Read only ($AWS_SHARED_CREDENTIALS_FILE overrides the path).",
        ),
        (
            "~/.aws/cli/cache/<sha1>.json",
            "Cached role credentials, shared with the AWS CLI: a role assumed by either is reused by the other, with no second STS call and no second MFA prompt. The name is the SHA-1 of the AssumeRole arguments, as the AWS CLI computes it. Written atomically, mode 0600, in a folder created with mode 0700.",
        ),
        (
            "~/.aws/cli/cache/<sha1>.lock",
            "Held while a role is being refreshed, so that concurrent awsrole processes call STS (and ask for an MFA code) once.",
        ),
        (
            "~/.aws/awsrole/mfa-sessions/<sha1>.json",
            "MFA sessions (GetSessionToken credentials), one per IAM user access key and MFA device; awsrole's own, mode 0600, with a <sha1>.lock beside each. awsrole clear removes the session of the profile's chain (with --all, those of every profile's chain).",
        ),
    ];
    for (path, what) in entries {
        roff.control("TP", []);
        roff.text([italic(path)]);
        roff.text([roman(what)]);
    }
}

/// Columns for text in a section at 80 columns: man-db sets 78-column lines
/// there, and section bodies are indented by 7.
const TEXT_WIDTH: usize = 71;

/// A piece of `after_help` text.
#[derive(Debug, PartialEq)]
enum Chunk<'a> {
    /// An unindented line ending in `:` (`Examples:`).
    Heading(&'a str),
    /// Unindented lines: prose, filled.
    Prose(Vec<&'a str>),
    /// Indented lines: commands and their notes, kept as they are.
    Block(Vec<&'a str>),
}

fn chunks(text: &str) -> Vec<Chunk<'_>> {
    let mut out: Vec<Chunk> = Vec::new();
    let mut ended = true; // a blank line or a heading ends a chunk
    for line in text.lines() {
        let indented = line.starts_with(char::is_whitespace);
        if line.trim().is_empty() {
            ended = true;
        } else if !indented && line.ends_with(':') {
            out.push(Chunk::Heading(line.trim_end_matches(':')));
            ended = true;
        } else {
            match (out.last_mut(), indented, ended) {
                (Some(Chunk::Block(lines)), true, false) => lines.push(line),
                (Some(Chunk::Prose(lines)), false, false) => lines.push(line),
                (_, true, _) => out.push(Chunk::Block(vec![line])),
                (_, false, _) => out.push(Chunk::Prose(vec![line])),
            }
            ended = false;
        }
    }
    out
}

/// `after_help` text as man sections. An unindented line ending in `:` is a
/// heading (`Examples:` becomes EXAMPLES; text before any heading goes under
/// NOTES). Unindented lines are prose, filled. Indented lines (commands, and
/// a note after two or more spaces) are kept as they are; when one of them
/// is too wide for the page, each note of that block goes on its own line
/// under its command, and a line still too wide is filled.
fn after_help_sections(roff: &mut Roff, text: &str) {
    let chunks = chunks(text);
    if !matches!(chunks.first(), None | Some(Chunk::Heading(_))) {
        roff.control("SH", ["NOTES"]);
    }
    let mut first_in_section = true;
    for chunk in chunks {
        match chunk {
            Chunk::Heading(h) => {
                roff.control("SH", [h.to_uppercase().as_str()]);
                first_in_section = true;
                continue;
            }
            Chunk::Prose(lines) => {
                if !first_in_section {
                    roff.control("PP", []);
                }
                for line in lines {
                    roff.text([roman(line.trim())]);
                }
            }
            Chunk::Block(lines) => {
                if !first_in_section {
                    roff.control("PP", []);
                }
                block(roff, &lines);
            }
        }
        first_in_section = false;
    }
}

fn block(roff: &mut Roff, lines: &[&str]) {
    let body: Vec<&str> = lines
        .iter()
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect();
    let split = body.iter().any(|l| l.chars().count() > TEXT_WIDTH);
    roff.control("nf", []);
    let put = |roff: &mut Roff, line: &str| {
        if line.chars().count() > TEXT_WIDTH {
            roff.control("fi", []);
            roff.text([roman(line.trim())]);
            roff.control("nf", []);
        } else {
            roff.text([roman(line)]);
        }
    };
    for line in body {
        match note_at(line) {
            Some(at) if split => {
                put(roff, line[..at].trim_end());
                put(roff, &format!("    {}", line[at..].trim_start()));
            }
            _ => put(roff, line),
        }
    }
    roff.control("fi", []);
}

/// Where the note of an example line starts: after two or more spaces that
/// follow the command.
fn note_at(line: &str) -> Option<usize> {
    let start = line.len() - line.trim_start().len();
    let gap = line[start..].find("  ")? + start;
    let note = gap + line[gap..].len() - line[gap..].trim_start().len();
    (note < line.len()).then_some(note)
}

fn see_also(roff: &mut Roff, others: &[&str]) {
    roff.control("SH", ["SEE ALSO"]);
    let mut line = Vec::new();
    let refs = others.iter().copied().chain(["aws"]);
    for (i, name) in refs.enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.push(bold(name));
        line.push(roman("(1)"));
    }
    roff.text(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_per_visible_command() {
        let names: Vec<String> = pages().into_iter().map(|p| p.file_name).collect();
        assert_eq!(names[0], "awsrole.1");
        assert!(names.contains(&"awsrole-env.1".to_owned()), "{names:?}");
        assert!(!names.iter().any(|n| n == "awsrole-help.1"), "{names:?}");
    }

    #[test]
    fn exit_statuses_are_distinct_and_in_order() {
        let codes: Vec<u8> = EXIT_STATUSES
            .iter()
            .map(|s| s.map_or(0, |s| s as u8))
            .collect();
        assert_eq!(codes, (0..codes.len() as u8).collect::<Vec<_>>());
    }

    #[test]
    fn examples_become_a_section_kept_verbatim() {
        let mut roff = Roff::new();
        after_help_sections(
            &mut roff,
            "Examples:\n  a  b\n\n  .c\nProse -that\nwraps.\n\nNotes:\n  x",
        );
        assert_eq!(
            roff.to_roff(),
            ".SH EXAMPLES\n.nf\na  b\n.fi\n.PP\n.nf\n\\&.c\n.fi\n.PP\nProse \\-that\nwraps.\n\
             .SH NOTES\n.nf\nx\n.fi\n"
        );
    }

    #[test]
    fn text_before_a_heading_is_notes() {
        let mut roff = Roff::new();
        after_help_sections(&mut roff, "Some prose.");
        assert_eq!(roff.to_roff(), ".SH NOTES\nSome prose.\n");
    }

    #[test]
    fn a_block_too_wide_puts_notes_under_their_commands() {
        let wide = format!("  cmd {}  its note", "x".repeat(70));
        let text = format!("Examples:\n  short  note\n  plain command\n{wide}");
        let mut roff = Roff::new();
        after_help_sections(&mut roff, &text);
        let long_cmd = format!("cmd {}", "x".repeat(70));
        assert_eq!(
            roff.to_roff(),
            format!(
                ".SH EXAMPLES\n.nf\nshort\n    note\nplain command\n.fi\n{long_cmd}\n.nf\n    its note\n.fi\n"
            )
        );
    }

    #[test]
    fn notes_start_after_two_spaces() {
        assert_eq!(note_at("a b  c"), Some(5));
        assert_eq!(note_at("  indented  note"), Some(12));
        assert_eq!(note_at("a b c"), None);
        assert_eq!(note_at("trailing  "), None);
    }
}
