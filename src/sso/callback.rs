//! The PKCE redirect target: a one-shot HTTP listener on 127.0.0.1 only (a
//! random port), which takes `/oauth/callback?code=..&state=..`, checks
//! `state` and gives up after a bounded wait.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

pub struct Callback {
    listener: TcpListener,
    port: u16,
}

/// Why no code came back.
#[derive(Debug)]
pub enum CallbackError {
    TimedOut(Duration),
    /// The `state` did not match: the redirect was not the one we started.
    WrongState,
    /// The authorize page redirected with `error=...`.
    Refused(String),
    Io(std::io::Error),
}

impl Callback {
    pub fn bind() -> std::io::Result<Callback> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        Ok(Callback { listener, port })
    }

    /// `http://127.0.0.1:PORT/oauth/callback`
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/oauth/callback", self.port)
    }

    /// Wait for the redirect and return the code.
    pub fn wait(&self, state: &str, timeout: Duration) -> Result<String, CallbackError> {
        let start = Instant::now();
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(result) = handle(stream, state) {
                        return result;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if start.elapsed() >= timeout {
                        return Err(CallbackError::TimedOut(timeout));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(CallbackError::Io(e)),
            }
        }
    }
}

/// One request; `None` when it was not the callback (e.g. a favicon).
fn handle(stream: TcpStream, state: &str) -> Option<Result<String, CallbackError>> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    // Drain the headers so the browser sees a clean answer.
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => break,
            Ok(_) if h.trim_end().is_empty() => break,
            Ok(_) => {}
        }
    }
    let target = line.split_whitespace().nth(1).unwrap_or("");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut stream = stream;
    if path != "/oauth/callback" {
        answer(&mut stream, 404, "Not found.");
        return None;
    }
    let get = |name: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| percent_decode(v))
    };
    if get("state").as_deref() != Some(state) {
        answer(
            &mut stream,
            400,
            "This sign-in answer does not belong to the login awsrole started (wrong state). It was refused; run awsrole login again.",
        );
        return Some(Err(CallbackError::WrongState));
    }
    if let Some(err) = get("error") {
        answer(
            &mut stream,
            400,
            "The sign-in was not completed. You can close this tab.",
        );
        return Some(Err(CallbackError::Refused(err)));
    }
    match get("code").filter(|c| !c.is_empty()) {
        Some(code) => {
            answer(
                &mut stream,
                200,
                "Signed in. awsrole has its token; you can close this tab.",
            );
            Some(Ok(code))
        }
        None => {
            answer(&mut stream, 400, "No authorization code in this answer.");
            Some(Err(CallbackError::Refused("no code".into())))
        }
    }
}

fn answer(stream: &mut TcpStream, status: u16, text: &str) {
    let reason = if status == 200 { "OK" } else { "Bad Request" };
    let body = format!(
        "<!doctype html><html><head><title>awsrole</title></head><body><p>{text}</p></body></html>"
    );
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

/// `%XX` and `+` decoding of a query value.
fn percent_decode(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_query_values() {
        assert_eq!(percent_decode("a%2Fb+c%3d"), "a/b c=");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn a_wrong_state_is_refused_and_the_right_one_gives_the_code() {
        let cb = Callback::bind().unwrap();
        let uri = cb.redirect_uri();
        assert!(uri.starts_with("http://127.0.0.1:"));
        let send = |query: &'static str, port: String| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(port).unwrap();
                write!(s, "GET /oauth/callback?{query} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
                let mut text = String::new();
                let _ = std::io::Read::read_to_string(&mut s, &mut text);
                text
            })
        };
        let addr = uri
            .trim_start_matches("http://")
            .trim_end_matches("/oauth/callback")
            .to_string();
        let t = send("code=c1&state=evil", addr.clone());
        assert!(matches!(
            cb.wait("good", Duration::from_secs(5)),
            Err(CallbackError::WrongState)
        ));
        assert!(t.join().unwrap().starts_with("HTTP/1.1 400"));
        let t = send("code=c%2B2&state=good", addr);
        assert_eq!(cb.wait("good", Duration::from_secs(5)).unwrap(), "c+2");
        assert!(t.join().unwrap().starts_with("HTTP/1.1 200"));
        assert!(matches!(
            cb.wait("good", Duration::from_millis(100)),
            Err(CallbackError::TimedOut(_))
        ));
    }
}
