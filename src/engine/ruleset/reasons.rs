//! Edits and checks of the reason table that keep the rest of the rule set consistent:
//! a reason's id is referenced by categories and by rules' reason overrides.

use super::RuleSet;

/// The longest reason id accepted (ids end up in exports and reports).
pub const MAX_REASON_ID: usize = 64;

/// Why a reason id cannot be given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReasonIdError {
    /// The new id is empty.
    #[error("the id is empty")]
    Empty,
    /// The new id has characters other than ASCII letters, digits, `_` and `-`, or is too long.
    #[error("the id may hold only ASCII letters, digits, '_' and '-' (at most {MAX_REASON_ID})")]
    Characters,
    /// Another reason has this id.
    #[error("another reason has the id {0}")]
    Taken(String),
    /// No reason has the old id.
    #[error("no reason has the id {0}")]
    Unknown(String),
}

/// What is wrong with a reason's label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelProblem {
    /// The label is blank: reports and the tester would show nothing.
    Empty,
    /// The label is the same (ignoring case and surrounding blanks) as that of the reason at this index.
    SameAs(usize),
}

impl RuleSet {
    /// Gives the reason `old` the id `new`, in the reason table and everywhere it is referenced
    /// (categories, rules' reason overrides). Returns how many references changed.
    pub fn rename_reason(&mut self, old: &str, new: &str) -> Result<usize, ReasonIdError> {
        let new = new.trim();
        if new.is_empty() {
            return Err(ReasonIdError::Empty);
        }
        if new.len() > MAX_REASON_ID || !new.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(ReasonIdError::Characters);
        }
        let Some(k) = self.reasons.iter().position(|r| r.id == old) else {
            return Err(ReasonIdError::Unknown(old.to_owned()));
        };
        if new == old {
            return Ok(0);
        }
        if self.reasons.iter().any(|r| r.id == new) {
            return Err(ReasonIdError::Taken(new.to_owned()));
        }
        self.reasons[k].id = new.to_owned();
        let mut changed = 0;
        for c in self.categories.iter_mut().filter(|c| c.reason == old) {
            c.reason = new.to_owned();
            changed += 1;
        }
        for r in self.bounce_rules.iter_mut().filter(|r| r.reason.as_deref() == Some(old)) {
            r.reason = Some(new.to_owned());
            changed += 1;
        }
        Ok(changed)
    }

    /// Reasons whose label is blank or repeats an earlier reason's, by index (a repeated label
    /// is reported on the later reason): people read labels, so two alike cannot be told apart.
    pub fn reason_label_problems(&self) -> Vec<(usize, LabelProblem)> {
        let mut seen: Vec<(String, usize)> = Vec::new();
        let mut out = Vec::new();
        for (i, r) in self.reasons.iter().enumerate() {
            let key = r.label.trim().to_lowercase();
            if key.is_empty() {
                out.push((i, LabelProblem::Empty));
            } else if let Some(&(_, first)) = seen.iter().find(|(k, _)| *k == key) {
                out.push((i, LabelProblem::SameAs(first)));
            } else {
                seen.push((key, i));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ruleset::BounceRule;

    fn doc() -> RuleSet {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sample_rules/default.ron")).unwrap();
        RuleSet::from_ron_str(&text, std::path::Path::new("default.ron")).unwrap()
    }

    #[test]
    fn renaming_a_reason_follows_its_references() {
        let mut d = doc();
        let cats = d.categories.iter().filter(|c| c.reason == "mailbox_full").count();
        assert!(cats > 0);
        let mut rule = BounceRule::new("override", "quota gone", "mailboxfull");
        rule.reason = Some("mailbox_full".into());
        d.bounce_rules.push(rule);
        assert_eq!(d.rename_reason("mailbox_full", " box_full "), Ok(cats + 1));
        assert!(d.reasons.iter().any(|r| r.id == "box_full") && !d.reasons.iter().any(|r| r.id == "mailbox_full"));
        assert_eq!(d.categories.iter().filter(|c| c.reason == "box_full").count(), cats);
        assert_eq!(d.bounce_rules.last().unwrap().reason.as_deref(), Some("box_full"));
        assert!(d.categories.iter().all(|c| d.reasons.iter().any(|r| r.id == c.reason)), "no dangling reference");
    }

    #[test]
    fn a_bad_reason_id_changes_nothing() {
        let mut d = doc();
        let before = d.clone();
        assert_eq!(d.rename_reason("mailbox_full", "  "), Err(ReasonIdError::Empty));
        assert_eq!(d.rename_reason("mailbox_full", "mailbox full"), Err(ReasonIdError::Characters));
        assert_eq!(d.rename_reason("mailbox_full", &"x".repeat(65)), Err(ReasonIdError::Characters));
        assert_eq!(d.rename_reason("mailbox_full", "user_unknown"), Err(ReasonIdError::Taken("user_unknown".into())));
        assert_eq!(d.rename_reason("no_such", "fine"), Err(ReasonIdError::Unknown("no_such".into())));
        assert_eq!(d.rename_reason("mailbox_full", "mailbox_full"), Ok(0));
        assert_eq!(d, before);
    }

    #[test]
    fn blank_and_repeated_labels_are_found() {
        let mut d = doc();
        assert_eq!(d.reason_label_problems(), vec![], "the shipped labels are fine");
        d.reasons[1].label = " ".into();
        d.reasons[3].label = " user UNKNOWN".into();
        assert_eq!(d.reason_label_problems(), vec![(1, LabelProblem::Empty), (3, LabelProblem::SameAs(0))]);
    }
}
