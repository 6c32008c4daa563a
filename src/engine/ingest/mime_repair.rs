//! Bounces whose MIME structure is broken in ways MTAs really produce: a
//! lost `Content-Type` header, a `boundary=` parameter that is not folded.
//! What a person reading the raw message would see is recovered.

/// A multipart body whose `Content-Type` header was lost (no such header, yet
/// the body opens a `--boundary` line that it closes with `--boundary--`, as
/// Sendmail's "This is a MIME-encapsulated message" reports do): the message
/// with the header put back, so its delivery-status part is read. `None` when
/// the message declares its type or its body does not open with such a boundary.
pub(super) fn undeclared_multipart(raw: &[u8]) -> Option<Vec<u8>> {
    let find = |pat: &[u8]| raw.windows(pat.len()).position(|w| w == pat);
    let head_end = match (find(b"\r\n\r\n"), find(b"\n\n")) {
        (Some(a), Some(b)) if a < b => a + 2,
        (_, Some(b)) => b + 1,
        (Some(a), None) => a + 2,
        (None, None) => return None,
    };
    let head = String::from_utf8_lossy(&raw[..head_end]);
    if head.lines().any(|l| l.to_ascii_lowercase().starts_with("content-type:")) {
        return None;
    }
    let body = String::from_utf8_lossy(&raw[head_end..raw.len().min(head_end + (1 << 20))]);
    // The boundary opens the body, after a short preamble at most: a boundary further
    // down belongs to an attached original, not to the bounce.
    let boundary = body.lines().take(8).find_map(|l| l.trim_end().strip_prefix("--").filter(|b| b.len() >= 8 && !b.contains(' ')))?;
    if !body.lines().any(|l| l.trim_end() == format!("--{boundary}--")) {
        return None;
    }
    // The header block ends at `head_end`, its last line break included.
    let cut = head_end;
    let mut out = Vec::with_capacity(raw.len() + boundary.len() + 64);
    out.extend_from_slice(&raw[..cut]);
    out.extend_from_slice(format!("Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\n").as_bytes());
    out.extend_from_slice(&raw[cut..]);
    Some(out)
}

/// A multipart body as text, its boundary lines and part headers (with their
/// unfolded `boundary=` lines) left out: what a person sees reading the raw message.
pub(super) fn without_mime_lines(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut in_part_header = false;
    for line in body.lines() {
        let t = line.trim_end();
        let lower = t.to_ascii_lowercase();
        let boundary = t.starts_with("--") && t.len() > 4 && !t.contains(' ');
        let field = lower.starts_with("content-") && lower.contains(':');
        if boundary {
            in_part_header = true;
            continue;
        }
        if in_part_header && (field || lower.trim_start().starts_with("boundary=") || line.starts_with([' ', '\t'])) {
            continue;
        }
        in_part_header = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// An HTML part as text, one line per table row, list item or block: the library's conversion
/// breaks lines at `<br>` and `</p>` only, so a notice laid out as a table (Tencent, NetEase,
/// Naver) ran every recipient and its reason into one line.
pub(super) fn html_text(html: &str) -> String {
    static BLOCK_END: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)</(?:tr|div|li|table|h[1-6]|blockquote|dt|dd|ul|ol)\s*>").expect("static block regex")
    });
    let broken = BLOCK_END.replace_all(html, "$0<br>");
    mail_parser::decoders::html::html_to_text(&broken)
}

#[cfg(test)]
mod html_tests {
    #[test]
    fn table_rows_are_lines() {
        let t = super::html_text(
            "<table><tr><td><b>无法发送到 a@example.com</b></td></tr><tr><td>退信原因：</td><td>不存在</td></tr></table><div>end</div>",
        );
        let lines: Vec<&str> = t.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.first(), Some(&"无法发送到 a@example.com"), "{t:?}");
        assert!(lines.iter().any(|l| l.contains("退信原因") && l.contains("不存在")), "{t:?}");
        assert!(lines.contains(&"end"), "{t:?}");
    }
}
