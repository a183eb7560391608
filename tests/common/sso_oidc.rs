//! A loopback IAM Identity Center for the tests: the SSO-OIDC service
//! (RegisterClient, StartDeviceAuthorization, CreateToken with the device
//! code, authorization code + PKCE and refresh token grants, the browser's
//! /authorize page) and the portal's GetRoleCredentials. Written from AWS's
//! SSO-OIDC API reference and botocore's service model (restJson1: JSON
//! bodies, errors as `{"error", "error_description"}` with the exception in
//! `x-amzn-ErrorType`); `tests/sso_login.rs` checks it against the model.
//! Every secret it hands out is recorded for the suite's secret scan.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::capture;
use super::servers::{Request, Response, Server};

/// Operation -> (method, path), as the stand-in serves them.
pub const ROUTES: [(&str, &str, &str); 3] = [
    ("RegisterClient", "POST", "/client/register"),
    ("StartDeviceAuthorization", "POST", "/device_authorization"),
    ("CreateToken", "POST", "/token"),
];

/// Exception -> (OAuth `error`, HTTP status), for every error it sends.
pub const ERRORS: [(&str, &str, u16); 7] = [
    (
        "AuthorizationPendingException",
        "authorization_pending",
        400,
    ),
    ("SlowDownException", "slow_down", 400),
    ("ExpiredTokenException", "expired_token", 400),
    ("AccessDeniedException", "access_denied", 400),
    ("InvalidGrantException", "invalid_grant", 400),
    ("InvalidClientException", "invalid_client", 401),
    ("InvalidRequestException", "invalid_request", 400),
];

/// What the device-code sign-in does after its pending polls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceOutcome {
    Approve,
    Deny,
    Expire,
}

#[derive(Clone, Debug)]
pub struct Behaviour {
    /// Lifetime of issued access tokens.
    pub access_ttl: Duration,
    /// Lifetime of client registrations (negative: already expired).
    pub registration_ttl_secs: i64,
    /// Give a new refresh token at each refresh (and retire the old one).
    pub rotate: bool,
    /// Polls answered `authorization_pending` before the outcome.
    pub pending_polls: u32,
    /// Polls answered `slow_down` (after the pending ones).
    pub slow_down_polls: u32,
    pub device_outcome: DeviceOutcome,
    /// Polling interval announced by StartDeviceAuthorization.
    pub interval: u64,
    /// Time CreateToken takes to answer.
    pub create_token_delay: Duration,
    /// The /authorize page sends back this state instead of the real one.
    pub forged_state: Option<String>,
    /// The access key the portal gives out.
    pub access_key: String,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            access_ttl: Duration::from_secs(3600),
            registration_ttl_secs: 90 * 24 * 3600,
            rotate: true,
            pending_polls: 0,
            slow_down_polls: 0,
            device_outcome: DeviceOutcome::Approve,
            interval: 1,
            create_token_delay: Duration::ZERO,
            forged_state: None,
            access_key: "ASIASSOSTANDIN000001".into(),
        }
    }
}

struct Client {
    secret: String,
    grants: Vec<String>,
    redirects: Vec<String>,
    expires: i64,
}

#[derive(Default)]
struct State {
    counter: u64,
    clients: HashMap<String, Client>,
    /// device code -> polls so far
    devices: HashMap<String, u32>,
    /// auth code -> (client id, challenge, redirect uri)
    codes: HashMap<String, (String, String, String)>,
    /// refresh token -> client id
    refresh_tokens: HashMap<String, String>,
    /// access token -> expiry
    access_tokens: HashMap<String, SystemTime>,
}

pub struct SsoStandIn {
    server: Server,
    state: Arc<Mutex<State>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl SsoStandIn {
    pub fn start(behaviour: Behaviour) -> SsoStandIn {
        let state = Arc::new(Mutex::new(State::default()));
        let behaviour = Arc::new(Mutex::new(behaviour));
        let (s, b) = (state.clone(), behaviour.clone());
        let server = Server::start(move |r| {
            let b = b.lock().unwrap().clone();
            route(r, &s, &b)
        });
        SsoStandIn {
            server,
            state,
            behaviour,
        }
    }

    /// The one URL for AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO.
    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    pub fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.behaviour.lock().unwrap());
    }

    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }

    /// Calls of one operation, with their JSON bodies.
    pub fn calls(&self, path: &str) -> Vec<Value> {
        self.requests()
            .iter()
            .filter(|r| r.path() == path)
            .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
            .collect()
    }

    /// CreateToken calls with this grant type.
    pub fn create_tokens(&self, grant: &str) -> usize {
        self.calls("/token")
            .iter()
            .filter(|b| b["grantType"] == grant)
            .count()
    }

    /// A registration, refresh token and access token issued directly (as a
    /// past login would have), for token files written by the tests.
    pub fn seed(&self, access_ttl: Duration) -> Seeded {
        let mut st = self.state.lock().unwrap();
        let reg_ttl = self.behaviour.lock().unwrap().registration_ttl_secs;
        let client_id = next(&mut st, "client");
        let secret = next(&mut st, "client-secret");
        st.clients.insert(
            client_id.clone(),
            Client {
                secret: secret.clone(),
                grants: vec!["authorization_code".into(), "refresh_token".into()],
                redirects: vec!["http://127.0.0.1/oauth/callback".into()],
                expires: now_secs() + reg_ttl,
            },
        );
        let refresh = next(&mut st, "refresh-token");
        st.refresh_tokens.insert(refresh.clone(), client_id.clone());
        let access = next(&mut st, "access-token");
        st.access_tokens
            .insert(access.clone(), SystemTime::now() + access_ttl);
        capture::secrets([secret.clone(), refresh.clone(), access.clone()]);
        Seeded {
            client_id,
            client_secret: secret,
            refresh_token: refresh,
            access_token: access,
            registration_expires: now_secs() + reg_ttl,
        }
    }

    /// Is this access token one the stand-in issued and still honours?
    pub fn valid_access_token(&self, token: &str) -> bool {
        self.state
            .lock()
            .unwrap()
            .access_tokens
            .get(token)
            .is_some_and(|t| *t > SystemTime::now())
    }

    pub fn refresh_token_valid(&self, token: &str) -> bool {
        self.state
            .lock()
            .unwrap()
            .refresh_tokens
            .contains_key(token)
    }
}

pub struct Seeded {
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    pub access_token: String,
    pub registration_expires: i64,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn next(st: &mut State, prefix: &str) -> String {
    st.counter += 1;
    format!("{prefix}-{}-{:08x}", st.counter, rand_u32())
}

fn rand_u32() -> u32 {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).unwrap();
    u32::from_le_bytes(b)
}

fn ok(body: Value) -> Response {
    Response::new(200, body.to_string()).header("content-type", "application/json")
}

/// An SSO-OIDC error: the exception name in `x-amzn-ErrorType`, the OAuth
/// error in the body.
pub fn oidc_error(exception: &str, description: &str) -> Response {
    let (_, oauth, status) = ERRORS
        .iter()
        .find(|(e, _, _)| *e == exception)
        .unwrap_or_else(|| panic!("stand-in has no error {exception}"));
    Response::new(
        *status,
        json!({"error": oauth, "error_description": description}).to_string(),
    )
    .header("content-type", "application/json")
    .header("x-amzn-ErrorType", exception)
}

fn route(r: &Request, st: &Mutex<State>, b: &Behaviour) -> Response {
    let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    match (r.method.as_str(), r.path()) {
        ("POST", "/client/register") => register(&body, st, b),
        ("POST", "/device_authorization") => device_authorization(&body, st, b),
        ("POST", "/token") => {
            std::thread::sleep(b.create_token_delay);
            create_token(&body, st, b)
        }
        ("GET", "/authorize") => authorize(r, st, b),
        ("GET", "/federation/credentials") => role_credentials(r, st, b),
        _ => Response::new(404, "{}"),
    }
}

fn str_field<'a>(body: &'a Value, k: &str) -> Option<&'a str> {
    body.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn register(body: &Value, st: &Mutex<State>, b: &Behaviour) -> Response {
    if str_field(body, "clientName").is_none() || str_field(body, "clientType") != Some("public") {
        return oidc_error(
            "InvalidRequestException",
            "clientName and clientType=public are required",
        );
    }
    let list = |k: &str| -> Vec<String> {
        body.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut st = st.lock().unwrap();
    let id = next(&mut st, "client");
    let secret = next(&mut st, "client-secret");
    let expires = now_secs() + b.registration_ttl_secs;
    st.clients.insert(
        id.clone(),
        Client {
            secret: secret.clone(),
            grants: list("grantTypes"),
            redirects: list("redirectUris"),
            expires,
        },
    );
    capture::secrets([secret.clone()]);
    ok(json!({
        "clientId": id,
        "clientSecret": secret,
        "clientIdIssuedAt": now_secs(),
        "clientSecretExpiresAt": expires,
    }))
}

/// The client named in `body`, when its secret matches and it is live.
fn client_ok(body: &Value, st: &State) -> Result<String, Response> {
    let id = str_field(body, "clientId").unwrap_or("");
    match st.clients.get(id) {
        Some(c) if Some(c.secret.as_str()) == str_field(body, "clientSecret") => {
            if c.expires <= now_secs() {
                Err(oidc_error(
                    "InvalidClientException",
                    "client registration expired",
                ))
            } else {
                Ok(id.to_string())
            }
        }
        _ => Err(oidc_error(
            "InvalidClientException",
            "unknown client or wrong secret",
        )),
    }
}

fn device_authorization(body: &Value, st: &Mutex<State>, b: &Behaviour) -> Response {
    let mut st = st.lock().unwrap();
    if let Err(e) = client_ok(body, &st) {
        return e;
    }
    if str_field(body, "startUrl").is_none() {
        return oidc_error("InvalidRequestException", "startUrl is required");
    }
    let device = next(&mut st, "device-code");
    st.devices.insert(device.clone(), 0);
    capture::secrets([device.clone()]);
    ok(json!({
        "deviceCode": device,
        "userCode": "WDJB-MJHT",
        "verificationUri": "https://device.sso.us-east-1.amazonaws.com/",
        "verificationUriComplete": "https://device.sso.us-east-1.amazonaws.com/?user_code=WDJB-MJHT",
        "expiresIn": 600,
        "interval": b.interval,
    }))
}

fn issue(st: &mut State, b: &Behaviour, client: &str) -> Response {
    let access = next(st, "access-token");
    st.access_tokens
        .insert(access.clone(), SystemTime::now() + b.access_ttl);
    let refresh = next(st, "refresh-token");
    st.refresh_tokens
        .insert(refresh.clone(), client.to_string());
    capture::secrets([access.clone(), refresh.clone()]);
    ok(json!({
        "accessToken": access,
        "tokenType": "Bearer",
        "expiresIn": b.access_ttl.as_secs(),
        "refreshToken": refresh,
    }))
}

fn create_token(body: &Value, st: &Mutex<State>, b: &Behaviour) -> Response {
    let mut st = st.lock().unwrap();
    let client = match client_ok(body, &st) {
        Ok(c) => c,
        Err(e) => return e,
    };
    match str_field(body, "grantType") {
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            let code = str_field(body, "deviceCode").unwrap_or("");
            let Some(polls) = st.devices.get_mut(code) else {
                return oidc_error("InvalidGrantException", "unknown device code");
            };
            *polls += 1;
            let n = *polls;
            if n <= b.pending_polls {
                return oidc_error(
                    "AuthorizationPendingException",
                    "the user has not approved yet",
                );
            }
            if n <= b.pending_polls + b.slow_down_polls {
                return oidc_error("SlowDownException", "polling too fast");
            }
            match b.device_outcome {
                DeviceOutcome::Approve => {
                    st.devices.remove(code);
                    issue(&mut st, b, &client)
                }
                DeviceOutcome::Deny => {
                    oidc_error("AccessDeniedException", "the user denied the request")
                }
                DeviceOutcome::Expire => {
                    oidc_error("ExpiredTokenException", "the device code expired")
                }
            }
        }
        Some("authorization_code") => {
            let code = str_field(body, "code").unwrap_or("");
            let Some((owner, challenge, redirect)) = st.codes.remove(code) else {
                return oidc_error("InvalidGrantException", "unknown or used code");
            };
            let verifier = str_field(body, "codeVerifier").unwrap_or("");
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if owner != client
                || computed != challenge
                || str_field(body, "redirectUri") != Some(redirect.as_str())
            {
                return oidc_error(
                    "InvalidGrantException",
                    "code, verifier or redirect does not match",
                );
            }
            issue(&mut st, b, &client)
        }
        Some("refresh_token") => {
            let token = str_field(body, "refreshToken").unwrap_or("");
            if st.refresh_tokens.get(token) != Some(&client) {
                return oidc_error(
                    "InvalidGrantException",
                    "refresh token unknown or already used",
                );
            }
            let access = next(&mut st, "access-token");
            st.access_tokens
                .insert(access.clone(), SystemTime::now() + b.access_ttl);
            let mut out = json!({
                "accessToken": access,
                "tokenType": "Bearer",
                "expiresIn": b.access_ttl.as_secs(),
            });
            capture::secrets([access]);
            if b.rotate {
                st.refresh_tokens.remove(token);
                let fresh = next(&mut st, "refresh-token");
                st.refresh_tokens.insert(fresh.clone(), client);
                capture::secrets([fresh.clone()]);
                out["refreshToken"] = Value::String(fresh);
            }
            ok(out)
        }
        _ => oidc_error("InvalidRequestException", "unsupported grantType"),
    }
}

fn query(r: &Request, name: &str) -> Option<String> {
    let q = r.target.split_once('?')?.1;
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| decode(v))
}

fn decode(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = std::str::from_utf8(b.get(i + 1..i + 3).unwrap_or(b"zz")).unwrap_or("zz");
        if b[i] == b'%'
            && let Ok(x) = u8::from_str_radix(hex, 16)
        {
            out.push(x);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The browser's sign-in page: approves at once and redirects back with a
/// code (RFC 8252: any port on the registered loopback redirect).
fn authorize(r: &Request, st: &Mutex<State>, b: &Behaviour) -> Response {
    let mut st = st.lock().unwrap();
    let client = query(r, "client_id").unwrap_or_default();
    let redirect = query(r, "redirect_uri").unwrap_or_default();
    let state = query(r, "state").unwrap_or_default();
    let challenge = query(r, "code_challenge").unwrap_or_default();
    let registered = st.clients.get(&client).is_some_and(|c| {
        c.grants.iter().any(|g| g == "authorization_code")
            && c.redirects
                .iter()
                .any(|base| same_but_port(base, &redirect))
    });
    if !registered
        || query(r, "response_type").as_deref() != Some("code")
        || query(r, "code_challenge_method").as_deref() != Some("S256")
        || challenge.is_empty()
        || state.is_empty()
    {
        return Response::new(400, "bad authorize request");
    }
    let code = next(&mut st, "auth-code");
    st.codes
        .insert(code.clone(), (client, challenge, redirect.clone()));
    capture::secrets([code.clone()]);
    let state = b.forged_state.clone().unwrap_or(state);
    Response::new(302, "").header("Location", &format!("{redirect}?code={code}&state={state}"))
}

fn same_but_port(registered: &str, actual: &str) -> bool {
    let strip = |u: &str| {
        let rest = u.strip_prefix("http://127.0.0.1").unwrap_or(u);
        match rest.strip_prefix(':') {
            Some(p) => p
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .to_string(),
            None => rest.to_string(),
        }
    };
    actual.starts_with("http://127.0.0.1") && strip(registered) == strip(actual)
}

/// The portal's GetRoleCredentials: the bearer token must be live.
fn role_credentials(r: &Request, st: &Mutex<State>, b: &Behaviour) -> Response {
    let st = st.lock().unwrap();
    let token = r.header("x-amz-sso_bearer_token").unwrap_or("");
    let live = st
        .access_tokens
        .get(token)
        .is_some_and(|t| *t > SystemTime::now());
    if !live {
        return Response::new(401, r#"{"message": "Session token not found or invalid"}"#)
            .header("x-amzn-errortype", "UnauthorizedException");
    }
    let expiration = (SystemTime::now() + Duration::from_secs(3600))
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    ok(json!({"roleCredentials": {
        "accessKeyId": b.access_key,
        "secretAccessKey": "sso-standin-secret",
        "sessionToken": "sso-standin-session",
        "expiration": expiration,
    }}))
}
