//! Key material: recognises and measures private keys, public keys and certificates in
//! the encodings sites keep on disk — PEM (RFC 7468) with PKCS#1 (RFC 8017), SEC1
//! (RFC 5915), PKCS#8 (RFC 5208/5958, plain and encrypted), SubjectPublicKeyInfo
//! (RFC 5280), X.509 certificates and OpenSSH private keys; DER PKCS#8, SPKI and
//! certificates; PKCS#12 (RFC 7292) detected by structure.
//!
//! A minimal DER reader is enough for the key structures (a handful of SEQUENCEs,
//! INTEGERs and OIDs) and lets vigil rebuild the SubjectPublicKeyInfo of RSA and EC
//! private keys to fingerprint them; certificates go through x509-parser, which handles
//! the validity times and extensions properly.

use crate::probes::keymgmt::sha256_hex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// What a recognised block of key material is; the `key_item` `kind` field.
pub enum Kind {
    /// A private key (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8, OpenSSH, PKCS#12).
    PrivateKey,
    /// A public key (SubjectPublicKeyInfo).
    PublicKey,
    /// An X.509 certificate.
    Certificate,
}

impl Kind {
    /// The kind as key items write it (`private_key`, `public_key`, `certificate`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PrivateKey => "private_key",
            Kind::PublicKey => "public_key",
            Kind::Certificate => "certificate",
        }
    }
}

/// What vigil learnt about one key or certificate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeyInfo {
    /// What the material is; `None` when the structure was not recognised.
    pub kind: Option<Kind>,
    /// pem-pkcs8, pem-pkcs1, pem-sec1, pem-encrypted-pkcs8, pem-openssh, pem-spki,
    /// pem-certificate, der-pkcs8, der-spki, der-certificate, pkcs12, ...
    pub format: String,
    /// rsa, ec, ed25519, ed448, dsa, or unknown (encrypted keys).
    pub algorithm: Option<String>,
    /// Size in bits: RSA modulus length, EC curve field size (P-256 = 256), 256 for
    /// Ed25519, 448 for Ed448; `None` when unknown (e.g. encrypted keys).
    pub key_size: Option<u32>,
    /// EC curve name (`prime256v1`, `secp384r1`, `brainpoolP256r1`, ...) or, for a curve
    /// vigil does not name, its OID in dotted form; `None` for other algorithms.
    pub curve: Option<String>,
    /// The private key is encrypted (encrypted PKCS#8, OpenSSH with a cipher), so only
    /// its format is known.
    pub encrypted: bool,
    /// SHA-256 of the DER SubjectPublicKeyInfo when it can be known.
    pub spki_sha256: Option<String>,
    /// The DER SubjectPublicKeyInfo itself, whose SHA-256 is `spki_sha256`; `None` when
    /// it cannot be known.
    pub spki: Option<Vec<u8>>,
    /// For a certificate, its subject, issuer and validity; `None` otherwise.
    pub cert: Option<CertInfo>,
}

#[derive(Debug, Clone, PartialEq)]
/// What a certificate says about itself (RFC 5280 `tbsCertificate`).
pub struct CertInfo {
    /// Subject distinguished name, RFC 4514 string form.
    pub subject: String,
    /// Issuer distinguished name, RFC 4514 string form.
    pub issuer: String,
    /// Start of validity (`notBefore`), seconds since the Unix epoch (UTC).
    pub not_before: i64,
    /// End of validity (`notAfter`), seconds since the Unix epoch (UTC).
    pub not_after: i64,
    /// The issuer's signature algorithm (`signatureAlgorithm`), dotted OID.
    pub signature_oid: String,
}

/// The name of a certificate signature algorithm OID and whether it is still
/// acceptable: MD2, MD5 and SHA-1 signatures are not (NIST SP 800-131A Rev. 2 disallows
/// SHA-1 for digital signature generation; collisions make such certificates forgeable).
pub fn signature_algorithm(oid: &str) -> (&'static str, bool) {
    match oid {
        "1.2.840.113549.1.1.2" => ("md2WithRSAEncryption", false),
        "1.2.840.113549.1.1.4" => ("md5WithRSAEncryption", false),
        "1.2.840.113549.1.1.5" => ("sha1WithRSAEncryption", false),
        "1.2.840.10045.4.1" => ("ecdsa-with-SHA1", false),
        "1.2.840.10040.4.3" => ("dsa-with-sha1", false),
        "1.2.840.113549.1.1.11" => ("sha256WithRSAEncryption", true),
        "1.2.840.113549.1.1.12" => ("sha384WithRSAEncryption", true),
        "1.2.840.113549.1.1.13" => ("sha512WithRSAEncryption", true),
        "1.2.840.113549.1.1.14" => ("sha224WithRSAEncryption", true),
        "1.2.840.113549.1.1.10" => ("rsassa-pss", true),
        "1.2.840.10045.4.3.2" => ("ecdsa-with-SHA256", true),
        "1.2.840.10045.4.3.3" => ("ecdsa-with-SHA384", true),
        "1.2.840.10045.4.3.4" => ("ecdsa-with-SHA512", true),
        "1.3.101.112" => ("ed25519", true),
        "1.3.101.113" => ("ed448", true),
        "2.16.840.1.101.3.4.3.2" => ("dsa-with-sha256", true),
        _ => ("unknown", true),
    }
}

/// One TLV: (tag, content, rest).
pub fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = if l0 < 0x80 {
        (l0 as usize, rest)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | b as usize;
        }
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The children of a constructed value.
fn children(mut content: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (t, c, rest) = tlv(content)?;
        out.push((t, c));
        content = rest;
    }
    Some(out)
}

fn seq(input: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let (t, c, rest) = tlv(input)?;
    (t == 0x30 && rest.is_empty()).then_some(())?;
    children(c)
}

/// A DER OBJECT IDENTIFIER's content bytes in dotted-decimal form
/// (`1.2.840.113549.1.1.1`).
pub fn oid_string(b: &[u8]) -> String {
    let mut parts: Vec<u64> = Vec::new();
    let mut v: u64 = 0;
    for (i, &x) in b.iter().enumerate() {
        v = (v << 7) | (x & 0x7f) as u64;
        if x & 0x80 == 0 {
            if parts.is_empty() && i < 8 {
                let first = (v / 40).min(2);
                parts.push(first);
                parts.push(v - first * 40);
            } else {
                parts.push(v);
            }
            v = 0;
        }
    }
    parts
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

fn int_bits(b: &[u8]) -> u32 {
    let b = match b.iter().position(|&x| x != 0) {
        Some(i) => &b[i..],
        None => return 0,
    };
    (b.len() as u32 - 1) * 8 + (8 - b[0].leading_zeros())
}

fn encode_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
}

fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    encode_len(content.len(), &mut out);
    out.extend_from_slice(content);
    out
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_ED448: &str = "1.3.101.113";
const OID_X25519: &str = "1.3.101.110";
const OID_DSA: &str = "1.2.840.10040.4.1";
const OID_PKCS7_DATA: &str = "1.2.840.113549.1.7.1";
const OID_PKCS7_SIGNED: &str = "1.2.840.113549.1.7.2";

/// (name, field size in bits) of a named curve.
fn curve(oid: &str) -> Option<(&'static str, u32)> {
    Some(match oid {
        "1.2.840.10045.3.1.7" => ("P-256", 256),
        "1.3.132.0.34" => ("P-384", 384),
        "1.3.132.0.35" => ("P-521", 521),
        "1.3.132.0.10" => ("secp256k1", 256),
        "1.2.840.10045.3.1.1" => ("P-192", 192),
        "1.3.132.0.33" => ("P-224", 224),
        "1.3.36.3.3.2.8.1.1.7" => ("brainpoolP256r1", 256),
        "1.3.36.3.3.2.8.1.1.11" => ("brainpoolP384r1", 384),
        "1.3.36.3.3.2.8.1.1.13" => ("brainpoolP512r1", 512),
        _ => return None,
    })
}

fn set_curve(info: &mut KeyInfo, oid_bytes: &[u8]) {
    let oid = oid_string(oid_bytes);
    match curve(&oid) {
        Some((name, bits)) => {
            info.curve = Some(name.into());
            info.key_size = Some(bits);
        }
        None => info.curve = Some(oid),
    }
}

fn set_spki(info: &mut KeyInfo, spki: Vec<u8>) {
    info.spki_sha256 = Some(sha256_hex(&spki));
    info.spki = Some(spki);
}

/// Analyses a DER SubjectPublicKeyInfo.
pub fn analyse_spki(der: &[u8], info: &mut KeyInfo) -> Option<()> {
    let top = seq(der)?;
    let (0x30, alg) = *top.first()? else {
        return None;
    };
    let (0x03, bits) = *top.get(1)? else {
        return None;
    };
    let alg = children(alg)?;
    let (0x06, oid) = *alg.first()? else {
        return None;
    };
    let oid = oid_string(oid);
    match oid.as_str() {
        OID_RSA | OID_RSA_PSS => {
            info.algorithm = Some("rsa".into());
            let key = seq(bits.get(1..)?)?;
            let (0x02, n) = *key.first()? else {
                return None;
            };
            info.key_size = Some(int_bits(n));
        }
        OID_EC => {
            info.algorithm = Some("ec".into());
            if let Some(&(0x06, c)) = alg.get(1) {
                set_curve(info, c);
            }
        }
        OID_ED25519 => {
            info.algorithm = Some("ed25519".into());
            info.key_size = Some(256);
        }
        OID_ED448 => {
            info.algorithm = Some("ed448".into());
            info.key_size = Some(448);
        }
        OID_X25519 => {
            info.algorithm = Some("x25519".into());
            info.key_size = Some(256);
        }
        OID_DSA => {
            info.algorithm = Some("dsa".into());
            if let Some(&(0x30, params)) = alg.get(1) {
                let p = children(params)?;
                if let Some(&(0x02, prime)) = p.first() {
                    info.key_size = Some(int_bits(prime));
                }
            }
        }
        other => info.algorithm = Some(other.to_string()),
    }
    set_spki(info, der.to_vec());
    Some(())
}

/// PKCS#1 RSAPrivateKey: size and the rebuilt SPKI.
fn analyse_pkcs1(der: &[u8], info: &mut KeyInfo) -> Option<()> {
    let f = seq(der)?;
    let (0x02, n) = *f.get(1)? else { return None };
    let (0x02, e) = *f.get(2)? else { return None };
    info.algorithm = Some("rsa".into());
    info.key_size = Some(int_bits(n));
    let rsa_pub = encode(0x30, &[encode(0x02, n), encode(0x02, e)].concat());
    let alg = encode(
        0x30,
        &[
            encode(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    let bitstring = encode(0x03, &[&[0u8][..], &rsa_pub].concat());
    set_spki(info, encode(0x30, &[alg, bitstring].concat()));
    Some(())
}

/// SEC1 ECPrivateKey; `curve_param` is the curve OID from a PKCS#8 wrapper.
fn analyse_sec1(der: &[u8], curve_param: Option<&[u8]>, info: &mut KeyInfo) -> Option<()> {
    let f = seq(der)?;
    info.algorithm = Some("ec".into());
    let mut curve_oid = curve_param.map(|c| c.to_vec());
    let mut public = None;
    for &(t, c) in f.iter().skip(2) {
        match t {
            0xa0 => {
                if let Some((0x06, oid, _)) = tlv(c) {
                    curve_oid = Some(oid.to_vec());
                }
            }
            0xa1 => {
                if let Some((0x03, bits, _)) = tlv(c) {
                    public = Some(bits.to_vec());
                }
            }
            _ => {}
        }
    }
    if let Some(oid) = &curve_oid {
        set_curve(info, oid);
        if let Some(bits) = public {
            let alg = encode(
                0x30,
                &[
                    encode(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]),
                    encode(0x06, oid),
                ]
                .concat(),
            );
            set_spki(info, encode(0x30, &[alg, encode(0x03, &bits)].concat()));
        }
    }
    Some(())
}

/// PKCS#8 PrivateKeyInfo / OneAsymmetricKey.
fn analyse_pkcs8(der: &[u8], info: &mut KeyInfo) -> Option<()> {
    let f = seq(der)?;
    let (0x02, _) = *f.first()? else { return None };
    let (0x30, alg) = *f.get(1)? else { return None };
    let (0x04, key) = *f.get(2)? else { return None };
    let alg = children(alg)?;
    let (0x06, oid) = *alg.first()? else {
        return None;
    };
    let public = f.iter().find(|(t, _)| *t == 0x81).map(|(_, c)| c.to_vec());
    match oid_string(oid).as_str() {
        OID_RSA | OID_RSA_PSS => analyse_pkcs1(key, info)?,
        OID_EC => {
            let curve = alg.get(1).filter(|(t, _)| *t == 0x06).map(|(_, c)| *c);
            analyse_sec1(key, curve, info)?
        }
        o @ (OID_ED25519 | OID_ED448 | OID_X25519) => {
            let name = match o {
                OID_ED25519 => "ed25519",
                OID_ED448 => "ed448",
                _ => "x25519",
            };
            info.algorithm = Some(name.into());
            info.key_size = Some(if o == OID_ED448 { 448 } else { 256 });
            // The public key is only in the file when written as OneAsymmetricKey v2.
            if let Some(p) = public {
                let alg = encode(0x30, &encode(0x06, oid));
                set_spki(info, encode(0x30, &[alg, encode(0x03, &p)].concat()));
            }
        }
        OID_DSA => {
            info.algorithm = Some("dsa".into());
            if let Some(&(0x30, params)) = alg.get(1)
                && let Some(p) = children(params)
                && let Some(&(0x02, prime)) = p.first()
            {
                info.key_size = Some(int_bits(prime));
            }
        }
        other => info.algorithm = Some(other.into()),
    }
    Some(())
}

fn analyse_cert(der: &[u8], info: &mut KeyInfo) -> Option<()> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let v = cert.validity();
    info.cert = Some(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: v.not_before.timestamp(),
        not_after: v.not_after.timestamp(),
        signature_oid: cert.signature_algorithm.algorithm.to_id_string(),
    });
    analyse_spki(cert.public_key().raw, info);
    Some(())
}

/// PKCS#12 PFX: SEQUENCE { INTEGER 3, ContentInfo { pkcs7-data | pkcs7-signedData } ... }.
fn is_pkcs12(der: &[u8]) -> bool {
    let Some(f) = seq(der) else { return false };
    let (Some(&(0x02, v)), Some(&(0x30, ci))) = (f.first(), f.get(1)) else {
        return false;
    };
    if v != [3] {
        return false;
    }
    let Some((0x06, oid, _)) = tlv(ci) else {
        return false;
    };
    matches!(oid_string(oid).as_str(), OID_PKCS7_DATA | OID_PKCS7_SIGNED)
}

/// OpenSSH private key: the public key's type string is stored in clear.
fn analyse_openssh(body: &[u8], info: &mut KeyInfo) -> Option<()> {
    let rest = body.strip_prefix(b"openssh-key-v1\0")?;
    fn string(b: &[u8]) -> Option<(&[u8], &[u8])> {
        let n = u32::from_be_bytes(b.get(0..4)?.try_into().ok()?) as usize;
        Some((b.get(4..4 + n)?, &b[4 + n..]))
    }
    let (cipher, rest) = string(rest)?;
    let (_kdf, rest) = string(rest)?;
    let (_opts, rest) = string(rest)?;
    let rest = rest.get(4..)?;
    let (pubkey, _) = string(rest)?;
    let (ktype, kbody) = string(pubkey)?;
    info.encrypted = cipher != b"none";
    let ktype = String::from_utf8_lossy(ktype).to_string();
    match ktype.as_str() {
        "ssh-rsa" => {
            info.algorithm = Some("rsa".into());
            let (_e, r) = string(kbody)?;
            let (n, _) = string(r)?;
            info.key_size = Some(int_bits(n));
        }
        "ssh-ed25519" => {
            info.algorithm = Some("ed25519".into());
            info.key_size = Some(256);
        }
        t if t.starts_with("ecdsa-sha2-nistp") => {
            info.algorithm = Some("ec".into());
            let bits: u32 = t.trim_start_matches("ecdsa-sha2-nistp").parse().ok()?;
            info.key_size = Some(bits);
            info.curve = Some(format!("P-{bits}"));
        }
        _ => info.algorithm = Some(ktype),
    }
    Some(())
}

/// Analyses every key or certificate in a file. An empty result: no key material.
pub fn analyse(data: &[u8]) -> Vec<KeyInfo> {
    let mut out = Vec::new();
    if data.windows(11).any(|w| w == b"-----BEGIN ") {
        for pem in x509_parser::pem::Pem::iter_from_buffer(data) {
            let mut info = KeyInfo::default();
            let pem = match pem {
                Ok(p) => p,
                Err(_) => {
                    // Legacy encrypted PEM (Proc-Type/DEK-Info headers) does not decode as
                    // plain base64; the label still says what it is.
                    if let Some(label) = legacy_encrypted_label(data) {
                        info.kind = Some(Kind::PrivateKey);
                        info.format = format!("pem-{label}-encrypted");
                        info.encrypted = true;
                        out.push(info);
                    }
                    break;
                }
            };
            let ok = match pem.label.as_str() {
                "PRIVATE KEY" => {
                    info.kind = Some(Kind::PrivateKey);
                    info.format = "pem-pkcs8".into();
                    analyse_pkcs8(&pem.contents, &mut info)
                }
                "RSA PRIVATE KEY" => {
                    info.kind = Some(Kind::PrivateKey);
                    info.format = "pem-pkcs1".into();
                    analyse_pkcs1(&pem.contents, &mut info)
                }
                "EC PRIVATE KEY" => {
                    info.kind = Some(Kind::PrivateKey);
                    info.format = "pem-sec1".into();
                    analyse_sec1(&pem.contents, None, &mut info)
                }
                "ENCRYPTED PRIVATE KEY" => {
                    info.kind = Some(Kind::PrivateKey);
                    info.format = "pem-encrypted-pkcs8".into();
                    info.encrypted = true;
                    Some(())
                }
                "OPENSSH PRIVATE KEY" => {
                    info.kind = Some(Kind::PrivateKey);
                    info.format = "pem-openssh".into();
                    analyse_openssh(&pem.contents, &mut info)
                }
                "DSA PRIVATE KEY" => {
                    info.kind = Some(Kind::PrivateKey);
                    info.format = "pem-dsa".into();
                    info.algorithm = Some("dsa".into());
                    Some(())
                }
                "PUBLIC KEY" => {
                    info.kind = Some(Kind::PublicKey);
                    info.format = "pem-spki".into();
                    analyse_spki(&pem.contents, &mut info)
                }
                "RSA PUBLIC KEY" => {
                    info.kind = Some(Kind::PublicKey);
                    info.format = "pem-pkcs1-public".into();
                    info.algorithm = Some("rsa".into());
                    seq(&pem.contents)
                        .and_then(|f| f.first().map(|&(_, n)| int_bits(n)))
                        .map(|b| info.key_size = Some(b))
                }
                "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                    info.kind = Some(Kind::Certificate);
                    info.format = "pem-certificate".into();
                    analyse_cert(&pem.contents, &mut info)
                }
                "PKCS12" => {
                    info.kind = Some(Kind::PrivateKey);
                    info.format = "pem-pkcs12".into();
                    Some(())
                }
                _ => continue,
            };
            if ok.is_none() {
                info.format.push_str("-unparsed");
            }
            out.push(info);
        }
        return out;
    }
    // DER: try each structure that starts with a SEQUENCE.
    if data.first() != Some(&0x30) {
        return out;
    }
    let mut info = KeyInfo::default();
    if is_pkcs12(data) {
        info.kind = Some(Kind::PrivateKey);
        info.format = "pkcs12".into();
        info.encrypted = true;
        out.push(info);
    } else if analyse_cert(data, &mut info).is_some() {
        info.kind = Some(Kind::Certificate);
        info.format = "der-certificate".into();
        out.push(info);
    } else if analyse_pkcs8(data, &mut KeyInfo::default()).is_some() {
        analyse_pkcs8(data, &mut info);
        info.kind = Some(Kind::PrivateKey);
        info.format = "der-pkcs8".into();
        out.push(info);
    } else if analyse_spki(data, &mut KeyInfo::default()).is_some() {
        analyse_spki(data, &mut info);
        info.kind = Some(Kind::PublicKey);
        info.format = "der-spki".into();
        out.push(info);
    } else if seq(data).is_some_and(|f| f.len() >= 2 && f[0] == (0x02, &[1][..]) && f[1].0 == 0x04)
    {
        analyse_sec1(data, None, &mut info);
        info.kind = Some(Kind::PrivateKey);
        info.format = "der-sec1".into();
        out.push(info);
    } else if analyse_pkcs1(data, &mut KeyInfo::default()).is_some()
        && seq(data).map(|f| f.len()) == Some(9)
    {
        analyse_pkcs1(data, &mut info);
        info.kind = Some(Kind::PrivateKey);
        info.format = "der-pkcs1".into();
        out.push(info);
    }
    out
}

fn legacy_encrypted_label(data: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(data);
    if !text.contains("Proc-Type: 4,ENCRYPTED") {
        return None;
    }
    if text.contains("BEGIN RSA PRIVATE KEY") {
        Some("pkcs1")
    } else if text.contains("BEGIN EC PRIVATE KEY") {
        Some("sec1")
    } else if text.contains("PRIVATE KEY") {
        Some("private-key")
    } else {
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::Path;

    pub(crate) fn openssl(args: &[&str]) {
        let st = crate::testtool::tool("openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&st.stderr)
        );
    }

    /// SHA-256 of the SPKI as openssl computes it.
    pub(crate) fn openssl_spki_sha256(key: &Path) -> String {
        let out = crate::testtool::tool("openssl")
            .args(["pkey", "-pubout", "-outform", "DER", "-in"])
            .arg(key)
            .output()
            .unwrap();
        assert!(out.status.success());
        sha256_hex(&out.stdout)
    }

    #[test]
    fn keys_from_openssl_are_measured_and_fingerprinted() {
        let d = tempfile::tempdir().unwrap();
        let p = |n: &str| d.path().join(n);
        let s = |n: &str| p(n).to_str().unwrap().to_string();
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            &s("rsa.pem"),
        ]);
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            &s("ec.pem"),
        ]);
        openssl(&["genpkey", "-algorithm", "ED25519", "-out", &s("ed.pem")]);
        openssl(&[
            "pkey",
            "-in",
            &s("rsa.pem"),
            "-traditional",
            "-out",
            &s("rsa1.pem"),
        ]);
        openssl(&[
            "pkey",
            "-in",
            &s("ec.pem"),
            "-traditional",
            "-out",
            &s("sec1.pem"),
        ]);
        openssl(&[
            "pkey",
            "-in",
            &s("ec.pem"),
            "-outform",
            "DER",
            "-out",
            &s("ec.der"),
        ]);
        openssl(&[
            "pkey",
            "-in",
            &s("rsa.pem"),
            "-pubout",
            "-out",
            &s("rsa.pub"),
        ]);
        openssl(&[
            "req",
            "-x509",
            "-new",
            "-key",
            &s("ec.pem"),
            "-subj",
            "/CN=kms.example",
            "-days",
            "10",
            "-out",
            &s("ec.crt"),
        ]);
        openssl(&[
            "pkcs12",
            "-export",
            "-inkey",
            &s("rsa.pem"),
            "-nocerts",
            "-passout",
            "pass:x",
            "-out",
            &s("k.p12"),
        ]);
        openssl(&[
            "pkcs8",
            "-topk8",
            "-in",
            &s("rsa.pem"),
            "-passout",
            "pass:x",
            "-out",
            &s("enc.pem"),
        ]);

        let one = |n: &str| {
            let v = analyse(&std::fs::read(p(n)).unwrap());
            assert_eq!(v.len(), 1, "{n}: {v:?}");
            v.into_iter().next().unwrap()
        };
        let rsa = one("rsa.pem");
        assert_eq!(
            (rsa.format.as_str(), rsa.algorithm.as_deref(), rsa.key_size),
            ("pem-pkcs8", Some("rsa"), Some(2048))
        );
        assert_eq!(
            rsa.spki_sha256.as_deref(),
            Some(openssl_spki_sha256(&p("rsa.pem")).as_str())
        );
        let rsa1 = one("rsa1.pem");
        assert_eq!(rsa1.format, "pem-pkcs1");
        assert_eq!(rsa1.spki_sha256, rsa.spki_sha256);
        assert_eq!(one("rsa.pub").spki_sha256, rsa.spki_sha256);
        assert_eq!(one("rsa.pub").kind, Some(Kind::PublicKey));

        let ec = one("ec.pem");
        assert_eq!(
            (ec.algorithm.as_deref(), ec.key_size, ec.curve.as_deref()),
            (Some("ec"), Some(384), Some("P-384"))
        );
        assert_eq!(
            ec.spki_sha256.as_deref(),
            Some(openssl_spki_sha256(&p("ec.pem")).as_str())
        );
        assert_eq!(one("sec1.pem").spki_sha256, ec.spki_sha256);
        assert_eq!(one("sec1.pem").format, "pem-sec1");
        let der = one("ec.der");
        assert_eq!(
            (der.format.as_str(), der.spki_sha256.clone()),
            ("der-sec1", ec.spki_sha256.clone())
        );
        openssl(&[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            &s("ec.pem"),
            "-outform",
            "DER",
            "-out",
            &s("ec8.der"),
        ]);
        let der8 = one("ec8.der");
        assert_eq!(
            (der8.format.as_str(), der8.spki_sha256.clone()),
            ("der-pkcs8", ec.spki_sha256.clone())
        );

        let ed = one("ed.pem");
        assert_eq!(
            (ed.algorithm.as_deref(), ed.key_size),
            (Some("ed25519"), Some(256))
        );

        let crt = one("ec.crt");
        assert_eq!(crt.kind, Some(Kind::Certificate));
        assert_eq!(crt.spki_sha256, ec.spki_sha256);
        let c = crt.cert.unwrap();
        assert_eq!(c.subject, "CN=kms.example");
        let days = (c.not_after - c.not_before) / 86400;
        assert_eq!(days, 10);

        let p12 = one("k.p12");
        assert_eq!(
            (p12.kind, p12.format.as_str()),
            (Some(Kind::PrivateKey), "pkcs12")
        );
        let enc = one("enc.pem");
        assert!(enc.encrypted && enc.kind == Some(Kind::PrivateKey));

        assert!(analyse(b"hello world\n").is_empty());
        assert!(analyse(&[0x30, 0x03, 0x02, 0x01, 0x05]).is_empty());
    }

    #[test]
    fn openssh_private_key_is_recognised() {
        let d = tempfile::tempdir().unwrap();
        let k = d.path().join("id");
        let ok = crate::testtool::tool("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&k)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            return; // ssh-keygen not installed
        }
        let v = analyse(&std::fs::read(&k).unwrap());
        assert_eq!(v[0].format, "pem-openssh");
        assert_eq!(v[0].algorithm.as_deref(), Some("ed25519"));
        assert!(!v[0].encrypted);
    }
}
