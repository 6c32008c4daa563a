//! MX rules: host masks, per-level limits, and which rule applies to a host.

use serde::{Deserialize, Serialize};

use crate::i18n::{tr, tr_fmt};

/// The six throughput levels, slowest first (ACC's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub enum ThroughputLevel {
    /// Most cautious: new IPs.
    Slow,
    /// Early warm-up.
    #[default]
    Normal,
    /// Mid warm-up.
    Fast,
    /// Late warm-up.
    VeryFast,
    /// Established IPs.
    Boost,
    /// Analyst-defined.
    Custom,
}

impl ThroughputLevel {
    /// All six, slowest first.
    pub const ALL: [ThroughputLevel; 6] = [
        ThroughputLevel::Slow,
        ThroughputLevel::Normal,
        ThroughputLevel::Fast,
        ThroughputLevel::VeryFast,
        ThroughputLevel::Boost,
        ThroughputLevel::Custom,
    ];

    /// 0-based position, used to index per-level arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// ACC's English label: stable, used by files, JSON and CSV outputs and [`Self::parse`].
    pub fn label(self) -> &'static str {
        ["Slow", "Normal", "Fast", "Very fast", "Boost", "Custom"][self.index()]
    }

    /// The label users read, in the current language.
    pub fn display_label(self) -> &'static str {
        tr([
            "engine.level_slow",
            "engine.level_normal",
            "engine.level_fast",
            "engine.level_very_fast",
            "engine.level_boost",
            "engine.level_custom",
        ][self.index()])
    }

    /// Parses a label or a 1-based number ("very fast", "VeryFast", "4").
    pub fn parse(s: &str) -> Option<ThroughputLevel> {
        let digits: String = s.chars().filter(|c| c.is_alphanumeric()).collect();
        if let Ok(n) = digits.parse::<usize>() {
            return Self::ALL.get(n.checked_sub(1)?).copied();
        }
        let norm_label = |t: &str| t.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
        let norm = norm_label(s);
        // The English name always works (files, scripts); the current language's too (what the UI shows).
        Self::ALL.into_iter().find(|l| norm_label(l.label()) == norm || norm_label(l.display_label()) == norm)
    }
}

/// Limits of one MX rule at one level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Connections open at once to the MX.
    pub max_connections: u32,
    /// Messages sent over one connection before it is closed.
    pub max_msgs_per_connection: u32,
    /// Messages per hour (per IP, or shared across IPs when the rule is shared).
    pub msgs_per_hour: u32,
}

/// Timeouts of one MX rule, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Connecting to the MX.
    pub connect_secs: u32,
    /// A whole SMTP session.
    pub session_secs: u32,
    /// Wait between two messages on one connection.
    pub between_msgs_secs: u32,
}

impl Default for Timeouts {
    /// The example values of ACC's documentation: 10 s / 4 min / 1 min.
    fn default() -> Self {
        Timeouts { connect_secs: 10, session_secs: 240, between_msgs_secs: 60 }
    }
}

/// TLS use towards the MX.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum TlsMode {
    /// The MTA's global setting.
    #[default]
    Default,
    /// Never use TLS.
    Disabled,
    /// Use STARTTLS when offered.
    Opportunistic,
}

impl TlsMode {
    /// All modes.
    pub const ALL: [TlsMode; 3] = [TlsMode::Default, TlsMode::Disabled, TlsMode::Opportunistic];

    /// Stable English label, as in JSON outputs and sync reports.
    pub fn label(self) -> &'static str {
        match self {
            TlsMode::Default => "Default",
            TlsMode::Disabled => "Disabled",
            TlsMode::Opportunistic => "Opportunistic",
        }
    }

    /// The label users read, in the current language.
    pub fn display_label(self) -> &'static str {
        tr(match self {
            TlsMode::Default => "engine.tls_default",
            TlsMode::Disabled => "engine.tls_disabled",
            TlsMode::Opportunistic => "engine.tls_opportunistic",
        })
    }
}

/// The sending IP identifiers a rule applies to (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdRange {
    /// First identifier.
    pub first: u32,
    /// Last identifier.
    pub last: u32,
}

/// One MX rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MxRule {
    /// Host mask with `*` and `?`, matched against the MX host name.
    pub mask: String,
    /// Which sending IP identifiers the rule applies to; `None` = all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<IdRange>,
    /// Limits shared across all IPs (true) or per IP (false).
    #[serde(default)]
    pub shared: bool,
    /// Limits per level, slowest first.
    pub levels: [Limits; 6],
    /// Timeouts.
    #[serde(default)]
    pub timeouts: Timeouts,
    /// TLS mode.
    #[serde(default)]
    pub tls: TlsMode,
    /// Where the numbers come from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl MxRule {
    /// A rule with the given mask and the same limits at every level.
    pub fn new(mask: impl Into<String>, limits: Limits) -> MxRule {
        MxRule {
            mask: mask.into(),
            ids: None,
            shared: false,
            levels: [limits; 6],
            timeouts: Timeouts::default(),
            tls: TlsMode::Default,
            note: String::new(),
        }
    }

    /// Limits at a level.
    pub fn limits(&self, level: ThroughputLevel) -> Limits {
        self.levels[level.index()]
    }

    /// Whether the rule applies to sending IP identifier `id`.
    pub fn applies_to_id(&self, id: u32) -> bool {
        self.ids.is_none_or(|r| (r.first..=r.last).contains(&id))
    }
}

/// Case-insensitive, anchored glob match: `*` any run, `?` one character.
pub fn mask_matches(mask: &str, host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    if mask.is_ascii() && host.is_ascii() {
        // The same walk over bytes: no allocation (a scenario resolves every provider against every rule).
        return glob_match(mask.as_bytes(), host.as_bytes(), |a, b| a == b'?' || a.eq_ignore_ascii_case(&b), b'*');
    }
    let m: Vec<char> = mask.chars().collect();
    let h: Vec<char> = host.chars().collect();
    glob_match(&m, &h, |a, b| a == '?' || a.eq_ignore_ascii_case(&b), '*')
}

/// Anchored glob walk with backtracking to the last `star`; `eq` says whether a
/// mask item matches a host item.
fn glob_match<T: Copy + PartialEq>(m: &[T], h: &[T], eq: impl Fn(T, T) -> bool, star_item: T) -> bool {
    let (mut mi, mut hi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while hi < h.len() {
        if mi < m.len() && eq(m[mi], h[hi]) {
            mi += 1;
            hi += 1;
        } else if mi < m.len() && m[mi] == star_item {
            star = Some((mi, hi));
            mi += 1;
        } else if let Some((smi, shi)) = star {
            mi = smi + 1;
            hi = shi + 1;
            star = Some((smi, shi + 1));
        } else {
            return false;
        }
    }
    m[mi..].iter().all(|&c| c == star_item)
}

/// Whether every host matched by `later` is also matched by `earlier`, i.e. an
/// earlier rule makes a later one unreachable.
pub fn mask_covers(earlier: &str, later: &str) -> bool {
    let a: Vec<char> = earlier.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = later.chars().map(|c| c.to_ascii_lowercase()).collect();
    // dp[i][j]: a[..i] covers b[..j].
    let mut dp = vec![vec![false; b.len() + 1]; a.len() + 1];
    dp[0][0] = true;
    for i in 1..=a.len() {
        for j in 0..=b.len() {
            dp[i][j] = match a[i - 1] {
                '*' => dp[i - 1][j] || (j > 0 && dp[i][j - 1]),
                '?' => j > 0 && b[j - 1] != '*' && dp[i - 1][j - 1],
                c => j > 0 && b[j - 1] == c && dp[i - 1][j - 1],
            };
        }
    }
    dp[a.len()][b.len()]
}

/// Why a mask is not well-formed, if it is not (in the current language): every problem it has,
/// so a mask with three mistakes is not fixed one message at a time.
pub fn mask_problem(mask: &str) -> Option<String> {
    if mask.trim().is_empty() {
        return Some(tr("lint.mask_empty").to_owned());
    }
    let mut problems = Vec::new();
    let mut bad: Vec<char> = Vec::new();
    for c in mask.chars().filter(|c| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '*' | '?'))) {
        if !bad.contains(&c) {
            bad.push(c);
        }
    }
    for c in bad {
        problems.push(tr_fmt("lint.mask_character", &[("c", &c)]));
    }
    if mask.contains("**") {
        problems.push(tr("lint.mask_double_star").to_owned());
    }
    if mask.contains("..") {
        problems.push(tr("lint.mask_double_dot").to_owned());
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Which rule applies to a host: the first match in list order, and the later
/// rules that also match (shadowed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MxMatch {
    /// Index of the winning rule.
    pub rule: Option<usize>,
    /// Later rules whose mask matches too.
    pub shadowed: Vec<usize>,
}

/// The first rule matching `host` (for IP `id`), as [`find_rule`] gives it, without the shadowed ones.
pub fn first_rule(rules: &[MxRule], host: &str, id: Option<u32>) -> Option<usize> {
    rules.iter().position(|r| id.is_none_or(|id| r.applies_to_id(id)) && mask_matches(&r.mask, host))
}

/// Finds the rule for `host` and sending IP identifier `id` (None = any).
pub fn find_rule(rules: &[MxRule], host: &str, id: Option<u32>) -> MxMatch {
    let mut hits =
        rules.iter().enumerate().filter(|(_, r)| id.is_none_or(|id| r.applies_to_id(id)) && mask_matches(&r.mask, host)).map(|(i, _)| i);
    let rule = hits.next();
    MxMatch { rule, shadowed: hits.collect() }
}

/// Severity of an MX rule problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Suspicious; the rule still works.
    Warning,
    /// The rule cannot work as written.
    Error,
}

/// A problem found in the MX rules (its message in the current language).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MxProblem {
    /// Index of the rule.
    pub rule: usize,
    /// How bad.
    pub severity: Severity,
    /// What.
    pub message: String,
}

/// Checks masks, limits, level order and shadowing.
pub fn validate(rules: &[MxRule]) -> Vec<MxProblem> {
    let mut out = Vec::new();
    let mut push = |rule, severity, message: String| out.push(MxProblem { rule, severity, message });
    for (i, r) in rules.iter().enumerate() {
        if let Some(p) = mask_problem(&r.mask) {
            push(i, Severity::Error, p);
        }
        for (l, lim) in r.levels.iter().enumerate() {
            let name = ThroughputLevel::ALL[l].display_label();
            if lim.max_connections == 0 || lim.max_msgs_per_connection == 0 || lim.msgs_per_hour == 0 {
                push(i, Severity::Error, tr_fmt("lint.mx_zero_limit", &[("level", &name)]));
            }
        }
        // Custom is the analyst's own level: only Slow..Boost must grow.
        for l in 1..5 {
            let (a, b) = (r.levels[l - 1], r.levels[l]);
            if b.max_connections < a.max_connections
                || b.max_msgs_per_connection < a.max_msgs_per_connection
                || b.msgs_per_hour < a.msgs_per_hour
            {
                let (level, slower) = (ThroughputLevel::ALL[l].display_label(), ThroughputLevel::ALL[l - 1].display_label());
                push(i, Severity::Warning, tr_fmt("lint.mx_level_order", &[("level", &level), ("slower", &slower)]));
            }
        }
        if let Some(r2) = r.ids
            && r2.first > r2.last
        {
            push(i, Severity::Error, tr_fmt("lint.mx_empty_ids", &[("first", &r2.first), ("last", &r2.last)]));
        }
        if let Some(j) = rules[..i].iter().position(|e| e.ids.is_none() && mask_covers(&e.mask, &r.mask)) {
            push(i, Severity::Warning, tr_fmt("lint.mx_never_used", &[("n", &(j + 1)), ("mask", &rules[j].mask)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mask_with_several_mistakes_names_each_once() {
        let p = mask_problem("mx .bad..host*[ [").expect("not well-formed");
        for part in ["' '", "'['", "'..'"] {
            assert_eq!(p.matches(part).count(), 1, "{part} in {p}");
        }
        assert_eq!(mask_problem("*.mail.protection.outlook.com"), None);
        assert_eq!(mask_problem("a**b").as_deref(), Some(tr("lint.mask_double_star")));
    }

    #[test]
    fn masks() {
        let cases = [
            ("*.mail.outlook.com", "a-b.mail.protection.outlook.com", false),
            ("*.outlook.com", "x.mail.protection.outlook.com", true),
            ("mx?.free.fr", "mx1.free.fr", true),
            ("mx?.free.fr", "mx10.free.fr", false),
            ("*", "anything", true),
            ("*gmail-smtp-in.l.google.com", "ALT1.GMAIL-SMTP-IN.L.GOOGLE.COM.", true),
            ("", "x", false),
        ];
        for (m, h, want) in cases {
            assert_eq!(mask_matches(m, h), want, "{m} vs {h}");
        }
    }

    #[test]
    fn covering() {
        assert!(mask_covers("*", "*.outlook.com"));
        assert!(mask_covers("*.com", "mx?.foo.com"));
        assert!(!mask_covers("mx?.foo.com", "*.com"));
        assert!(!mask_covers("?x", "*x"));
        assert!(mask_covers("*x", "?x"));
    }

    #[test]
    fn levels_parse() {
        assert_eq!(ThroughputLevel::parse("very fast"), Some(ThroughputLevel::VeryFast));
        assert_eq!(ThroughputLevel::parse("1"), Some(ThroughputLevel::Slow));
        assert_eq!(ThroughputLevel::parse("7"), None);
        assert_eq!(ThroughputLevel::parse("0"), None);
    }

    #[test]
    fn validation_flags_shadowing_and_order() {
        let lim = |n| Limits { max_connections: n, max_msgs_per_connection: n, msgs_per_hour: n * 100 };
        let mut slow_fast = MxRule::new("*.b.com", lim(5));
        slow_fast.levels[2] = lim(1);
        let rules = vec![MxRule::new("*.com", lim(1)), slow_fast, MxRule::new("**", lim(0))];
        let p = validate(&rules);
        assert!(p.iter().any(|p| p.rule == 1 && p.message.contains("never used")));
        assert!(p.iter().any(|p| p.rule == 1 && p.message.contains("lower limits")));
        assert!(p.iter().any(|p| p.rule == 2 && p.severity == Severity::Error && p.message.contains("**")));
        assert!(p.iter().any(|p| p.rule == 2 && p.message.contains("positive")));
        assert!(!p.iter().any(|p| p.rule == 0));
    }
}
