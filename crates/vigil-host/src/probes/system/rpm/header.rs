//! The rpm header format: the blob rpm stores per installed package (rpm's
//! `headerImport`: two big-endian counts, an index of 16-byte entries, a data store).
//!
//! Every count and offset comes from the database, which vigil treats as hostile: the
//! counts are capped before anything is allocated, every entry must lie inside the data
//! store, strings must end inside it, and a malformed blob is a [`HeaderError`] naming
//! the entry, never a panic. Region tags (the immutable region's trailer, tag 63) need
//! no special reading: their entries are plain index entries; an entry appended after
//! installation (the "dribble" area) replaces a region entry with the same tag, as in
//! rpm.

use std::collections::HashMap;

/// rpm's own limit on index entries (`hdrchkTags`).
const MAX_ENTRIES: u32 = 0x00ff_ffff;
/// rpm's own limit on the data store (`hdrchkData`, 256 MiB).
const MAX_DATA: u32 = 0x0fff_ffff;

/// Why a header blob could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum HeaderError {
    /// The blob is shorter than its counts say, or its counts exceed rpm's limits.
    #[error("rpm header: {0}")]
    Malformed(String),
    /// One index entry points outside the data store or has an impossible type/count.
    #[error("rpm header entry {index} (tag {tag}): {what}")]
    Entry {
        /// Position in the index.
        index: u32,
        /// The entry's tag.
        tag: u32,
        /// What is wrong with it.
        what: String,
    },
}

/// A tag's value, decoded by its rpm type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// CHAR and INT8 arrays.
    Int8(Vec<u8>),
    /// INT16 array.
    Int16(Vec<u16>),
    /// INT32 array.
    Int32(Vec<u32>),
    /// INT64 array.
    Int64(Vec<u64>),
    /// STRING, STRING_ARRAY and I18NSTRING (each string without its NUL).
    Strings(Vec<String>),
    /// BIN.
    Bin(Vec<u8>),
}

/// A parsed header: tag -> value.
#[derive(Debug, Default)]
pub struct Header {
    tags: HashMap<u32, Value>,
}

/// Tags vigil reads (rpmtag.h).
pub mod tag {
    #![allow(missing_docs)]
    pub const SIGPGP: u32 = 259;
    pub const SIGGPG: u32 = 262;
    pub const DSAHEADER: u32 = 267;
    pub const RSAHEADER: u32 = 268;
    pub const NAME: u32 = 1000;
    pub const VERSION: u32 = 1001;
    pub const RELEASE: u32 = 1002;
    pub const EPOCH: u32 = 1003;
    pub const ARCH: u32 = 1022;
    pub const PROVIDENAME: u32 = 1047;
    pub const REQUIREFLAGS: u32 = 1048;
    pub const REQUIRENAME: u32 = 1049;
    pub const REQUIREVERSION: u32 = 1050;
    pub const CONFLICTFLAGS: u32 = 1053;
    pub const CONFLICTNAME: u32 = 1054;
    pub const CONFLICTVERSION: u32 = 1055;
    pub const PROVIDEFLAGS: u32 = 1112;
    pub const PROVIDEVERSION: u32 = 1113;
    pub const OLDFILENAMES: u32 = 1027;
    pub const FILESIZES: u32 = 1028;
    pub const FILESTATES: u32 = 1029;
    pub const FILEMODES: u32 = 1030;
    pub const FILERDEVS: u32 = 1033;
    pub const FILEMTIMES: u32 = 1034;
    pub const FILEDIGESTS: u32 = 1035;
    pub const FILELINKTOS: u32 = 1036;
    pub const FILEFLAGS: u32 = 1037;
    pub const FILEUSERNAME: u32 = 1039;
    pub const FILEGROUPNAME: u32 = 1040;
    pub const FILEVERIFYFLAGS: u32 = 1045;
    pub const DIRINDEXES: u32 = 1116;
    pub const BASENAMES: u32 = 1117;
    pub const DIRNAMES: u32 = 1118;
    pub const LONGFILESIZES: u32 = 5008;
    pub const FILECAPS: u32 = 5010;
    pub const FILEDIGESTALGO: u32 = 5011;
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Header {
    /// Parses a header blob as rpm stores it in its database (no leading magic).
    pub fn parse(blob: &[u8]) -> Result<Header, HeaderError> {
        if blob.len() < 8 {
            return Err(HeaderError::Malformed(format!(
                "{} bytes, shorter than its 8-byte preamble",
                blob.len()
            )));
        }
        let il = be32(blob, 0);
        let dl = be32(blob, 4);
        if il == 0 || il > MAX_ENTRIES || dl > MAX_DATA {
            return Err(HeaderError::Malformed(format!(
                "{il} index entries and {dl} data bytes are outside rpm's limits"
            )));
        }
        // u64: il*16 cannot overflow, and the sum is checked against the real length
        // before any slice is taken.
        let data_start = 8 + u64::from(il) * 16;
        if data_start + u64::from(dl) > blob.len() as u64 {
            return Err(HeaderError::Malformed(format!(
                "{il} entries and {dl} data bytes need {} bytes, the blob has {}",
                data_start + u64::from(dl),
                blob.len()
            )));
        }
        let data = &blob[data_start as usize..data_start as usize + dl as usize];
        let mut tags = HashMap::new();
        for i in 0..il {
            let e = 8 + i as usize * 16;
            let (tg, ty, off, count) = (
                be32(blob, e),
                be32(blob, e + 4),
                be32(blob, e + 8) as i32,
                be32(blob, e + 12),
            );
            let bad = |what: String| HeaderError::Entry {
                index: i,
                tag: tg,
                what,
            };
            // Region trailers (tags 61-63, offsets counted from the end) are read by
            // nothing here; skip them rather than decode a negative offset.
            if (61..=63).contains(&tg) || ty == 0 {
                continue;
            }
            if off < 0 || off as u32 > dl {
                return Err(bad(format!(
                    "offset {off} outside the {dl}-byte data store"
                )));
            }
            if count == 0 || count > dl {
                return Err(bad(format!("count {count} impossible in {dl} data bytes")));
            }
            let rest = &data[off as usize..];
            let value = decode(ty, count, rest).map_err(bad)?;
            tags.insert(tg, value);
        }
        Ok(Header { tags })
    }

    /// The raw value of `tag`.
    pub fn get(&self, tag: u32) -> Option<&Value> {
        self.tags.get(&tag)
    }

    /// The first string of a string tag.
    pub fn string(&self, tag: u32) -> Option<&str> {
        match self.tags.get(&tag) {
            Some(Value::Strings(v)) => v.first().map(String::as_str),
            _ => None,
        }
    }

    /// Every string of a string-array tag (empty when absent).
    pub fn strings(&self, tag: u32) -> &[String] {
        match self.tags.get(&tag) {
            Some(Value::Strings(v)) => v,
            _ => &[],
        }
    }

    /// An integer array tag, widened (empty when absent or not an integer type).
    pub fn ints(&self, tag: u32) -> Vec<u64> {
        match self.tags.get(&tag) {
            Some(Value::Int8(v)) => v.iter().map(|&x| u64::from(x)).collect(),
            Some(Value::Int16(v)) => v.iter().map(|&x| u64::from(x)).collect(),
            Some(Value::Int32(v)) => v.iter().map(|&x| u64::from(x)).collect(),
            Some(Value::Int64(v)) => v.clone(),
            _ => Vec::new(),
        }
    }

    /// A BIN tag.
    pub fn bin(&self, tag: u32) -> Option<&[u8]> {
        match self.tags.get(&tag) {
            Some(Value::Bin(v)) => Some(v),
            _ => None,
        }
    }
}

fn decode(ty: u32, count: u32, rest: &[u8]) -> Result<Value, String> {
    let n = count as usize;
    let need = |width: usize| -> Result<&[u8], String> {
        // count <= dl <= MAX_DATA, so n * width fits in usize.
        rest.get(..n * width)
            .ok_or_else(|| format!("{n} values of {width} bytes run past the data store"))
    };
    Ok(match ty {
        1 | 2 => Value::Int8(need(1)?.to_vec()),
        3 => Value::Int16(
            need(2)?
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect(),
        ),
        4 => Value::Int32(need(4)?.chunks_exact(4).map(|c| be32(c, 0)).collect()),
        5 => Value::Int64(
            need(8)?
                .chunks_exact(8)
                .map(|c| u64::from_be_bytes(c.try_into().unwrap_or([0; 8])))
                .collect(),
        ),
        6 | 8 | 9 => {
            if ty == 6 && count != 1 {
                return Err(format!("a STRING with count {count}"));
            }
            let mut out = Vec::with_capacity(n.min(rest.len()));
            let mut at = 0usize;
            for k in 0..n {
                let s = rest.get(at..).unwrap_or_default();
                let Some(end) = s.iter().position(|&b| b == 0) else {
                    return Err(format!(
                        "string {k} of {n} is not terminated in the data store"
                    ));
                };
                out.push(String::from_utf8_lossy(&s[..end]).into_owned());
                at += end + 1;
            }
            Value::Strings(out)
        }
        7 => Value::Bin(need(1)?.to_vec()),
        other => return Err(format!("unknown type {other}")),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a blob from (tag, type, count, data) entries, data laid out in order.
    pub(crate) fn blob(entries: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tg, ty, count, d) in entries {
            for v in [*tg, *ty, data.len() as u32, *count] {
                index.extend_from_slice(&v.to_be_bytes());
            }
            data.extend_from_slice(d);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    #[test]
    fn parses_strings_ints_and_arrays() {
        let b = blob(&[
            (tag::NAME, 6, 1, b"bash\0".to_vec()),
            (tag::FILEMODES, 3, 2, vec![0x81, 0xa4, 0x41, 0xed]),
            (tag::BASENAMES, 8, 2, b"a\0bc\0".to_vec()),
            (tag::EPOCH, 4, 1, 7u32.to_be_bytes().to_vec()),
        ]);
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.string(tag::NAME), Some("bash"));
        assert_eq!(h.ints(tag::FILEMODES), [0o100644, 0o40755]);
        assert_eq!(h.strings(tag::BASENAMES), ["a", "bc"]);
        assert_eq!(h.ints(tag::EPOCH), [7]);
    }

    #[test]
    fn hostile_blobs_are_errors_not_panics() {
        // Counts beyond the blob, beyond rpm's limits, offsets outside, unterminated
        // strings, a count that would allocate gigabytes.
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0, 0, 0, 1],
            vec![0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0],
            vec![0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff],
            {
                let mut b = blob(&[(tag::NAME, 6, 1, b"x\0".to_vec())]);
                b[16..20].copy_from_slice(&100u32.to_be_bytes());
                b
            },
            blob(&[(tag::NAME, 6, 1, b"xyz".to_vec())]),
            blob(&[(tag::BASENAMES, 8, 2, b"a\0b".to_vec())]),
            blob(&[(tag::FILESIZES, 4, 0x0fff_0000, vec![0; 8])]),
            blob(&[(tag::FILESIZES, 4, 3, vec![0; 8])]),
            blob(&[(tag::NAME, 99, 1, vec![0; 8])]),
            {
                let mut b = blob(&[(tag::NAME, 6, 1, b"x\0".to_vec())]);
                b[16..20].copy_from_slice(&(-5i32).to_be_bytes());
                b
            },
        ];
        for (i, c) in cases.iter().enumerate() {
            assert!(Header::parse(c).is_err(), "case {i} parsed");
        }
        // Truncations of a valid blob never panic.
        let good = blob(&[
            (tag::NAME, 6, 1, b"bash\0".to_vec()),
            (tag::BASENAMES, 8, 2, b"a\0bc\0".to_vec()),
        ]);
        for n in 0..good.len() {
            let _ = Header::parse(&good[..n]);
        }
    }
}
