//! Detached Ed25519 signatures of baseline files, so a baseline can be trusted wherever
//! it is kept: `vigil baseline create --sign-key KEY.pem` writes `BASELINE.sig` beside
//! the baseline, `vigil baseline check --verify-key PUB.pem` and the `kms_integrity`
//! rule (`[integrity] public_key`, `vigil scan --baseline-key`) verify it.
//!
//! The signature file is JSON:
//!
//! ```json
//! {"format": "vigil-baseline-signature", "version": 1, "algorithm": "ed25519",
//!  "public_key": "<32 bytes, hex>", "key_fingerprint": "sha256:<hex>",
//!  "baseline_sha256": "<hex>", "signature": "<64 bytes, hex>"}
//! ```
//!
//! `signature` is the Ed25519 signature (RFC 8032, pure Ed25519) of the 28 bytes
//! `vigil-baseline-signature-v1\n` followed by the 32 raw bytes of the SHA-256 of the
//! baseline file exactly as written. The domain string keeps the signature from being
//! taken for one of anything else signed with the same key (the history's entries).
//! A key's fingerprint is `sha256:` and the SHA-256 of its DER SubjectPublicKeyInfo
//! (`openssl pkey -pubin -in pub.pem -outform DER | sha256sum`). Only the trusted key
//! decides: `public_key`, `key_fingerprint` and `baseline_sha256` are there to say why a
//! signature does not verify (another key, a baseline changed after signing).

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::path::{Path, PathBuf};

use vigil_core::osutil::{hex, unhex};

/// The `format` of every signature file.
pub const FORMAT: &str = "vigil-baseline-signature";

/// What is signed before the baseline's SHA-256.
pub const DOMAIN: &[u8] = b"vigil-baseline-signature-v1\n";

/// Largest signature file read (a real one is under 400 bytes).
pub const MAX_SIGNATURE_SIZE: u64 = 16 * 1024;

/// Largest public key file read.
pub const MAX_KEY_SIZE: u64 = 64 * 1024;

/// A detached signature file as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// Format version; 1 is the only one.
    pub version: u32,
    /// Always `ed25519`.
    pub algorithm: String,
    /// The signer's Ed25519 public key, 32 bytes hex.
    pub public_key: String,
    /// The signer's key fingerprint ([`fingerprint`]).
    pub key_fingerprint: String,
    /// SHA-256 of the baseline file that was signed, hex.
    pub baseline_sha256: String,
    /// The Ed25519 signature of [`DOMAIN`] and the baseline's SHA-256, 64 bytes hex.
    pub signature: String,
}

/// Where the signature of `baseline` is kept: `BASELINE.sig` beside it.
pub fn signature_path(baseline: &Path) -> PathBuf {
    let mut s = baseline.as_os_str().to_os_string();
    s.push(".sig");
    PathBuf::from(s)
}

/// The bytes signed for a baseline file's content.
pub fn message(baseline: &[u8]) -> Vec<u8> {
    let mut m = DOMAIN.to_vec();
    m.extend_from_slice(&sha2::Sha256::digest(baseline));
    m
}

/// `sha256:` and the SHA-256 of the key's DER SubjectPublicKeyInfo.
pub fn fingerprint(key: &VerifyingKey) -> String {
    let der = key
        .to_public_key_der()
        .expect("an Ed25519 key always encodes");
    format!("sha256:{}", hex(&sha2::Sha256::digest(der.as_bytes())))
}

/// The signature file (JSON, with a final newline) of `baseline` by `key`.
pub fn sign(baseline: &[u8], key: &SigningKey) -> Vec<u8> {
    let vk = key.verifying_key();
    let doc = SignatureFile {
        format: FORMAT.into(),
        version: 1,
        algorithm: "ed25519".into(),
        public_key: hex(vk.as_bytes()),
        key_fingerprint: fingerprint(&vk),
        baseline_sha256: hex(&sha2::Sha256::digest(baseline)),
        signature: hex(&key.sign(&message(baseline)).to_bytes()),
    };
    let mut out = serde_json::to_vec_pretty(&doc).expect("signature serializes");
    out.push(b'\n');
    out
}

/// A trusted Ed25519 public key from a file's bytes: PEM or DER SubjectPublicKeyInfo
/// (`openssl pkey -pubout`), or a PKCS#8 private key (PEM or DER), whose public half is
/// used.
pub fn public_key(bytes: &[u8]) -> Result<VerifyingKey, String> {
    let text = std::str::from_utf8(bytes).ok();
    if let Some(t) = text {
        if let Ok(k) = VerifyingKey::from_public_key_pem(t) {
            return Ok(k);
        }
        if let Ok(k) = SigningKey::from_pkcs8_pem(t) {
            return Ok(k.verifying_key());
        }
    }
    if let Ok(k) = VerifyingKey::from_public_key_der(bytes) {
        return Ok(k);
    }
    if let Ok(k) = SigningKey::from_pkcs8_der(bytes) {
        return Ok(k.verifying_key());
    }
    Err(
        "not an Ed25519 public key (PEM or DER SubjectPublicKeyInfo, as `openssl pkey \
         -pubout` writes) nor a PKCS#8 Ed25519 private key"
            .into(),
    )
}

/// Checks that `signature` (a signature file's bytes) is `trusted`'s signature of
/// `baseline`; the error says why not.
pub fn verify(baseline: &[u8], signature: &[u8], trusted: &VerifyingKey) -> Result<(), String> {
    let doc: SignatureFile = serde_json::from_slice(signature)
        .map_err(|e| format!("not a vigil baseline signature: {e}"))?;
    if doc.format != FORMAT || doc.version != 1 || doc.algorithm != "ed25519" {
        return Err(format!(
            "not a vigil baseline signature: format {} version {} algorithm {}",
            doc.format, doc.version, doc.algorithm
        ));
    }
    let sig = unhex(&doc.signature)
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or("not a vigil baseline signature: `signature` is not 64 bytes in hex")?;
    let want = fingerprint(trusted);
    if trusted.verify(&message(baseline), &sig).is_ok() {
        return Ok(());
    }
    // Why not: the fields below are the signer's word, used only to explain.
    let signer = unhex(&doc.public_key)
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok());
    if let Some(s) = signer
        && s != *trusted
    {
        return Err(format!(
            "signed by key {}, not by the trusted key {want}",
            fingerprint(&s)
        ));
    }
    let have = hex(&sha2::Sha256::digest(baseline));
    if doc.baseline_sha256 != have {
        return Err(format!(
            "the signature does not verify with key {want}: the baseline (SHA-256 {have}) \
             is not the file that was signed (SHA-256 {}); it changed after it was signed",
            doc.baseline_sha256
        ));
    }
    Err(format!("the signature does not verify with key {want}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn openssl(args: &[&str]) {
        let o = crate::testtool::tool("openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    /// A key pair made by the real openssl: (dir, private PEM path, public PEM path).
    fn keypair() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let (k, p) = (d.path().join("k.pem"), d.path().join("p.pem"));
        openssl(&[
            "genpkey",
            "-algorithm",
            "ed25519",
            "-out",
            k.to_str().unwrap(),
        ]);
        openssl(&[
            "pkey",
            "-in",
            k.to_str().unwrap(),
            "-pubout",
            "-out",
            p.to_str().unwrap(),
        ]);
        (d, k, p)
    }

    #[test]
    fn signs_verifies_and_says_why_not() {
        let (d, k, p) = keypair();
        let sk = SigningKey::from_pkcs8_pem(&std::fs::read_to_string(&k).unwrap()).unwrap();
        let vk = public_key(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(vk, sk.verifying_key());
        // A private key file is accepted as the trusted key too.
        assert_eq!(public_key(&std::fs::read(&k).unwrap()).unwrap(), vk);
        let base = b"{\"format\": \"vigil-baseline\"}\n";
        let sig = sign(base, &sk);
        verify(base, &sig, &vk).unwrap();

        // The real openssl verifies the same signature over the documented message,
        // with the fingerprint as openssl computes it.
        let doc: SignatureFile = serde_json::from_slice(&sig).unwrap();
        let (m, s) = (d.path().join("msg"), d.path().join("sig.bin"));
        std::fs::write(&m, message(base)).unwrap();
        std::fs::write(&s, unhex(&doc.signature).unwrap()).unwrap();
        openssl(&[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            p.to_str().unwrap(),
            "-rawin",
            "-in",
            m.to_str().unwrap(),
            "-sigfile",
            s.to_str().unwrap(),
        ]);
        let der = d.path().join("p.der");
        openssl(&[
            "pkey",
            "-pubin",
            "-in",
            p.to_str().unwrap(),
            "-outform",
            "DER",
            "-out",
            der.to_str().unwrap(),
        ]);
        assert_eq!(
            doc.key_fingerprint,
            format!(
                "sha256:{}",
                vigil_core::osutil::sha256_hex(&std::fs::read(&der).unwrap())
            )
        );
        assert_eq!(fingerprint(&vk), doc.key_fingerprint);
        assert_eq!(public_key(&std::fs::read(&der).unwrap()).unwrap(), vk);

        let e = verify(b"{\"format\": \"tampered\"}\n", &sig, &vk).unwrap_err();
        assert!(e.contains("it changed after it was signed"), "{e}");
        let (_d2, k2, _) = keypair();
        let other = SigningKey::from_pkcs8_pem(&std::fs::read_to_string(&k2).unwrap()).unwrap();
        let e = verify(base, &sign(base, &other), &vk).unwrap_err();
        assert_eq!(
            e,
            format!(
                "signed by key {}, not by the trusted key {}",
                fingerprint(&other.verifying_key()),
                fingerprint(&vk)
            )
        );
        let e = verify(base, b"garbage", &vk).unwrap_err();
        assert!(e.starts_with("not a vigil baseline signature: "), "{e}");
        assert!(public_key(b"hello").is_err());
        assert_eq!(
            signature_path(Path::new("/x/kms.baseline")),
            Path::new("/x/kms.baseline.sig")
        );
    }
}
