//! Sockets of the running kernel and the processes that hold them (OVAL 5.11 linux
//! schema): `inetlisteningservers_object` (from `/proc/net/{tcp,tcp6,udp,udp6,raw,raw6}`)
//! and `iflisteners_object` (packet sockets, from `/proc/net/packet`), each socket tied
//! to a process through the `socket:[INODE]` links of `/proc/<pid>/fd`.
//!
//! Compared with oscap 1.3.7 (`tests/fixtures/oval/net/`, with a `python3 -m
//! http.server` on 127.0.0.1 and packet sockets opened by the fixture's setup); what
//! it does and vigil follows:
//! - every socket of the tables is an item, in any state (established connections
//!   too, with their foreign address): oscap does not look at the state; raw sockets
//!   are reported with protocol `udp` and the IP protocol number as port;
//! - `local_full_address` and `foreign_full_address` are `ADDRESS:PORT` (IPv6 without
//!   brackets); addresses are written as glibc's `inet_ntop` writes them;
//! - `program_name` is the process's `comm` (at most 15 characters), `user_id` its
//!   effective uid, `pid` the first process (in `/proc` order) holding the socket;
//!   kernel threads (pid 2 and its children) are skipped; a socket no visible process
//!   holds has no `program_name`, `pid` or `user_id` entities;
//! - `iflisteners`: only packet sockets a process holds and that are bound to an
//!   interface (ifindex found in `/sys/class/net/*/ifindex`) are items;
//!   `hw_address` is `/sys/class/net/NAME/address` (lower case); `protocol` is the
//!   `ETH_P_*` name of the bound protocol, absent when it has none in oscap's table.
//!
//! Live only: an offline root has no sockets; as oscap (whose probes do not support
//! offline mode), every object is `not applicable` there.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::net::Ipv4Addr;

use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

use super::network::{inet_ntop6, read_table};
use super::{require_live, selects};

/// The probe of OVAL 5.11 `linux:inetlisteningservers_object` (live only).
pub struct InetListeningServersProbe;

/// The probe of OVAL 5.11 `linux:iflisteners_object` (live only).
pub struct IfListenersProbe;

/// The process that holds a socket.
#[derive(Debug, Clone, PartialEq)]
struct Holder {
    pid: u32,
    euid: u32,
    comm: String,
}

/// `comm` and parent pid from `/proc/<pid>/stat`, read as oscap reads it (the first
/// 99 bytes, the command up to the last `)`).
fn stat_comm_ppid(stat: &[u8]) -> Option<(String, i64)> {
    let stat = &stat[..stat.len().min(99)];
    if stat.len() < 40 {
        return None;
    }
    let close = stat.iter().rposition(|b| *b == b')')?;
    let open = stat.iter().position(|b| *b == b'(')?;
    if open >= close {
        return None;
    }
    let comm: Vec<u8> = stat[open + 1..close].iter().take(15).copied().collect();
    let rest = String::from_utf8_lossy(&stat[close + 1..]).into_owned();
    let ppid = rest.split_whitespace().nth(1)?.parse().ok()?;
    Some((String::from_utf8_lossy(&comm).into_owned(), ppid))
}

/// The effective uid from `/proc/<pid>/status` (0 when it cannot be read, as oscap).
fn status_euid(pid: &str) -> u32 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The socket inode a `/proc/<pid>/fd` link names (`socket:[123]`).
fn socket_inode(link: &str) -> Option<u64> {
    if let Some(rest) = link.strip_prefix("socket:") {
        let s = rest.split_once('[')?.1;
        return s.split_once(']')?.0.parse().ok();
    }
    link.strip_prefix("[0000]:")?.parse().ok()
}

/// Socket inode -> the first process (in `/proc` order) that holds it.
fn socket_holders() -> std::io::Result<HashMap<u64, Holder>> {
    let mut map = HashMap::new();
    for entry in fs::read_dir("/proc")?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(pidn) = pid.parse::<u32>() else {
            continue;
        };
        let mut stat = Vec::new();
        if fs::File::open(format!("/proc/{pid}/stat"))
            .and_then(|f| f.take(99).read_to_end(&mut stat))
            .is_err()
        {
            continue;
        }
        let Some((comm, ppid)) = stat_comm_ppid(&stat) else {
            continue;
        };
        if pidn == 2 || ppid == 2 {
            continue;
        }
        let euid = status_euid(pid);
        let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = fs::read_link(fd.path()) else {
                continue;
            };
            if let Some(inode) = socket_inode(&target.to_string_lossy()) {
                map.entry(inode).or_insert_with(|| Holder {
                    pid: pidn,
                    euid,
                    comm: comm.clone(),
                });
            }
        }
    }
    Ok(map)
}

/// A `/proc/net/{tcp,udp,raw}` address (`0100007F:0016` or the IPv6 form): each 32-bit
/// word is printed in host byte order.
fn proc_addr(s: &str) -> Option<(String, u32)> {
    let (addr, port) = s.split_once(':')?;
    let port = u32::from_str_radix(port, 16).ok()?;
    if !addr.is_ascii() || addr.len() % 8 != 0 {
        return None;
    }
    let mut bytes = Vec::with_capacity(16);
    for i in (0..addr.len()).step_by(8) {
        let w = u32::from_str_radix(&addr[i..i + 8], 16).ok()?;
        bytes.extend_from_slice(&w.to_ne_bytes());
    }
    let text = match bytes.len() {
        4 => Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut b = [0u8; 16];
            b.copy_from_slice(&bytes);
            inet_ntop6(&b)
        }
        _ => return None,
    };
    Some((text, port))
}

/// One socket of an inet table.
#[derive(Debug, Clone, PartialEq)]
struct InetSocket {
    local: String,
    local_port: u32,
    foreign: String,
    foreign_port: u32,
    inode: u64,
}

/// Parses one inet table (header line first); an error names the bad line.
fn parse_inet(path: &str, text: &str) -> Result<Vec<InetSocket>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.is_empty() {
            continue;
        }
        let bad = || format!("{path} line {}: cannot parse {line:?}", n + 1);
        if t.len() < 10 {
            return Err(bad());
        }
        let (local, local_port) = proc_addr(t[1]).ok_or_else(bad)?;
        let (foreign, foreign_port) = proc_addr(t[2]).ok_or_else(bad)?;
        let inode = t[9].parse().map_err(|_| bad())?;
        out.push(InetSocket {
            local,
            local_port,
            foreign,
            foreign_port,
            inode,
        });
    }
    Ok(out)
}

/// The tables oscap reads, with the protocol it reports for each.
const INET_TABLES: &[(&str, &str)] = &[
    ("/proc/net/tcp", "tcp"),
    ("/proc/net/tcp6", "tcp"),
    ("/proc/net/udp", "udp"),
    ("/proc/net/udp6", "udp"),
    ("/proc/net/raw", "udp"),
    ("/proc/net/raw6", "udp"),
];

impl Probe<Context> for InetListeningServersProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["inetlisteningservers_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = require_live(ctx, query) {
            return c;
        }
        let holders = match socket_holders() {
            Ok(h) => h,
            Err(e) => return Collected::error(format!("/proc: {e}")),
        };
        let mut items = ctx.sink(ctx.deadline());
        for (path, proto) in INET_TABLES {
            let text = match read_table(path) {
                Ok(t) => t,
                // A kernel without IPv6 has no tcp6; oscap skips a missing table.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Collected::error(format!("{path}: {e}")),
            };
            let sockets = match parse_inet(path, &text) {
                Ok(s) => s,
                Err(e) => return Collected::error(e),
            };
            for s in sockets {
                let keep = (|| {
                    Ok::<bool, Collected>(
                        selects(query, "protocol", proto)?
                            && selects(query, "local_address", &s.local)?
                            && selects(query, "local_port", &s.local_port.to_string())?,
                    )
                })();
                match keep {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(c) => return c,
                }
                let mut item = Item::new()
                    .field("protocol", *proto)
                    .field("local_address", s.local.as_str())
                    .field("local_port", s.local_port.to_string())
                    .field(
                        "local_full_address",
                        format!("{}:{}", s.local, s.local_port),
                    );
                let holder = holders.get(&s.inode);
                if let Some(h) = holder {
                    item.push("program_name", h.comm.as_str());
                }
                item.push("foreign_address", s.foreign.as_str());
                item.push("foreign_port", s.foreign_port.to_string());
                item.push(
                    "foreign_full_address",
                    format!("{}:{}", s.foreign, s.foreign_port),
                );
                if let Some(h) = holder {
                    item.push("pid", h.pid.to_string());
                    item.push("user_id", h.euid.to_string());
                }
                if items.push(item).is_err() {
                    return items.into_collected();
                }
            }
        }
        items.into_collected()
    }
}

/// oscap's table of `ETH_P_*` names (from `linux/if_ether.h`).
const ETH_P: &[(u32, &str)] = &[
    (0x0060, "ETH_P_LOOP"),
    (0x0200, "ETH_P_PUP"),
    (0x0201, "ETH_P_PUPAT"),
    (0x0800, "ETH_P_IP"),
    (0x0805, "ETH_P_X25"),
    (0x0806, "ETH_P_ARP"),
    (0x08FF, "ETH_P_BPQ"),
    (0x0a00, "ETH_P_IEEEPUP"),
    (0x0a01, "ETH_P_IEEEPUPAT"),
    (0x6000, "ETH_P_DEC"),
    (0x6001, "ETH_P_DNA_DL"),
    (0x6002, "ETH_P_DNA_RC"),
    (0x6003, "ETH_P_DNA_RT"),
    (0x6004, "ETH_P_LAT"),
    (0x6005, "ETH_P_DIAG"),
    (0x6006, "ETH_P_CUST"),
    (0x6007, "ETH_P_SCA"),
    (0x6558, "ETH_P_TEB"),
    (0x8035, "ETH_P_RARP"),
    (0x809B, "ETH_P_ATALK"),
    (0x80F3, "ETH_P_AARP"),
    (0x8100, "ETH_P_8021Q"),
    (0x8137, "ETH_P_IPX"),
    (0x86DD, "ETH_P_IPV6"),
    (0x8808, "ETH_P_PAUSE"),
    (0x8809, "ETH_P_SLOW"),
    (0x883E, "ETH_P_WCCP"),
    (0x8863, "ETH_P_PPP_DISC"),
    (0x8864, "ETH_P_PPP_SES"),
    (0x8847, "ETH_P_MPLS_UC"),
    (0x8848, "ETH_P_MPLS_MC"),
    (0x884c, "ETH_P_ATMMPOA"),
    (0x886c, "ETH_P_LINK_CTL"),
    (0x8884, "ETH_P_ATMFATE"),
    (0x888E, "ETH_P_PAE"),
    (0x88A2, "ETH_P_AOE"),
    (0x88CA, "ETH_P_TIPC"),
    (0x88F7, "ETH_P_1588"),
    (0x8906, "ETH_P_FCOE"),
    (0x8914, "ETH_P_FIP"),
    (0xDADA, "ETH_P_EDSA"),
    (0x0001, "ETH_P_802_3"),
    (0x0002, "ETH_P_AX25"),
    (0x0003, "ETH_P_ALL"),
    (0x0004, "ETH_P_802_2"),
    (0x0005, "ETH_P_SNAP"),
    (0x0006, "ETH_P_DDCMP"),
    (0x0007, "ETH_P_WAN_PPP"),
    (0x0008, "ETH_P_PPP_MP"),
    (0x0009, "ETH_P_LOCALTALK"),
    (0x000C, "ETH_P_CAN"),
    (0x0010, "ETH_P_PPPTALK"),
    (0x0011, "ETH_P_TR_802_2"),
    (0x0015, "ETH_P_MOBITEX"),
    (0x0016, "ETH_P_CONTROL"),
    (0x0017, "ETH_P_IRDA"),
    (0x0018, "ETH_P_ECONET"),
    (0x0019, "ETH_P_HDLC"),
    (0x001A, "ETH_P_ARCNET"),
    (0x001B, "ETH_P_DSA"),
    (0x001C, "ETH_P_TRAILER"),
    (0x00F5, "ETH_P_PHONET"),
    (0x00F6, "ETH_P_IEEE802154"),
    (0x00F7, "ETH_P_CAIF"),
];

/// One packet socket: bound protocol, interface index, inode.
#[derive(Debug, Clone, PartialEq)]
struct PacketSocket {
    proto: u32,
    ifindex: i64,
    inode: u64,
}

/// Parses `/proc/net/packet` (header line first); an error names the bad line.
fn parse_packet(text: &str) -> Result<Vec<PacketSocket>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.is_empty() {
            continue;
        }
        let bad = || format!("/proc/net/packet line {}: cannot parse {line:?}", n + 1);
        if t.len() < 9 {
            return Err(bad());
        }
        out.push(PacketSocket {
            proto: u32::from_str_radix(t[3], 16).map_err(|_| bad())?,
            ifindex: t[4].parse().map_err(|_| bad())?,
            inode: t[8].parse().map_err(|_| bad())?,
        });
    }
    Ok(out)
}

/// ifindex -> (name, hardware address) from `/sys/class/net`.
fn interfaces() -> HashMap<i64, (String, String)> {
    let mut map = HashMap::new();
    let Ok(rd) = fs::read_dir("/sys/class/net") else {
        return map;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(idx) = fs::read_to_string(e.path().join("ifindex"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
        else {
            continue;
        };
        let hw = fs::read_to_string(e.path().join("address"))
            .ok()
            .and_then(|s| s.split_whitespace().next().map(str::to_string))
            .unwrap_or_default();
        map.entry(idx).or_insert((name, hw));
    }
    map
}

impl Probe<Context> for IfListenersProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["iflisteners_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = require_live(ctx, query) {
            return c;
        }
        let holders = match socket_holders() {
            Ok(h) => h,
            Err(e) => return Collected::error(format!("/proc: {e}")),
        };
        let sockets = match read_table("/proc/net/packet") {
            Ok(t) => match parse_packet(&t) {
                Ok(s) => s,
                Err(e) => return Collected::error(e),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Collected::error(format!("/proc/net/packet: {e}")),
        };
        let ifs = interfaces();
        let mut items = ctx.sink(ctx.deadline());
        for s in sockets {
            let (Some(h), Some((name, hw))) = (holders.get(&s.inode), ifs.get(&s.ifindex)) else {
                continue;
            };
            match selects(query, "interface_name", name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let mut item = Item::new().field("interface_name", name.as_str());
            if let Some((_, p)) = ETH_P.iter().find(|(n, _)| *n == s.proto) {
                item.push("protocol", *p);
            }
            item.push("hw_address", hw.as_str());
            item.push("program_name", h.comm.as_str());
            item.push("pid", h.pid.to_string());
            item.push("user_id", h.euid.to_string());
            if items.push(item).is_err() {
                break;
            }
        }
        items.into_collected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::Flag;
    use crate::probes::system::testutil;
    use vigil_core::content::oval::{Family, Operation};

    #[test]
    fn proc_addresses() {
        assert_eq!(
            proc_addr("0100007F:494D"),
            Some(("127.0.0.1".into(), 0x494d))
        );
        assert_eq!(
            proc_addr("00000000000000000000000001000000:0016"),
            Some(("::1".into(), 22))
        );
        assert_eq!(
            proc_addr("0000000000000000FFFF00000100007F:0050"),
            Some(("::ffff:127.0.0.1".into(), 80))
        );
        assert_eq!(proc_addr("zz:0016"), None);
        assert!(parse_inet("/proc/net/tcp", "h\n 0: 0100007F:494D\n").is_err());
    }

    #[test]
    fn stat_parsing() {
        let stat = b"1234 (a b) c) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0";
        assert_eq!(stat_comm_ppid(stat), Some(("a b) c".into(), 1)));
        let long = b"1 (averyveryverylongname) S 0 1 1 0 -1 4194560 100 0 0 0 0 0 0 0 20";
        assert_eq!(stat_comm_ppid(long).unwrap().0, "averyveryverylo");
        assert_eq!(stat_comm_ppid(b"1 (x) S 0"), None);
        assert_eq!(socket_inode("socket:[42]"), Some(42));
        assert_eq!(socket_inode("pipe:[42]"), None);
    }

    #[test]
    fn own_listening_socket_is_an_item() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port().to_string();
        let q = testutil::query(
            Family::Linux,
            "inetlisteningservers_object",
            &[
                ("protocol", Operation::Equals, "tcp"),
                ("local_address", Operation::Equals, "127.0.0.1"),
                ("local_port", Operation::Equals, &port),
            ],
        );
        let c = InetListeningServersProbe.collect(&q, &testutil::live());
        assert_eq!(c.flag, Flag::Complete, "{:?}", c.messages);
        let it = &c.items[0];
        assert_eq!(
            it.first("pid"),
            Some(std::process::id().to_string().as_str())
        );
        assert_eq!(
            it.first("local_full_address"),
            Some(format!("127.0.0.1:{port}").as_str())
        );
        assert_eq!(it.first("foreign_full_address"), Some("0.0.0.0:0"));
        // SAFETY: geteuid has no preconditions.
        let euid = unsafe { libc::geteuid() };
        assert_eq!(it.first("user_id"), Some(euid.to_string().as_str()));
        drop(l);
        let c = InetListeningServersProbe.collect(&q, &testutil::live());
        assert_eq!(c.flag, Flag::DoesNotExist);
    }

    #[test]
    fn packet_socket_on_lo_is_an_item() {
        crate::testtool::require_root("a packet socket needs CAP_NET_RAW");
        // SAFETY: plain socket calls on a descriptor we own and close.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW,
                (libc::ETH_P_ARP as u16).to_be() as i32,
            )
        };
        assert!(fd >= 0);
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = (libc::ETH_P_ARP as u16).to_be();
        sll.sll_ifindex = unsafe { libc::if_nametoindex(c"lo".as_ptr()) } as i32;
        let rc = unsafe {
            libc::bind(
                fd,
                &sll as *const _ as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        assert_eq!(rc, 0);
        let q = testutil::query(
            Family::Linux,
            "iflisteners_object",
            &[("interface_name", Operation::Equals, "lo")],
        );
        let c = IfListenersProbe.collect(&q, &testutil::live());
        let pid = std::process::id().to_string();
        let mine = c
            .items
            .iter()
            .find(|i| i.first("pid") == Some(pid.as_str()))
            .expect("our packet socket");
        assert_eq!(mine.first("protocol"), Some("ETH_P_ARP"));
        assert_eq!(mine.first("hw_address"), Some("00:00:00:00:00:00"));
        unsafe { libc::close(fd) };
    }

    #[test]
    fn offline_root_is_not_applicable() {
        let dir = tempfile::tempdir().unwrap();
        let q = testutil::query(Family::Linux, "iflisteners_object", &[]);
        assert_eq!(
            IfListenersProbe
                .collect(&q, &testutil::offline(dir.path()))
                .flag,
            Flag::NotApplicable
        );
    }
}
