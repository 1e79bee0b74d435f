//! Checksums of the BBB hooks API and of callbacks, as bbb-webhooks computes them.
//!
//! - API requests: hex digest of *method name* (`hooks/create`) + the raw query string without
//!   its `checksum` parameter + shared secret; the algorithm is told by the checksum's length
//!   (40 → sha1, 64 → sha256, 96 → sha384, 128 → sha512) and must be among the configured ones.
//! - Callbacks: hex digest of callback URL as registered + form body + shared secret, with the
//!   configured hook algorithm, sent as a `checksum` query parameter.
//!
//! A plain keyed hash (not HMAC): that is the wire format integrations verify.

use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use std::fmt;
use std::str::FromStr;

/// A hash algorithm bbb-webhooks accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// SHA-1, 40 hex digits.
    Sha1,
    /// SHA-256, 64 hex digits.
    Sha256,
    /// SHA-384, 96 hex digits.
    Sha384,
    /// SHA-512, 128 hex digits.
    Sha512,
}

impl Algorithm {
    /// All four, in bbb-webhooks' default order.
    pub const ALL: [Algorithm; 4] = [
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Sha384,
        Algorithm::Sha512,
    ];

    /// The algorithm whose hex digest has `len` characters.
    pub fn from_hex_len(len: usize) -> Option<Self> {
        match len {
            40 => Some(Algorithm::Sha1),
            64 => Some(Algorithm::Sha256),
            96 => Some(Algorithm::Sha384),
            128 => Some(Algorithm::Sha512),
            _ => None,
        }
    }

    /// Lower-case hex digest of the concatenation of `parts`.
    pub fn hex_digest(self, parts: &[&[u8]]) -> String {
        self.digest(parts).hex().as_str().to_owned()
    }

    /// The digest of the concatenation of `parts`, held inline.
    pub fn digest(self, parts: &[&[u8]]) -> Sum {
        fn run<D: Digest>(parts: &[&[u8]]) -> Sum {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            Sum::from_bytes(&d.finalize()).expect("a digest of at most 64 bytes")
        }
        match self {
            Algorithm::Sha1 => run::<Sha1>(parts),
            Algorithm::Sha256 => run::<Sha256>(parts),
            Algorithm::Sha384 => run::<Sha384>(parts),
            Algorithm::Sha512 => run::<Sha512>(parts),
        }
    }

    /// The lower-case name (`sha1`, …).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A digest of one of the four algorithms, held inline: a callback's checksum is computed for
/// every delivery, and the audit log keeps it, so it is never a heap allocation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sum {
    bytes: [u8; 64],
    len: u8,
}

impl Sum {
    /// The digest whose bytes are `bytes`: 20, 32, 48 or 64 of them.
    pub fn from_bytes(bytes: &[u8]) -> Option<Sum> {
        if !matches!(bytes.len(), 20 | 32 | 48 | 64) {
            return None;
        }
        let mut sum = Sum {
            bytes: [0; 64],
            len: bytes.len() as u8,
        };
        sum.bytes[..bytes.len()].copy_from_slice(bytes);
        Some(sum)
    }

    /// Its bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Its lower-case hex digits, as sent in a `checksum` parameter.
    pub fn hex(&self) -> Hex {
        let mut hex = Hex {
            digits: [0; 128],
            len: self.len * 2,
        };
        hex::encode_to_slice(self.as_bytes(), &mut hex.digits[..usize::from(hex.len)])
            .expect("two digits per byte");
        hex
    }
}

impl fmt::Debug for Sum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hex().as_str())
    }
}

/// The hex digits of a [`Sum`], held inline.
#[derive(Clone, Copy)]
pub struct Hex {
    digits: [u8; 128],
    len: u8,
}

impl Hex {
    /// The digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).expect("hex digits are ASCII")
    }
}

/// An algorithm name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown checksum algorithm {0:?} (expected sha1, sha256, sha384 or sha512)")]
pub struct UnknownAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sha1" => Ok(Algorithm::Sha1),
            "sha256" => Ok(Algorithm::Sha256),
            "sha384" => Ok(Algorithm::Sha384),
            "sha512" => Ok(Algorithm::Sha512),
            _ => Err(UnknownAlgorithm(s.to_owned())),
        }
    }
}

/// Why an API request failed the checksum check (all answer `checksumError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecksumError {
    /// No `checksum` parameter, an empty one, or more than one.
    #[error("missing checksum")]
    Missing,
    /// Its length matches none of the algorithms.
    #[error("checksum length {0} matches no algorithm")]
    BadLength(usize),
    /// The algorithm its length implies is not enabled.
    #[error("checksum algorithm {0} is not enabled")]
    Unsupported(Algorithm),
    /// The digest differs.
    #[error("checksum mismatch")]
    Mismatch,
}

/// The query string bbb-webhooks hashes: the request target with the checksum parameter taken
/// out textually (`&checksum=…`, then `checksum=…&`, then a trailing `checksum=…`), everything
/// after the first `?`, still percent-encoded.
pub fn query_for_checksum(request_target: &str) -> String {
    let mut s = request_target.to_owned();
    // 1. `&checksum=[^&]*`
    if let Some(pos) = s.find("&checksum=") {
        let end = s[pos + 1..].find('&').map_or(s.len(), |e| pos + 1 + e);
        s.replace_range(pos..end, "");
    }
    // 2. `checksum=[^&]*&`
    let mut search = 0;
    while let Some(rel) = s[search..].find("checksum=") {
        let pos = search + rel;
        if let Some(amp) = s[pos..].find('&') {
            s.replace_range(pos..pos + amp + 1, "");
            break;
        }
        search = pos + 1;
    }
    // 3. `checksum=[^&]*$`
    let mut search = 0;
    while let Some(rel) = s[search..].find("checksum=") {
        let pos = search + rel;
        if !s[pos..].contains('&') {
            s.truncate(pos);
            break;
        }
        search = pos + 1;
    }
    match s.find('?') {
        Some(q) => s[q + 1..].to_owned(),
        None => String::new(),
    }
}

/// Checks an API request. `method` is the call name (`hooks/create`, with a trailing `/` if the
/// path had one), `request_target` the path and query exactly as received, `checksum` the
/// decoded values of the `checksum` parameter.
pub fn verify_api(
    method: &str,
    request_target: &str,
    checksum: &[String],
    secret: &str,
    supported: &[Algorithm],
) -> Result<Algorithm, ChecksumError> {
    let given = match checksum {
        [one] if !one.is_empty() => one,
        _ => return Err(ChecksumError::Missing),
    };
    let algorithm =
        Algorithm::from_hex_len(given.len()).ok_or(ChecksumError::BadLength(given.len()))?;
    if !supported.contains(&algorithm) {
        return Err(ChecksumError::Unsupported(algorithm));
    }
    let query = query_for_checksum(request_target);
    let expected = algorithm.hex_digest(&[method.as_bytes(), query.as_bytes(), secret.as_bytes()]);
    if constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(algorithm)
    } else {
        Err(ChecksumError::Mismatch)
    }
}

/// Compares without an early exit, so timing tells nothing about the expected digest.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The callback checksum: digest of URL as registered + body + secret.
pub fn callback_checksum(algorithm: Algorithm, url: &str, body: &str, secret: &str) -> String {
    callback_sum(algorithm, url, body, secret)
        .hex()
        .as_str()
        .to_owned()
}

/// [`callback_checksum`] as a [`Sum`].
pub fn callback_sum(algorithm: Algorithm, url: &str, body: &str, secret: &str) -> Sum {
    algorithm.digest(&[url.as_bytes(), body.as_bytes(), secret.as_bytes()])
}

/// The URL a callback is sent to: the registered URL with `checksum=<hex>` added as its last
/// query parameter (`?` when the URL has no query, `&` otherwise, as bbb-webhooks decides).
/// Deviation: bbb-webhooks appends after a `#fragment`, where the checksum never reaches the
/// receiver; Bluehook inserts it before the fragment.
pub fn url_with_checksum(url: &str, checksum: &str) -> String {
    let (base, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut out = String::with_capacity(url.len() + checksum.len() + 10);
    out.push_str(base);
    out.push(sep);
    out.push_str("checksum=");
    out.push_str(checksum);
    out.push_str(fragment);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "8cd8ef52e8e101574e400365b55e11a6";
    const CREATE_QUERY: &str = "callbackURL=https%3A%2F%2Fapp.example.com%2Fbbb%2Fhooks&meetingID=random-9019868&eventID=meeting-created,meeting-ended&getRaw=false";

    #[test]
    fn spec_api_examples() {
        assert_eq!(
            Algorithm::Sha1.hex_digest(&[b"hooks/list", SECRET.as_bytes()]),
            "e3be0bff005eb253a8bf5ae738388f054523081c"
        );
        let s = format!("hooks/create{CREATE_QUERY}{SECRET}");
        assert_eq!(
            Algorithm::Sha1.hex_digest(&[s.as_bytes()]),
            "06d94a3eac85e6f4817240fc4974c7b98828777e"
        );
        assert_eq!(
            Algorithm::Sha256.hex_digest(&[s.as_bytes()]),
            "eb0749c852347f76c462a013f71a297779a60a5350d3bd8f3f4c95e2c5b193c2"
        );
    }

    #[test]
    fn checksum_parameter_may_stand_anywhere() {
        let sum = "06d94a3eac85e6f4817240fc4974c7b98828777e";
        let path = "/bigbluebutton/api/hooks/create";
        let targets = [
            format!("{path}?{CREATE_QUERY}&checksum={sum}"),
            format!("{path}?checksum={sum}&{CREATE_QUERY}"),
            {
                let (a, b) = CREATE_QUERY.split_at(CREATE_QUERY.find("&meetingID").unwrap());
                format!("{path}?{a}&checksum={sum}{b}")
            },
        ];
        for t in targets {
            assert_eq!(query_for_checksum(&t), CREATE_QUERY, "target {t}");
            assert_eq!(
                verify_api(
                    "hooks/create",
                    &t,
                    &[sum.to_owned()],
                    SECRET,
                    &Algorithm::ALL
                ),
                Ok(Algorithm::Sha1)
            );
        }
    }

    #[test]
    fn rejections() {
        let t = "/bigbluebutton/api/hooks/list?checksum=abc";
        let all = &Algorithm::ALL;
        assert_eq!(
            verify_api("hooks/list", t, &[], SECRET, all),
            Err(ChecksumError::Missing)
        );
        assert_eq!(
            verify_api("hooks/list", t, &["".into()], SECRET, all),
            Err(ChecksumError::Missing)
        );
        assert_eq!(
            verify_api(
                "hooks/list",
                t,
                &["a".repeat(40), "b".repeat(40)],
                SECRET,
                all
            ),
            Err(ChecksumError::Missing)
        );
        assert_eq!(
            verify_api("hooks/list", t, &["abc".into()], SECRET, all),
            Err(ChecksumError::BadLength(3))
        );
        let good = "e3be0bff005eb253a8bf5ae738388f054523081c";
        assert_eq!(
            verify_api(
                "hooks/list",
                t,
                &[good.into()],
                SECRET,
                &[Algorithm::Sha256]
            ),
            Err(ChecksumError::Unsupported(Algorithm::Sha1))
        );
        assert_eq!(
            verify_api("hooks/list", t, &[good.to_uppercase()], SECRET, all),
            Err(ChecksumError::Mismatch)
        );
        let lone = format!("/bigbluebutton/api/hooks/list?checksum={good}");
        assert_eq!(
            verify_api("hooks/list", &lone, &[good.into()], SECRET, all),
            Ok(Algorithm::Sha1)
        );
    }

    #[test]
    fn spec_callback_checksum() {
        let body = "domain=bbb.example.com&event=%5B%7B%22data%22%3A%7B%22type%22%3A%22event%22%2C%22id%22%3A%22meeting-ended%22%2C%22attributes%22%3A%7B%22meeting%22%3A%7B%22internal-meeting-id%22%3A%228043c8452ae9830aac14c517adff3839dbd9228f-1698771157700%22%2C%22external-meeting-id%22%3A%22random-9019868%22%7D%7D%2C%22event%22%3A%7B%22ts%22%3A1698771310215%7D%7D%7D%5D&timestamp=1698771310216";
        let url = "https://app.example.com/bbb/hooks";
        assert_eq!(
            callback_checksum(Algorithm::Sha1, url, body, SECRET),
            "430b811b665b83f5da7f07869dff2dd5220599ca"
        );
        assert_eq!(
            callback_checksum(Algorithm::Sha256, url, body, SECRET),
            "5bf2115eb0fc605d4e2e93bf7e74fcdeb2e9ecd82a0b4882efd8447a25146ccc"
        );
    }

    #[test]
    fn a_sum_keeps_every_algorithms_bytes_and_digits() {
        for (algorithm, digest) in [
            (Algorithm::Sha1, sha1::Sha1::digest(b"abc").to_vec()),
            (Algorithm::Sha256, Sha256::digest(b"abc").to_vec()),
            (Algorithm::Sha384, Sha384::digest(b"abc").to_vec()),
            (Algorithm::Sha512, Sha512::digest(b"abc").to_vec()),
        ] {
            let sum = algorithm.digest(&[b"a", b"", b"bc"]);
            assert_eq!(sum.as_bytes(), digest);
            assert_eq!(sum.hex().as_str(), hex::encode(&digest));
            assert_eq!(
                Algorithm::from_hex_len(sum.hex().as_str().len()),
                Some(algorithm)
            );
            assert_eq!(Sum::from_bytes(&digest), Some(sum));
            assert_eq!(format!("{sum:?}"), hex::encode(&digest));
        }
        for len in [0, 19, 21, 65] {
            assert_eq!(Sum::from_bytes(&vec![7; len]), None, "{len} bytes");
        }
    }

    #[test]
    fn checksum_is_appended_as_bbb_webhooks_does() {
        assert_eq!(
            url_with_checksum("http://h/cb", "x"),
            "http://h/cb?checksum=x"
        );
        assert_eq!(
            url_with_checksum("http://h/cb?a=1", "x"),
            "http://h/cb?a=1&checksum=x"
        );
        assert_eq!(
            url_with_checksum("http://h/cb?", "x"),
            "http://h/cb?&checksum=x"
        );
        assert_eq!(
            url_with_checksum("http://h/y#frag", "x"),
            "http://h/y?checksum=x#frag"
        );
    }
}
