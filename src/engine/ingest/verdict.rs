//! Classifying a [`Record`]: the rules see its text in its SMTP phase; what
//! the input itself says (an auto-reply, a feedback report, a success DSN)
//! decides before any rule.

use crate::engine::classify::{Classifier, DecidedBy, Verdict};

use super::record::{Action, Record, RecordKind};

impl Record {
    /// The category the record's own kind gives, before any rule: an
    /// auto-reply, a feedback report, a success DSN.
    pub fn own_category(&self) -> Option<&'static str> {
        match (self.kind, self.action) {
            (RecordKind::AutoReply, _) => Some("vacation"),
            (RecordKind::Feedback, _) => Some("feedback"),
            (_, Some(Action::Delivered | Action::Relayed | Action::Expanded)) => Some("delivered"),
            _ => None,
        }
    }
}

impl Classifier {
    /// Classifies one record. Auto-replies, feedback reports and success DSNs
    /// get the rule set's `vacation` / `feedback` / `delivered` category when
    /// it has one; everything else goes through the rules, in the record's
    /// SMTP phase, then the code fallbacks (the DSN `Status` among them).
    pub fn classify_record(&self, r: &Record) -> Verdict {
        if let Some(c) = r.own_category().and_then(|id| self.category_index(id)) {
            let cat = &self.categories()[c as usize];
            return Verdict {
                failure_type: cat.failure_type,
                reason: cat.reason,
                category: c,
                rule: None,
                decided_by: DecidedBy::Input,
                basic_code: r.reply_code,
                enhanced_code: r.enhanced_code,
                span: None,
            };
        }
        let mut v = self.classify_in_phase(&r.text, r.phase);
        v.basic_code = v.basic_code.or(r.reply_code);
        v.enhanced_code = v.enhanced_code.or(r.enhanced_code);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ruleset::BounceRule;
    use crate::engine::smtp::Phase;

    #[test]
    fn phase_rules_apply_only_in_their_phase() {
        let mut doc = crate::engine::default_rules();
        let mut late = BounceRule::new("late unknown", r"user unknown", "filtered");
        late.phases = vec![Phase::Data, Phase::EndOfData];
        doc.bounce_rules.insert(0, late);
        let c = Classifier::new(&doc);
        let mut r = Record::plain("550 5.1.1 user unknown", Default::default());
        assert_eq!(c.category(&c.classify_record(&r)).id, "userunknown");
        r.phase = Some(Phase::RcptTo);
        assert_eq!(c.category(&c.classify_record(&r)).id, "userunknown");
        r.phase = Some(Phase::EndOfData);
        assert_eq!(c.category(&c.classify_record(&r)).id, "filtered");
        r.kind = RecordKind::AutoReply;
        let v = c.classify_record(&r);
        assert_eq!((c.category(&v).id.as_str(), v.decided_by), ("vacation", DecidedBy::Input));
    }
}
