//! Amazon SES notifications (sent over SNS as email): a JSON body whose
//! `notificationType` is `Bounce`, `Complaint` or `Delivery`.

use serde_json::Value;

use super::record::{Action, MtaKind, Record, RecordKind, RecordSource};
use crate::engine::smtp::{self, EnhancedCode};

/// The records of an SES notification in `text`, or None when it holds none.
pub fn records(text: &str, source: &RecordSource) -> Option<Vec<Record>> {
    let start = text.find("{\"notificationType\"").or_else(|| text.find('{').filter(|_| text.contains("\"notificationType\"")))?;
    let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
    let v = stream.next()?.ok()?;
    let kind = v.get("notificationType")?.as_str()?;
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let base = |rcpt: Option<String>| Record {
        recipient: rcpt.map(|a| a.to_ascii_lowercase()),
        reporter: MtaKind::Family("amazonses"),
        ..Record::plain(String::new(), source.clone())
    };
    let mut out = Vec::new();
    match kind {
        "Bounce" => {
            let b = v.get("bounce")?;
            let sub = [s(b, "bounceType"), s(b, "bounceSubType")].into_iter().flatten().collect::<Vec<_>>().join(" ");
            for r in b.get("bouncedRecipients")?.as_array()? {
                let mut rec = base(s(r, "emailAddress"));
                rec.text = s(r, "diagnosticCode").filter(|d| !d.trim().is_empty()).unwrap_or_else(|| sub.clone());
                let (basic, enhanced) = smtp::scan_codes(&rec.text);
                rec.reply_code = basic;
                rec.enhanced_code = s(r, "status").and_then(|x| EnhancedCode::parse(&x)).or(enhanced);
                rec.action = s(r, "action").and_then(|a| Action::parse(&a)).or(Some(Action::Failed));
                rec.remote_mta = s(b, "remoteMtaIp").or_else(|| s(b, "reportingMTA"));
                rec.phase = smtp::scan_phase(&rec.text);
                out.push(rec);
            }
        }
        "Complaint" => {
            let c = v.get("complaint")?;
            for r in c.get("complainedRecipients")?.as_array()? {
                let mut rec = base(s(r, "emailAddress"));
                rec.kind = RecordKind::Feedback;
                rec.text = s(c, "complaintFeedbackType").unwrap_or_else(|| "complaint".into());
                out.push(rec);
            }
        }
        "Delivery" => {
            let d = v.get("delivery")?;
            for r in d.get("recipients")?.as_array()? {
                let mut rec = base(r.as_str().map(str::to_owned));
                rec.text = s(d, "smtpResponse").unwrap_or_default();
                rec.action = Some(Action::Delivered);
                rec.remote_mta = s(d, "reportingMTA");
                out.push(rec);
            }
        }
        _ => return None,
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounce_notification() {
        let t = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"A@b.example","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}]}}"#;
        let r = records(t, &RecordSource::default()).unwrap();
        assert_eq!(r[0].recipient.as_deref(), Some("a@b.example"));
        assert_eq!(r[0].enhanced_code.map(|c| c.to_string()).as_deref(), Some("5.1.1"));
        assert!(records("no json here", &RecordSource::default()).is_none());
    }
}
