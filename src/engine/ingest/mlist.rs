//! A mailing list's notice to a sender it refused: fml's "You are not a member
//! of this mailing list <list@host>", Mailman's "You are not allowed to post to
//! this mailing list". No SMTP bounce, and no `Final-Recipient`, yet the list
//! did not take the message: the record's recipient is the list address.

use std::sync::LazyLock;

use regex::Regex;

use super::plaintext;
use super::record::{Action, MtaKind, Record, RecordSource};

/// The record of a mailing list's refusal notice, or None when `human` holds
/// none. `list_headers` says whether the notice carries a list manager's header
/// (`X-MLServer`, `List-Id`, `List-Post`, `Mailing-List`, `X-Mailman-Version`):
/// without one, prose that merely quotes such words is no notice.
pub fn refusal(human: &str, list_headers: bool, list_post: Option<String>, source: &RecordSource) -> Option<Record> {
    static REFUSAL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?:you are|non-members are) not (?:a member of|allowed to post to|subscribed to) (?:this|the) (?:mailing[- ])?list(?:\s+(?:<([^<>\s]+@[^<>\s]+)>|([^<>\s]+@[^<>\s]+[a-z])))?[^\n]*",
        )
        .expect("static refusal regex")
    });
    if !list_headers {
        return None;
    }
    let m = REFUSAL.captures(human)?;
    let recipient = m
        .get(1)
        .or_else(|| m.get(2))
        .map(|a| a.as_str().to_ascii_lowercase())
        .or_else(|| list_post.and_then(|p| plaintext::addresses(&p).into_iter().next()));
    let mut r = Record { recipient, ..Record::plain(m[0].trim().to_owned(), source.clone()) };
    r.action = Some(Action::Failed);
    r.reporter = MtaKind::Family("mailing_list");
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fml_and_mailman_refusals() {
        let src = RecordSource::default();
        let fml = "You are not a member of this mailing list <cats@lists.example.org>.\n\nIf you know the guide, send 'guide'.\n";
        let r = refusal(fml, true, None, &src).expect("fml notice");
        assert_eq!(r.recipient.as_deref(), Some("cats@lists.example.org"));
        assert_eq!(r.text, "You are not a member of this mailing list <cats@lists.example.org>.");
        let mailman = "Your message was held: you are not allowed to post to this mailing list, and it was rejected.\n";
        let r = refusal(mailman, true, Some("<mailto:dogs@lists.example.org>".into()), &src).expect("mailman notice");
        assert_eq!(r.recipient.as_deref(), Some("dogs@lists.example.org"));
        // A moderator's rejection, Mailman 2 (the list address from X-BeenThere).
        let moderated = "has been rejected by the list moderator. The moderator gave the\nfollowing reason:\n\n\"Non-members are not allowed to post to this list.\"\n";
        let r = refusal(moderated, true, Some("announce@lists.example.org".into()), &src).expect("moderator notice");
        assert_eq!(r.recipient.as_deref(), Some("announce@lists.example.org"));
        assert!(r.text.starts_with("Non-members are not allowed to post to this list"));
        assert!(refusal(fml, false, None, &src).is_none(), "no list header: no notice");
        assert!(refusal("Thanks for joining.\n", true, None, &src).is_none());
    }
}
