//! The tester's view of a text: every rule that matches, with its span, and
//! the plain per-rule loop ([`Classifier::explain_reference`]) the fast path is tested against.

use super::{CANDIDATES, Classifier, Explanation, RuleMatch, original_span, read_reply, set_bits};
use crate::engine::smtp::Phase;

impl Classifier {
    /// Classifies and lists every matching rule with its span.
    pub fn explain(&self, text: &str) -> Explanation {
        self.explain_in_phase(text, None)
    }

    /// Like [`Classifier::explain`] for a text said in a known SMTP phase:
    /// rules limited to other phases are left out.
    pub fn explain_in_phase(&self, text: &str, phase: Option<Phase>) -> Explanation {
        self.explain_with(text, phase, false)
    }

    /// [`Classifier::explain`] the plain way: every rule's regex on the text,
    /// in list order, no prefilter. The fast paths are tested against it.
    pub fn explain_reference(&self, text: &str) -> Explanation {
        self.explain_with(text, None, true)
    }

    fn explain_with(&self, text: &str, phase: Option<Phase>, reference: bool) -> Explanation {
        let (reply, unfolded) = read_reply(text);
        let offset = reply.text.start;
        let body = unfolded.as_ref().map_or(&text[reply.text.clone()], |u| u.text.as_str());
        let map = |m: std::ops::Range<usize>| original_span(unfolded.as_ref(), offset, m);
        let mut found = Vec::new();
        if reference {
            for i in (0..self.rules.len()).filter(|&i| self.rules[i].applies_in(phase)) {
                if let Some(m) = self.whole_regex(i).and_then(|re| re.find(body)) {
                    found.push((i, map(m.range())));
                }
            }
        } else {
            CANDIDATES.with(|bits| {
                let mut bits = bits.borrow_mut();
                self.prefilter.candidates(body, &mut bits);
                let mut last = None;
                for u in set_bits(&bits) {
                    let rule = self.units[u].rule as usize;
                    if last == Some(rule) || !self.rules[rule].applies_in(phase) {
                        continue;
                    }
                    last = Some(rule);
                    if let Some(m) = self.rule_find(u, body, &bits) {
                        found.push((rule, map(m)));
                    }
                }
            });
        }
        let verdict = match found.first() {
            Some(&(i, span)) => self.rule_verdict(i, &reply, Some(span)),
            None => self.fallback_verdict(&reply),
        };
        let matches = found.into_iter().map(|(i, span)| RuleMatch { rule: self.rules[i].doc_index, span }).collect();
        Explanation { reply, matches, verdict }
    }
}
