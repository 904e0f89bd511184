//! A lexical pass over the raw document: tokens and bracket nesting, without parsing.

use super::Refusal;
use crate::config::QueryLimits;

/// Counts tokens and bracket nesting of `document`, stopping at the first limit crossed.
pub fn scan(document: &str, limits: &QueryLimits) -> Result<(), Refusal> {
    let bytes = document.as_bytes();
    let (mut tokens, mut nesting, mut i) = (0_usize, 0_usize, 0_usize);
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && !matches!(bytes[i], b'\n' | b'\r') {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n' | b'\r') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'{' | b'[' | b'(' => {
                nesting += 1;
                if nesting > limits.max_nesting {
                    return Err(Refusal::new(
                        "QUERY_TOO_DEEP",
                        format!(
                            "the document nests brackets more than {} levels deep",
                            limits.max_nesting
                        ),
                    ));
                }
                i += 1;
            }
            b'}' | b']' | b')' => {
                nesting = nesting.saturating_sub(1);
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => {
                i += 1;
                while i < bytes.len()
                    && matches!(bytes[i], b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'+' | b'-')
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        tokens += 1;
        if tokens > limits.max_tokens {
            return Err(Refusal::new(
                "TOO_MANY_TOKENS",
                format!("the document has more than {} tokens", limits.max_tokens),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tokens(document: &str) -> usize {
        (0..)
            .find(|max| {
                scan(
                    document,
                    &QueryLimits {
                        max_tokens: *max,
                        max_nesting: usize::MAX,
                        ..QueryLimits::default()
                    },
                )
                .is_ok()
            })
            .unwrap()
    }

    #[test]
    fn counts_tokens_as_graphql_lexes_them() {
        assert_eq!(tokens("{ a }"), 3);
        assert_eq!(tokens("query Q($n: Int = -1.5e3) { a(x: $n) ...F }"), 21);
        assert_eq!(tokens("# a comment\n{ a, b }"), 4);
        assert_eq!(tokens(r#"{ a(s: "x { [ \" y") }"#), 8);
        assert_eq!(tokens(r#"{ a(s: """ { \""" [ """) }"#), 8);
    }

    #[test]
    fn refuses_deep_nesting_outside_strings_only() {
        let limits = QueryLimits::default();
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(2_000), "]".repeat(2_000));
        assert_eq!(scan(&deep, &limits).unwrap_err().code, "QUERY_TOO_DEEP");
        let quoted = format!("{{ a(x: \"{}\") }}", "[".repeat(2_000));
        assert!(scan(&quoted, &limits).is_ok());
    }

    proptest! {
        #[test]
        fn never_panics(document in "\\PC{0,200}") {
            let _ = scan(&document, &QueryLimits::default());
        }

        #[test]
        fn never_panics_on_graphql_like_text(document in "[{}\\[\\]()\"\\\\#.a-z0-9 :$@!\n]{0,300}") {
            let _ = scan(&document, &QueryLimits::default());
        }
    }
}
