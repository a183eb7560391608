//! STS played by the loopback [`Server`]: answers, errors, silence, hang-ups
//! and garbage, for the failure paths moto cannot produce.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use super::servers::{Reply, Response, Server};

/// How the fake STS answers.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// A valid AssumeRole answer (fresh credentials, unique per call) after
    /// a delay drawn uniformly from `min..=max` milliseconds.
    Answer { min_ms: u64, max_ms: u64 },
    /// An STS error document with this HTTP status and error code.
    Error { status: u16, code: &'static str },
    /// Read the request, never answer, keep the connection open.
    Silent,
    /// Accept and close at once (connection reset / empty reply).
    Hangup,
    /// HTTP 200 with a body that is not an STS document.
    Garbage,
}

/// A loopback server that plays STS. Counts requests.
pub struct FakeSts {
    pub url: String,
    server: Server,
    hangs_up: bool,
}

impl FakeSts {
    pub fn start(behaviour: Behaviour) -> FakeSts {
        let hangs_up = matches!(behaviour, Behaviour::Hangup);
        let server = match behaviour {
            Behaviour::Hangup => Server::hangup(),
            b => {
                let serial = AtomicU64::new(0);
                Server::replying(move |req| answer(&b, &req.body_text(), &serial))
            }
        };
        FakeSts {
            url: server.url(),
            server,
            hangs_up,
        }
    }

    /// Requests received so far (each retry counts; a hang-up counts the
    /// connection, as nothing is read).
    pub fn requests(&self) -> usize {
        if self.hangs_up {
            self.server.connections()
        } else {
            self.server.requests().len()
        }
    }
}

/// An STS error document.
pub fn error_document(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )
}

fn xml(status: u16, body: impl Into<String>) -> Reply {
    Reply::Send(Response::new(status, body).header("Content-Type", "text/xml"))
}

fn answer(b: &Behaviour, body: &str, serial: &AtomicU64) -> Reply {
    match b {
        Behaviour::Answer { min_ms, max_ms } => {
            let n = serial.fetch_add(1, Ordering::SeqCst);
            let span = max_ms.saturating_sub(*min_ms) + 1;
            let nanos = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos() as u64;
            std::thread::sleep(Duration::from_millis(min_ms + (nanos ^ n) % span));
            if body.contains("Action=GetCallerIdentity") {
                return xml(
                    200,
                    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><UserId>AROAFAKE:s</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                );
            }
            let exp = awsrole::timefmt::format_utc(SystemTime::now() + Duration::from_secs(3600));
            xml(
                200,
                format!(
                    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>ASIAFAKE{n:012}</AccessKeyId><SecretAccessKey>fakests-secret-{n}-{nanos}</SecretAccessKey><SessionToken>fakests-token-{n}-{nanos}-xxxxxxxxxxxxxxxxxxxxxxxx</SessionToken><Expiration>{exp}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:s{n}</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/r/s{n}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r{n}</RequestId></ResponseMetadata></AssumeRoleResponse>"
                ),
            )
        }
        Behaviour::Error { status, code } => {
            xml(*status, error_document(code, &format!("fake {code}")))
        }
        Behaviour::Silent => Reply::Silent,
        Behaviour::Garbage => xml(200, "<html>captive portal</html>"),
        Behaviour::Hangup => Reply::Hangup,
    }
}
