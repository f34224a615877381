//! What a request must look like to come from this machine's own programs, or from the
//! inspector page `serve` itself serves: a loopback `Host` (a page reaching a local port through
//! a name that resolves to 127.0.0.1, DNS rebinding, sends its own name), no header that two
//! parsers may read differently, no browser origin but the page's own, and no state-changing
//! request from a browser without the header only the page sends (CSRF). The data plane, the
//! inspector's guards and the telemetry receiver apply these, each where it stands.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, Method, header};

/// The header a browser request must carry to change state (invoke, stop a session).
pub const INSPECTOR_HEADER: &str = "x-agentprep-inspector";

/// Where serve listens, as the checks need it: the port makes the allowed origins, and
/// whether the address is loopback decides whether the data plane checks `Host` too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listening {
    pub port: u16,
    pub loopback: bool,
}

impl Listening {
    pub fn at(address: SocketAddr) -> Listening {
        Listening {
            port: address.port(),
            loopback: address.ip().is_loopback(),
        }
    }
}

/// Why a request to `serve`'s port is refused, or `None` when it may go on. `on_page`: it is
/// for the inspector page or its API, which answers loopback names whatever the bind address;
/// the data plane checks `Host` only while serve listens on loopback (whoever binds another
/// address on purpose gets a data plane other machines can call, but never the page).
pub fn refusal(
    listening: &Listening,
    on_page: bool,
    method: &Method,
    headers: &HeaderMap,
) -> Option<String> {
    if let Some(repeated) = repeated_header(headers) {
        return Some(repeated);
    }
    if (on_page || listening.loopback)
        && let Some(refusal) = non_loopback_host(headers)
    {
        return Some(refusal);
    }
    let origin = headers.get(header::ORIGIN);
    if let Some(origin) = origin
        && !origin
            .to_str()
            .ok()
            .is_some_and(|origin| is_own_origin(origin, listening.port))
    {
        let shown = String::from_utf8_lossy(origin.as_bytes()).into_owned();
        return Some(format!(
            "requests from the origin `{shown}` are refused: only pages served by this local \
             runtime (http://127.0.0.1:{port}, http://localhost:{port}) may call it",
            port = listening.port
        ));
    }
    let from_browser = origin.is_some() || headers.contains_key("sec-fetch-site");
    let changes_state = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let marked = headers
        .get(INSPECTOR_HEADER)
        .is_some_and(|value| value.as_bytes() == b"1");
    if from_browser && changes_state && !marked {
        return Some(format!(
            "a {method} from a browser needs the header `X-Agentprep-Inspector: 1`, which only \
             the inspector page sends"
        ));
    }
    None
}

/// One of this server's own loopback origins (the page's, whichever name the user typed).
fn is_own_origin(origin: &str, port: u16) -> bool {
    let Some(host) = origin.strip_prefix("http://") else {
        return false;
    };
    let with_port = ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host.eq_ignore_ascii_case(&format!("{name}:{port}")));
    // A browser leaves the default port out of an origin.
    let default_port = port == 80
        && ["127.0.0.1", "localhost", "[::1]"].contains(&host.to_ascii_lowercase().as_str());
    with_port || default_port
}

/// A `Host` or `Origin` sent twice: proxies and servers disagree on which one counts, so a
/// check of the first may not be a check of the one used.
pub fn repeated_header(headers: &HeaderMap) -> Option<String> {
    [header::HOST, header::ORIGIN].into_iter().find_map(|name| {
        (headers.get_all(&name).iter().count() > 1)
            .then(|| format!("the request has more than one `{name}` header"))
    })
}

/// The refusal of a `Host` that is not a loopback name, if the request has one.
pub fn non_loopback_host(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?;
    if host.to_str().ok().is_some_and(is_loopback_host) {
        return None;
    }
    let shown = String::from_utf8_lossy(host.as_bytes()).into_owned();
    Some(format!(
        "the Host `{shown}` is not a loopback name: this local runtime answers only \
         127.0.0.1, localhost or [::1] (a defence against DNS rebinding)"
    ))
}

/// `127.0.0.1`, `localhost` or `[::1]` (any loopback address), with or without a port.
pub fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        // `[::1]` or `[::1]:8080`
        Some(rest) => match rest.split_once(']') {
            Some((address, port)) if port.is_empty() || valid_port(port) => address,
            _ => return false,
        },
        None => match host.rsplit_once(':') {
            Some((name, port)) if valid_port(port) => name,
            Some(_) => return false,
            None => host,
        },
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

fn valid_port(text: &str) -> bool {
    let digits = text.strip_prefix(':').unwrap_or(text);
    !digits.is_empty() && digits.parse::<u16>().is_ok()
}
