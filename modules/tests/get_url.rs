//! `get_url` through the agent against a tiny HTTP server on 127.0.0.1 that
//! this test runs (and file:// URLs): never the internet.
use crate::common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::Agent;
use serde_json::json;

const BODY: &[u8] = b"pretend this is kafka_2.13-3.6.tgz\n";

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

/// Serves BODY at any path but `/missing` (404); records each request's head.
struct Server {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                let missing = head.starts_with("GET /missing");
                if head.starts_with("GET /stall") {
                    std::thread::sleep(std::time::Duration::from_secs(3));
                }
                log.lock().unwrap().push(head);
                let (status, body): (&str, &[u8]) = if missing { ("404 Not Found", b"no") } else { ("200 OK", BODY) };
                let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = stream.write_all(body);
            }
        });
        Server { base, requests }
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

fn sha256(b: &[u8]) -> String {
    modules::util::checksum::digest_bytes(modules::util::checksum::Algorithm::Sha256, b)
}

#[test]
fn download_then_ok_check_mode_predicts_and_headers_are_sent() {
    let srv = Server::start();
    let t = tempfile::tempdir().unwrap();
    let dest = t.path().join("kafka.tgz");
    let mut agent = Agent::start();
    let args = json!({"url": format!("{}/kafka.tgz", srv.base), "dest": dest, "mode": "0640", "headers": {"X-Token": "abc"}, "cache_dir": t.path().join("cache")});

    let c = agent.check("get_url", args.clone());
    assert!(!c.failed && c.outcome.changed, "{}", msg(&c));
    assert!(!dest.exists(), "check mode left no file");
    assert!(c.outcome.diff[0].after.contains("checksum"), "{:?}", c.outcome.diff);

    let r = agent.run("get_url", args.clone());
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(fs::read(&dest).unwrap(), BODY);
    let v = &r.outcome.values;
    assert_eq!((v["status_code"].as_u64(), v["mode"].as_str()), (Some(200), Some("0640")));
    assert_eq!(v["checksum_src"], modules::util::checksum::sha1_bytes(BODY));
    assert_eq!(msg(&r), format!("OK ({} bytes)", BODY.len()));
    let head = srv.requests.lock().unwrap().last().unwrap().to_ascii_lowercase();
    assert!(head.contains("x-token: abc") && head.contains("user-agent: ansible-httpget"), "{head}");

    let before = srv.count();
    let again = agent.run("get_url", args);
    assert!(!again.failed && !again.outcome.changed && msg(&again) == "file already exists");
    assert_eq!(srv.count(), before, "an existing dest without force is not fetched again");

    // force: fetched again, but the same bytes are not a change.
    let r = agent.run("get_url", json!({"url": format!("{}/kafka.tgz", srv.base), "dest": dest, "force": true, "mode": "0640"}));
    assert!(!r.failed && !r.outcome.changed, "{:?}", r.outcome);
    assert_eq!(srv.count(), before + 1);

    // Into a directory: the URL's basename.
    let r = agent.run("get_url", json!({"url": format!("{}/dir/zk.tar.gz?x=1", srv.base), "dest": t.path()}));
    assert!(r.outcome.changed && t.path().join("zk.tar.gz").is_file(), "{:?}", r.outcome);
    let r = agent.run("get_url", json!({"url": format!("{}/", srv.base), "dest": t.path()}));
    assert!(r.outcome.changed && t.path().join("index.html").is_file(), "{:?}", r.outcome);
}

#[test]
fn checksum_verified_and_cache_saves_second_download() {
    let srv = Server::start();
    let t = tempfile::tempdir().unwrap();
    let cache = t.path().join("cache");
    let sum = format!("sha256:{}", sha256(BODY));
    let mut agent = Agent::start();
    let url = format!("{}/artifact.tgz", srv.base);

    let r = agent.run("get_url", json!({"url": url, "dest": t.path().join("host1.tgz"), "checksum": sum, "cache_dir": cache}));
    assert!(!r.failed && r.outcome.changed && r.outcome.values["cached"] == false, "{}", msg(&r));
    assert_eq!(srv.count(), 1);
    // A second host (another dest) with the same checksum: served from the cache, no request.
    let r = agent.run("get_url", json!({"url": url, "dest": t.path().join("host2.tgz"), "checksum": sum, "cache_dir": cache}));
    assert!(!r.failed && r.outcome.changed && r.outcome.values["cached"] == true, "{:?}", r.outcome);
    assert_eq!(fs::read(t.path().join("host2.tgz")).unwrap(), BODY);
    assert_eq!(srv.count(), 1, "the cache answered");
    // Same dest again: matching checksum, nothing to do.
    let r = agent.run("get_url", json!({"url": url, "dest": t.path().join("host2.tgz"), "checksum": sum, "cache_dir": cache}));
    assert!(!r.failed && !r.outcome.changed);

    // A tampered dest no longer matches: fetched again (here from the cache).
    fs::write(t.path().join("host2.tgz"), "tampered").unwrap();
    let c = agent.check("get_url", json!({"url": url, "dest": t.path().join("host2.tgz"), "checksum": sum, "cache_dir": cache}));
    assert!(c.outcome.changed && fs::read(t.path().join("host2.tgz")).unwrap() == b"tampered");
    let r = agent.run("get_url", json!({"url": url, "dest": t.path().join("host2.tgz"), "checksum": sum, "cache_dir": cache}));
    assert!(r.outcome.changed && fs::read(t.path().join("host2.tgz")).unwrap() == BODY);

    let bad = format!("sha256:{}", "0".repeat(64));
    let r = agent.run("get_url", json!({"url": url, "dest": t.path().join("bad.tgz"), "checksum": bad, "cache_dir": cache}));
    assert!(r.failed && msg(&r).contains("did not match"), "{}", msg(&r));
    assert!(!t.path().join("bad.tgz").exists());
    assert_eq!(
        fs::read_dir(t.path()).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("dpctl-download")).count(),
        0
    );
}

#[test]
fn file_urls_and_http_errors() {
    let srv = Server::start();
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src.bin");
    fs::write(&src, b"local bytes").unwrap();
    let mut agent = Agent::start();
    let args = json!({"url": format!("file://{}", src.display()), "dest": t.path().join("copy.bin")});
    let r = agent.run("get_url", args.clone());
    assert!(!r.failed && r.outcome.changed);
    assert_eq!(fs::read(t.path().join("copy.bin")).unwrap(), b"local bytes");
    // As ansible-core 2.19 answers for file:// into a new dest.
    assert!(r.outcome.values["status_code"].is_null() && r.outcome.values["checksum_dest"].is_null(), "{:?}", r.outcome.values);
    assert_eq!(r.outcome.values["md5sum"], modules::util::checksum::digest_bytes(modules::util::checksum::Algorithm::Md5, b"local bytes"));
    assert!(!agent.run("get_url", args).outcome.changed);

    let r = agent.run("get_url", json!({"url": format!("{}/missing", srv.base), "dest": t.path().join("m")}));
    assert!(r.failed && msg(&r).contains("HTTP Error 404"), "{}", msg(&r));
    assert!(!t.path().join("m").exists());
    let r = agent.run("get_url", json!({"url": "file:///nonexistent/dpctl", "dest": t.path().join("n")}));
    assert!(r.failed && msg(&r).contains("/nonexistent/dpctl"), "{}", msg(&r));
}

#[test]
fn a_silent_server_times_out() {
    let srv = Server::start();
    let t = tempfile::tempdir().unwrap();
    let mut agent = Agent::start();
    let r = agent.run("get_url", json!({"url": format!("{}/stall", srv.base), "dest": t.path().join("s"), "timeout": "1"}));
    assert!(r.failed && msg(&r).to_lowercase().contains("timeout"), "{}", msg(&r));
    assert!(!t.path().join("s").exists());
}

#[test]
fn bad_arguments_fail_with_a_clear_message() {
    let mut agent = Agent::start();
    for (args, want) in [
        (json!({"url": "http://127.0.0.1:1/x", "dest": "/tmp/x", "sha256sum": "x"}), "unknown field `sha256sum`"),
        (json!({"url": "http://127.0.0.1:1/x", "dest": "/tmp/x", "checksum": "abc"}), "algorithm:value"),
        (json!({"url": "http://127.0.0.1:1/x", "dest": "/tmp/x", "checksum": "crc32:00"}), "unsupported checksum algorithm"),
        (json!({"url": "http://127.0.0.1:1/x", "dest": "/tmp/x", "timeout": "soon"}), "expected a non-negative integer"),
        (json!({"url": "http://127.0.0.1:1/x", "dest": "/tmp/x", "force": "always"}), "boolean"),
        (json!({"url": "ftp://127.0.0.1/x", "dest": "/tmp/dpctl-ftp-x"}), "unsupported URL scheme"),
        (json!({"dest": "/tmp/x"}), "missing field `url`"),
    ] {
        let r = agent.run("get_url", args.clone());
        assert!(r.failed && msg(&r).contains(want), "{args}: {}", msg(&r));
    }
}

#[test]
fn client_certificate_and_use_proxy() {
    let tls = crate::uri::MutualTlsServer::start();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("page.html");
    let url = format!("https://127.0.0.1:{}/", tls.port);
    let mut agent = Agent::start();
    let r = agent.run("get_url", json!({"url": url, "dest": dest, "validate_certs": false}));
    assert!(r.failed && !dest.exists(), "the server demands a client certificate: {r:?}");
    let args = json!({"url": url, "dest": dest, "validate_certs": false, "client_cert": tls.path("client.pem"), "client_key": tls.path("client.key")});
    let r = agent.run("get_url", args);
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(fs::read_to_string(&dest).unwrap().contains("<HTML>"));

    let (proxy, via_proxy) = crate::uri::recording_server("via proxy");
    let (direct, _) = crate::uri::recording_server("direct");
    let plain = format!("http://127.0.0.1:{direct}/file");
    let fetch = |agent: &mut Agent, name: &str, use_proxy: bool| {
        let target = out.path().join(name);
        let mut req = modules::protocol::Request::new(700, "get_url", json!({"url": plain, "dest": target, "use_proxy": use_proxy}));
        req.environment = json!({"HTTP_PROXY": format!("http://127.0.0.1:{proxy}")}).as_object().cloned();
        let r = agent.raw(&serde_json::to_string(&req).unwrap());
        assert!(!r.failed, "{r:?}");
        fs::read_to_string(target).unwrap()
    };
    assert_eq!(fetch(&mut agent, "a", true), "via proxy");
    assert!(via_proxy.lock().unwrap()[0].starts_with(&format!("CONNECT 127.0.0.1:{direct} ")));
    assert_eq!(fetch(&mut agent, "b", false), "direct");
}
