//! File capabilities for rpm's CAPS check: the header keeps libcap's text form
//! (`cap_net_raw=ep`, what the spec's `%caps()` said), the file its
//! `security.capability` attribute (`struct vfs_cap_data`, linux/capability.h). Both
//! become the three sets libcap's `cap_compare` compares; the file's single effective
//! bit makes its effective set permitted|inheritable.

/// The effective, permitted and inheritable sets (bit n: capability n).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    e: u64,
    p: u64,
    i: u64,
}

const NAMES: &[&str] = &[
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

fn all() -> u64 {
    (1u64 << NAMES.len()) - 1
}

fn cap_bit(name: &str) -> Option<u64> {
    let n = name.trim().to_ascii_lowercase();
    if let Ok(k) = n.parse::<u32>() {
        return (k < 64).then(|| 1u64 << k);
    }
    let short = n.strip_prefix("cap_")?;
    NAMES.iter().position(|c| *c == short).map(|k| 1u64 << k)
}

/// Parses libcap's text form (cap_from_text(3)); empty text is no capabilities.
/// `None` for text vigil does not understand.
pub fn from_text(text: &str) -> Option<Caps> {
    let mut c = Caps::default();
    for clause in text.split_whitespace() {
        let op_at = clause.find(['=', '+', '-'])?;
        let (names, mut ops) = clause.split_at(op_at);
        let set = if names.is_empty() || names.eq_ignore_ascii_case("all") {
            all()
        } else {
            names
                .split(',')
                .try_fold(0u64, |acc, n| cap_bit(n).map(|b| acc | b))?
        };
        while let Some(op) = ops.chars().next() {
            let rest = &ops[1..];
            let end = rest.find(['=', '+', '-']).unwrap_or(rest.len());
            let (flags, next) = rest.split_at(end);
            if op == '=' {
                c.e &= !set;
                c.p &= !set;
                c.i &= !set;
            }
            for f in flags.chars() {
                let target = match f {
                    'e' => &mut c.e,
                    'p' => &mut c.p,
                    'i' => &mut c.i,
                    _ => return None,
                };
                if op == '-' {
                    *target &= !set;
                } else {
                    *target |= set;
                }
            }
            if op != '=' && flags.is_empty() {
                return None;
            }
            ops = next;
        }
    }
    Some(c)
}

/// Decodes a `security.capability` value; `None` when malformed.
pub fn from_xattr(v: &[u8]) -> Option<Caps> {
    let word = |at: usize| -> Option<u32> {
        v.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let magic = word(0)?;
    let words = match magic & 0xff00_0000 {
        0x0100_0000 => 1,
        0x0200_0000 | 0x0300_0000 => 2,
        _ => return None,
    };
    let (mut p, mut i) = (0u64, 0u64);
    for k in 0..words {
        p |= u64::from(word(4 + k * 8)?) << (32 * k);
        i |= u64::from(word(8 + k * 8)?) << (32 * k);
    }
    let e = if magic & 1 != 0 { p | i } else { 0 };
    Some(Caps { e, p, i })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_xattr_agree() {
        // setcap cap_net_raw+ep: v2, effective, permitted bit 13.
        let mut x = vec![0x01, 0, 0, 0x02];
        x.extend(8192u32.to_le_bytes());
        x.extend([0; 12]);
        assert_eq!(from_xattr(&x), from_text("cap_net_raw=ep"));
        assert_eq!(from_xattr(&x), from_text("cap_net_raw+ep"));
        assert_ne!(from_xattr(&x), from_text("cap_net_raw=p"));
        assert_eq!(from_text(""), Some(Caps::default()));
        assert_eq!(from_text("cap_bogus=ep"), None);
        assert_eq!(from_xattr(&[1, 2]), None);
    }
}
