//! `schedstat web TRACE`: the web page, served from inside the binary on
//! 127.0.0.1 with the trace preloaded.
//!
//! The page's files (the Vite build in `web/dist`) are embedded at build time
//! by `build.rs`, so the binary needs nothing on disk but the trace. The
//! server is deliberately small (std::net, HTTP/1.1 GET and HEAD, one thread
//! per connection, `Connection: close`): it serves one browser on this
//! machine, and never touches the file system for a URL: a path is either
//! one of the embedded files, `/trace`, or a 404, so `..` leads nowhere.
//! The page parses the trace itself (WebAssembly), so the trace goes from the
//! disk to the browser on this machine and nowhere else.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::input::{open_trace, streaming_reader};
use crate::Outcome;

/// `schedstat web --help`'s examples and notes.
pub const AFTER_HELP: &str = "\
Examples:
  schedstat web trace.out                 serve on http://127.0.0.1:8787 and print the URL
  schedstat web --open trace.out          ... and open it in the default browser
  schedstat web --port 0 trace.out        any free port (the URL line says which)
  schedstat web -v --port 9000 trace.out  log each request on stderr

The page (built by scripts/web-build.sh, embedded in the binary when it is
compiled) reads the trace in the browser, with the same SQL as the CLI. Only
127.0.0.1 is bound and the trace is served only to this machine; nothing is
uploaded anywhere. Stop with Ctrl-C.

Exit codes: 1 the trace could not be read, the binary was built without the
page, or the port is taken (try --port 0); 2 usage or file error.";

/// The port `--port` defaults to: fixed, so a bookmarked URL keeps working.
pub const DEFAULT_PORT: u16 = 8787;

/// How long a client may take to send its request line and headers: an idle
/// connection must not hold a thread forever.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one write may block: a browser that stopped reading is let go.
const WRITE_TIMEOUT: Duration = Duration::from_secs(300);
/// The largest request head accepted (browsers send well under 2 KiB).
const MAX_HEAD: usize = 16 * 1024;

/// One file of the built page, embedded at build time (see build.rs).
pub struct Asset {
    /// The URL path, e.g. `/assets/index-3f2a.js`.
    pub path: &'static str,
    /// Content-Type, by extension (`application/wasm` exactly, for streaming compilation).
    pub content_type: &'static str,
    /// A quoted ETag (length and content hash), so a browser can revalidate cheaply.
    pub etag: &'static str,
    /// The file's bytes.
    pub body: &'static [u8],
}

/// Every file of `web/dist`, sorted by path; empty when the page was not
/// built before this binary.
static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The embedded file at a URL path, if any (no file system access, ever).
fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.binary_search_by(|a| a.path.cmp(path)).ok().map(|i| &ASSETS[i])
}

/// `schedstat web`'s options.
pub struct WebArgs {
    /// Port on 127.0.0.1; 0 asks the system for a free one.
    pub port: u16,
    /// Launch the default browser on the URL.
    pub open: bool,
    /// One line per request on stderr.
    pub verbose: bool,
}

/// What every connection needs to know.
struct Site {
    /// The trace, re-opened for each `/trace` request and streamed from disk.
    trace: PathBuf,
    verbose: bool,
}

/// Checks the page and the trace, binds the port, prints the URL and serves
/// until killed. Everything that can fail is checked before the URL is
/// printed, so a URL on stdout means the page will load. A missing page and
/// a port in use exit 1 like an unreadable trace: nothing can be shown.
pub fn run(trace: &Path, args: &WebArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    if asset("/index.html").is_none() {
        eprintln!(
            "schedstat: error: this schedstat was built without the web page: \
             run scripts/web-build.sh, then rebuild schedstat"
        );
        return Ok(Outcome::Unreadable);
    }
    if let Some(outcome) = check_trace(trace)? {
        return Ok(outcome);
    }
    // A browser closing a connection mid-file must not kill the server
    // (main() restores SIGPIPE's default for the filter commands).
    #[cfg(unix)]
    // SAFETY: changing one signal's disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let listener = match TcpListener::bind((Ipv4Addr::LOCALHOST, args.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("schedstat: error: {}", bind_error(args.port, &e));
            return Ok(Outcome::Unreadable);
        }
    };
    let port = listener.local_addr()?.port();
    let name = trace.file_name().map_or_else(|| trace.display().to_string(), |n| n.to_string_lossy().into_owned());
    let url = format!("http://127.0.0.1:{port}/?trace=/trace&name={}", url_encode(&name));
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "schedstat: serving {name} at {url}  (Ctrl-C to stop)");
    let _ = out.flush();
    drop(out);
    if args.open {
        open_browser(&url);
    }
    let site = Arc::new(Site { trace: trace.to_path_buf(), verbose: args.verbose });
    accept_loop(&listener, &site);
    Ok(Outcome::Ok)
}

/// Validates the trace the way every other command does (same one-line
/// errors, exit 2 for file errors, 1 for a file that is not a trace), and
/// that it is a regular file, since each `/trace` request reads it again.
/// `Some(outcome)` when the trace cannot be served.
fn check_trace(trace: &Path) -> Result<Option<Outcome>, Box<dyn std::error::Error>> {
    let bytes = open_trace(trace)?;
    if streaming_reader(trace, &bytes, None).is_none() {
        return Ok(Some(Outcome::Unreadable));
    }
    if !std::fs::metadata(trace).is_ok_and(|m| m.is_file()) {
        eprintln!("schedstat: error: {}: not a regular file; save the trace to a file first", trace.display());
        return Ok(Some(Outcome::FileError));
    }
    Ok(None)
}

/// The one-line explanation of a failed bind.
fn bind_error(port: u16, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::AddrInUse => {
            format!("port {port} on 127.0.0.1 is in use; pick another with --port N, or --port 0 for any free port")
        }
        io::ErrorKind::PermissionDenied => {
            format!("not allowed to listen on port {port}; use a port above 1023, or --port 0 for any free port")
        }
        _ => format!("cannot listen on 127.0.0.1:{port}: {e}; try --port 0"),
    }
}

/// Percent-encodes a query value: everything but RFC 3986's unreserved characters.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Starts the platform's URL opener without waiting for the browser; a
/// failure is a warning (the URL is printed, and serving goes on).
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    let warn = move |why: String| {
        let _ = writeln!(
            io::stderr(),
            "schedstat: warning: could not open a browser ({opener}: {why}); open the URL above yourself"
        );
    };
    let child = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match child {
        // Reaped on its own thread, so its failure can still be reported.
        Ok(mut child) => {
            std::thread::spawn(move || match child.wait() {
                Ok(s) if !s.success() => warn(s.to_string()),
                Err(e) => warn(e.to_string()),
                Ok(_) => {}
            });
        }
        Err(e) => warn(e.to_string()),
    }
}

/// Hands each connection to its own thread. Errors of one connection (or of
/// accept itself) are logged with -v and never end the server.
fn accept_loop(listener: &TcpListener, site: &Arc<Site>) {
    for conn in listener.incoming() {
        let stream = match conn {
            Ok(s) => s,
            Err(e) => {
                log(site, format_args!("accept failed: {e}"));
                // Out of file descriptors, typically: let some connections finish first.
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let conn_site = Arc::clone(site);
        let spawned = std::thread::Builder::new().name("web-conn".into()).spawn(move || serve(stream, &conn_site));
        if let Err(e) = spawned {
            // The stream went down with the closure: that client sees a closed connection.
            log(site, format_args!("cannot start a thread for a connection: {e}"));
        }
    }
}

/// Writes one line on stderr with -v. Errors writing it are ignored: the log
/// must never take a connection (or the server) down.
fn log(site: &Site, what: std::fmt::Arguments<'_>) {
    if site.verbose {
        let _ = writeln!(io::stderr(), "schedstat: {what}");
    }
}

/// Answers one request on one connection, then closes it.
fn serve(mut stream: TcpStream, site: &Site) {
    let started = Instant::now();
    let _ = stream.set_read_timeout(Some(HEAD_TIMEOUT));
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let (line, reply, head_only) = match read_head(&mut stream).and_then(|h| parse_head(&h)) {
        Ok(req) => (printable(&format!("{} {}", req.method, req.target)), route(&req, site), req.method == "HEAD"),
        // Nothing was asked (a probe, a closed tab, a timeout): nothing to answer.
        Err(HeadError::Closed) => return,
        Err(HeadError::Bad(why)) => (format!("(bad request: {why})"), text(400, "bad request\n"), false),
        Err(HeadError::TooLarge) => {
            ("(request head too large)".to_string(), text(431, "request header fields too large\n"), false)
        }
    };
    let status = reply.status;
    let sent = match write_reply(&mut stream, reply, head_only) {
        Ok(n) => format!("{n} bytes"),
        Err(e) => format!("(connection lost: {e})"),
    };
    log(site, format_args!("{line} {status} {sent} {} ms", started.elapsed().as_millis()));
    finish(stream);
}

/// Closes a connection after its reply. Closing with request bytes still
/// unread makes the kernel reset the connection, which can cut the reply
/// short in the client: so say we are done, then drain what is left (a
/// little, briefly) until the client closes too.
fn finish(mut stream: TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < 64 * 1024 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// Why no request could be read.
enum HeadError {
    /// The connection closed or timed out before a request began.
    Closed,
    /// Not an HTTP/1.x request.
    Bad(&'static str),
    /// Headers over `MAX_HEAD`.
    TooLarge,
}

/// Reads the request line and headers (the bytes up to the blank line).
fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) if head.is_empty() => return Err(HeadError::Closed),
            Err(_) => return Err(HeadError::Bad("the request stopped before its end")),
        };
        if n == 0 {
            return Err(if head.is_empty() { HeadError::Closed } else { HeadError::Bad("the request ended early") });
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head_end(&head) {
            head.truncate(end);
            return Ok(head);
        }
        if head.len() > MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
    }
}

/// Where the blank line after the headers starts (CRLF, or bare LF as some tools send).
fn head_end(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n").or_else(|| b.windows(2).position(|w| w == b"\n\n"))
}

/// A request, reduced to what routing needs.
struct Request {
    /// `GET`, `HEAD`, ... as sent.
    method: String,
    /// The request target as sent (for the log).
    target: String,
    /// The decoded path without query string; `None` when it is not an
    /// origin-form path (`/...`) or does not decode to UTF-8.
    path: Option<String>,
    /// The Host header, if any.
    host: Option<String>,
    /// The If-None-Match header, if any.
    if_none_match: Option<String>,
}

/// Parses the request line and the two headers we use.
fn parse_head(head: &[u8]) -> Result<Request, HeadError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines();
    let mut parts = lines.next().unwrap_or("").split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Bad("malformed request line"));
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() {
        return Err(HeadError::Bad("not an HTTP/1.x request"));
    }
    let mut req = Request {
        method: method.to_string(),
        target: target.to_string(),
        path: request_path(target),
        host: None,
        if_none_match: None,
    };
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("host") {
                req.host = Some(value.trim().to_string());
            } else if name.eq_ignore_ascii_case("if-none-match") {
                req.if_none_match = Some(value.trim().to_string());
            }
        }
    }
    Ok(req)
}

/// The decoded path of an origin-form target (`/a/b?q` gives `/a/b`).
/// Absolute-form targets (`http://host/...`, which only proxies are sent)
/// are refused, so the Host check below cannot be side-stepped.
fn request_path(target: &str) -> Option<String> {
    let path = target.split(['?', '#']).next()?;
    if !path.starts_with('/') {
        return None;
    }
    percent_decode(path)
}

/// Decodes `%XX` escapes; `None` for a broken escape or non-UTF-8 result.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether a Host header names this machine. Any web page the user visits
/// can make the browser send requests here; with DNS rebinding it could even
/// read the replies, under its own host name. Refusing every other name
/// keeps the trace on this machine.
fn host_is_local(host: Option<&str>) -> bool {
    // HTTP/1.0 clients may omit Host; browsers always send it.
    let Some(host) = host else { return true };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(name.to_ascii_lowercase().as_str(), "127.0.0.1" | "localhost" | "localhost.")
}

/// A reply's body.
enum Body {
    /// An embedded file.
    Static(&'static [u8]),
    /// The trace, streamed from disk: the first `u64` bytes of the file.
    File(File, u64),
    /// A short message, or nothing (304).
    Text(String),
}

/// A reply about to be written.
struct Reply {
    status: u16,
    content_type: &'static str,
    /// Extra headers: Cache-Control, ETag, Allow.
    headers: Vec<(&'static str, String)>,
    body: Body,
}

/// A short plain-text reply (errors).
fn text(status: u16, msg: &str) -> Reply {
    Reply {
        status,
        content_type: "text/plain; charset=utf-8",
        headers: vec![("Cache-Control", "no-store".into())],
        body: Body::Text(msg.to_string()),
    }
}

/// Picks the reply: `/trace`, `/` (the page), an embedded file, or an error.
fn route(req: &Request, site: &Site) -> Reply {
    if !host_is_local(req.host.as_deref()) {
        return text(403, "forbidden: this server answers only to 127.0.0.1 and localhost\n");
    }
    if req.method != "GET" && req.method != "HEAD" {
        let mut r = text(405, "method not allowed: use GET or HEAD\n");
        r.headers.push(("Allow", "GET, HEAD".into()));
        return r;
    }
    let Some(path) = req.path.as_deref() else {
        return text(400, "bad request target\n");
    };
    let found = match path {
        "/trace" => return trace_reply(site),
        "/" => asset("/index.html"),
        p => asset(p),
    };
    match found {
        Some(a) => asset_reply(a, req.if_none_match.as_deref()),
        None => text(404, "not found\n"),
    }
}

/// An embedded file, or 304 when the browser already has this exact one.
/// `no-cache` makes the browser ask every time (a rebuilt schedstat can
/// embed a different page under the same file names); the ETag keeps the
/// answer to that question small.
fn asset_reply(a: &'static Asset, if_none_match: Option<&str>) -> Reply {
    let headers = vec![("Cache-Control", "no-cache".to_string()), ("ETag", a.etag.to_string())];
    let fresh = if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == a.etag || t.trim() == "*"));
    if fresh {
        return Reply { status: 304, content_type: a.content_type, headers, body: Body::Text(String::new()) };
    }
    Reply { status: 200, content_type: a.content_type, headers, body: Body::Static(a.body) }
}

/// The trace, opened again for this request and streamed from disk (never
/// held in memory: traces can be hundreds of MB). If it has gone away, say
/// so on stderr too: the user has to fix it, and the page only shows a 500.
fn trace_reply(site: &Site) -> Reply {
    let opened = File::open(&site.trace).and_then(|f| f.metadata().map(|m| (f, m.len())));
    match opened {
        Ok((file, len)) => Reply {
            status: 200,
            content_type: "application/octet-stream",
            headers: vec![("Cache-Control", "no-store".into())],
            body: Body::File(file, len),
        },
        Err(e) => {
            let _ = writeln!(io::stderr(), "schedstat: warning: {}: cannot serve the trace: {e}", site.trace.display());
            text(500, "cannot read the trace; see schedstat's output\n")
        }
    }
}

/// The reason phrase of each status we send.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

/// Writes the status line, headers and (unless HEAD or 304) the body;
/// returns the body bytes sent.
fn write_reply(stream: &mut TcpStream, reply: Reply, head_only: bool) -> io::Result<u64> {
    let len = match &reply.body {
        Body::Static(b) => b.len() as u64,
        Body::File(_, n) => *n,
        Body::Text(t) => t.len() as u64,
    };
    let mut head =
        format!("HTTP/1.1 {} {}\r\nContent-Type: {}\r\n", reply.status, reason(reply.status), reply.content_type);
    if reply.status != 304 {
        head.push_str(&format!("Content-Length: {len}\r\n"));
    }
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    if head_only || reply.status == 304 {
        return Ok(0);
    }
    match reply.body {
        Body::Static(b) => stream.write_all(b).map(|()| len),
        Body::Text(t) => stream.write_all(t.as_bytes()).map(|()| len),
        // A trace cut while being served ends the body early: the client
        // sees fewer bytes than announced, an error it reports.
        Body::File(file, n) => io::copy(&mut file.take(n), stream),
    }
}

/// The request line for the log, without control characters.
fn printable(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(url_encode("trace.out"), "trace.out");
        assert_eq!(url_encode("my trace&v=1.out"), "my%20trace%26v%3D1.out");
        assert_eq!(url_encode("é"), "%C3%A9");
    }

    #[test]
    fn paths_decode_and_only_origin_form_is_accepted() {
        assert_eq!(request_path("/assets/a%20b.js?x=1#f").as_deref(), Some("/assets/a b.js"));
        assert_eq!(request_path("/%2e%2e/etc/passwd").as_deref(), Some("/../etc/passwd"));
        assert_eq!(request_path("http://evil.example/trace"), None);
        assert_eq!(request_path("*"), None);
        assert_eq!(request_path("/bad%zz"), None);
        assert_eq!(request_path("/bad%"), None);
        assert_eq!(request_path("/%ff"), None);
    }

    #[test]
    fn only_local_host_names_are_answered() {
        assert!(host_is_local(Some("127.0.0.1:8787")));
        assert!(host_is_local(Some("localhost:8787")));
        assert!(host_is_local(Some("LOCALHOST")));
        assert!(host_is_local(None));
        assert!(!host_is_local(Some("evil.example:8787")));
        assert!(!host_is_local(Some("127.0.0.1.evil.example")));
    }

    #[test]
    fn request_heads_parse() {
        let r = parse_head(b"GET /a?b HTTP/1.1\r\nHOST: localhost:1\r\nIf-None-Match: \"x\"").ok().unwrap();
        assert_eq!((r.method.as_str(), r.path.as_deref()), ("GET", Some("/a")));
        assert_eq!(r.host.as_deref(), Some("localhost:1"));
        assert_eq!(r.if_none_match.as_deref(), Some("\"x\""));
        assert!(matches!(parse_head(b"GET /a"), Err(HeadError::Bad(_))));
        assert!(matches!(parse_head(b"GET /a SPDY/3"), Err(HeadError::Bad(_))));
        assert_eq!(head_end(b"GET / HTTP/1.0\n\nrest"), Some(14));
    }
}
