//! Hostile inputs shared by the safety tests and the fuzz harness (issue 11): crafted files that
//! a careless or malicious annotation copy may hold.

use std::path::Path;

/// CRC-32 (ISO-HDLC, as PNG chunks use) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG that declares a `width` × `height` 1-bit grey image but holds only a few bytes of pixel
/// data: a decompression bomb's header (a decoder that trusts it allocates `width * height`
/// bytes or more before reading the data).
pub fn bomb_png(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        png.extend(&body);
        png.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([1, 0, 0, 0, 0]); // 1-bit, grey, deflate, filter 0, no interlace
    chunk(b"IHDR", &ihdr);
    // A zlib stream of one stored block of 2 zero bytes (filter 0, 8 black pixels): the rest is
    // missing, as in a truncated bomb.
    chunk(b"IDAT", &[0x78, 0x01, 0x00, 0x02, 0x00, 0xfd, 0xff, 0x00, 0x00]);
    chunk(b"IEND", &[]);
    png
}

/// Writes [`bomb_png`] to `path`.
pub fn write_bomb_png(path: &Path, width: u32, height: u32) {
    std::fs::write(path, bomb_png(width, height)).unwrap();
}

/// XML nested `levels` deep inside `<annotation>`, as in the repro.
pub fn deep_xml(levels: usize) -> String {
    format!(
        "<annotation>{}{}</annotation>",
        "<a>".repeat(levels),
        "</a>".repeat(levels)
    )
}
