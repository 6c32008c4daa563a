//! What kind of email a message is before its text is read: a delivery report
//! (a bounce) or an automatic reply. Both are told from the sender, the subject
//! and the headers the sending software sets.

use mail_parser::Message;

use super::email::{floor, header_text};
use crate::engine::smtp;

/// Words of a delivery report's sender or subject.
static BOUNCE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)mailer-daemon|post_?master|mail delivery|delivery (?:status|failure|notification|has failed|to the following)|undeliver|undelivered|returned mail|failure notice|could not be delivered|couldn't be delivered|not delivered|delivery failed|permanent error|fatal error|non remis|unzustellbar|不達|エラー|配信|error sending|returned to sender|rejected|bounce",
    )
    .expect("static bounce regex")
});

pub(super) fn looks_like_bounce(msg: &Message<'_>, human: &str) -> bool {
    let from = header_text(msg, "From").unwrap_or_default();
    let subject = msg.subject().unwrap_or("");
    let (basic, enhanced) = smtp::scan_codes(human);
    BOUNCE.is_match(&from)
        || BOUNCE.is_match(subject)
        || basic.is_some_and(|c| c >= 400)
        || enhanced.is_some_and(|c| c.class >= 4)
        || BOUNCE.is_match(&human[..floor(human, 2000)])
}

pub(super) fn is_auto_reply(msg: &Message<'_>) -> bool {
    static SUBJECT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)^\s*(?:auto(?:matic)?[ -]?(?:reply|response)|auto:|out of (?:the )?office|vacation|abwesenheit|absence|réponse automatique|自動応答|不在)").expect("static subject regex")
    });
    let auto = header_text(msg, "Auto-Submitted").is_some_and(|v| v.to_ascii_lowercase().starts_with("auto-replied"));
    let marked = ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"].iter().any(|h| msg.header_raw(*h).is_some())
        || header_text(msg, "Precedence").is_some_and(|v| v.eq_ignore_ascii_case("auto_reply"));
    let from = header_text(msg, "From").unwrap_or_default();
    let subject = msg.subject().unwrap_or("");
    // A delivery report is none, whatever its Auto-Submitted says: MDaemon marks its
    // failure notices "auto-replied" (From "Mail Delivery Subsystem <MDaemon@…>").
    let daemon = BOUNCE.is_match(&from) || BOUNCE.is_match(subject);
    !daemon && (auto || marked || SUBJECT.is_match(subject))
}
