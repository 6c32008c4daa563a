//! `bouncelab mx`: MX hosts of a domain and the MX rule that applies to each.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::ValueEnum;
use serde::Serialize;

use crate::engine::dns::{self, LookupOptions, MxReport};
use crate::engine::mx::{self, Limits, MxRule, ThroughputLevel, Timeouts};
use crate::i18n::{tr, tr_fmt};

/// Output format of `mx`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum MxFormat {
    /// An aligned table.
    Text,
    /// One JSON object.
    Json,
}

/// Arguments of `bouncelab mx`.
///
/// Exit status: 0 when mail hosts were found; 1 when DNS says the domain takes
/// no mail (NXDOMAIN, no MX and no address, Null MX); 2 when no answer could
/// be had (timeout, server failure, invalid name, unreadable rules).
#[derive(clap::Args, Debug)]
pub struct MxArgs {
    /// Domain or recipient address (IDN allowed).
    pub domain: String,
    /// Rule file (default: sample_rules/default.ron, else the built-in copy).
    #[arg(long, short)]
    pub rules: Option<PathBuf>,
    /// Throughput level whose limits are shown: Slow, Normal, Fast, "Very fast", Boost, Custom or 1-6.
    #[arg(long, default_value = "Normal")]
    pub level: String,
    /// Sending IP identifier the rules are matched for (default: any).
    #[arg(long)]
    pub id: Option<u32>,
    /// DNS server to ask, IP or IP:PORT (default: the system configuration).
    #[arg(long, value_parser = parse_nameserver)]
    pub nameserver: Option<SocketAddr>,
    /// Seconds to wait for each DNS answer (2 attempts are made).
    #[arg(long, default_value_t = 2.0)]
    pub timeout: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = MxFormat::Text)]
    pub format: MxFormat,
}

/// Accepts `IP:PORT`, `[v6]:PORT` or a bare IP (port 53).
fn parse_nameserver(s: &str) -> std::result::Result<SocketAddr, String> {
    let s = s.trim();
    s.parse::<SocketAddr>()
        .or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| format!("'{s}' is not an IP address or IP:PORT (e.g. 127.0.0.1:53, [::1]:53)"))
}

/// Runs `bouncelab mx`.
pub fn run(args: MxArgs) -> Result<i32> {
    let Some(level) = ThroughputLevel::parse(&args.level) else {
        let names: Vec<&str> = ThroughputLevel::ALL.iter().map(|l| l.label()).collect();
        bail!("{}", tr_fmt("cli.mx_unknown_level", &[("level", &args.level), ("names", &names.join(", "))]));
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 60.0) {
        bail!("{}", tr_fmt("cli.mx_timeout", &[("got", &args.timeout)]));
    }
    let (doc, _) = super::load_rules(args.rules.as_deref())?;
    let opts = LookupOptions { nameserver: args.nameserver, timeout: Duration::from_secs_f64(args.timeout), ..LookupOptions::default() };
    match dns::lookup_mx_blocking(&args.domain, &opts, None) {
        Ok(report) => {
            let out = MxOut::new(&report, &doc.mx_rules, level, args.id);
            match args.format {
                MxFormat::Json => println!("{}", serde_json::to_string_pretty(&out)?),
                MxFormat::Text => print!("{}", text_table(&out, level)),
            }
            Ok(0)
        }
        Err(e) => {
            if args.format == MxFormat::Json {
                let err = ErrorOut { domain: &args.domain, error: ErrorBody { kind: e.kind(), message: e.to_string() } };
                println!("{}", serde_json::to_string_pretty(&err)?);
            }
            if e.is_definite() {
                super::error(&e);
                Ok(1)
            } else {
                Err(e.into())
            }
        }
    }
}

/// The JSON shape of a successful lookup.
#[derive(Serialize)]
struct MxOut<'a> {
    domain: &'a str,
    implicit: bool,
    level: &'static str,
    hosts: Vec<HostOut<'a>>,
}

#[derive(Serialize)]
struct HostOut<'a> {
    preference: u16,
    host: &'a str,
    addresses: &'a [IpAddr],
    #[serde(skip_serializing_if = "Option::is_none")]
    address_error: Option<&'a str>,
    /// None when no rule matches (no catch-all).
    rule: Option<RuleOut<'a>>,
}

#[derive(Serialize)]
struct RuleOut<'a> {
    /// 1-based, as shown in the editor.
    number: usize,
    mask: &'a str,
    shared: bool,
    limits: Limits,
    timeouts: Timeouts,
    tls: &'static str,
    /// Later rules whose mask matches too (1-based).
    shadowed: Vec<usize>,
    #[serde(skip_serializing_if = "is_empty")]
    note: &'a str,
}

fn is_empty(s: &&str) -> bool {
    s.is_empty()
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    domain: &'a str,
    error: ErrorBody,
}

#[derive(Serialize)]
struct ErrorBody {
    kind: &'static str,
    message: String,
}

impl<'a> MxOut<'a> {
    fn new(report: &'a MxReport, rules: &'a [MxRule], level: ThroughputLevel, id: Option<u32>) -> Self {
        let hosts = report
            .hosts
            .iter()
            .map(|h| {
                let m = mx::find_rule(rules, &h.host, id);
                let rule = m.rule.and_then(|i| rules.get(i).map(|r| (i, r))).map(|(i, r)| RuleOut {
                    number: i + 1,
                    mask: &r.mask,
                    shared: r.shared,
                    limits: r.limits(level),
                    timeouts: r.timeouts,
                    tls: r.tls.label(),
                    shadowed: m.shadowed.iter().map(|s| s + 1).collect(),
                    note: &r.note,
                });
                HostOut {
                    preference: h.preference,
                    host: &h.host,
                    addresses: &h.addresses,
                    address_error: h.address_error.as_deref(),
                    rule,
                }
            })
            .collect();
        MxOut { domain: &report.domain, implicit: report.implicit, level: level.label(), hosts }
    }
}

/// The human-readable table: headings and notes in the current language, values as in the JSON.
fn text_table(out: &MxOut, level: ThroughputLevel) -> String {
    let mut s = tr_fmt("cli.mx_heading", &[("domain", &out.domain), ("level", &level.display_label())]);
    s.push('\n');
    if out.implicit {
        s.push_str(tr("cli.mx_implicit"));
        s.push('\n');
    }
    let header = [
        tr("cli.mx_col_pref"),
        tr("cli.mx_col_host"),
        tr("cli.mx_col_rule"),
        tr("cli.mx_col_conn"),
        tr("cli.mx_col_per_conn"),
        tr("cli.mx_col_per_hour"),
        tr("cli.mx_col_addresses"),
    ];
    let mut rows: Vec<[String; 7]> = Vec::new();
    for h in &out.hosts {
        let (rule, conn, per, hour) = match &h.rule {
            Some(r) => (
                format!("#{} {}{}", r.number, r.mask, if r.shared { tr("cli.mx_shared") } else { "" }),
                r.limits.max_connections.to_string(),
                r.limits.max_msgs_per_connection.to_string(),
                r.limits.msgs_per_hour.to_string(),
            ),
            None => (tr("cli.mx_no_rule").into(), "-".into(), "-".into(), "-".into()),
        };
        let addrs = if h.addresses.is_empty() {
            match h.address_error {
                Some(e) => tr_fmt("cli.mx_no_address_error", &[("error", &e)]),
                None => tr("cli.mx_no_address").to_owned(),
            }
        } else {
            h.addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
        };
        rows.push([h.preference.to_string(), h.host.to_string(), rule, conn, per, hour, addrs]);
    }
    let mut widths = header.map(super::display_width);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(super::display_width(c));
        }
    }
    let mut line = |cells: &[&str]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let w = widths[i];
            let pad = w.saturating_sub(super::display_width(c));
            // Numbers right-aligned, text left-aligned; the last column is not padded.
            if i == cells.len() - 1 {
                l.push_str(c);
            } else if matches!(i, 0 | 3 | 4 | 5) {
                l.push_str(&" ".repeat(pad));
                l.push_str(c);
                l.push_str("  ");
            } else {
                l.push_str(c);
                l.push_str(&" ".repeat(pad + 2));
            }
        }
        s.push_str(l.trim_end());
        s.push('\n');
    };
    line(&header);
    for r in &rows {
        line(&r.each_ref().map(String::as_str));
    }
    s
}
