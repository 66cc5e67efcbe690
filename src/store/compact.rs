//! The JSON Slack sent for an account or a user group, kept whole but
//! compact, in the form
//! SQLite Archives give their files: a zlib stream, or the bytes as they
//! were where compressing saves nothing, with the length uncompressed beside
//! it. `sqlite3`'s own `sqlar_uncompress(raw, raw_bytes)` gives it back, so
//! an auditor needs nothing but `sqlite3` to read it (README, "Querying the
//! file with `sqlite3` alone"); this module registers the same function on
//! slack-uar's connections.

use libdeflater::{CompressionLvl, Compressor, DecompressionError, Decompressor};
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use std::sync::Mutex;

/// A record larger than this is refused by `sqlar_uncompress` rather
/// than given memory: a corrupt length must not ask for gigabytes.
const LARGEST_RECORD: i64 = 64 << 20;

/// The level records are deflated at. A record is a kilobyte or two, where
/// libdeflate's fastest level compresses as well as zlib's default (to
/// about 38% of the JSON on a generated org) in half the time: most of a
/// small input's cost is the compressor's set-up, not its search.
const LEVEL: i32 = 1;

/// Compresses one record after another with the same state and buffer.
pub(crate) struct Packer {
    deflate: Compressor,
    packed: Vec<u8>,
}

impl Default for Packer {
    fn default() -> Self {
        Packer {
            deflate: Compressor::new(CompressionLvl::new(LEVEL).expect("a level libdeflate has")),
            packed: Vec::new(),
        }
    }
}

impl Packer {
    /// What to store for `raw`: its zlib stream where that is shorter, else
    /// `raw` itself (which `sqlar_uncompress` tells apart by its length).
    pub(crate) fn pack<'a>(&'a mut self, raw: &'a [u8]) -> &'a [u8] {
        // Room for less than the input: a stream that does not fit is not
        // worth keeping, and the input is stored as it is.
        self.packed.resize(raw.len().saturating_sub(1), 0);
        match self.deflate.zlib_compress(raw, &mut self.packed) {
            Ok(n) if n > 0 && n < raw.len() => &self.packed[..n],
            _ => raw,
        }
    }
}

/// The record `stored` of `bytes` bytes uncompressed, as `sqlar_uncompress`
/// gives it: `stored` itself when it is that long, else its zlib stream
/// inflated.
pub(crate) fn unpack(stored: &[u8], bytes: i64) -> Result<Vec<u8>, String> {
    if bytes <= 0 || bytes as usize == stored.len() {
        return Ok(stored.to_vec());
    }
    if bytes > LARGEST_RECORD {
        return Err(format!(
            "a record of {bytes} bytes is beyond any Slack sends"
        ));
    }
    let mut out = vec![0; bytes as usize];
    match Decompressor::new().zlib_decompress(stored, &mut out) {
        Ok(n) if n == out.len() => Ok(out),
        Ok(_) | Err(DecompressionError::InsufficientSpace) => Err(format!(
            "the record does not inflate to the {bytes} bytes recorded"
        )),
        Err(DecompressionError::BadData) => Err("the record is not a zlib stream".into()),
    }
}

/// Register `sqlar_compress(data)` and `sqlar_uncompress(data, size)` on
/// `conn`, as the `sqlite3` shell defines them, so that the same SQL reads
/// a record in both (and migration 0005 compresses the records before it).
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let packer = Mutex::new(Packer::default());
    conn.create_scalar_function(
        "sqlar_compress",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx| {
            let raw = match ctx.get_raw(0) {
                ValueRef::Blob(b) | ValueRef::Text(b) => b,
                _ => return Ok(None),
            };
            let mut packer = packer.lock().unwrap_or_else(|e| e.into_inner());
            Ok(Some(packer.pack(raw).to_vec()))
        },
    )?;
    conn.create_scalar_function(
        "sqlar_uncompress",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let bytes: i64 = ctx.get(1)?;
            let stored = match ctx.get_raw(0) {
                ValueRef::Blob(b) | ValueRef::Text(b) => b,
                ValueRef::Null => return Ok(None),
                _ => {
                    return Err(rusqlite::Error::UserFunctionError(
                        "sqlar_uncompress: not a record".into(),
                    ));
                }
            };
            unpack(stored, bytes)
                .map(Some)
                .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_packed_smaller_and_unpacked_whole() {
        let raw = br#"{"id":"U1","profile":{"image_24":"https://a.example/U1_24.png","image_32":"https://a.example/U1_32.png","image_48":"https://a.example/U1_48.png"}}"#;
        let mut packer = Packer::default();
        let packed = packer.pack(raw).to_vec();
        assert!(
            packed.len() < raw.len(),
            "{} of {}",
            packed.len(),
            raw.len()
        );
        assert_eq!(unpack(&packed, raw.len() as i64).unwrap(), raw);
        // The state is reused: a second record is packed on its own.
        let other = br#"{"id":"U2","profile":{"image_24":"https://a.example/U2_24.png","image_32":"https://a.example/U2_32.png"}}"#;
        let packed = packer.pack(other).to_vec();
        assert_eq!(unpack(&packed, other.len() as i64).unwrap(), other);
    }

    #[test]
    fn the_stream_is_zlibs_own_format() {
        // sqlite3's `sqlar_uncompress` inflates with zlib; another inflater
        // than the one `unpack` uses must read the stream the same.
        use std::io::Read;
        let raw = br#"{"id":"U1","profile":{"image_24":"https://a.example/U1_24.png","image_32":"https://a.example/U1_32.png","image_48":"https://a.example/U1_48.png"}}"#;
        let mut packer = Packer::default();
        let packed = packer.pack(raw).to_vec();
        assert!(packed.len() < raw.len());
        let mut back = Vec::new();
        flate2::read::ZlibDecoder::new(&packed[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, raw);
    }

    #[test]
    fn what_does_not_shrink_is_stored_as_sent() {
        let raw = br#"{"id":"U1"}"#;
        let mut packer = Packer::default();
        assert_eq!(packer.pack(raw), raw);
        assert_eq!(unpack(raw, raw.len() as i64).unwrap(), raw);
    }

    #[test]
    fn a_damaged_record_is_an_error_not_a_guess() {
        let raw =
            br#"{"id":"U1","name":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#;
        let mut packer = Packer::default();
        let mut packed = packer.pack(raw).to_vec();
        let last = packed.len() - 1;
        packed[last] ^= 0xff;
        assert!(unpack(&packed, raw.len() as i64).is_err());
        assert!(unpack(&packed, raw.len() as i64 + 1).is_err());
        assert!(unpack(&packed, LARGEST_RECORD + 1).is_err());
    }

    #[test]
    fn the_sql_function_reads_what_was_packed() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let raw = r#"{"id":"U1","real_name":"Ada Lovelace Ada Lovelace Ada Lovelace"}"#;
        let mut packer = Packer::default();
        let packed = packer.pack(raw.as_bytes()).to_vec();
        let back: String = conn
            .query_row(
                "SELECT CAST(sqlar_uncompress(?1, ?2) AS TEXT)",
                rusqlite::params![packed, raw.len() as i64],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(back, raw);
    }
}
