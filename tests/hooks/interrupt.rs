//! Ctrl-C during a refresh that hangs (STS is a loopback socket that takes
//! the connection and never answers): the prompt comes back usable, the
//! hook prints exactly one line, and it does not try again at once.

use super::*;

fn ctrl_c_during_a_refresh(sh: Sh) {
    let (home, _role) = role_home("");
    let (_hole, port) = common::servers::black_hole();
    let mut env = expired_env("p");
    env.push((
        "AWS_ENDPOINT_URL_STS".into(),
        format!("http://127.0.0.1:{port}"),
    ));
    let s = Session::start(
        &home,
        sh,
        Opts {
            env,
            ..Opts::default()
        },
    );
    // The first prompt is due: wait until its refresh has started.
    let deadline = Instant::now() + WAIT;
    while hook_calls(&home).is_empty() {
        assert!(Instant::now() < deadline, "no refresh:\n{}", s.screen());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(700));
    let t = Instant::now();
    s.tmux.send_key("C-c");
    // A usable prompt: the next line runs (and the prompts after it).
    let answer = match sh {
        Sh::Fish => "echo ok-(math 6 \\* 7)",
        _ => "echo ok-$((6*7))",
    };
    s.tmux.send_line(answer);
    s.tmux.wait_for("ok-42", WAIT);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "{}: the prompt came back after {:?} (STS timeouts are 12 s)",
        sh.name(),
        t.elapsed()
    );
    s.sync();
    s.cmd("true");
    assert_eq!(
        s.warnings(),
        ["awsrole: refresh of p interrupted; keeping the current credentials, next try in 60s"],
        "{}",
        s.screen()
    );
    assert_eq!(hook_calls(&home).len(), 1, "no retry at the next prompts");
    assert_eq!(s.var("AWS_ACCESS_KEY_ID"), "AKIDOLDOLDOLD");
    let next = s.num("AWSROLE_NEXT");
    assert!(next > now() + 30, "a minute's pause: {next}");
    s.assert_no_shell_errors();
}

#[test]
fn bash_ctrl_c_during_a_refresh_prints_one_line() {
    ctrl_c_during_a_refresh(Sh::Bash);
}

#[test]
fn zsh_ctrl_c_during_a_refresh_prints_one_line() {
    ctrl_c_during_a_refresh(Sh::Zsh);
}

#[test]
fn fish_ctrl_c_during_a_refresh_prints_one_line() {
    ctrl_c_during_a_refresh(Sh::Fish);
}
