//! Cross-origin requests among the cluster's own consoles. A console page
//! served by one node keeps working when that node stops answering: it
//! moves to another member and calls that member's API from the page it
//! already has. The browser allows that only if the other member says so
//! (CORS), and only the cluster's members' own origins are ever granted:
//! `scheme://api_addr` of every node in the cluster file (and the
//! localhost forms of its port, or any IP literal with that port when the
//! node listens on a wildcard address), plus `api_public_hosts`. The token
//! travels in the `Authorization` header, never a cookie, so a grant lets
//! a member's page send only what its logged-in caller may.

use std::net::SocketAddr;

use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// How long a browser may keep a preflight's answer, seconds.
const PREFLIGHT_MAX_AGE_S: u32 = 600;
/// The request headers a member's console sends.
const ALLOWED_HEADERS: &str = "authorization, content-type, accept, last-event-id, traceparent";

/// The origins of the cluster's consoles.
#[derive(Clone, Debug)]
pub struct MemberOrigins {
    scheme: &'static str,
    /// Exact `host:port` forms, lowercase.
    hosts: Vec<String>,
    /// Ports of members listening on a wildcard address: any IP literal
    /// with one of these ports (a literal cannot be rebound to elsewhere).
    wildcard_ports: Vec<u16>,
    /// Public names, with or without a port, lowercase.
    names: Vec<String>,
}

impl MemberOrigins {
    /// The consoles of members listening on `api_addrs`, under `public_hosts`.
    pub fn new(
        api_addrs: impl IntoIterator<Item = SocketAddr>,
        public_hosts: &[String],
        https: bool,
    ) -> MemberOrigins {
        let mut hosts = Vec::new();
        let mut wildcard_ports = Vec::new();
        for addr in api_addrs {
            let port = addr.port();
            if addr.ip().is_unspecified() {
                wildcard_ports.push(port);
            } else {
                hosts.push(addr.to_string());
            }
            hosts.extend([
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("[::1]:{port}"),
            ]);
        }
        hosts.sort();
        hosts.dedup();
        MemberOrigins {
            scheme: if https { "https" } else { "http" },
            hosts,
            wildcard_ports,
            names: public_hosts
                .iter()
                .map(|name| name.to_ascii_lowercase())
                .collect(),
        }
    }

    /// True when `origin` (`http://127.0.0.1:8080`) is a member's console.
    pub fn admits(&self, origin: &str) -> bool {
        let origin = origin.to_ascii_lowercase();
        let Some(authority) = origin
            .strip_prefix(self.scheme)
            .and_then(|rest| rest.strip_prefix("://"))
            .filter(|authority| !authority.is_empty() && !authority.contains('/'))
        else {
            return false;
        };
        let (name, port) = super::guard::split_port(authority);
        let literal = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok();
        self.hosts.iter().any(|host| host == authority)
            || self
                .names
                .iter()
                .any(|public| public == authority || public == name)
            || (literal && port.is_some_and(|port| self.wildcard_ports.contains(&port)))
    }

    /// The console's CSP `connect-src` sources: itself and every member.
    /// CSP has no form for IPv6 literals: a member reached only by one is
    /// left out (its console still reaches itself, as `'self'`).
    pub fn connect_src(&self) -> String {
        let scheme = self.scheme;
        let mut sources = vec!["'self'".to_string()];
        let named = self.hosts.iter().filter(|host| !host.starts_with('['));
        sources.extend(named.map(|host| format!("{scheme}://{host}")));
        sources.extend(
            self.wildcard_ports
                .iter()
                .map(|port| format!("{scheme}://*:{port}")),
        );
        sources.extend(self.names.iter().map(|name| format!("{scheme}://{name}")));
        sources.join(" ")
    }

    /// The request's `Origin` when it is a member's console.
    pub fn granted(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = headers.get(header::ORIGIN)?;
        origin.to_str().ok().filter(|text| self.admits(text))?;
        Some(origin.clone())
    }
}

/// True for a CORS preflight (`OPTIONS` asking for a method).
pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a member console's preflight.
pub fn preflight(origin: HeaderValue) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    grant(headers, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(PREFLIGHT_MAX_AGE_S),
    );
    response
}

/// Lets a member console read this answer.
pub fn grant(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.append(header::VARY, HeaderValue::from_static("origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_members_consoles_are_granted() {
        // Phase 1: three members on loopback and a public name.
        let members =
            ["127.0.0.1:7001", "127.0.0.1:7002", "10.0.0.7:8080"].map(|addr| addr.parse().unwrap());
        let origins = MemberOrigins::new(members, &["dispatch.example.org".to_string()], false);

        // Phase 2: each member's origin, its localhost forms and the public name are granted.
        for good in [
            "http://127.0.0.1:7001",
            "http://localhost:7002",
            "http://10.0.0.7:8080",
            "HTTP://127.0.0.1:7002",
            "http://dispatch.example.org",
        ] {
            assert!(origins.admits(good), "{good}");
        }

        // Phase 3: another port, another site, another scheme, a path: refused.
        for bad in [
            "http://127.0.0.1:7003",
            "http://attacker.example",
            "https://127.0.0.1:7001",
            "http://127.0.0.1:7001/x",
            "null",
            "",
        ] {
            assert!(!origins.admits(bad), "{bad}");
        }
        let csp = origins.connect_src();
        assert!(
            csp.starts_with("'self' ") && csp.contains("http://127.0.0.1:7002"),
            "{csp}"
        );
        assert!(!csp.contains('['), "CSP takes no IPv6 literal: {csp}");
    }

    #[test]
    fn a_wildcard_member_admits_ip_literals_with_its_port() {
        let origins = MemberOrigins::new(["0.0.0.0:9000".parse().unwrap()], &[], true);
        assert!(origins.admits("https://192.168.1.20:9000"));
        assert!(!origins.admits("https://rebound.example:9000"));
        assert!(origins.connect_src().contains("https://*:9000"));
    }
}
