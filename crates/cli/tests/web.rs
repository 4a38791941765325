//! `schedstat web` as a user runs it: the real binary serving on a free port,
//! checked with a plain HTTP/1.1 client over std's TcpStream. The page files
//! it serves must be exactly those of web/dist (embedded when the binary was
//! built), so these tests fail, with instructions, when the page is missing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// How long to wait for the server's URL line or a log line.
const WAIT: Duration = Duration::from_secs(30);

const NO_PAGE: &str = "schedstat was built without the web page (web/dist did not exist when it was \
                       compiled): run scripts/web-build.sh, then `cargo build --release -p schedstat`, \
                       then run these tests again";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_schedstat"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    root().join("testdata/fixtures/go1.27").join(name)
}

/// web/dist, which must hold the built page (the binary embeds it).
fn dist() -> PathBuf {
    let d = root().join("web/dist");
    assert!(
        d.join("index.html").is_file(),
        "{} has no index.html: these tests compare what schedstat serves with the built page; \
         run scripts/web-build.sh, then `cargo build --release -p schedstat`",
        d.display()
    );
    d
}

fn tempdir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("schedstat-web-test-{}-{n}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Lines of a child's pipe, read on a thread so that a test never hangs on them.
fn lines(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Every line still to come from a pipe, until the process behind it has exited.
fn drain(rx: &Receiver<String>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(l) = rx.recv_timeout(WAIT) {
        out.push(l);
    }
    out
}

/// A running `schedstat web`, killed (and reaped) when dropped.
struct Server {
    child: Child,
    port: u16,
    /// The line printed on stdout.
    url_line: String,
    stderr: Receiver<String>,
}

impl Server {
    /// Starts `schedstat web ARGS...` and waits for its URL line; fails the
    /// test with the reason when it exits instead.
    fn start(args: &[&str], path_env: Option<&str>) -> Server {
        let mut cmd = bin();
        cmd.arg("web").args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        if let Some(p) = path_env {
            cmd.env("PATH", p);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let url_line = match stdout.recv_timeout(WAIT) {
            Ok(l) => l,
            Err(e) => {
                let _ = child.kill();
                let status = child.wait().unwrap();
                let err = drain(&stderr).join("\n");
                assert!(!err.contains("built without the web page"), "{NO_PAGE}");
                panic!("schedstat web printed no URL ({e:?}); exit {status}; stderr: {err}");
            }
        };
        let port = port_of(&url_line);
        Server { child, port, url_line, stderr }
    }

    /// Stops the server and returns everything it wrote on stderr.
    fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The pipe closes with the process: the reader thread ends and hangs up.
        drain(&self.stderr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port in `... http://127.0.0.1:PORT/...`.
fn port_of(line: &str) -> u16 {
    let rest = line.split("http://127.0.0.1:").nth(1).unwrap_or_else(|| panic!("no URL in {line:?}"));
    rest.split('/').next().unwrap().parse().unwrap_or_else(|_| panic!("no port in {line:?}"))
}

/// One HTTP response, as received.
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The Content-Type without parameters (`text/html; charset=utf-8` gives `text/html`).
    fn media_type(&self) -> &str {
        self.header("content-type").unwrap_or("").split(';').next().unwrap().trim()
    }
}

/// Sends one raw request and reads the whole response (the server closes the connection).
fn raw(port: u16, request: &str) -> Resp {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
    let head = String::from_utf8(buf[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let status = status_line[9..12].parse().unwrap();
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.to_string(), v.trim().to_string())
        })
        .collect();
    Resp { status, headers, body: buf[split + 4..].to_vec() }
}

fn request(port: u16, method: &str, path: &str) -> Resp {
    raw(port, &format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"))
}

fn get(port: u16, path: &str) -> Resp {
    request(port, "GET", path)
}

/// The media type a browser needs for each kind of file the page may have.
fn expected_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map_or("", |(_, e)| e) {
        "html" => "text/html",
        "js" | "mjs" => "text/javascript",
        "css" => "text/css",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

/// Every file under `dir`, as (URL path, file path).
fn files(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let url = format!("{prefix}/{}", p.file_name().unwrap().to_str().unwrap());
        if p.is_dir() {
            files(&p, &url, out);
        } else {
            out.push((url, p));
        }
    }
}

/// The `/assets/...` URLs that index.html loads through src= and href=.
fn referenced_assets(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let value = part.split('"').next().unwrap();
            let value = value.strip_prefix('.').unwrap_or(value);
            if value.starts_with("/assets/") {
                out.push(value.to_string());
            }
        }
    }
    out
}

/// Asserts that `path` is served as the file `file`: 200, its type, its bytes.
fn assert_serves(port: u16, path: &str, file: &Path) {
    let r = get(port, path);
    assert_eq!(r.status, 200, "GET {path}");
    assert_eq!(r.media_type(), expected_type(file.to_str().unwrap()), "GET {path}: Content-Type");
    let want = std::fs::read(file).unwrap();
    assert_eq!(r.header("content-length"), Some(want.len().to_string().as_str()), "GET {path}");
    assert!(r.body == want, "GET {path}: the body differs from {}", file.display());
}

#[test]
fn serves_the_page_every_asset_and_the_trace() {
    let dist = dist();
    let dir = tempdir("serve");
    // A name that needs encoding in the URL's query.
    let trace = dir.join("my trace+1&2.trace");
    std::fs::copy(fixture("regionsgc.trace"), &trace).unwrap();
    let s = Server::start(&["--port", "0", trace.to_str().unwrap()], None);
    assert_eq!(
        s.url_line,
        format!(
            "schedstat: serving my trace+1&2.trace at \
             http://127.0.0.1:{}/?trace=/trace&name=my%20trace%2B1%262.trace  (Ctrl-C to stop)",
            s.port
        )
    );

    // `/` is index.html.
    let index = get(s.port, "/");
    assert_eq!(index.status, 200);
    assert_eq!(index.media_type(), "text/html");
    assert!(index.body == std::fs::read(dist.join("index.html")).unwrap(), "/ is not web/dist/index.html");

    // What index.html loads, then every other file of the build (nested directories included).
    let html = String::from_utf8(index.body).unwrap();
    let refs = referenced_assets(&html);
    assert!(refs.iter().any(|r| r.ends_with(".js")), "index.html loads no /assets/*.js: {html}");
    for r in &refs {
        assert_serves(s.port, r, &dist.join(&r[1..]));
    }
    let mut all = Vec::new();
    files(&dist, "", &mut all);
    assert!(all.iter().any(|(u, _)| u.ends_with(".wasm")), "the page has no .wasm file");
    for (url, file) in &all {
        assert_serves(s.port, url, file);
    }

    // The trace, byte for byte, never cached.
    let t = get(s.port, "/trace");
    assert_eq!(t.status, 200);
    assert_eq!(t.media_type(), "application/octet-stream");
    assert_eq!(t.header("cache-control"), Some("no-store"));
    let want = std::fs::read(&trace).unwrap();
    assert_eq!(t.header("content-length"), Some(want.len().to_string().as_str()));
    assert!(t.body == want, "/trace differs from the trace file");
    // A query string does not change what is served.
    assert!(get(s.port, "/trace?x=1").body == want);
    drop(s);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn wasm_is_exactly_application_wasm_and_revalidates_with_etag() {
    let dist = dist();
    let mut all = Vec::new();
    files(&dist, "", &mut all);
    let (wasm, _) = all.iter().find(|(u, _)| u.ends_with(".wasm")).expect("the page has a .wasm file");
    let s = Server::start(&["--port", "0", fixture("storm.trace").to_str().unwrap()], None);
    let r = get(s.port, wasm);
    // WebAssembly.instantiateStreaming accepts no parameters after the type.
    assert_eq!(r.header("content-type"), Some("application/wasm"));
    let etag = r.header("etag").expect("an ETag").to_string();
    let again =
        raw(s.port, &format!("GET {wasm} HTTP/1.1\r\nHost: localhost:{}\r\nIf-None-Match: {etag}\r\n\r\n", s.port));
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let stale = raw(s.port, &format!("GET {wasm} HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: \"0-0\"\r\n\r\n"));
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body.len(), r.body.len());
}

#[test]
fn head_gives_the_headers_of_get_without_a_body() {
    let dist = dist();
    let trace = fixture("gc.trace");
    let s = Server::start(&["--port", "0", trace.to_str().unwrap()], None);
    let trace_len = std::fs::metadata(&trace).unwrap().len();
    let index_len = std::fs::metadata(dist.join("index.html")).unwrap().len();
    for (path, len, media) in [("/", index_len, "text/html"), ("/trace", trace_len, "application/octet-stream")] {
        let r = request(s.port, "HEAD", path);
        assert_eq!(r.status, 200, "HEAD {path}");
        assert_eq!(r.media_type(), media, "HEAD {path}");
        assert_eq!(r.header("content-length"), Some(len.to_string().as_str()), "HEAD {path}");
        assert!(r.body.is_empty(), "HEAD {path} sent a body");
    }
    assert_eq!(request(s.port, "HEAD", "/nope").status, 404);
}

#[test]
fn unknown_and_traversal_paths_are_404_and_other_requests_refused() {
    let _ = dist();
    let s = Server::start(&["--port", "0", fixture("storm.trace").to_str().unwrap()], None);
    for path in [
        "/nope",
        "/assets/nope.js",
        "/index.htm",
        "/../Cargo.toml",
        "/../../../../../etc/passwd",
        "/assets/../../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/..%2fCargo.toml",
        "/web/dist/index.html",
        "/trace/",
    ] {
        let r = get(s.port, path);
        assert_eq!(r.status, 404, "GET {path}");
        assert!(!String::from_utf8_lossy(&r.body).contains("[workspace]"), "GET {path} leaked a file");
    }
    // Only GET and HEAD; only origin-form targets; only this machine's host names
    // (a page on another site reaching us through DNS rebinding is refused).
    let post = request(s.port, "POST", "/trace");
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    assert_eq!(raw(s.port, "GET http://127.0.0.1/trace HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").status, 400);
    assert_eq!(raw(s.port, "GET /trace HTTP/1.1\r\nHost: attacker.example\r\n\r\n").status, 403);
    assert_eq!(raw(s.port, "GET /trace HTTP/1.1\r\nHost: localhost:1234\r\n\r\n").status, 200);
    assert_eq!(raw(s.port, "hello\r\n\r\n").status, 400);
    // Still serving after all that.
    assert_eq!(get(s.port, "/").status, 200);
}

#[test]
fn broken_and_idle_connections_do_not_stop_the_server() {
    let dist = dist();
    let mut all = Vec::new();
    files(&dist, "", &mut all);
    let (biggest, _) = all.iter().max_by_key(|(_, p)| std::fs::metadata(p).unwrap().len()).unwrap().clone();
    let s = Server::start(&["--port", "0", fixture("regionsgc.trace").to_str().unwrap()], None);
    // A client that connects and says nothing holds only its own thread.
    let mut idle = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    idle.write_all(b"GET / HT").unwrap();
    for path in [biggest.as_str(), "/trace"] {
        for _ in 0..3 {
            let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
            write!(c, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
            let mut first = [0u8; 1024];
            c.read_exact(&mut first).unwrap();
            // Dropped mid-body: the server's next write fails (reset or broken pipe).
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(get(s.port, "/").status, 200);
    assert_eq!(get(s.port, &biggest).status, 200);
    drop(idle);
}

#[test]
fn bad_traces_fail_before_anything_is_served() {
    let _ = dist();
    let dir = tempdir("bad");
    let text = dir.join("notes.txt");
    std::fs::write(&text, b"hello, this is not a trace\n").unwrap();
    for (path, code, needle) in [
        (text.clone(), 1, "not a Go execution trace"),
        (dir.join("missing.trace"), 2, "no such file"),
        (dir.clone(), 2, "is a directory"),
    ] {
        let o = bin().args(["web", "--port", "0", path.to_str().unwrap()]).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("built without the web page"), "{NO_PAGE}");
        assert_eq!(o.status.code(), Some(code), "{}: {err}", path.display());
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("schedstat: error: ") && err.contains(needle), "{err}");
        assert!(err.contains(path.file_name().unwrap().to_str().unwrap()), "names the file: {err}");
        assert!(o.stdout.is_empty(), "printed a URL for a bad trace");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_busy_port_is_one_line_suggesting_port_0() {
    let _ = dist();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let o = bin().args(["web", "--port", &port, fixture("storm.trace").to_str().unwrap()]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("built without the web page"), "{NO_PAGE}");
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("port {port}")) && err.contains("in use") && err.contains("--port 0"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn default_port_is_8787() {
    let _ = dist();
    let mut child = bin()
        .args(["web", fixture("storm.trace").to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    let line = out.recv_timeout(WAIT);
    let _ = child.kill();
    let _ = child.wait();
    match line {
        Ok(l) => assert_eq!(port_of(&l), 8787, "{l}"),
        // Someone else has 8787 (another schedstat web?): the error names it.
        Err(RecvTimeoutError::Disconnected) => {
            let e = drain(&err);
            assert!(e.len() == 1 && e[0].contains("port 8787 on 127.0.0.1 is in use"), "{e:?}");
        }
        Err(e) => panic!("no URL line: {e:?}"),
    }
}

#[test]
fn verbose_logs_one_line_per_request_and_quiet_is_silent() {
    let _ = dist();
    let trace = fixture("storm.trace");
    let quiet = Server::start(&["--port", "0", trace.to_str().unwrap()], None);
    assert_eq!(get(quiet.port, "/").status, 200);
    assert_eq!(get(quiet.port, "/nope").status, 404);
    assert_eq!(quiet.stop(), Vec::<String>::new());

    let loud = Server::start(&["-v", "--port", "0", trace.to_str().unwrap()], None);
    assert_eq!(get(loud.port, "/").status, 200);
    assert_eq!(get(loud.port, "/nope").status, 404);
    let log = loud.stop();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0].starts_with("schedstat: GET / 200 "), "{log:?}");
    assert!(log[1].starts_with("schedstat: GET /nope 404 "), "{log:?}");
}

/// Writes an executable shell script `name` into `dir`.
#[cfg(all(unix, not(target_os = "macos")))]
fn script(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
#[cfg(all(unix, not(target_os = "macos")))]
fn open_launches_xdg_open_with_the_url_and_survives_its_failure() {
    let _ = dist();
    let trace = fixture("storm.trace");
    let path = std::env::var("PATH").unwrap_or_default();

    // A stand-in xdg-open that records its argument.
    let ok = tempdir("open-ok");
    let got = ok.join("opened");
    script(&ok, "xdg-open", &format!("printf '%s' \"$1\" > '{}'", got.display()));
    let s =
        Server::start(&["--open", "--port", "0", trace.to_str().unwrap()], Some(&format!("{}:{path}", ok.display())));
    let url = s.url_line.split(" at ").nth(1).unwrap().split("  (").next().unwrap().to_string();
    let deadline = std::time::Instant::now() + WAIT;
    while std::fs::read_to_string(&got).map_or(true, |g| g != url) {
        assert!(std::time::Instant::now() < deadline, "xdg-open was not called with {url}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(get(s.port, "/").status, 200);
    assert_eq!(s.stop(), Vec::<String>::new(), "no warning when the browser opened");

    // One that fails (as xdg-open does without a browser), and none at all:
    // a warning line, and the page is still served.
    let failing = tempdir("open-fail");
    script(&failing, "xdg-open", "exit 3");
    let none = tempdir("open-none");
    for dir in [&failing, &none] {
        let s = Server::start(&["--open", "--port", "0", trace.to_str().unwrap()], Some(dir.to_str().unwrap()));
        let warning = s.stderr.recv_timeout(WAIT).expect("a warning line");
        assert!(warning.starts_with("schedstat: warning: could not open a browser"), "{warning}");
        assert_eq!(get(s.port, "/").status, 200);
        assert_eq!(s.stop(), Vec::<String>::new());
    }
    for d in [ok, failing, none] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn help_documents_the_command_with_examples() {
    let o = bin().args(["web", "--help"]).output().unwrap();
    assert!(o.status.success());
    let h = String::from_utf8(o.stdout).unwrap();
    for needle in ["Examples:", "schedstat web --open", "--port 0", "127.0.0.1", "scripts/web-build.sh", "Exit codes"] {
        assert!(h.contains(needle), "web --help lacks {needle:?}:\n{h}");
    }
    let top = String::from_utf8(bin().arg("--help").output().unwrap().stdout).unwrap();
    assert!(top.contains("schedstat web trace.out"), "{top}");
}
