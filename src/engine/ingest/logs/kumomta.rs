//! KumoMTA JSON log records (one object per line, as its local logs hold them
//! once decompressed): `type`, `recipient` (a string, or an array for batch
//! transactions), `response` {`code`, `enhanced_code` {class, subject,
//! detail}, `content`, `command`}, `peer_address.name`, `bounce_classification`.

use serde_json::Value;

use super::{LogLine, LogProblem, Skip, phase_of_command};
use crate::engine::ingest::record::{Action, MtaKind, Record, RecordSource};
use crate::engine::smtp::EnhancedCode;

pub(super) fn parse_line(line: &str, source: &RecordSource) -> LogLine {
    let v: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            return LogLine::Malformed(if line.trim_start().starts_with('{') {
                LogProblem::NotJson(e.to_string())
            } else {
                LogProblem::OtherFormat
            });
        }
    };
    let Some(kind) = v.get("type").and_then(Value::as_str) else {
        return LogLine::Malformed(if v.is_object() { LogProblem::MissingField("type") } else { LogProblem::OtherFormat });
    };
    let action = match kind {
        "Delivery" => return LogLine::Skipped(Skip::Delivery),
        // Rejection: our own listener refused a message; a reception event.
        "Reception" | "Rejection" => return LogLine::Skipped(Skip::Reception),
        "Bounce" | "Expiration" | "AdminBounce" | "OOB" => Action::Failed,
        "TransientFailure" => Action::Delayed,
        _ => return LogLine::Skipped(Skip::Other),
    };
    let Some(resp) = v.get("response").filter(|r| r.is_object()) else {
        return LogLine::Malformed(LogProblem::MissingField("response"));
    };
    let code = resp.get("code").and_then(Value::as_u64).and_then(|c| u16::try_from(c).ok());
    let enhanced = resp.get("enhanced_code").and_then(|e| {
        let part = |k: &str| e.get(k).and_then(Value::as_u64);
        Some(EnhancedCode {
            class: u8::try_from(part("class")?).ok()?,
            subject: u16::try_from(part("subject")?).ok()?,
            detail: u16::try_from(part("detail")?).ok()?,
        })
    });
    let content = resp.get("content").and_then(Value::as_str).unwrap_or("");
    // The line KumoMTA's own classifier matches: "<code> <enhanced> <content>".
    let mut text = String::new();
    if let Some(c) = code {
        text.push_str(&c.to_string());
    }
    if let Some(e) = enhanced {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&e.to_string());
    }
    if !content.is_empty() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(content);
    }
    let phase = resp.get("command").and_then(Value::as_str).and_then(phase_of_command);
    let remote = v.get("peer_address").and_then(|p| p.get("name")).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
    let class = v.get("bounce_classification").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
    let recipients: Vec<Option<String>> = match v.get("recipient") {
        Some(Value::String(s)) => vec![Some(s.clone()).filter(|s| !s.is_empty())],
        Some(Value::Array(a)) if !a.is_empty() => a.iter().map(|r| r.as_str().map(str::to_owned)).collect(),
        Some(Value::Null) | None => vec![None],
        Some(_) => return LogLine::Malformed(LogProblem::MissingField("recipient")),
    };
    let records = recipients
        .into_iter()
        .map(|recipient| {
            let mut r = Record::plain(text.clone(), source.clone());
            r.recipient = recipient;
            r.reply_code = code;
            r.enhanced_code = enhanced;
            r.phase = phase;
            r.remote_mta = remote.clone();
            r.reporter = MtaKind::Log("kumomta");
            r.action = Some(action);
            r.log_class = class.clone();
            r
        })
        .collect();
    LogLine::Records(records)
}
