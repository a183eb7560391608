//! A minimal HTTP/1.1 server for the container credentials protocol: one
//! `GET` per connection, answered and closed.
//!
//! Checks, in order: a loopback `Host` (a browser page that rebinds its DNS
//! name to 127.0.0.1 sends its own name), the path, the `Authorization`
//! token (compared in constant time). Requests are bounded in size and in
//! time, and so is the number of connections served at once.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::store::Store;
use crate::error::{Error, Status};

/// The request head may not be larger (SDKs send a few hundred bytes).
const MAX_HEAD: usize = 16 * 1024;
/// A client has this long to send its request and read the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once; more are closed unanswered (clients retry).
const MAX_CONNECTIONS: usize = 256;

pub struct Server {
    pub path: String,
    pub token: String,
    pub store: Arc<Store>,
}

/// Accepts connections on a thread of its own until the process exits.
pub fn serve(listener: TcpListener, server: Arc<Server>) -> Result<(), Error> {
    let spawn = std::thread::Builder::new().name("endpoint".into());
    spawn
        .spawn(move || accept_loop(listener, server))
        .map(|_| ())
        .map_err(|e| Error::new(Status::Failure, format!("cannot start a thread: {e}")))
}

fn accept_loop(listener: TcpListener, server: Arc<Server>) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let (server, count) = (Arc::clone(&server), Arc::clone(&active));
        let spawned = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let _ = handle(stream, &server);
                count.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            // The closure never ran: the connection is dropped unanswered.
            active.fetch_sub(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn handle(mut stream: TcpStream, server: &Server) -> io::Result<()> {
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let (status, body) = match read_head(&mut stream) {
        Ok(head) => answer(&head, server),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => (400, message(&e.to_string())),
        Err(e) => return Err(e),
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

/// Reads up to the blank line ending the head, within [`IO_TIMEOUT`] in all.
fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    let deadline = Instant::now() + IO_TIMEOUT;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_read_timeout(Some(left))?;
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(end);
            return String::from_utf8(head)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "request is not UTF-8"));
        }
        if head.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
    }
}

/// The status and JSON body for one request head.
fn answer(head: &str, server: &Server) -> (u16, String) {
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let mut host = None;
    let mut authorization = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return (400, message("malformed header line"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("host") {
            host = Some(value);
        } else if name.eq_ignore_ascii_case("authorization") {
            authorization = Some(value);
        }
    }
    if !host.is_some_and(host_is_loopback) {
        return (
            403,
            message("refused: the Host header must name 127.0.0.1, localhost or [::1]"),
        );
    }
    if method != "GET" {
        return (405, message("only GET is served"));
    }
    if target != server.path {
        return (404, message("no such path"));
    }
    let token_ok =
        authorization.is_some_and(|a| constant_time_eq(a.as_bytes(), server.token.as_bytes()));
    if !token_ok {
        return (
            403,
            message("missing or wrong Authorization token (use AWS_CONTAINER_AUTHORIZATION_TOKEN)"),
        );
    }
    match server.store.get() {
        Ok(c) => {
            let body = serde_json::json!({
                "AccessKeyId": c.access_key_id,
                "SecretAccessKey": c.secret_access_key,
                "Token": c.session_token.unwrap_or_default(),
                "Expiration": c.expiration.map(crate::timefmt::format_utc),
            });
            (200, body.to_string())
        }
        Err(f) => (f.status, message(&f.message)),
    }
}

fn message(text: &str) -> String {
    serde_json::json!({ "Message": text }).to_string()
}

/// `127.0.0.1`, `localhost` or `[::1]`, each with an optional port.
pub fn host_is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((addr, port))
                if port.is_empty() || port.strip_prefix(':').is_some_and(is_port) =>
            {
                return addr == "::1";
            }
            _ => return false,
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) if is_port(port) => name,
            Some(_) => return false,
            None => host,
        }
    };
    name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost")
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && text.parse::<u16>().is_ok()
}

/// Equal bytes, in a time that depends on the lengths only.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_only() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST:1",
            "[::1]",
            "[::1]:443",
        ] {
            assert!(host_is_loopback(ok), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "evil.example:80",
            "127.0.0.1.evil.example",
            "localhost.evil",
            "127.0.0.1:",
            "127.0.0.1:x",
            "127.0.0.1:99999",
            "[::2]",
            "[::1]x",
            "[::1]:",
            "0.0.0.0",
            "127.0.0.2",
        ] {
            assert!(!host_is_loopback(bad), "{bad}");
        }
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
