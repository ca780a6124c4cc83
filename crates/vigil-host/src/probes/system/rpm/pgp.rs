//! The key id of an OpenPGP signature packet (RFC 4880 §5.2), as rpm's `:pgpsig`
//! format prints it after "Key ID": the issuer's 64-bit key id in lower-case hex. A v3
//! signature carries it in the packet; a v4 one in an issuer subpacket (type 16), or in
//! an issuer fingerprint subpacket (type 33, its last 8 bytes). Anything malformed or
//! truncated gives `None` (oscap then reports `0`).

fn subpackets(mut s: &[u8]) -> Option<String> {
    let mut from_fpr = None;
    while !s.is_empty() {
        let (len, hdr): (usize, usize) = match s[0] {
            l @ 0..=191 => (l as usize, 1),
            192..=254 => {
                let b = *s.get(1)?;
                (((s[0] as usize - 192) << 8) + b as usize + 192, 2)
            }
            255 => (
                u32::from_be_bytes(s.get(1..5)?.try_into().ok()?) as usize,
                5,
            ),
        };
        let body = s.get(hdr..hdr.checked_add(len)?)?;
        let (&ty, data) = body.split_first()?;
        match ty & 0x7f {
            16 if data.len() == 8 => return Some(hex(data)),
            33 if data.len() >= 9 => from_fpr = Some(hex(&data[data.len() - 8..])),
            _ => {}
        }
        s = &s[hdr + len..];
    }
    from_fpr
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The issuer key id of the signature packet at the start of `pkt`.
pub fn issuer_keyid(pkt: &[u8]) -> Option<String> {
    let first = *pkt.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    let (tag, body) = if first & 0x40 != 0 {
        // New format: one-, two- or five-byte length.
        let (len, hdr): (usize, usize) = match *pkt.get(1)? {
            l @ 0..=191 => (l as usize, 2),
            192..=223 => (
                ((pkt[1] as usize - 192) << 8) + *pkt.get(2)? as usize + 192,
                3,
            ),
            255 => (
                u32::from_be_bytes(pkt.get(2..6)?.try_into().ok()?) as usize,
                6,
            ),
            _ => return None,
        };
        (first & 0x3f, pkt.get(hdr..hdr.checked_add(len)?)?)
    } else {
        let (len, hdr): (usize, usize) = match first & 3 {
            0 => (*pkt.get(1)? as usize, 2),
            1 => (
                u16::from_be_bytes(pkt.get(1..3)?.try_into().ok()?) as usize,
                3,
            ),
            2 => (
                u32::from_be_bytes(pkt.get(1..5)?.try_into().ok()?) as usize,
                5,
            ),
            _ => (pkt.len() - 1, 1),
        };
        ((first >> 2) & 0x0f, pkt.get(hdr..hdr.checked_add(len)?)?)
    };
    if tag != 2 {
        return None;
    }
    match *body.first()? {
        3 => body.get(7..15).map(hex),
        4 | 5 => {
            let hl = u16::from_be_bytes(body.get(4..6)?.try_into().ok()?) as usize;
            let hashed = body.get(6..6 + hl)?;
            let rest = body.get(6 + hl..)?;
            let ul = u16::from_be_bytes(rest.get(..2)?.try_into().ok()?) as usize;
            let unhashed = rest.get(2..2 + ul)?;
            subpackets(unhashed).or_else(|| subpackets(hashed))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_issuer_subpacket_and_garbage() {
        // Old-format tag 2, v4, RSA/SHA256; hashed: creation time; unhashed: issuer.
        let mut body = vec![4, 0, 1, 8, 0, 6, 5, 2, 0x60, 0, 0, 0];
        body.extend([0, 10, 9, 16, 0x19, 0x9e, 0x2f, 0x91, 0xfd, 0x43, 0x1d, 0x51]);
        body.extend([0xab, 0xcd, 1, 2]);
        let mut pkt = vec![0x89, 0, body.len() as u8];
        pkt.extend(&body);
        assert_eq!(issuer_keyid(&pkt).as_deref(), Some("199e2f91fd431d51"));
        for n in 0..pkt.len() {
            let _ = issuer_keyid(&pkt[..n]);
        }
        assert_eq!(issuer_keyid(&[0xff, 0xff, 0xff]), None);
        assert_eq!(issuer_keyid(&[]), None);
    }
}
