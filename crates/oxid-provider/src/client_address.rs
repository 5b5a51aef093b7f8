//! The client's address, for the request log, throttling per IP and the per-request records:
//! the socket's peer, or, when that peer is a configured trusted proxy (`[http]
//! trusted_proxies`), the rightmost address of `X-Forwarded-For` that is not one of them.
//! Taking the rightmost untrusted hop (not the leftmost) matters: everything left of what our
//! own proxies appended was written by the client and can say anything.

use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// The `[http]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Proxies (CIDR blocks, or single addresses) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
}

/// The client address of a request, put in its extensions by the request log layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// One CIDR block (`10.0.0.0/8`, `2001:db8::/32`, or an address alone: a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or CIDR block"))?;
        let network = network.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0..={max}"))?,
        };
        Ok(Cidr { network, prefix })
    }
}

impl Cidr {
    /// Whether `address` is in the block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                same_prefix(&net.octets(), &a.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                same_prefix(&net.octets(), &a.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

/// Whether the first `bits` bits of `a` and `b` are equal.
fn same_prefix(a: &[u8], b: &[u8], bits: u8) -> bool {
    let bits = usize::from(bits);
    let (whole, rest) = (bits / 8, bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[whole] & mask == b[whole] & mask
    }
}

/// The configured trusted proxies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Parses `[http] trusted_proxies`; the error names the entry.
    pub fn from_settings(settings: &HttpSettings) -> Result<Self, String> {
        settings
            .trusted_proxies
            .iter()
            .map(|entry| entry.parse())
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|block| block.contains(address))
    }

    /// The client address of a request from `peer` carrying the `X-Forwarded-For` header
    /// lines `forwarded_for` (in order): `peer` unless it is trusted; else, walking the hops
    /// from the right, the first one that is not trusted. A hop that is not an address ends
    /// the walk at the proxy that wrote it; when every hop is trusted, the leftmost one.
    pub fn client_address<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|line| line.split(','))
            .collect();
        for hop in hops.iter().rev() {
            let Some(address) = parse_hop(hop) else {
                return client;
            };
            client = address;
            if !self.trusts(client) {
                return client;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` hop: an address, possibly with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(blocks: &[&str]) -> TrustedProxies {
        TrustedProxies::from_settings(&HttpSettings {
            trusted_proxies: blocks.iter().map(|b| b.to_string()).collect(),
        })
        .unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn blocks_parse_and_match_by_prefix() {
        let block: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(block.contains(ip("10.1.200.3")));
        assert!(!block.contains(ip("10.2.0.1")));
        assert!(block.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped");
        let odd: Cidr = "192.168.0.0/23".parse().unwrap();
        assert!(odd.contains(ip("192.168.1.255")));
        assert!(!odd.contains(ip("192.168.2.0")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::1")) && !v6.contains(ip("2001:db9::1")));
        let single: Cidr = "203.0.113.7".parse().unwrap();
        assert!(single.contains(ip("203.0.113.7")) && !single.contains(ip("203.0.113.8")));
        let everything: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(everything.contains(ip("8.8.8.8")) && !everything.contains(ip("::2")));
        for bad in ["10.0.0.0/33", "::/129", "proxy.example", "10.0.0.0/x", ""] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn without_trusted_proxies_the_socket_peer_is_the_client() {
        let none = proxies(&[]);
        assert_eq!(
            none.client_address(ip("198.51.100.1"), ["203.0.113.9"]),
            ip("198.51.100.1"),
            "X-Forwarded-For from anyone is ignored"
        );
        let some = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            some.client_address(ip("198.51.100.1"), ["203.0.113.9"]),
            ip("198.51.100.1"),
            "an untrusted peer's header is ignored"
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "127.0.0.1"]);
        // The client forged the first hop; our proxies appended the rest.
        let lines = ["6.6.6.6, 203.0.113.9", "10.0.0.5"];
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), lines),
            ip("203.0.113.9")
        );
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), ["203.0.113.9:4711"]),
            ip("203.0.113.9"),
            "a port is dropped"
        );
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), ["[2001:db8::5]:443"]),
            ip("2001:db8::5")
        );
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), ["10.0.0.9, 10.0.0.8"]),
            ip("10.0.0.9"),
            "every hop trusted: the leftmost"
        );
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), ["203.0.113.9, garbage"]),
            ip("10.0.0.2"),
            "an unreadable hop: the proxy that wrote it"
        );
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), []),
            ip("10.0.0.2"),
            "no header: the peer"
        );
    }
}
