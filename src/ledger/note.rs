//! C2SP signed notes and tlog checkpoints, signed with Ed25519.
//!
//! A checkpoint's text is `<origin>\n<tree size>\n<base64 root hash>\n`; the signed note adds a
//! blank line and one signature line, `— <key name> <base64(key id || signature)>`. The key id
//! is the first four bytes of SHA-256(key name || "\n" || 0x01 || public key). The verifier key
//! is written `<name>+<key id hex>+<base64(0x01 || public key)>`, and the signing key
//! `PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || seed)>`: the formats of Go's
//! `golang.org/x/mod/sumdb/note`, so outside tools read them as they are.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

const ALG_ED25519: u8 = 0x01;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    #[error("malformed key: {0}")]
    MalformedKey(&'static str),
    #[error("malformed note: {0}")]
    MalformedNote(&'static str),
    #[error("no valid signature by {0}")]
    BadSignature(String),
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
}

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([ALG_ED25519]);
    hasher.update(public);
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && name.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

/// The ledger's signing key, with the name (the log's origin) it signs under.
pub struct LedgerKey {
    name: String,
    signing: SigningKey,
}

impl LedgerKey {
    pub fn generate(name: &str) -> Result<LedgerKey, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::MalformedKey("a key name has no spaces and no '+'"));
        }
        let mut seed = [0u8; 32];
        rand::fill(&mut seed);
        Ok(LedgerKey { name: name.to_owned(), signing: SigningKey::from_bytes(&seed) })
    }

    /// Reads `PRIVATE+KEY+<name>+<id>+<base64>`.
    pub fn parse(text: &str) -> Result<LedgerKey, NoteError> {
        let rest = text.trim().strip_prefix("PRIVATE+KEY+").ok_or(NoteError::MalformedKey("missing PRIVATE+KEY+"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::MalformedKey("expected name+id+key"));
        };
        let data = B64.decode(data).map_err(|_| NoteError::MalformedKey("key is not base64"))?;
        if data.len() != 33 || data[0] != ALG_ED25519 {
            return Err(NoteError::MalformedKey("not an Ed25519 key"));
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&data[1..]);
        let key = LedgerKey { name: name.to_owned(), signing: SigningKey::from_bytes(&seed) };
        if hex::encode(key.key_id()) != id {
            return Err(NoteError::MalformedKey("key id does not match the key"));
        }
        Ok(key)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn public(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    fn key_id(&self) -> [u8; 4] {
        key_id(&self.name, &self.public())
    }

    /// The private key in Go's note format, for the key file.
    pub fn to_private_text(&self) -> String {
        let mut data = vec![ALG_ED25519];
        data.extend_from_slice(&self.signing.to_bytes());
        format!("PRIVATE+KEY+{}+{}+{}", self.name, hex::encode(self.key_id()), B64.encode(data))
    }

    /// `<name>+<id>+<base64>`: what anyone needs to check a checkpoint.
    pub fn verifier_key(&self) -> String {
        let mut data = vec![ALG_ED25519];
        data.extend_from_slice(&self.public());
        format!("{}+{}+{}", self.name, hex::encode(self.key_id()), B64.encode(data))
    }

    /// Signs `text` (which must end in a newline) as a signed note.
    pub fn sign_note(&self, text: &str) -> String {
        let signature = self.signing.sign(text.as_bytes());
        let mut sig = self.key_id().to_vec();
        sig.extend_from_slice(&signature.to_bytes());
        format!("{text}\n\u{2014} {} {}\n", self.name, B64.encode(sig))
    }

    /// A signed checkpoint for a tree of `size` leaves with root `root`.
    pub fn sign_checkpoint(&self, size: u64, root: &[u8; 32]) -> String {
        self.sign_note(&checkpoint_text(&self.name, size, root))
    }
}

pub fn checkpoint_text(origin: &str, size: u64, root: &[u8; 32]) -> String {
    format!("{origin}\n{size}\n{}\n", B64.encode(root))
}

/// A parsed verifier key.
pub struct VerifierKey {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl VerifierKey {
    pub fn parse(text: &str) -> Result<VerifierKey, NoteError> {
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::MalformedKey("expected name+id+key"));
        };
        let data = B64.decode(data).map_err(|_| NoteError::MalformedKey("key is not base64"))?;
        if data.len() != 33 || data[0] != ALG_ED25519 {
            return Err(NoteError::MalformedKey("not an Ed25519 key"));
        }
        let mut public = [0u8; 32];
        public.copy_from_slice(&data[1..]);
        let key =
            VerifyingKey::from_bytes(&public).map_err(|_| NoteError::MalformedKey("not a valid Ed25519 point"))?;
        let expected = key_id(name, &public);
        if hex::encode(expected) != id {
            return Err(NoteError::MalformedKey("key id does not match the key"));
        }
        Ok(VerifierKey { name: name.to_owned(), id: expected, key })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The note's text if a signature line by this key verifies.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let split = note.rfind("\n\n").ok_or(NoteError::MalformedNote("no blank line before the signatures"))?;
        let (text, signatures) = (&note[..split + 1], &note[split + 2..]);
        for line in signatures.lines() {
            let Some(rest) = line.strip_prefix("\u{2014} ") else {
                return Err(NoteError::MalformedNote("signature line without the em dash"));
            };
            let Some((name, sig)) = rest.split_once(' ') else { continue };
            if name != self.name {
                continue;
            }
            let Ok(sig) = B64.decode(sig) else { continue };
            if sig.len() != 68 || sig[..4] != self.id {
                continue;
            }
            let Ok(signature) = Signature::from_slice(&sig[4..]) else { continue };
            if self.key.verify(text.as_bytes(), &signature).is_ok() {
                return Ok(text);
            }
        }
        Err(NoteError::BadSignature(self.name.clone()))
    }

    /// Verifies a signed checkpoint and reads its tree size and root.
    pub fn open_checkpoint(&self, note: &str) -> Result<Checkpoint, NoteError> {
        Checkpoint::parse(self.open(note)?)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: [u8; 32],
}

impl Checkpoint {
    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        let mut lines = text.lines();
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
            return Err(NoteError::MalformedCheckpoint("needs origin, size and root lines"));
        };
        let size = size.parse().map_err(|_| NoteError::MalformedCheckpoint("size is not a number"))?;
        let root = B64.decode(root).map_err(|_| NoteError::MalformedCheckpoint("root is not base64"))?;
        let root: [u8; 32] = root.try_into().map_err(|_| NoteError::MalformedCheckpoint("root is not 32 bytes"))?;
        Ok(Checkpoint { origin: origin.to_owned(), size, root })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_checkpoints_verify() {
        let key = LedgerKey::generate("custos.test/ledger").unwrap();
        let again = LedgerKey::parse(&key.to_private_text()).unwrap();
        assert_eq!(again.verifier_key(), key.verifier_key());

        let root = [7u8; 32];
        let note = key.sign_checkpoint(5, &root);
        assert!(note.starts_with("custos.test/ledger\n5\n"));
        let verifier = VerifierKey::parse(&key.verifier_key()).unwrap();
        let checkpoint = verifier.open_checkpoint(&note).unwrap();
        assert_eq!(checkpoint, Checkpoint { origin: "custos.test/ledger".into(), size: 5, root });

        let forged = note.replacen("\n5\n", "\n6\n", 1);
        assert!(verifier.open_checkpoint(&forged).is_err());
        let other = LedgerKey::generate("custos.test/ledger").unwrap();
        let other_verifier = VerifierKey::parse(&other.verifier_key()).unwrap();
        assert!(other_verifier.open(&note).is_err());
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert!(LedgerKey::generate("has space").is_err());
        assert!(VerifierKey::parse("name+00000000+AQ==").is_err());
        let key = LedgerKey::generate("a").unwrap();
        let tampered = key.verifier_key().replacen("a+", "b+", 1);
        assert!(VerifierKey::parse(&tampered).is_err(), "key id must match the name");
    }
}
