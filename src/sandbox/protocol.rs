//! What every sandbox method shares: its Slack error, Slack's opaque
//! cursors, and paging by Slack's rules. The handlers (`web_api`, `grid`)
//! and the server that routes to them all build on this; none of them on
//! each other's internals.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use serde_json::Value;

/// A Slack error a method answers with: HTTP 200, `ok: false`.
pub struct ApiError {
    pub code: &'static str,
    /// With `missing_scope`: the scope the method needs.
    pub needed: Option<String>,
}

pub fn api_error(code: &'static str) -> ApiError {
    ApiError { code, needed: None }
}

/// Opaque cursors as Slack makes them: base64 with `+`, `/` and `=` padding,
/// which break unless the client URL-encodes them.
pub fn encode_cursor(offset: usize) -> String {
    let mut payload = vec![0xfb, 0xff];
    payload.extend_from_slice(format!("users:{offset}").as_bytes());
    while payload.len() % 3 != 1 {
        payload.push(b'~');
    }
    BASE64.encode(payload)
}

pub fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = BASE64.decode(cursor).ok()?;
    let rest = bytes.strip_prefix(&[0xfb, 0xff])?;
    let text = std::str::from_utf8(rest).ok()?.trim_end_matches('~');
    text.strip_prefix("users:")?.parse().ok()
}

/// One page of `items` by Slack's cursor rules; `max` caps the limit and a
/// larger one is `invalid_limit` where `strict`.
pub fn page<T>(
    items: Vec<T>,
    params: &HashMap<String, String>,
    default: usize,
    max: usize,
    strict: bool,
) -> Result<(Vec<T>, String), ApiError> {
    let limit = match params.get("limit").filter(|l| !l.is_empty()) {
        None => default,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if n >= 1 && n <= max => n,
            Ok(n) if n > max && !strict => max,
            _ => return Err(api_error("invalid_limit")),
        },
    };
    let start = match params.get("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => decode_cursor(c)
            .filter(|o| *o < items.len())
            .ok_or_else(|| api_error("invalid_cursor"))?,
    };
    let end = (start + limit).min(items.len());
    let next = if end < items.len() {
        encode_cursor(end)
    } else {
        String::new()
    };
    let page = items.into_iter().skip(start).take(end - start).collect();
    Ok((page, next))
}

/// An answer serialised through the client's wire type: the sandbox sends
/// what the client reads, so the two cannot drift apart unnoticed.
pub fn answer<T: Serialize>(body: T) -> Value {
    serde_json::to_value(body).expect("wire types serialise")
}

/// [`answer`] of a page whose wire type keeps its items raw, given with no
/// items: `items` go in under `key` as they are. Through the raw type each
/// would be printed and parsed again, most of the sandbox's work in a large
/// sync.
pub fn answer_page<T: Serialize>(empty: T, key: &str, items: Vec<Value>) -> Value {
    let mut body = answer(empty);
    body[key] = Value::Array(items);
    body
}

/// A boolean argument: `true` or `1`, as Slack accepts.
pub fn flag(params: &HashMap<String, String>, name: &str) -> Option<bool> {
    params.get(name).map(|v| matches!(v.as_str(), "true" | "1"))
}

/// One item of a page as the raw JSON a wire type carries it in.
pub fn raw(value: &Value) -> Box<serde_json::value::RawValue> {
    serde_json::value::to_raw_value(value).expect("a JSON value serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_opaque_padded_and_need_url_encoding() {
        for offset in [1, 1000, 25_000, 99_000] {
            let c = encode_cursor(offset);
            assert!(c.ends_with('='), "{c}");
            assert!(c.contains('+') && c.contains('/'), "{c}");
            assert_eq!(decode_cursor(&c), Some(offset));
            // What an unencoded form value turns `+` into.
            assert_eq!(decode_cursor(&c.replace('+', " ")), None);
        }
        assert_eq!(decode_cursor("dXNlcjpVMEc5V0ZYTlo="), None);
    }
}
