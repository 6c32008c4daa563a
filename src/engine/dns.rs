//! MX lookups over DNS with hickory-resolver, results as plain data.
//!
//! [`lookup_mx`] is async and cancel-safe: dropping its future (or losing a
//! `tokio::select!` race) stops every query it started. Callers without a
//! runtime (the CLI, GUI worker threads) use [`lookup_mx_blocking`], which
//! runs the lookup on a small current-thread runtime and stops early when a
//! [`CancelToken`] fires. Every lookup is bounded in time, so nothing waits
//! forever on a silent server.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as HDnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData};
use hickory_resolver::{ResolverBuilder, TokioResolver};
use serde::Serialize;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::i18n::{tr, tr_fmt};

/// How to reach DNS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupOptions {
    /// One DNS server to ask (`IP:PORT`); `None` = the system configuration.
    pub nameserver: Option<SocketAddr>,
    /// How long to wait for one answer.
    pub timeout: Duration,
    /// How many times to ask before giving up on a server.
    pub attempts: usize,
}

impl Default for LookupOptions {
    /// System configuration, 2 s timeout, 2 attempts: a dead server is
    /// reported in a few seconds rather than the resolver's usual 10+.
    fn default() -> Self {
        LookupOptions { nameserver: None, timeout: Duration::from_secs(2), attempts: 2 }
    }
}

/// One MX host of a domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MxHost {
    /// MX preference: lower is tried first.
    pub preference: u16,
    /// Host name, ASCII (punycode), without the trailing dot.
    pub host: String,
    /// A and AAAA addresses of the host, IPv4 first.
    pub addresses: Vec<IpAddr>,
    /// Why `addresses` may be incomplete (e.g. the A lookup timed out);
    /// `None` when both lookups answered, even with no record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_error: Option<String>,
}

/// The mail hosts of a domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MxReport {
    /// The domain asked for, normalized (ASCII, no trailing dot).
    pub domain: String,
    /// Hosts sorted by preference, then name.
    pub hosts: Vec<MxHost>,
    /// True when the domain has no MX record and mail goes to its own A/AAAA
    /// address (the implicit MX of RFC 5321 §5.1).
    pub implicit: bool,
}

/// Why an MX lookup gave no usable mail host.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// The input is not a domain name.
    #[error("{}", crate::i18n::tr_fmt("errors.dns_invalid_name", &[("input", .input), ("reason", .reason)]))]
    InvalidName {
        /// What the user typed (shortened when very long).
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// NXDOMAIN.
    #[error("{}", crate::i18n::tr_fmt("errors.dns_nxdomain", &[("domain", .domain)]))]
    NxDomain {
        /// The domain.
        domain: String,
    },
    /// No MX and no A/AAAA: nowhere to deliver.
    #[error("{}", crate::i18n::tr_fmt("errors.dns_no_mail_host", &[("domain", .domain)]))]
    NoMailHost {
        /// The domain.
        domain: String,
    },
    /// The domain publishes a Null MX (`MX 0 .`).
    #[error("{}", crate::i18n::tr_fmt("errors.dns_null_mx", &[("domain", .domain)]))]
    NullMx {
        /// The domain.
        domain: String,
    },
    /// The server answered with an error code (SERVFAIL, REFUSED...).
    #[error("{}", crate::i18n::tr_fmt("errors.dns_server_failure", &[("domain", .domain), ("code", .code)]))]
    ServerFailure {
        /// The domain.
        domain: String,
        /// Response code, e.g. "SERVFAIL" or "REFUSED".
        code: String,
    },
    /// The server did not answer in time.
    #[error("{}", crate::i18n::tr_n("errors.dns_timeout", *.attempts, &[("domain", .domain), ("seconds", &format!("{:.1}", .timeout.as_secs_f64()))]))]
    Timeout {
        /// The domain.
        domain: String,
        /// Timeout of one attempt.
        timeout: Duration,
        /// Attempts made.
        attempts: usize,
    },
    /// The caller cancelled the lookup.
    #[error("{}", crate::i18n::tr_fmt("errors.dns_cancelled", &[("domain", .domain)]))]
    Cancelled {
        /// The domain.
        domain: String,
    },
    /// Anything else (unreadable system configuration, network error, garbage answer).
    #[error("{0}")]
    Other(String),
}

impl DnsError {
    /// Short stable name of the error, for JSON output and scripts.
    pub fn kind(&self) -> &'static str {
        match self {
            DnsError::InvalidName { .. } => "invalid_name",
            DnsError::NxDomain { .. } => "nxdomain",
            DnsError::NoMailHost { .. } => "no_mail_host",
            DnsError::NullMx { .. } => "null_mx",
            DnsError::ServerFailure { .. } => "server_failure",
            DnsError::Timeout { .. } => "timeout",
            DnsError::Cancelled { .. } => "cancelled",
            DnsError::Other(_) => "other",
        }
    }

    /// True when DNS answered and the answer is "no mail here" (NXDOMAIN, no
    /// host, Null MX), as opposed to not getting an answer at all.
    pub fn is_definite(&self) -> bool {
        matches!(self, DnsError::NxDomain { .. } | DnsError::NoMailHost { .. } | DnsError::NullMx { .. })
    }
}

/// Stops a running [`lookup_mx_blocking`] from another thread: the GUI keeps a
/// clone and calls [`CancelToken::cancel`] from its Cancel button.
#[derive(Clone, Debug, Default)]
pub struct CancelToken {
    inner: Arc<(AtomicBool, Notify)>,
}

impl CancelToken {
    /// A token that has not fired.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fires the token; every lookup watching it returns `Cancelled` promptly.
    pub fn cancel(&self) {
        self.inner.0.store(true, Ordering::SeqCst);
        self.inner.1.notify_waiters();
    }

    /// Whether the token has fired.
    pub fn is_cancelled(&self) -> bool {
        self.inner.0.load(Ordering::SeqCst)
    }

    /// Resolves once the token fires; race it against [`lookup_mx`] in async code.
    pub async fn cancelled(&self) {
        loop {
            // Register before checking the flag so a cancel in between is not lost.
            let notified = self.inner.1.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

const MAX_NAME: usize = 253;
const MAX_LABEL: usize = 63;

/// Turns a domain or a recipient address into an ASCII domain: the part after
/// the last `@`, trimmed, without `<>` or a trailing dot, IDN labels in
/// punycode, lower case. Rejects spaces, empty labels and over-long names.
pub fn normalize_domain(input: &str) -> Result<String, DnsError> {
    let invalid = |reason: String| DnsError::InvalidName { input: shorten(input.trim(), 60), reason };
    let mut s = input.trim().trim_start_matches('<').trim_end_matches('>').trim();
    if let Some(at) = s.rfind('@') {
        s = &s[at + 1..];
    }
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() {
        return Err(invalid(tr("errors.dns_empty").into()));
    }
    if s.chars().any(char::is_whitespace) {
        return Err(invalid(tr("errors.dns_spaces").into()));
    }
    if let Some(c) = s.chars().find(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))) {
        return Err(invalid(tr_fmt("errors.dns_bad_char", &[("char", &c)])));
    }
    // Checked before punycode conversion too, so a huge input is not processed.
    if s.len() > 4 * MAX_NAME {
        return Err(invalid(tr_fmt("errors.dns_too_long", &[("count", &s.chars().count()), ("max", &MAX_NAME)])));
    }
    let ascii = idna::domain_to_ascii_cow(s.as_bytes(), idna::AsciiDenyList::URL)
        .map_err(|_| invalid(tr("errors.dns_bad_idn").into()))?
        .into_owned();
    if ascii.len() > MAX_NAME {
        return Err(invalid(tr_fmt("errors.dns_too_long", &[("count", &ascii.len()), ("max", &MAX_NAME)])));
    }
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err(invalid(tr("errors.dns_empty_label").into()));
        }
        if label.len() > MAX_LABEL {
            return Err(invalid(tr_fmt(
                "errors.dns_long_label",
                &[("label", &shorten(label, 20)), ("count", &label.len()), ("max", &MAX_LABEL)],
            )));
        }
    }
    Ok(ascii)
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}…", s.chars().take(max).collect::<String>()) }
}

/// Looks up the MX hosts of `input` (a domain or an address) and the A/AAAA
/// addresses of each. Falls back on the implicit MX when the domain has no MX
/// but has an address. Cancel by dropping the future.
pub async fn lookup_mx(input: &str, opts: &LookupOptions) -> Result<MxReport, DnsError> {
    let domain = normalize_domain(input)?;
    let resolver = build_resolver(opts)?;
    // Belt and braces over the resolver's own timeouts: MX, then addresses,
    // each at most attempts × timeout, plus slack.
    let attempts = u32::try_from(opts.attempts.clamp(1, 100)).unwrap_or(100);
    let budget =
        opts.timeout.min(Duration::from_secs(3600)).saturating_mul(attempts).saturating_mul(3).saturating_add(Duration::from_secs(1));
    match tokio::time::timeout(budget, lookup_inner(&resolver, &domain, opts)).await {
        Ok(r) => r,
        Err(_) => Err(timeout_err(&domain, opts)),
    }
}

/// [`lookup_mx`] for threads without a runtime: builds a current-thread tokio
/// runtime, runs the lookup, and returns `Cancelled` as soon as `cancel` fires.
pub fn lookup_mx_blocking(input: &str, opts: &LookupOptions, cancel: Option<&CancelToken>) -> Result<MxReport, DnsError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DnsError::Other(tr_fmt("errors.dns_runtime", &[("error", &e)])))?;
    let never = CancelToken::new();
    let cancel = cancel.unwrap_or(&never);
    rt.block_on(async {
        tokio::select! {
            r = lookup_mx(input, opts) => r,
            () = cancel.cancelled() => Err(DnsError::Cancelled {
                domain: normalize_domain(input).unwrap_or_else(|_| input.trim().to_string()),
            }),
        }
    })
}

/// The DNS servers a lookup with `opts` asks, as `IP:PORT`: the configured
/// one, else those of the system configuration (empty when it cannot be read).
pub fn resolvers(opts: &LookupOptions) -> Vec<SocketAddr> {
    match opts.nameserver {
        Some(ns) => vec![ns],
        None => hickory_resolver::system_conf::read_system_conf()
            .map(|(cfg, _)| {
                cfg.name_servers().iter().map(|ns| SocketAddr::new(ns.ip, ns.connections.first().map_or(53, |c| c.port))).collect()
            })
            .unwrap_or_default(),
    }
}

fn build_resolver(opts: &LookupOptions) -> Result<TokioResolver, DnsError> {
    let provider = TokioRuntimeProvider::default();
    let mut builder: ResolverBuilder<TokioRuntimeProvider> = match opts.nameserver {
        Some(ns) => {
            // UDP first; TCP on the same port for truncated (large) answers.
            let conns = [ConnectionConfig::udp(), ConnectionConfig::tcp()].map(|mut c| {
                c.port = ns.port();
                c
            });
            let server = NameServerConfig::new(ns.ip(), true, conns.to_vec());
            let cfg = ResolverConfig::from_name_servers(vec![server]);
            TokioResolver::builder_with_config(cfg, provider)
        }
        None => TokioResolver::builder(provider).map_err(|e| DnsError::Other(tr_fmt("errors.dns_system_config", &[("error", &e)])))?,
    };
    let o: &mut ResolverOpts = builder.options_mut();
    // Clamped: a zero or absurd value from settings must not panic or hang.
    o.timeout = opts.timeout.clamp(Duration::from_millis(10), Duration::from_secs(3600));
    o.attempts = opts.attempts.clamp(1, 100);
    // A DNS tool: /etc/hosts would hide what mail servers actually see.
    o.use_hosts_file = ResolveHosts::Never;
    o.cache_size = 0;
    builder.build().map_err(|e| DnsError::Other(tr_fmt("errors.dns_resolver", &[("error", &e)])))
}

async fn lookup_inner(resolver: &TokioResolver, domain: &str, opts: &LookupOptions) -> Result<MxReport, DnsError> {
    // Fully qualified, so no search domain is ever appended.
    let name =
        Name::from_ascii(format!("{domain}.")).map_err(|e| DnsError::InvalidName { input: domain.to_string(), reason: e.to_string() })?;
    let mut mx: Vec<(u16, Name)> = match resolver.mx_lookup(name.clone()).await {
        Ok(lookup) => lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::MX(m) => Some((m.preference, m.exchange.clone())),
                _ => None,
            })
            .collect(),
        Err(e) if is_no_data(&e) => Vec::new(),
        Err(e) => return Err(map_err(e, domain, opts)),
    };
    if !mx.is_empty() && mx.iter().all(|(_, n)| n.is_root()) {
        return Err(DnsError::NullMx { domain: domain.to_string() });
    }
    // A Null MX mixed with real hosts is a misconfiguration: use the real ones.
    mx.retain(|(_, n)| !n.is_root());
    if mx.is_empty() {
        let (addresses, err) = addresses_of(resolver.clone(), name, domain, opts).await;
        if let Some(e) = err.filter(|_| addresses.is_empty()) {
            return Err(e);
        }
        if addresses.is_empty() {
            return Err(DnsError::NoMailHost { domain: domain.to_string() });
        }
        let host = MxHost { preference: 0, host: domain.to_string(), addresses, address_error: None };
        return Ok(MxReport { domain: domain.to_string(), hosts: vec![host], implicit: true });
    }
    mx.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    mx.dedup();
    // Address lookups of all hosts run concurrently; the JoinSet aborts them
    // if this future is dropped.
    let mut tasks = JoinSet::new();
    for (i, (_, host)) in mx.iter().enumerate() {
        let (resolver, host, opts) = (resolver.clone(), host.clone(), opts.clone());
        let shown = host_string(&host);
        tasks.spawn(async move { (i, addresses_of(resolver, host, &shown, &opts).await) });
    }
    let mut found: Vec<(Vec<IpAddr>, Option<String>)> = vec![(Vec::new(), None); mx.len()];
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, (addrs, err))) = joined {
            found[i] = (addrs, err.map(|e| e.to_string()));
        }
    }
    let mut hosts: Vec<MxHost> = mx
        .iter()
        .zip(found)
        .map(|((pref, host), (addresses, address_error))| MxHost { preference: *pref, host: host_string(host), addresses, address_error })
        .collect();
    hosts.sort_by(|a, b| a.preference.cmp(&b.preference).then_with(|| a.host.cmp(&b.host)));
    Ok(MxReport { domain: domain.to_string(), hosts, implicit: false })
}

/// A and AAAA of `name`, concurrently; the error is the first real failure
/// (not "no record"), reported alongside whatever was found.
async fn addresses_of(resolver: TokioResolver, name: Name, shown: &str, opts: &LookupOptions) -> (Vec<IpAddr>, Option<DnsError>) {
    let (v4, v6) = tokio::join!(resolver.ipv4_lookup(name.clone()), resolver.ipv6_lookup(name));
    let mut addrs = BTreeSet::new();
    let mut v6s = BTreeSet::new();
    let mut err = None;
    for (res, v6set) in [(v4, false), (v6, true)] {
        match res {
            Ok(lookup) => {
                for r in lookup.answers() {
                    match &r.data {
                        RData::A(a) if !v6set => {
                            addrs.insert(IpAddr::V4(a.0));
                        }
                        RData::AAAA(a) if v6set => {
                            v6s.insert(IpAddr::V6(a.0));
                        }
                        _ => {}
                    }
                }
            }
            Err(e) if is_no_data(&e) || e.is_nx_domain() => {
                if e.is_nx_domain() && err.is_none() {
                    err = Some(DnsError::NxDomain { domain: shown.to_string() });
                }
            }
            Err(e) => {
                if err.as_ref().is_none_or(|e| e.is_definite()) {
                    err = Some(map_err(e, shown, opts));
                }
            }
        }
    }
    let out: Vec<IpAddr> = addrs.into_iter().chain(v6s).collect();
    (out, err)
}

fn host_string(name: &Name) -> String {
    let s = name.to_ascii();
    s.strip_suffix('.').unwrap_or(&s).to_ascii_lowercase()
}

/// The name exists but has no record of the asked type (NOERROR, no answer).
fn is_no_data(e: &NetError) -> bool {
    matches!(e, NetError::Dns(HDnsError::NoRecordsFound(nr)) if nr.response_code == ResponseCode::NoError)
}

fn timeout_err(domain: &str, opts: &LookupOptions) -> DnsError {
    DnsError::Timeout { domain: domain.to_string(), timeout: opts.timeout, attempts: opts.attempts.max(1) }
}

fn map_err(e: NetError, domain: &str, opts: &LookupOptions) -> DnsError {
    let domain = domain.to_string();
    if e.is_nx_domain() {
        return DnsError::NxDomain { domain };
    }
    match e {
        NetError::Timeout | NetError::NoConnections => timeout_err(&domain, opts),
        NetError::Dns(HDnsError::ResponseCode(code)) => DnsError::ServerFailure { domain, code: code.to_str().to_string() },
        NetError::Dns(HDnsError::NoRecordsFound(nr)) => DnsError::ServerFailure { domain, code: nr.response_code.to_str().to_string() },
        NetError::Proto(p) => DnsError::Other(tr_fmt("errors.dns_unreadable_answer", &[("domain", &domain), ("error", &p)])),
        NetError::Io(io) => DnsError::Other(tr_fmt("errors.dns_unreachable", &[("domain", &domain), ("error", &io)])),
        e => DnsError::Other(tr_fmt("errors.dns_failed", &[("domain", &domain), ("error", &e)])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize() {
        assert_eq!(normalize_domain(" Bob@Example.COM. ").as_deref(), Ok("example.com"));
        assert_eq!(normalize_domain("<a@b@münchen.de>").as_deref(), Ok("xn--mnchen-3ya.de"));
        assert!(matches!(normalize_domain("exa mple.com"), Err(DnsError::InvalidName { .. })));
        assert!(matches!(normalize_domain("a..b"), Err(DnsError::InvalidName { .. })));
        assert!(matches!(normalize_domain("@"), Err(DnsError::InvalidName { .. })));
        assert!(matches!(normalize_domain(&"a".repeat(64)), Err(DnsError::InvalidName { .. })));
    }

    #[test]
    fn cancel_token_fires_once_cancelled() {
        let t = CancelToken::new();
        assert!(!t.is_cancelled());
        let t2 = t.clone();
        t2.cancel();
        assert!(t.is_cancelled());
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(t.cancelled());
    }
}
