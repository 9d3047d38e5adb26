use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread;

use common::Agent;
use serde_json::json;

/// A small HTTP/1.1 server on loopback, one connection per request.
fn serve() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            let mut parts = line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
            let (mut len, mut auth, mut ctype) = (0usize, String::new(), String::new());
            loop {
                let mut h = String::new();
                r.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').unwrap();
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => len = v.trim().parse().unwrap(),
                    "authorization" => auth = v.trim().to_string(),
                    "content-type" => ctype = v.trim().to_string(),
                    _ => {}
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            let (status, extra, ctype_out, text) = match path.as_str() {
                "/json" => ("200 OK", "", "application/json", r#"{"ok": true, "n": 1}"#.to_string()),
                "/echo" => ("200 OK", "", "text/plain", format!("{method}|{auth}|{ctype}|{}", String::from_utf8_lossy(&body))),
                "/created" => ("201 Created", "X-Request-Id: abc-1\r\n", "text/plain", "made".into()),
                "/redirect" => ("302 Found", "Location: /json\r\n", "text/plain", String::new()),
                _ => ("404 Not Found", "", "text/plain", "nothing here".into()),
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\n{extra}Content-Type: {ctype_out}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    port
}

#[test]
fn get_json_status_headers_and_redirects() {
    let port = serve();
    let base = format!("http://127.0.0.1:{port}");
    let mut agent = Agent::start();
    let r = agent.run("uri", json!({"url": format!("{base}/json")}));
    assert!(!r.failed && !r.outcome.changed, "{r:?}");
    assert_eq!(r.outcome.values["status"], 200);
    assert_eq!(r.outcome.values["json"], json!({"ok": true, "n": 1}));
    assert_eq!(r.outcome.values["content_type"], "application/json");
    assert!(r.outcome.values.get("content").is_none(), "content only with return_content");
    assert_eq!(r.outcome.msg.as_deref(), Some("OK (20 bytes)"));

    let r =
        agent.run("uri", json!({"url": format!("{base}/created"), "method": "PUT", "status_code": [200, 201], "return_content": "yes"}));
    assert!(!r.failed, "{r:?}");
    assert_eq!((r.outcome.values["status"].clone(), r.outcome.values["content"].clone()), (json!(201), json!("made")));
    assert_eq!(r.outcome.values["x_request_id"], "abc-1");

    let r = agent.run("uri", json!({"url": format!("{base}/redirect")}));
    assert!(!r.failed, "{r:?}");
    assert_eq!((r.outcome.values["redirected"].clone(), r.outcome.values["url"].clone()), (json!(true), json!(format!("{base}/json"))));
    let r = agent.run("uri", json!({"url": format!("{base}/redirect"), "follow_redirects": "none", "status_code": 302}));
    assert!(!r.failed && r.outcome.values["status"] == 302, "{r:?}");
}

#[test]
fn bodies_auth_and_failures() {
    let port = serve();
    let base = format!("http://127.0.0.1:{port}");
    let mut agent = Agent::start();
    let r = agent.run(
        "uri",
        json!({"url": format!("{base}/echo"), "method": "POST", "body": {"a": [1, 2]}, "body_format": "json", "return_content": true,
               "user": "admin", "password": "s3cret"}),
    );
    assert_eq!(r.outcome.values["content"], r#"POST|Basic YWRtaW46czNjcmV0|application/json|{"a":[1,2]}"#, "{r:?}");
    let r = agent.run(
        "uri",
        json!({"url": format!("{base}/echo"), "method": "POST", "body": {"q": "a b&c"}, "body_format": "form-urlencoded", "return_content": true}),
    );
    assert_eq!(r.outcome.values["content"], "POST||application/x-www-form-urlencoded|q=a+b%26c");

    let r = agent.run("uri", json!({"url": format!("{base}/missing"), "return_content": true}));
    assert!(r.failed);
    assert_eq!(r.outcome.msg.as_deref(), Some("Status code was 404 and not [200]: HTTP Error 404: Not Found"));
    assert_eq!((r.outcome.values["status"].clone(), r.outcome.values["content"].clone()), (json!(404), json!("nothing here")));

    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let r = agent.run("uri", json!({"url": format!("http://127.0.0.1:{closed}/"), "timeout": 2}));
    assert!(r.failed && r.outcome.values["status"] == -1, "{r:?}");
    assert!(r.outcome.msg.unwrap().starts_with("Status code was -1 and not [200]: Request failed"));
}

#[test]
fn dest_is_written_once_and_check_mode_skips() {
    let port = serve();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("data.json");
    let mut agent = Agent::start();
    let args = json!({"url": format!("http://127.0.0.1:{port}/json"), "dest": dest});
    let r = agent.check("uri", args.clone());
    assert!(r.outcome.skipped && !dest.exists());
    let r = agent.run("uri", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), r#"{"ok": true, "n": 1}"#);
    assert!(!agent.run("uri", args).outcome.changed, "same content: ok");
    let r = agent.run("uri", json!({"url": format!("http://127.0.0.1:{port}/json"), "creates": dest}));
    assert!(!r.outcome.changed && r.outcome.values["stdout"].as_str().unwrap().contains("skipped"));
}

#[test]
fn bad_arguments() {
    let mut agent = Agent::start();
    let r = agent.run("uri", json!({"url": "http://127.0.0.1:1/", "method": "get"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("needs to be a single word in uppercase"));
    let r = agent.run("uri", json!({"url": "http://127.0.0.1:1/", "status_code": "ok"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("invalid status code"));
    let r = agent.run("uri", json!({"url": "ftp://example.invalid/"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unsupported URL scheme"));
    let r = agent.run("uri", json!({"url": "http://127.0.0.1:1/", "body_format": "form-multipart"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unknown variant"));
}
