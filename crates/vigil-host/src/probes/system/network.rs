//! The network configuration of the running kernel (OVAL 5.11 unix schema):
//! `interface_object` (from `getifaddrs(3)` and the `SIOCGIFHWADDR` ioctl),
//! `routingtable_object` (from `/proc/net/route` and `/proc/net/ipv6_route`) and
//! `dnscache_object`.
//!
//! Compared with oscap 1.3.7 (`oscap oval eval`, fixtures under
//! `tests/fixtures/oval/net/`) on a Debian 12 host; what it does and vigil follows:
//! - `interface`: one item per IPv4/IPv6 address of an interface (an interface without
//!   an address is no item); `hardware_addr` is the first six bytes of the hardware
//!   address in upper case (`00:00:00:00:00:00` for `lo`, empty when the ioctl fails);
//!   `type` is the `ARPHRD_*` name of the schema's enumeration, empty for any other
//!   type; an IPv6 `inet_addr` carries its prefix length (`fe80::1/64`) and has empty
//!   `netmask` and `broadcast_addr` (as the schema documents), an IPv4 one has its
//!   netmask and, on broadcast interfaces, its broadcast address; `flag` lists the
//!   `IFF_*` flags by name.
//! - `routingtable`: the datatype of the object's `destination` chooses the table
//!   (`ipv4_address`: `/proc/net/route`, `ipv6_address`: `/proc/net/ipv6_route`; any
//!   other datatype is an error); `destination` is the network address without its
//!   prefix length, `flags` the `RTF_*` names oscap maps (UP, GATEWAY, HOST,
//!   REINSTATE, DYNAMIC, MODIFIED, and for IPv6 also ADDRCONF and CACHE, then REJECT).
//! - `dnscache`: Linux has no system DNS cache the kernel exposes; oscap answers
//!   `not applicable` for every object and so does vigil.
//!
//! Deliberate differences from oscap 1.3.7, following the specification:
//! - oscap keeps the line's newline in the `interface_name` of IPv6 routes (`eth0\n`);
//!   vigil reports the name (`eth0`), so a state `interface_name = eth0` is true for
//!   an IPv6 route as it is for an IPv4 one (`routingtable.expect`).
//! - oscap spells the `IFF_NOARP` flag `NOAPP`; vigil spells it `NOARP`, the flag's
//!   name (the schema's documentation lists the `IFF_*` names without the prefix).
//!
//! Live only: an offline root has no interfaces or routes; as oscap (whose probes do
//! not support offline mode), every object is `not applicable` there.

use std::ffi::CStr;
use std::fs;
use std::net::Ipv4Addr;

use crate::probes::{Collected, Context, Flag, Item, ObjectQuery, Probe};
use vigil_core::content::oval::Datatype;

use super::{compare_error, entity_matches, require_live};

/// Bound on what is read from one `/proc/net` table.
const MAX_TABLE: usize = 64 << 20;

/// The probe of OVAL 5.11 `unix:interface_object`: the addresses of the network
/// interfaces (live only).
pub struct InterfaceProbe;

/// The probe of OVAL 5.11 `unix:routingtable_object`: the kernel's IPv4 or IPv6
/// routing table (live only).
pub struct RoutingTableProbe;

/// The probe of OVAL 5.11 `unix:dnscache_object`: not applicable on Linux.
pub struct DnsCacheProbe;

/// An IPv6 address as glibc's `inet_ntop(3)` writes it (what oscap reports): the
/// longest run of two or more zero groups (the first of equal runs) becomes `::`, and
/// an address whose first 96 bits are zero (other than `::` and `::1`-style short
/// forms) or an IPv4-mapped one ends in dotted IPv4.
pub(crate) fn inet_ntop6(b: &[u8; 16]) -> String {
    let words: Vec<u16> = b
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    // The longest run of zero words as (start, length); the first of equal runs wins.
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < 8 {
        if words[i] != 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < 8 && words[i] == 0 {
            i += 1;
        }
        if best.is_none_or(|b| i - start > b.1) {
            best = Some((start, i - start));
        }
    }
    let best = best.filter(|b| b.1 >= 2);
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some((base, len)) = best
            && i >= base
            && i < base + len
        {
            if i == base {
                out.push(':');
            }
            i += 1;
            continue;
        }
        if i != 0 {
            out.push(':');
        }
        if i == 6
            && best.is_some_and(|(base, len)| {
                base == 0 && (len == 6 || (len == 5 && words[5] == 0xffff))
            })
        {
            out.push_str(&Ipv4Addr::new(b[12], b[13], b[14], b[15]).to_string());
            return out;
        }
        out.push_str(&format!("{:x}", words[i]));
        i += 1;
    }
    if best.is_some_and(|(base, len)| base + len == 8) {
        out.push(':');
    }
    out
}

/// Reads a `/proc/net` table, bounded.
pub(crate) fn read_table(path: &str) -> std::io::Result<String> {
    use std::io::Read;
    let f = fs::File::open(path)?;
    let mut buf = Vec::new();
    f.take(MAX_TABLE as u64).read_to_end(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

// ---------------------------------------------------------------- interface

const IFF_NAMES: &[(libc::c_uint, &str)] = &[
    (libc::IFF_UP as libc::c_uint, "UP"),
    (libc::IFF_BROADCAST as libc::c_uint, "BROADCAST"),
    (libc::IFF_DEBUG as libc::c_uint, "DEBUG"),
    (libc::IFF_LOOPBACK as libc::c_uint, "LOOPBACK"),
    (libc::IFF_POINTOPOINT as libc::c_uint, "POINTOPOINT"),
    (libc::IFF_NOTRAILERS as libc::c_uint, "NOTRAILERS"),
    (libc::IFF_RUNNING as libc::c_uint, "RUNNING"),
    (libc::IFF_NOARP as libc::c_uint, "NOARP"),
    (libc::IFF_PROMISC as libc::c_uint, "PROMISC"),
    (libc::IFF_ALLMULTI as libc::c_uint, "ALLMULTI"),
    (libc::IFF_MASTER as libc::c_uint, "MASTER"),
    (libc::IFF_SLAVE as libc::c_uint, "SLAVE"),
    (libc::IFF_MULTICAST as libc::c_uint, "MULTICAST"),
    (libc::IFF_PORTSEL as libc::c_uint, "PORTSEL"),
    (libc::IFF_AUTOMEDIA as libc::c_uint, "AUTOMEDIA"),
    (libc::IFF_DYNAMIC as libc::c_uint, "DYNAMIC"),
];

/// The `ARPHRD_*` names of the schema's EntityItemInterfaceType.
fn arphrd_name(t: u16) -> &'static str {
    match t {
        libc::ARPHRD_ETHER => "ARPHRD_ETHER",
        libc::ARPHRD_FDDI => "ARPHRD_FDDI",
        libc::ARPHRD_LOOPBACK => "ARPHRD_LOOPBACK",
        libc::ARPHRD_PPP => "ARPHRD_PPP",
        libc::ARPHRD_PRONET => "ARPHRD_PRONET",
        libc::ARPHRD_SLIP => "ARPHRD_SLIP",
        libc::ARPHRD_VOID => "ARPHRD_VOID",
        _ => "",
    }
}

/// One address of an interface, as `getifaddrs(3)` gives it.
#[derive(Debug, Clone, PartialEq)]
struct IfAddr {
    name: String,
    flags: libc::c_uint,
    inet: String,
    netmask: String,
    broadcast: String,
}

/// A socket owned by this module, closed on drop.
struct Fd(libc::c_int);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the descriptor was opened by us and is closed once.
        unsafe { libc::close(self.0) };
    }
}

fn v4(sa: *const libc::sockaddr) -> Option<[u8; 4]> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: getifaddrs gives sockaddrs valid until freeifaddrs; the family is
    // checked before the cast.
    unsafe {
        if (*sa).sa_family as i32 != libc::AF_INET {
            return None;
        }
        let sin = &*(sa as *const libc::sockaddr_in);
        Some(sin.sin_addr.s_addr.to_ne_bytes())
    }
}

fn v6(sa: *const libc::sockaddr) -> Option<[u8; 16]> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: as in `v4`.
    unsafe {
        if (*sa).sa_family as i32 != libc::AF_INET6 {
            return None;
        }
        let sin6 = &*(sa as *const libc::sockaddr_in6);
        Some(sin6.sin6_addr.s6_addr)
    }
}

/// The prefix length of an IPv6 netmask as oscap counts it: leading one bits.
fn prefix_len(mask: &[u8; 16]) -> u32 {
    let mut n = 0;
    for b in mask {
        n += b.leading_ones();
        if *b != 0xff {
            break;
        }
    }
    n
}

/// Every IPv4 and IPv6 address of every interface.
fn if_addrs() -> std::io::Result<Vec<IfAddr>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut out = Vec::new();
    let mut p = head;
    while !p.is_null() {
        // SAFETY: `p` walks the list getifaddrs returned, before freeifaddrs.
        let ifa = unsafe { &*p };
        p = ifa.ifa_next;
        if ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string of the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
            .to_string_lossy()
            .into_owned();
        let flags = ifa.ifa_flags;
        if let Some(a) = v4(ifa.ifa_addr) {
            let netmask = v4(ifa.ifa_netmask)
                .map(|m| Ipv4Addr::from(m).to_string())
                .unwrap_or_default();
            let broadcast = if flags & libc::IFF_BROADCAST as libc::c_uint != 0 {
                v4(ifa.ifa_ifu)
                    .map(|m| Ipv4Addr::from(m).to_string())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            out.push(IfAddr {
                name,
                flags,
                inet: Ipv4Addr::from(a).to_string(),
                netmask,
                broadcast,
            });
        } else if let Some(a) = v6(ifa.ifa_addr) {
            let prefix = v6(ifa.ifa_netmask).map(|m| prefix_len(&m)).unwrap_or(0);
            out.push(IfAddr {
                name,
                flags,
                inet: format!("{}/{prefix}", inet_ntop6(&a)),
                netmask: String::new(),
                broadcast: String::new(),
            });
        }
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
}

/// The hardware address (upper case, first six bytes) and `ARPHRD_*` type of an
/// interface; empty strings when the ioctl fails.
fn l2_info(fd: &Fd, name: &str) -> (String, &'static str) {
    // SAFETY: ifreq is plain data; zero is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    let bytes = name.as_bytes();
    if bytes.len() >= ifr.ifr_name.len() {
        return (String::new(), "");
    }
    for (d, s) in ifr.ifr_name.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    // SAFETY: SIOCGIFHWADDR reads the interface's address into `ifr`; it changes
    // nothing on the host.
    if unsafe { libc::ioctl(fd.0, libc::SIOCGIFHWADDR, &mut ifr) } < 0 {
        return (String::new(), "");
    }
    // SAFETY: the ioctl filled the hwaddr member of the union.
    let hw = unsafe { ifr.ifr_ifru.ifru_hwaddr };
    let mac: Vec<String> = hw.sa_data[..6]
        .iter()
        .map(|b| format!("{:02X}", *b as u8))
        .collect();
    (mac.join(":"), arphrd_name(hw.sa_family))
}

impl Probe<Context> for InterfaceProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["interface_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = require_live(ctx, query) {
            return c;
        }
        let addrs = match if_addrs() {
            Ok(a) => a,
            Err(e) => return Collected::error(format!("getifaddrs: {e}")),
        };
        // SAFETY: a plain datagram socket, only used for the read-only ioctl.
        let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) };
        if raw < 0 {
            return Collected::error(format!(
                "socket for SIOCGIFHWADDR: {}",
                std::io::Error::last_os_error()
            ));
        }
        let fd = Fd(raw);
        let mut items = ctx.sink(ctx.deadline());
        for a in addrs {
            match entity_matches(query, "name", &a.name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => return compare_error(query, e),
            }
            let (mac, kind) = l2_info(&fd, &a.name);
            let mut item = Item::new()
                .field("name", a.name.as_str())
                .field("type", kind)
                .field("hardware_addr", mac)
                .field("inet_addr", a.inet)
                .field("broadcast_addr", a.broadcast)
                .field("netmask", a.netmask);
            for (bit, flag) in IFF_NAMES {
                if a.flags & bit != 0 {
                    item.push("flag", *flag);
                }
            }
            if items.push(item).is_err() {
                break;
            }
        }
        items.into_collected()
    }
}

// ---------------------------------------------------------------- routingtable

const RTF_UP: u32 = 0x0001;
const RTF_GATEWAY: u32 = 0x0002;
const RTF_HOST: u32 = 0x0004;
const RTF_REINSTATE: u32 = 0x0008;
const RTF_DYNAMIC: u32 = 0x0010;
const RTF_MODIFIED: u32 = 0x0020;
const RTF_REJECT: u32 = 0x0200;
const RTF_ADDRCONF: u32 = 0x0004_0000;
const RTF_CACHE: u32 = 0x0100_0000;

/// One route: destination, gateway, flag names, interface.
#[derive(Debug, Clone, PartialEq)]
struct Route {
    destination: String,
    gateway: String,
    flags: Vec<&'static str>,
    interface: String,
}

/// A parser of one routing table's text.
type RouteParser = fn(&str) -> Result<Vec<Route>, String>;

fn route_flags(bits: u32, ipv6: bool) -> Vec<&'static str> {
    let mut table = vec![
        (RTF_UP, "UP"),
        (RTF_GATEWAY, "GATEWAY"),
        (RTF_HOST, "HOST"),
        (RTF_REINSTATE, "REINSTATE"),
        (RTF_DYNAMIC, "DYNAMIC"),
        (RTF_MODIFIED, "MODIFIED"),
    ];
    if ipv6 {
        table.push((RTF_ADDRCONF, "ADDRCONF"));
        table.push((RTF_CACHE, "CACHE"));
    }
    table.push((RTF_REJECT, "REJECT"));
    table
        .into_iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| n)
        .collect()
}

fn hex_bytes<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A `/proc/net/route` address: a 32-bit word in host byte order, printed in hex.
fn proc_ipv4(s: &str) -> Option<String> {
    let word = u32::from_str_radix(s, 16).ok()?;
    if s.len() != 8 {
        return None;
    }
    Some(Ipv4Addr::from(word.to_ne_bytes()).to_string())
}

/// Parses `/proc/net/route` (header line first); an error names the bad line.
fn parse_route4(text: &str) -> Result<Vec<Route>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.is_empty() {
            continue;
        }
        let bad = || format!("/proc/net/route line {}: cannot parse {line:?}", n + 1);
        if t.len() < 4 {
            return Err(bad());
        }
        let destination = proc_ipv4(t[1]).ok_or_else(bad)?;
        let gateway = proc_ipv4(t[2]).ok_or_else(bad)?;
        // oscap reads the flags as 16 bits, which every IPv4 route flag fits in.
        let bits = u32::from_str_radix(t[3], 16).map_err(|_| bad())? & 0xffff;
        out.push(Route {
            destination,
            gateway,
            flags: route_flags(bits, false),
            interface: t[0].to_string(),
        });
    }
    Ok(out)
}

/// Parses `/proc/net/ipv6_route` (no header); an error names the bad line.
fn parse_route6(text: &str) -> Result<Vec<Route>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.is_empty() {
            continue;
        }
        let bad = || format!("/proc/net/ipv6_route line {}: cannot parse {line:?}", n + 1);
        if t.len() < 10 {
            return Err(bad());
        }
        let destination = hex_bytes::<16>(t[0]).ok_or_else(bad)?;
        let gateway = hex_bytes::<16>(t[4]).ok_or_else(bad)?;
        let bits = u32::from_str_radix(t[8], 16).map_err(|_| bad())?;
        out.push(Route {
            destination: inet_ntop6(&destination),
            gateway: inet_ntop6(&gateway),
            flags: route_flags(bits, true),
            interface: t[9].to_string(),
        });
    }
    Ok(out)
}

impl Probe<Context> for RoutingTableProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["routingtable_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = require_live(ctx, query) {
            return c;
        }
        let Some(dest) = query.entity("destination") else {
            return Collected::error(format!(
                "{}: routingtable_object without destination",
                query.object_id
            ));
        };
        let (path, parse): (&str, RouteParser) = match dest.datatype {
            Datatype::Ipv4Address => ("/proc/net/route", parse_route4),
            Datatype::Ipv6Address => ("/proc/net/ipv6_route", parse_route6),
            other => {
                return Collected::error(format!(
                    "{}: destination must be ipv4_address or ipv6_address, not {}",
                    query.object_id,
                    other.as_str()
                ));
            }
        };
        let routes = match read_table(path).map_err(|e| format!("{path}: {e}")) {
            Ok(text) => match parse(&text) {
                Ok(r) => r,
                Err(e) => return Collected::error(e),
            },
            Err(e) => return Collected::error(e),
        };
        let mut items = ctx.sink(ctx.deadline());
        for r in routes {
            match entity_matches(query, "destination", &r.destination) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => return compare_error(query, e),
            }
            let mut item = Item::new()
                .field("destination", r.destination)
                .field("gateway", r.gateway);
            for f in r.flags {
                item.push("flags", f);
            }
            item.push("interface_name", r.interface);
            if items.push(item).is_err() {
                break;
            }
        }
        items.into_collected()
    }
}

// ---------------------------------------------------------------- dnscache

impl Probe<Context> for DnsCacheProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["dnscache_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = require_live(ctx, query) {
            return c;
        }
        Collected::with_flag(
            Flag::NotApplicable,
            format!(
                "{}: Linux keeps no system DNS cache that can be read (as oscap, not applicable)",
                query.kind
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::system::testutil;
    use std::net::Ipv6Addr;
    use vigil_core::content::oval::{Family, Operation};

    #[test]
    fn ntop6_is_glibc_inet_ntop() {
        for (addr, want) in [
            ("::", "::"),
            ("::1", "::1"),
            ("fe80::fc:ff:fe00:1", "fe80::fc:ff:fe00:1"),
            ("ff00::", "ff00::"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::1.2.3.4", "::1.2.3.4"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
            ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
            ("fd00::2", "fd00::2"),
        ] {
            let a: Ipv6Addr = addr.parse().unwrap();
            assert_eq!(inet_ntop6(&a.octets()), want, "{addr}");
        }
    }

    #[test]
    fn route4_parse() {
        let text = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                    eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
                    eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
                    lo\t0000007F\t00000000\t0205\t0\t0\t0\t000000FF\t0\t0\t0\n";
        let r = parse_route4(text).unwrap();
        assert_eq!(r[0].destination, "0.0.0.0");
        assert_eq!(r[0].gateway, "192.0.2.1");
        assert_eq!(r[0].flags, ["UP", "GATEWAY"]);
        assert_eq!(r[1].destination, "192.0.2.0");
        assert_eq!(r[2].flags, ["UP", "HOST", "REJECT"]);
        assert_eq!(r[2].interface, "lo");
        assert!(parse_route4("h\neth0 zz 00000000 0001\n").is_err());
    }

    #[test]
    fn route6_parse() {
        let text = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00040003     eth0\n\
                    00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
        let r = parse_route6(text).unwrap();
        assert_eq!(r[0].destination, "::");
        assert_eq!(r[0].gateway, "fd00::1");
        assert_eq!(r[0].flags, ["UP", "GATEWAY", "ADDRCONF"]);
        assert_eq!(r[0].interface, "eth0");
        assert_eq!(r[1].flags, ["REJECT"]);
        assert!(parse_route6("00 00\n").is_err());
    }

    #[test]
    fn live_routes_match_proc() {
        let q = ObjectQuery {
            entities: vec![vigil_core::engine::probe::QueryEntity {
                datatype: Datatype::Ipv4Address,
                ..testutil::entity("destination", Operation::NotEqual, Some("255.255.255.255"))
            }],
            ..testutil::query(Family::Unix, "routingtable_object", &[])
        };
        let c = RoutingTableProbe.collect(&q, &testutil::live());
        let lines = fs::read_to_string("/proc/net/route")
            .unwrap()
            .lines()
            .count()
            - 1;
        assert_eq!(c.items.len(), lines, "{:?}", c.messages);
    }

    #[test]
    fn loopback_interface() {
        let q = testutil::query(
            Family::Unix,
            "interface_object",
            &[("name", Operation::Equals, "lo")],
        );
        let c = InterfaceProbe.collect(&q, &testutil::live());
        let v4 = c
            .items
            .iter()
            .find(|i| i.first("inet_addr") == Some("127.0.0.1"))
            .expect("lo has 127.0.0.1");
        assert_eq!(v4.first("type"), Some("ARPHRD_LOOPBACK"));
        assert_eq!(v4.first("hardware_addr"), Some("00:00:00:00:00:00"));
        assert_eq!(v4.first("netmask"), Some("255.0.0.0"));
        assert_eq!(v4.first("broadcast_addr"), Some(""));
        let flags: Vec<_> = v4.values("flag").flatten().collect();
        assert!(flags.contains(&"LOOPBACK") && flags.contains(&"UP"));
        let none = testutil::query(
            Family::Unix,
            "interface_object",
            &[("name", Operation::Equals, "no-such-if0")],
        );
        assert_eq!(
            InterfaceProbe.collect(&none, &testutil::live()).flag,
            Flag::DoesNotExist
        );
    }

    #[test]
    fn offline_and_dnscache_not_applicable() {
        let dir = tempfile::tempdir().unwrap();
        let q = testutil::query(
            Family::Unix,
            "interface_object",
            &[("name", Operation::Equals, "lo")],
        );
        let off = testutil::offline(dir.path());
        assert_eq!(InterfaceProbe.collect(&q, &off).flag, Flag::NotApplicable);
        let d = testutil::query(
            Family::Unix,
            "dnscache_object",
            &[("domain_name", Operation::Equals, "example.org")],
        );
        assert_eq!(
            DnsCacheProbe.collect(&d, &testutil::live()).flag,
            Flag::NotApplicable
        );
    }
}
