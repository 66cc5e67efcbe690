//! Detached signatures of evidence bundles, in minisign's format (Ed25519;
//! README, "For auditors"), so that an auditor can check a bundle with
//! `slack-uar verify --key` or with minisign itself.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use minisign::{KeyPair, PublicKey, PublicKeyBox, SecretKey, SecretKeyBox, SignatureBox};

use crate::error::Error;
use crate::files::{read_capped, write_bytes_atomically};

/// Where an encrypted secret key's password is read from.
pub const PASSWORD_ENV: &str = "SLACK_UAR_KEY_PASSWORD";

/// The signature file beside `signed`: `FILE.minisig`.
pub fn signature_path(signed: &Path) -> PathBuf {
    let mut p = signed.as_os_str().to_owned();
    p.push(".minisig");
    PathBuf::from(p)
}

fn key_error(path: &Path, detail: impl ToString) -> Error {
    Error::Key {
        path: path.to_owned(),
        detail: detail.to_string(),
    }
}

fn password() -> Option<String> {
    std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty())
}

/// Write a new key pair: the secret key to `out` and the public key to
/// `out.pub`, both refused if they exist. Returns the public key's path.
pub fn keygen(out: &Path) -> Result<PathBuf, Error> {
    let public = {
        let mut p = out.as_os_str().to_owned();
        p.push(".pub");
        PathBuf::from(p)
    };
    for p in [out, public.as_path()] {
        if p.exists() {
            return Err(Error::OutputExists { path: p.to_owned() });
        }
    }
    let KeyPair { pk, sk } = match password() {
        Some(pw) => KeyPair::generate_encrypted_keypair(Some(pw)),
        None => KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(|e| key_error(out, e))?;
    let sk_text = sk
        .to_box(Some("slack-uar evidence signing key"))
        .map_err(|e| key_error(out, e))?
        .to_string();
    let pk_text = pk.to_box().map_err(|e| key_error(&public, e))?.to_string();
    for (path, text) in [(out, sk_text), (public.as_path(), pk_text)] {
        write_bytes_atomically(path, text.as_bytes())?;
    }
    Ok(public)
}

/// A secret key ready to sign, and its public half.
pub struct Signer {
    path: PathBuf,
    secret: SecretKey,
    pub public: PublicKey,
}

/// Read the secret key at `key`, decrypting it with the password in
/// [`PASSWORD_ENV`] if it is encrypted: before anything is written, so a
/// key that cannot sign stops the command first.
pub fn signer(key: &Path) -> Result<Signer, Error> {
    let text = read_capped(key, "secret key", 64 * 1024)?;
    let text = String::from_utf8(text).map_err(|_| key_error(key, "it is not text"))?;
    let sk_box = SecretKeyBox::from_string(&text).map_err(|e| {
        key_error(
            key,
            format!("it is not a minisign secret key ({e}); create one with `slack-uar keygen`"),
        )
    })?;
    let sk = match sk_box.clone().into_unencrypted_secret_key() {
        Ok(sk) => sk,
        Err(e) if e.to_string().contains("might be encrypted") => {
            let Some(pw) = password() else {
                return Err(key_error(
                    key,
                    format!("it is encrypted; put its password in {PASSWORD_ENV}"),
                ));
            };
            SecretKey::from_box(sk_box, Some(pw)).map_err(|e| {
                key_error(
                    key,
                    format!("it cannot be decrypted with {PASSWORD_ENV}: {e}"),
                )
            })?
        }
        Err(e) => {
            return Err(key_error(
                key,
                format!(
                    "it is not a usable minisign secret key ({e}); create one with `slack-uar keygen`"
                ),
            ));
        }
    };
    let public = PublicKey::from_secret_key(&sk).map_err(|e| key_error(key, e))?;
    Ok(Signer {
        path: key.to_owned(),
        secret: sk,
        public,
    })
}

/// Sign the file `signed`; returns the signature's text, whose trusted
/// comment is `comment`.
pub fn sign(signer: &Signer, signed: &Path, comment: &str) -> Result<String, Error> {
    let file = std::fs::File::open(signed).map_err(|source| Error::Io {
        what: "cannot read",
        path: signed.to_owned(),
        source,
    })?;
    let signature = minisign::sign(
        Some(&signer.public),
        &signer.secret,
        std::io::BufReader::new(file),
        Some(comment),
        Some("signature from slack-uar evidence"),
    )
    .map_err(|e| key_error(&signer.path, e))?;
    Ok(signature.into_string())
}

/// A public key from a minisign `.pub` file, or its base64 line itself.
pub fn public_key(given: &str) -> Result<PublicKey, Error> {
    let path = Path::new(given);
    if path.is_file() {
        let text = read_capped(path, "public key", 64 * 1024)?;
        let text = String::from_utf8(text).map_err(|_| key_error(path, "it is not text"))?;
        return PublicKeyBox::from_string(&text)
            .and_then(|b| b.into_public_key())
            .or_else(|_| PublicKey::from_base64(text.trim()))
            .map_err(|e| key_error(path, format!("it is not a minisign public key ({e})")));
    }
    PublicKey::from_base64(given.trim()).map_err(|e| {
        key_error(
            path,
            format!("it is neither a file nor a minisign public key ({e})"),
        )
    })
}

/// Whether `signature` (a .minisig file's text) is `data`'s, by `key`.
/// Returns the trusted comment when it is, and why not otherwise.
pub fn check(key: &PublicKey, signature: &str, data: &[u8]) -> Result<String, String> {
    let sig = SignatureBox::from_string(signature)
        .map_err(|e| format!("it is not a minisign signature ({e})"))?;
    minisign::verify(key, &sig, Cursor::new(data), true, false, false)
        .map_err(|e| e.to_string())?;
    sig.trusted_comment().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_its_data_and_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k");
        let public = keygen(&key).unwrap();
        let data = dir.path().join("data.zip");
        std::fs::write(&data, b"the bundle").unwrap();
        let signer = signer(&key).unwrap();
        let sig = sign(&signer, &data, "snapshot 3").unwrap();
        let derived = &signer.public;
        let pk = public_key(public.to_str().unwrap()).unwrap();
        assert_eq!(check(&pk, &sig, b"the bundle").unwrap(), "snapshot 3");
        assert_eq!(derived.to_base64(), pk.to_base64());
        assert!(check(&pk, &sig, b"the bundle!").is_err());

        let other = dir.path().join("other");
        let other_pub = keygen(&other).unwrap();
        let other_pk = public_key(other_pub.to_str().unwrap()).unwrap();
        let err = check(&other_pk, &sig, b"the bundle").unwrap_err();
        assert!(err.contains("different from public key"), "{err}");

        // The base64 line alone is a key too, as minisign -P takes it.
        let line = std::fs::read_to_string(&public).unwrap();
        let b64 = line.lines().nth(1).unwrap();
        assert!(check(&public_key(b64).unwrap(), &sig, b"the bundle").is_ok());
        assert!(matches!(keygen(&key), Err(Error::OutputExists { .. })));
    }
}
