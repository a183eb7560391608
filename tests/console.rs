//! `awsrole console`: the federation sign-in against a loopback stand-in of
//! the federation endpoint (AWSROLE_FEDERATION_URL), with headless Chromium
//! as $BROWSER opening the login URL. The stand-in records the Session JSON,
//! SessionDuration and Destination; the sign-in token and the URL are
//! registered as secrets, so the suite's scan proves they never reach stderr.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::servers::{Request, Response, Server};
use common::{TestHome, arn, form_decode, hop, moto, run, unique};

/// A federation stand-in: getSigninToken answers `token`, login answers a page.
fn stand_in(token: &str) -> Server {
    let token = token.to_string();
    Server::start(move |r| match params(r).get("Action").map(String::as_str) {
        Some("getSigninToken") => {
            Response::new(200, serde_json::json!({ "SigninToken": token }).to_string())
                .header("Content-Type", "application/json")
        }
        Some("login") => Response::new(200, "<html><body>signed in</body></html>")
            .header("Content-Type", "text/html"),
        _ => Response::new(404, "no such action"),
    })
}

fn params(r: &Request) -> std::collections::HashMap<String, String> {
    let q = r.target.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_decode(q.as_bytes()).into_iter().collect()
}

fn federation_url(server: &Server) -> String {
    format!("{}/federation", server.url())
}

fn calls(server: &Server, action: &str) -> Vec<std::collections::HashMap<String, String>> {
    server
        .requests()
        .iter()
        .map(params)
        .filter(|p| p.get("Action").map(String::as_str) == Some(action))
        .collect()
}

/// A $BROWSER that is headless Chromium, as root, with a fresh profile.
fn chromium_browser(dir: &Path) -> String {
    let script = dir.join("browser.sh");
    let data = dir.join("chromium-profile");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec chromium --headless --no-sandbox --disable-gpu --no-first-run \
             --disable-background-networking --disable-component-update --disable-sync \
             --user-data-dir='{}' --dump-dom \"$1\" >'{}' 2>'{}'\n",
            data.display(),
            dir.join("dom.html").display(),
            dir.join("chromium.log").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script.to_string_lossy().into_owned()
}

fn secrets(token: &str, stdout: &str) {
    let mut values = vec![token.to_string()];
    if !stdout.trim().is_empty() {
        values.push(stdout.trim().to_string());
    }
    common::capture::secrets(values);
}

/// A home with `base` (an IAM user's keys), `dev` (a role of base) and
/// `chained` (a role of dev).
fn home() -> (TestHome, String, String) {
    let home = TestHome::new().with_moto();
    let dev = arn(&unique("consoledev"));
    let chained = arn(&unique("consolechain"));
    home.write_config(&format!(
        "[profile base]\naws_access_key_id = AKIDCONSOLE\naws_secret_access_key = console-secret\n\
         [profile dev]\nrole_arn = {dev}\nsource_profile = base\nregion = eu-west-1\n\
         [profile chained]\nrole_arn = {chained}\nsource_profile = dev\n\
         [profile user]\naws_access_key_id = AKIDUSER\naws_secret_access_key = user-secret\n\
         [profile mfauser]\naws_access_key_id = AKIDMFA\naws_secret_access_key = mfa-secret\n\
         mfa_serial = arn:aws:iam::123456789012:mfa/someone\n"
    ));
    (home, dev, chained)
}

#[test]
fn chromium_signs_in_with_a_plain_role_and_its_session_duration() {
    let (home, dev, _) = home();
    let token = format!("TOKEN-{}", unique("plain"));
    let server = stand_in(&token);
    let out = run(home
        .cmd()
        .args(["console", "dev", "--duration", "2h"])
        .env("AWSROLE_FEDERATION_URL", federation_url(&server))
        .env("BROWSER", chromium_browser(home.path())));
    common::capture::record_home(home.path());
    secrets(&token, &out.stdout);
    out.assert_success();
    assert_eq!(out.stdout, "", "nothing on stdout without --print");
    assert!(!out.stderr.contains(&token), "{}", out.stderr);

    // The exact Session JSON: the role credentials awsrole cached.
    let creds = home.cached(&hop(&dev, None));
    let got = calls(&server, "getSigninToken");
    assert_eq!(got.len(), 1, "{got:?}");
    let session: serde_json::Value = serde_json::from_str(&got[0]["Session"]).unwrap();
    assert_eq!(
        session,
        serde_json::json!({
            "sessionId": creds.access_key_id,
            "sessionKey": creds.secret_access_key,
            "sessionToken": creds.session_token.unwrap(),
        })
    );
    assert_eq!(
        got[0].get("SessionDuration").map(String::as_str),
        Some("7200")
    );

    // Chromium followed the login URL to the stand-in.
    let deadline = Instant::now() + Duration::from_secs(60);
    while calls(&server, "login").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let login = calls(&server, "login");
    assert_eq!(login.len(), 1, "Chromium never opened the login URL");
    assert_eq!(login[0]["SigninToken"], token);
    assert_eq!(login[0]["Issuer"], "awsrole");
    assert_eq!(
        login[0]["Destination"],
        "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
    );
}

#[test]
fn print_writes_only_the_url_and_chained_roles_get_no_session_duration() {
    let (home, _, _) = home();
    let token = "tok+en/=".to_string() + &unique("chain");
    let server = stand_in(&token);
    let fed = federation_url(&server);
    let out = run(home
        .cmd()
        .args(["console", "chained", "--print", "--duration", "2h"])
        .args(["--service", "s3", "--region", "us-west-2"])
        .env("AWSROLE_FEDERATION_URL", &fed));
    secrets(&token, &out.stdout);
    out.assert_success();
    let encoded_token = token
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    assert_eq!(
        out.stdout,
        format!(
            "{fed}?Action=login&Issuer=awsrole&Destination=https%3A%2F%2Fus-west-2.console.aws.amazon.com%2Fs3%2Fhome%3Fregion%3Dus-west-2&SigninToken={encoded_token}\n"
        )
    );
    assert!(
        out.stderr.contains("--duration is not sent"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(&token) && !out.stderr.contains(&fed));
    let got = calls(&server, "getSigninToken");
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].get("SessionDuration"),
        None,
        "role chaining: no SessionDuration"
    );
    assert!(calls(&server, "login").is_empty(), "--print opens nothing");
}

#[test]
fn an_iam_user_signs_in_through_get_federation_token() {
    let (home, _, _) = home();
    let token = format!("TOKEN-{}", unique("user"));
    let server = stand_in(&token);
    let before = moto().count("GetFederationToken", "Name", "awsrole-user");
    let out = run(home
        .cmd()
        .args(["console", "user", "--print", "--duration", "1h"])
        .env("AWSROLE_FEDERATION_URL", federation_url(&server)));
    secrets(&token, &out.stdout);
    out.assert_success();
    let fed = moto().requests_where("GetFederationToken", "Name", "awsrole-user");
    assert_eq!(fed.len(), before + 1);
    let last = fed.last().unwrap();
    assert_eq!(last.param("DurationSeconds"), Some("3600"));
    let policy: serde_json::Value = serde_json::from_str(last.param("Policy").unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Action"], "*");
    let got = calls(&server, "getSigninToken");
    let session: serde_json::Value = serde_json::from_str(&got[0]["Session"]).unwrap();
    assert_ne!(
        session["sessionId"], "AKIDUSER",
        "never the user's own keys"
    );
    assert_ne!(session["sessionKey"], "user-secret");
    assert!(!session["sessionToken"].as_str().unwrap().is_empty());
    common::capture::secrets([
        session["sessionKey"].as_str().unwrap().to_string(),
        session["sessionToken"].as_str().unwrap().to_string(),
    ]);
    assert_eq!(got[0].get("SessionDuration"), None);
}

#[test]
fn an_iam_user_with_mfa_is_refused_before_any_call() {
    let (home, _, _) = home();
    let server = stand_in("unused");
    let out = run(home
        .cmd()
        .args(["console", "mfauser", "--print"])
        .env("AWSROLE_FEDERATION_URL", federation_url(&server)));
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("GetFederationToken"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("--role-arn ARN --source-profile mfauser")
    );
    assert!(server.requests().is_empty());
}

#[test]
fn a_refusing_endpoint_is_an_sts_error_without_secrets() {
    let (home, dev, _) = home();
    let server = Server::canned(400, "bad Session");
    let out = run(home
        .cmd()
        .args(["console", "dev", "--print"])
        .env("AWSROLE_FEDERATION_URL", federation_url(&server)));
    common::capture::record_home(home.path());
    assert_eq!(out.code, 4, "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("HTTP 400"), "{}", out.stderr);
    let creds = home.cached(&hop(&dev, None));
    assert!(!out.stderr.contains(&creds.secret_access_key));
}

#[test]
fn an_ad_hoc_role_signs_in_from_the_profile_entry() {
    let (home, dev, _) = home();
    let token = format!("TOKEN-{}", unique("adhoc"));
    let server = stand_in(&token);
    run(home.cmd().args(["env", "dev", "--shell", "bash"])).assert_success();
    let before = common::assume_calls(&dev);
    let out = run(home
        .cmd()
        .args(["console", "--role-arn", &dev, "--source-profile", "base"])
        .args(["--print", "--duration", "15m"])
        .env("AWSROLE_FEDERATION_URL", federation_url(&server)));
    common::capture::record_home(home.path());
    secrets(&token, &out.stdout);
    out.assert_success();
    assert_eq!(
        common::assume_calls(&dev),
        before,
        "the profile's cache entry"
    );
    let got = calls(&server, "getSigninToken");
    assert_eq!(
        got[0].get("SessionDuration").map(String::as_str),
        Some("900")
    );
    let session: serde_json::Value = serde_json::from_str(&got[0]["Session"]).unwrap();
    assert_eq!(
        session["sessionToken"],
        home.cached(&hop(&dev, None)).session_token.unwrap()
    );
}
