//! HTTP answers that do not come from STS (a captive portal's page, a
//! proxy's error) for every STS call: the message names the HTTP status,
//! the endpoint and who probably answered; a 5xx is "unreachable" (exit 5),
//! anything else exit 4; `--verbose` adds the details; nothing of a body that
//! may echo the request reaches stderr.

mod common;

use common::servers::{Request, Response, Server};
use common::{Output, TestHome, run, unique};

const KEY: &str = "AKIDHTTPERRBASE0";
const SECRET: &str = "http-errors-base-secret-0123456789";
const WEB_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.web-identity-token-for-http-errors";
const MFA_CODE: &str = "864209";

/// What a page that echoes the request would show: every header and the
/// form body (access key id, signature, web identity token, MFA code).
fn echo(req: &Request) -> String {
    let mut text = String::new();
    for (k, v) in &req.headers {
        text.push_str(&format!("{k}: {v}\n"));
    }
    text.push_str(&String::from_utf8_lossy(&req.body));
    text
}

/// One stand-in per kind of answer.
fn portal() -> Server {
    Server::start(|req| {
        Response::new(
            200,
            format!(
                "<html><head><title>Hotel Wi-Fi Login</title></head><body><pre>{}</pre></body></html>",
                echo(req)
            ),
        )
        .header("Content-Type", "text/html; charset=utf-8")
        .header("Server", "portal/1.0")
    })
}

fn bad_gateway() -> Server {
    Server::start(|_| {
        Response::new(
            502,
            "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        )
        .header("Content-Type", "text/html")
    })
}

fn unavailable() -> Server {
    Server::start(|_| Response::new(503, ""))
}

/// A proxy refusing, with the request echoed in its title and body.
fn forbidden() -> Server {
    Server::start(|req| {
        let auth = req.header("authorization").unwrap_or("").to_string();
        Response::new(403, format!("<title>denied {auth}</title>\n{}", echo(req)))
            .header("Content-Type", "text/plain")
    })
}

fn home() -> (TestHome, String) {
    let home = TestHome::new();
    let role = format!("arn:aws:iam::123456789012:role/{}", unique("http"));
    let token_file = home.path().join("web-token");
    std::fs::write(&token_file, WEB_TOKEN).unwrap();
    home.write_config(&format!(
        "[profile base]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n\
         [profile r]\nrole_arn = {role}\nsource_profile = base\n\
         [profile w]\nrole_arn = {role}\nweb_identity_token_file = {}\n\
         [profile m]\nrole_arn = {role}\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/http\n",
        token_file.display()
    ));
    (home, role)
}

/// `awsrole ARGS` against `url`, plain and with --verbose.
fn both(home: &TestHome, args: &[&str], url: &str, extra: &[(&str, &str)]) -> (Output, Output) {
    let go = |verbose: bool| {
        let mut cmd = home.cmd();
        if verbose {
            cmd.arg("--verbose");
        }
        cmd.args(args)
            .env("AWS_ENDPOINT_URL_STS", url)
            .env("AWSROLE_MFA_CODE", MFA_CODE);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = run(&mut cmd);
        // A failed `env` prints exactly its failure statement for the shell.
        let want = match args.first() {
            Some(&"env") if out.code != 0 => format!("(exit {})\n", out.code),
            _ => String::new(),
        };
        if out.code != 0 {
            assert_eq!(out.stdout, want, "stdout of {args:?}");
        }
        out
    };
    (go(false), go(true))
}

/// Exit `code`, on stdout only `env`'s failure statement (nothing for other
/// commands), the error last and naming `needles`,
/// `details` only with --verbose, nothing the request carried on stderr.
#[track_caller]
fn check((plain, verbose): &(Output, Output), code: i32, needles: &[&str], details: &[&str]) {
    for out in [plain, verbose] {
        assert_eq!(out.code, code, "{out:#?}");
        // `env` fails the caller's eval with one statement; other commands
        // print nothing.
        let env_failure = format!("(exit {code})\n");
        assert!(
            out.stdout.is_empty() || out.stdout == env_failure,
            "stdout: {out:#?}"
        );
        let last = out.stderr.lines().last().unwrap_or("");
        assert!(last.starts_with("awsrole: error: "), "{}", out.stderr);
        for n in needles {
            assert!(last.contains(n), "error lacks {n:?}: {last}");
        }
        for secret in [KEY, SECRET, WEB_TOKEN, MFA_CODE, "Signature="] {
            assert!(
                !out.stderr.contains(secret),
                "{secret} on stderr: {}",
                out.stderr
            );
        }
        assert!(!out.stderr.contains("Unknown"), "{}", out.stderr);
    }
    assert_eq!(
        plain.stderr.lines().last(),
        verbose.stderr.lines().last(),
        "the same error either way"
    );
    for d in details {
        assert!(
            verbose.stderr.contains(d),
            "-v lacks {d:?}: {}",
            verbose.stderr
        );
        assert!(
            !plain.stderr.contains(d),
            "{d:?} without -v: {}",
            plain.stderr
        );
    }
}

const ENV_R: &[&str] = &["env", "r", "--shell", "bash"];

#[test]
fn assume_role_through_a_portal_or_a_proxy() {
    let (home, role) = home();

    // A captive portal's page with 200: an answer, but not STS's. Trying
    // again will not help until someone signs in: exit 4.
    let s = portal();
    check(
        &both(&home, ENV_R, &s.url(), &[]),
        4,
        &[
            &format!("AssumeRole {role} (profile `r`)"),
            "HTTP 200 OK (text/html)",
            &s.url(),
            "captive portal",
        ],
        &[
            "page title \"Hotel Wi-Fi Login\"",
            "server portal/1.0",
            "no AWS request id",
        ],
    );

    // A proxy's 502: STS was not reached. Exit 5, like a refused connection.
    let s = bad_gateway();
    check(
        &both(&home, ENV_R, &s.url(), &[]),
        5,
        &[
            &format!("could not reach {}", s.url()),
            &role,
            "HTTP 502 Bad Gateway (text/html)",
            "proxy or gateway",
        ],
        &["page title \"502 Bad Gateway\""],
    );

    // 503 without a body.
    let s = unavailable();
    check(
        &both(&home, ENV_R, &s.url(), &[]),
        5,
        &[
            &format!("could not reach {}", s.url()),
            "HTTP 503 Service Unavailable (empty)",
        ],
        &["0 bytes", "content type none"],
    );

    // A proxy's 403 in plain text that echoes the request: exit 4, and the
    // title (which holds the signed Authorization header) is not shown.
    let s = forbidden();
    let outs = both(&home, ENV_R, &s.url(), &[]);
    check(
        &outs,
        4,
        &[
            "HTTP 403 Forbidden (text/plain)",
            &s.url(),
            "intercepting proxy",
        ],
        &["content type text/plain"],
    );
    assert!(!outs.1.stderr.contains("page title"), "{}", outs.1.stderr);
}

#[test]
fn every_sts_call_words_them_alike() {
    let (home, role) = home();
    let portal = portal();
    let gateway = bad_gateway();
    let forbidden = forbidden();

    // AssumeRoleWithWebIdentity: the token is in the echoed body.
    let web = ["env", "w", "--shell", "bash"];
    check(
        &both(&home, &web, &portal.url(), &[]),
        4,
        &[
            &format!("AssumeRoleWithWebIdentity {role} (profile `w`)"),
            "HTTP 200 OK (text/html)",
            &portal.url(),
        ],
        &["page title"],
    );
    check(
        &both(&home, &web, &gateway.url(), &[]),
        5,
        &["could not reach", "AssumeRoleWithWebIdentity", "HTTP 502"],
        &[],
    );

    // GetSessionToken (the MFA session, with the code in the echoed body).
    let mfa = ["env", "m", "--shell", "bash", "--no-input"];
    check(
        &both(&home, &mfa, &forbidden.url(), &[]),
        4,
        &["GetSessionToken", "profile `m`", "HTTP 403 Forbidden"],
        &[],
    );
    check(
        &both(&home, &mfa, &gateway.url(), &[]),
        5,
        &["could not reach", "GetSessionToken", "HTTP 502"],
        &[],
    );

    // GetCallerIdentity (`status --verify`), signed with the shell's keys.
    let shell = [
        ("AWSROLE_PROFILE", "r"),
        ("AWSROLE_EXPIRATION", "4071006245"),
        ("AWS_ACCESS_KEY_ID", KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ];
    let verify = ["status", "--verify"];
    check(
        &both(&home, &verify, &portal.url(), &shell),
        4,
        &[
            "GetCallerIdentity",
            "HTTP 200 OK (text/html)",
            &portal.url(),
        ],
        &["page title \"Hotel Wi-Fi Login\""],
    );
    check(
        &both(&home, &verify, &gateway.url(), &shell),
        5,
        &["could not reach", "GetCallerIdentity", "HTTP 502"],
        &[],
    );
}
