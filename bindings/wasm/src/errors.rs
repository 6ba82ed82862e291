//! The errors this package throws: "could not check", never a verdict.
//!
//! Each is a JS `Error` whose `code` property is one of [`ErrorCode`]'s stable strings
//! (documented in the package README). Rejected input is not an error: it is a report with a
//! reason code. Every error of the verifier library ([`KeyError`]) maps here and nowhere else.

use veritydb_verify::KeyError;
use wasm_bindgen::JsValue;

/// The stable `code` strings of thrown errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A trusted key is not a valid Ed25519 C2SP vkey, or two different keys share a name and
    /// key id.
    InvalidKey,
    /// More trusted keys than `trusted_keys_max`.
    TooManyKeys,
    /// No trusted key was given: nothing could vouch for a signature.
    NoTrustedKey,
    /// An argument has the wrong type or an impossible value.
    InvalidArgument,
    /// A hash given as a string is not standard base64.
    InvalidBase64,
    /// A streaming `ExportVerifier` was used after `finish()`.
    VerifierFinished,
    /// A bug in this package (the report could not be converted); please report it.
    Internal,
}

impl ErrorCode {
    /// Every code, for tests and documentation.
    pub const ALL: [ErrorCode; 7] = [
        ErrorCode::InvalidKey,
        ErrorCode::TooManyKeys,
        ErrorCode::NoTrustedKey,
        ErrorCode::InvalidArgument,
        ErrorCode::InvalidBase64,
        ErrorCode::VerifierFinished,
        ErrorCode::Internal,
    ];

    /// The string JS code compares against (`error.code`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidKey => "VERITYDB_INVALID_KEY",
            ErrorCode::TooManyKeys => "VERITYDB_TOO_MANY_KEYS",
            ErrorCode::NoTrustedKey => "VERITYDB_NO_TRUSTED_KEY",
            ErrorCode::InvalidArgument => "VERITYDB_INVALID_ARGUMENT",
            ErrorCode::InvalidBase64 => "VERITYDB_INVALID_BASE64",
            ErrorCode::VerifierFinished => "VERITYDB_VERIFIER_FINISHED",
            ErrorCode::Internal => "VERITYDB_INTERNAL",
        }
    }
}

/// An error on its way to JavaScript: a code and one sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BindingError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl BindingError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> BindingError {
        BindingError {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> BindingError {
        BindingError::new(ErrorCode::InvalidArgument, message)
    }
}

impl From<KeyError> for BindingError {
    fn from(error: KeyError) -> BindingError {
        let code = match &error {
            KeyError::TooMany { .. } => ErrorCode::TooManyKeys,
            // Invalid, Ambiguous, and any variant a later library version adds: the auditor's
            // keys cannot be used as given.
            _ => ErrorCode::InvalidKey,
        };
        BindingError::new(code, error.to_string())
    }
}

impl From<BindingError> for JsValue {
    /// A JS `Error` with the message and a `code` property.
    fn from(error: BindingError) -> JsValue {
        let js_error = js_sys::Error::new(&error.message);
        // Setting a property on a fresh, extensible Error object cannot fail; if it ever did,
        // the message still says what went wrong.
        let _ = js_sys::Reflect::set(
            &js_error,
            &JsValue::from_str("code"),
            &JsValue::from_str(error.code.as_str()),
        );
        js_error.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_error_maps_to_a_code() {
        // `KeyError::Ambiguous` needs two keys whose ids collide, which cannot be built; it
        // takes the same arm as `Invalid`.
        let invalid = veritydb_verify::TrustedKeys::parse(["not a vkey"]);
        let too_many = veritydb_verify::TrustedKeys::parse(vec![
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
            veritydb_verify::limits::TRUSTED_KEYS_MAX
                + 1
        ]);
        let cases = [
            (invalid, ErrorCode::InvalidKey),
            (too_many, ErrorCode::TooManyKeys),
        ];
        for (result, code) in cases {
            let error = result.expect_err("the keys are refused");
            assert_eq!(BindingError::from(error).code, code);
        }
    }

    #[test]
    fn every_code_is_documented_and_distinct() {
        let readme = include_str!("../README.md");
        for (i, code) in ErrorCode::ALL.iter().enumerate() {
            assert!(
                readme.contains(code.as_str()),
                "{} is not in the README",
                code.as_str()
            );
            assert!(code.as_str().starts_with("VERITYDB_"));
            for other in &ErrorCode::ALL[i + 1..] {
                assert_ne!(code.as_str(), other.as_str());
            }
        }
    }
}
