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

/// A CA, a server and a client certificate (EC, made by the `openssl` CLI), and an
/// `openssl s_server` on loopback that demands a client certificate signed by the CA.
pub(crate) struct MutualTlsServer {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: std::process::Child,
}

impl MutualTlsServer {
    pub(crate) fn start() -> MutualTlsServer {
        use std::process::{Command, Stdio};
        let dir = tempfile::tempdir().unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl").args(args).current_dir(dir.path()).output().unwrap();
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        std::fs::write(dir.path().join("v3.cnf"), "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n").unwrap();
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        openssl(
            &[&["req", "-x509"][..], &ec, &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=dpctl-test-ca"]].concat(),
        );
        for n in ["server", "client"] {
            let (key, csr, pem) = (format!("{n}.key"), format!("{n}.csr"), format!("{n}.pem"));
            openssl(&[&["req"][..], &ec, &["-keyout", &key, "-out", &csr, "-subj", "/CN=127.0.0.1"]].concat());
            // X.509 v3 (rustls takes no v1 certificate); v1 too, to show it is refused cleanly.
            openssl(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "2",
                "-extfile",
                "v3.cnf",
            ]);
            let v1 = format!("{n}-v1.pem");
            openssl(&["x509", "-req", "-in", &csr, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", &v1, "-days", "2"]);
        }
        // The client's certificate and key in one file too, as Ansible allows for client_cert.
        let both = [fs_read(dir.path(), "client.pem"), fs_read(dir.path(), "client.key")].concat();
        std::fs::write(dir.path().join("client-both.pem"), both).unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("openssl")
            .args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-cert", "server.pem", "-key", "server.key"])
            .args(["-CAfile", "ca.pem", "-Verify", "1", "-www", "-quiet"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            thread::sleep(std::time::Duration::from_millis(50));
        }
        MutualTlsServer { dir, port, child }
    }

    pub(crate) fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

impl Drop for MutualTlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fs_read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// A loopback server that answers every request with `reply` and records each request line.
pub(crate) fn recording_server(reply: &'static str) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            // A proxy is asked to CONNECT first; the request itself follows in the tunnel.
            loop {
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                log.lock().unwrap().push(line.trim().to_string());
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap() == 0 || h.trim().is_empty() {
                        break;
                    }
                }
                if !line.starts_with("CONNECT ") {
                    break;
                }
                let _ = write!(s, "HTTP/1.1 200 Connection established\r\n\r\n");
            }
            let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}", reply.len());
        }
    });
    (port, seen)
}

#[test]
fn client_certificate_for_mutual_tls() {
    let tls = MutualTlsServer::start();
    let url = format!("https://127.0.0.1:{}/", tls.port);
    let mut agent = Agent::start();
    let r = agent.run("uri", json!({"url": url, "validate_certs": false}));
    assert!(r.failed, "the server demands a client certificate: {r:?}");
    let args = json!({"url": url, "validate_certs": false, "return_content": true,
        "client_cert": tls.path("client.pem"), "client_key": tls.path("client.key")});
    let r = agent.run("uri", args);
    assert!(!r.failed && r.outcome.values["status"] == 200, "{r:?}");
    assert!(r.outcome.values["content"].as_str().unwrap().contains("<HTML>"), "{r:?}");
    let r = agent.run("uri", json!({"url": url, "validate_certs": false, "client_cert": tls.path("client-both.pem")}));
    assert!(!r.failed && r.outcome.values["status"] == 200, "certificate and key in one file: {r:?}");
    let r = agent.run("uri", json!({"url": url, "validate_certs": false, "client_cert": tls.path("client.pem")}));
    assert!(r.failed && r.outcome.msg.clone().unwrap().contains("no private key in it"), "{r:?}");
    let r = agent.run(
        "uri",
        json!({"url": url, "validate_certs": false, "client_cert": tls.path("client-v1.pem"), "client_key": tls.path("client.key")}),
    );
    assert!(r.failed && r.outcome.msg.clone().unwrap().contains("not usable for TLS client authentication"), "{r:?}");
    let r = agent.run("uri", json!({"url": url, "validate_certs": false, "client_key": tls.path("client.key")}));
    assert!(r.failed && r.outcome.msg.clone().unwrap().contains("client_key needs client_cert"), "{r:?}");
}

#[test]
fn use_proxy_from_the_task_environment() {
    let (proxy, via_proxy) = recording_server("via proxy");
    let (direct, seen_direct) = recording_server("direct");
    let url = format!("http://127.0.0.1:{direct}/x");
    let mut agent = Agent::start();
    let run = |agent: &mut Agent, use_proxy: bool| {
        let mut req = modules::protocol::Request::new(500, "uri", json!({"url": url, "return_content": true, "use_proxy": use_proxy}));
        req.environment = json!({"http_proxy": format!("http://127.0.0.1:{proxy}")}).as_object().cloned();
        agent.raw(&serde_json::to_string(&req).unwrap())
    };
    let r = run(&mut agent, true);
    assert!(!r.failed && r.outcome.values["content"] == "via proxy", "{r:?}");
    let proxied = via_proxy.lock().unwrap().clone();
    assert_eq!(proxied.first().map(String::as_str), Some(format!("CONNECT 127.0.0.1:{direct} HTTP/1.1").as_str()), "{proxied:?}");
    assert!(seen_direct.lock().unwrap().is_empty(), "nothing reached the server directly");
    let r = run(&mut agent, false);
    assert!(!r.failed && r.outcome.values["content"] == "direct", "{r:?}");
    assert_eq!(via_proxy.lock().unwrap().len(), proxied.len(), "use_proxy: false went around the proxy");
    assert_eq!(seen_direct.lock().unwrap().as_slice(), ["GET /x HTTP/1.1"]);
}
