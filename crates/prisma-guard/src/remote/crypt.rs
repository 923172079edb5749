//! age encryption of pushed files: the recipients they are encrypted to and the identity that
//! decrypts them. Files written are standard age files (`age -d -i KEY FILE` reads them).

use std::io::{Read, Write};

use super::RemoteError;

/// Parsed age X25519 recipients (`age1…`); empty: files are pushed as they are.
#[derive(Clone, Default)]
pub struct Recipients {
    keys: Vec<age::x25519::Recipient>,
    texts: Vec<String>,
}

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.texts).finish()
    }
}

impl Recipients {
    /// Parses the configured `recipients`.
    ///
    /// Errors: [`RemoteError::BadRecipient`] naming the first one that does not parse.
    pub fn parse(texts: &[String]) -> Result<Recipients, RemoteError> {
        let mut keys = Vec::new();
        for text in texts {
            let key = text
                .trim()
                .parse::<age::x25519::Recipient>()
                .map_err(|problem| RemoteError::BadRecipient {
                    recipient: text.clone(),
                    problem: problem.to_string(),
                })?;
            keys.push(key);
        }
        Ok(Recipients {
            texts: keys.iter().map(|k| k.to_string()).collect(),
            keys,
        })
    }

    /// Whether there are none (no encryption).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The public keys, as written.
    pub fn texts(&self) -> &[String] {
        &self.texts
    }

    /// Wraps `output` so that what is written to it is encrypted to every recipient; the
    /// returned writer must be `finish`ed.
    pub(super) fn encrypt<W: Write>(
        &self,
        output: W,
    ) -> std::io::Result<age::stream::StreamWriter<W>> {
        let recipients = self.keys.iter().map(|k| k as &dyn age::Recipient);
        let encryptor = age::Encryptor::with_recipients(recipients)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        encryptor.wrap_output(output)
    }
}

/// A loaded age identity (private key): from `--identity FILE`, the config key `identity`, or
/// `AGE_IDENTITY` (a file path, or the key itself). `Debug` shows only where it came from.
pub struct Identity {
    identities: Vec<Box<dyn age::Identity + Send + Sync>>,
    /// Where it was read from (a path, or `AGE_IDENTITY`); never the key.
    pub source: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Reads an identity file (`age-keygen` output: `AGE-SECRET-KEY-1…` lines, `#` comments).
    ///
    /// Errors: [`RemoteError::BadIdentity`] when the file is unreadable or holds no identity.
    pub fn from_file(path: &camino::Utf8Path) -> Result<Identity, RemoteError> {
        let bad = |problem: String| RemoteError::BadIdentity {
            path: path.to_string(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        Identity::from_text(&text, path.to_string())
    }

    /// Parses identities from `text` (the contents of an identity file); `source` names it.
    ///
    /// Errors: [`RemoteError::BadIdentity`] when it holds none.
    pub fn from_text(text: &str, source: String) -> Result<Identity, RemoteError> {
        let bad = |problem: String| RemoteError::BadIdentity {
            path: source.clone(),
            problem,
        };
        let file = age::IdentityFile::from_buffer(text.as_bytes())
            // age's message may quote the line; never echo a key.
            .map_err(|_| bad("it is not an age identity file".into()))?;
        let identities = file
            .into_identities()
            .map_err(|_| bad("it is not an age identity file".into()))?;
        if identities.is_empty() {
            return Err(bad("it holds no AGE-SECRET-KEY line".into()));
        }
        Ok(Identity { identities, source })
    }

    /// Wraps `input`, an age file, into a reader of its plaintext.
    ///
    /// Errors: [`age::DecryptError::NoMatchingKeys`] for another identity, others for a
    /// damaged header.
    pub(super) fn decrypt<R: Read>(
        &self,
        input: R,
    ) -> Result<age::stream::StreamReader<R>, age::DecryptError> {
        let decryptor = age::Decryptor::new(input)?;
        decryptor.decrypt(
            self.identities
                .iter()
                .map(|i| i.as_ref() as &dyn age::Identity),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;

    #[test]
    fn round_trip_and_a_wrong_key() {
        let key = age::x25519::Identity::generate();
        let recipients = Recipients::parse(&[key.to_public().to_string()]).unwrap();
        let mut sealed = Vec::new();
        let mut writer = recipients.encrypt(&mut sealed).unwrap();
        writer.write_all(b"secret rows").unwrap();
        writer.finish().unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));

        let identity = Identity::from_text(key.to_string().expose_secret(), "test".into()).unwrap();
        let mut plain = String::new();
        identity
            .decrypt(&sealed[..])
            .unwrap()
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, "secret rows");

        let other = age::x25519::Identity::generate();
        let wrong = Identity::from_text(other.to_string().expose_secret(), "other".into()).unwrap();
        assert!(matches!(
            wrong.decrypt(&sealed[..]),
            Err(age::DecryptError::NoMatchingKeys)
        ));
    }

    #[test]
    fn bad_keys_are_named_but_never_echoed() {
        let error = Recipients::parse(&["age1nope".into()]).unwrap_err();
        assert!(error.to_string().contains("age1nope"), "{error}");
        let error = Identity::from_text("AGE-SECRET-KEY-1NOTAKEY\n", "key.txt".into()).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("key.txt") && !text.contains("NOTAKEY"),
            "{text}"
        );
    }
}
