use bouncelab::engine::{Classifier, smtp};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parser_never_panics_and_ranges_are_valid(s in any::<String>()) {
        let r = smtp::parse(&s);
        prop_assert!(r.text.start <= r.text.end && r.text.end <= s.len());
        prop_assert!(s.is_char_boundary(r.text.start) && s.is_char_boundary(r.text.end));
        let _ = smtp::dsn_recipients(&s);
    }

    #[test]
    fn parser_survives_smtp_like_noise(s in "[0-9 .;:#\\-\\n\\r\\t]{0,64}(Diagnostic-Code|Status|smtp)?[;: 0-9.a-z\\n]{0,64}") {
        let r = smtp::parse(&s);
        prop_assert!(r.text.end <= s.len());
        if let Some(c) = r.basic_code { prop_assert!((200..=599).contains(&c)); }
        if let Some(e) = r.enhanced_code { prop_assert!(matches!(e.class, 2 | 4 | 5)); }
    }

    #[test]
    fn reply_codes_round_trip(first in prop::sample::select(vec![2u16, 4, 5]), second in 0u16..=5, third in 0u16..=9, class in prop::sample::select(vec![2u8, 4, 5]), subj in 0u16..8, det in 0u16..30, tail in "[a-zA-Z ]{0,30}") {
        let code = first * 100 + second * 10 + third;
        let text = format!("{code} {class}.{subj}.{det} {tail}");
        let r = smtp::parse(&text);
        prop_assert_eq!(r.basic_code, Some(code));
        prop_assert_eq!(r.enhanced_code.map(|e| e.to_string()), Some(format!("{class}.{subj}.{det}")));
    }

    #[test]
    fn classifier_spans_are_in_bounds(s in any::<String>()) {
        thread_local!(static C: Classifier = Classifier::new(&crate::default_doc()));
        C.with(|c| {
            let v = c.classify(&s);
            if let Some(span) = v.span {
                assert!(span.start <= span.end && span.end <= s.len());
            }
        });
    }
}
