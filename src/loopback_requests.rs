//! What a request must look like to come from this machine's own programs: a loopback `Host`
//! (a page reaching a local port through a name that resolves to 127.0.0.1, DNS rebinding,
//! sends its own name), and no header that two parsers may read differently. The inspector's
//! guards and the telemetry receiver's both apply these.

use std::net::IpAddr;

use axum::http::{HeaderMap, header};

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
