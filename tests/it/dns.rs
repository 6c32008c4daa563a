//! MX lookups against an in-process hickory-server on 127.0.0.1: no internet.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bouncelab::engine::dns::{self, CancelToken, DnsError, LookupOptions};
use bouncelab::engine::mx::{Limits, MxRule};
use hickory_server::Server;
use hickory_server::proto::rr::{LowerName, Name};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};

const ZONE: &str = r#"
$ORIGIN bouncelab.test.
$TTL 300
@           IN SOA  ns.bouncelab.test. admin.bouncelab.test. 1 3600 600 86400 300
multi       IN MX   20 mx2.multi
multi       IN MX   10 mx1.multi
multi       IN MX   10 mx0.multi
multi       IN MX   40 ghost.multi
mx0.multi   IN A    192.0.2.0
mx1.multi   IN A    192.0.2.1
mx1.multi   IN AAAA 2001:db8::1
mx2.multi   IN A    192.0.2.3
mx2.multi   IN A    192.0.2.2
implicit    IN A    192.0.2.10
implicit    IN AAAA 2001:db8::10
nothing     IN TXT  "no mail here"
nullmx      IN MX   0 .
xn--mnchen-3ya IN MX 10 mx1.multi
"#;

/// Address of the shared test server, started once for the whole test binary
/// on its own thread (the thread lives until the process exits).
pub(crate) fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let origin = Name::from_ascii("bouncelab.test.").unwrap();
                let (origin, records) = Parser::new(ZONE, None, Some(origin)).parse().expect("test zone parses");
                let zone = InMemoryZoneHandler::<hickory_server::net::runtime::TokioRuntimeProvider>::new(
                    origin.clone(),
                    records,
                    ZoneType::Primary,
                    AxfrPolicy::Deny,
                )
                .expect("test zone loads");
                let mut catalog = Catalog::new();
                catalog.upsert(LowerName::new(&origin), vec![Arc::new(zone)]);
                let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
                tx.send(socket.local_addr().unwrap()).unwrap();
                let mut server = Server::new(catalog);
                server.register_socket(socket);
                let _ = server.block_until_done().await;
            });
        });
        rx.recv().expect("test DNS server started")
    })
}

fn opts(ns: SocketAddr) -> LookupOptions {
    LookupOptions { nameserver: Some(ns), timeout: Duration::from_millis(300), attempts: 1 }
}

fn lookup(domain: &str) -> Result<dns::MxReport, DnsError> {
    dns::lookup_mx_blocking(domain, &opts(server()), None)
}

/// A UDP socket that receives queries and never answers. Kept alive by the caller.
fn silent_socket() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn mx_hosts_in_preference_order_with_addresses() {
    let r = lookup("Someone@MULTI.bouncelab.test.").unwrap();
    assert_eq!(r.domain, "multi.bouncelab.test");
    assert!(!r.implicit);
    let hosts: Vec<(u16, &str)> = r.hosts.iter().map(|h| (h.preference, h.host.as_str())).collect();
    assert_eq!(
        hosts,
        [
            (10, "mx0.multi.bouncelab.test"),
            (10, "mx1.multi.bouncelab.test"),
            (20, "mx2.multi.bouncelab.test"),
            (40, "ghost.multi.bouncelab.test")
        ]
    );
    assert_eq!(r.hosts[0].addresses, [ip("192.0.2.0")]);
    assert_eq!(r.hosts[1].addresses, [ip("192.0.2.1"), ip("2001:db8::1")]);
    assert_eq!(r.hosts[2].addresses, [ip("192.0.2.2"), ip("192.0.2.3")]);
    assert!(r.hosts[0].address_error.is_none());
    // A host that does not resolve is still listed, with the reason.
    assert!(r.hosts[3].addresses.is_empty());
    assert!(r.hosts[3].address_error.as_deref().unwrap_or("").contains("NXDOMAIN"), "{:?}", r.hosts[3]);
}

#[test]
fn no_mx_but_address_gives_the_implicit_mx() {
    let r = lookup("implicit.bouncelab.test").unwrap();
    assert!(r.implicit);
    assert_eq!(r.hosts.len(), 1);
    assert_eq!(r.hosts[0].host, "implicit.bouncelab.test");
    assert_eq!(r.hosts[0].addresses, [ip("192.0.2.10"), ip("2001:db8::10")]);
}

#[test]
fn no_mx_and_no_address_is_no_mail_host() {
    let e = lookup("nothing.bouncelab.test").unwrap_err();
    assert!(matches!(e, DnsError::NoMailHost { .. }), "{e:?}");
    assert!(e.to_string().contains("nothing.bouncelab.test"), "{e}");
}

#[test]
fn null_mx_is_reported_distinctly() {
    let e = lookup("nullmx.bouncelab.test").unwrap_err();
    assert!(matches!(e, DnsError::NullMx { .. }), "{e:?}");
    assert!(e.to_string().contains("Null MX"), "{e}");
}

#[test]
fn missing_domain_is_nxdomain() {
    let e = lookup("missing.bouncelab.test").unwrap_err();
    assert!(matches!(e, DnsError::NxDomain { ref domain } if domain == "missing.bouncelab.test"), "{e:?}");
    assert!(e.is_definite());
}

#[test]
fn idn_domain_is_looked_up_in_punycode() {
    let r = lookup("postmaster@München.bouncelab.test").unwrap();
    assert_eq!(r.domain, "xn--mnchen-3ya.bouncelab.test");
    assert_eq!(r.hosts[0].host, "mx1.multi.bouncelab.test");
}

#[test]
fn refused_zone_is_a_server_failure() {
    // The test server is authoritative for bouncelab.test only and refuses the rest.
    let e = lookup("example.org").unwrap_err();
    assert!(matches!(e, DnsError::ServerFailure { .. }), "{e:?}");
    assert!(!e.is_definite());
}

#[test]
fn silent_server_times_out() {
    let silent = silent_socket();
    let o = LookupOptions { nameserver: Some(silent.local_addr().unwrap()), timeout: Duration::from_millis(200), attempts: 2 };
    let e = dns::lookup_mx_blocking("example.com", &o, None).unwrap_err();
    assert!(matches!(e, DnsError::Timeout { .. }), "{e:?}");
    assert!(e.to_string().contains("example.com"), "{e}");
}

#[test]
fn garbage_answers_are_an_error_not_a_panic() {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let responder = std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        // Answers every query with bytes that are not a DNS message, then
        // stops once queries stop coming.
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            let mut reply = buf[..2.min(n)].to_vec();
            reply.extend_from_slice(&[0xff; 7]);
            let _ = sock.send_to(&reply, from);
        }
    });
    let o = LookupOptions { nameserver: Some(addr), timeout: Duration::from_millis(300), attempts: 1 };
    let e = dns::lookup_mx_blocking("example.com", &o, None).unwrap_err();
    assert!(!e.to_string().is_empty());
    drop(responder);
}

#[test]
fn cancel_token_stops_a_lookup() {
    let silent = silent_socket();
    let o = LookupOptions { nameserver: Some(silent.local_addr().unwrap()), timeout: Duration::from_secs(30), attempts: 3 };
    let token = CancelToken::new();
    let t2 = token.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        t2.cancel();
    });
    let e = dns::lookup_mx_blocking("example.com", &o, Some(&token)).unwrap_err();
    canceller.join().unwrap();
    assert!(matches!(e, DnsError::Cancelled { .. }), "{e:?}");
}

#[test]
fn normalize_domain_cases() {
    let ok = [
        ("example.com", "example.com"),
        ("  Example.COM.  ", "example.com"),
        ("user@example.com", "example.com"),
        ("\"a@b\"@Example.com", "example.com"),
        ("<bounce@mail.example.com>", "mail.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("имя@пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("_dmarc.example.com", "_dmarc.example.com"),
    ];
    for (input, want) in ok {
        assert_eq!(dns::normalize_domain(input).as_deref(), Ok(want), "{input}");
    }
    let long = format!("{}.com", vec!["a".repeat(60); 5].join("."));
    assert!(long.len() > 290);
    let bad = [
        ("", "empty"),
        ("   ", "empty"),
        ("user@", "empty"),
        ("exa mple.com", "spaces"),
        ("example.com\tx", "spaces"),
        ("a..b.com", "empty label"),
        (".example.com", "empty label"),
        ("ex!ample.com", "'!'"),
        (long.as_str(), "253"),
        (&"x".repeat(300), "253"),
        (&format!("{}.com", "a".repeat(64)), "more than 63"),
        (&format!("{}.com", "é".repeat(300)), "253"),
    ];
    for (input, why) in bad {
        match dns::normalize_domain(input) {
            Err(e @ DnsError::InvalidName { .. }) => {
                assert!(e.to_string().contains(why), "{input}: {e}")
            }
            other => panic!("{input}: expected InvalidName, got {other:?}"),
        }
    }
}

// ---- the CLI, end to end against the same server ----

fn rules_file(dir: &std::path::Path) -> String {
    let mut doc = crate::default_doc();
    let lim = |n: u32| Limits { max_connections: n, max_msgs_per_connection: n * 10, msgs_per_hour: n * 1000 };
    let mut multi = MxRule::new("mx?.multi.bouncelab.test", lim(1));
    multi.levels = [lim(1), lim(2), lim(3), lim(4), lim(5), lim(5)];
    doc.mx_rules = vec![multi, MxRule::new("*", lim(7))];
    let p = dir.join("rules.ron");
    doc.save(&p).unwrap();
    p.to_str().unwrap().to_string()
}

fn mx_cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bouncelab")).env("LC_ALL", "C").arg("mx").args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn cli_mx_json_names_the_rule_and_limits_per_host() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(dir.path());
    let ns = server().to_string();
    let (code, out, err) = mx_cli(&["multi.bouncelab.test", "--rules", &rules, "--nameserver", &ns, "--level", "fast", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["domain"], "multi.bouncelab.test");
    assert_eq!(v["level"], "Fast");
    let hosts = v["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 4);
    assert_eq!(hosts[0]["host"], "mx0.multi.bouncelab.test");
    assert_eq!(hosts[0]["rule"]["number"], 1);
    assert_eq!(hosts[0]["rule"]["mask"], "mx?.multi.bouncelab.test");
    assert_eq!(hosts[0]["rule"]["limits"]["max_connections"], 3);
    assert_eq!(hosts[0]["rule"]["shadowed"], serde_json::json!([2]));
    assert_eq!(hosts[1]["addresses"], serde_json::json!(["192.0.2.1", "2001:db8::1"]));
    assert_eq!(hosts[3]["rule"]["mask"], "*");
    assert_eq!(hosts[3]["rule"]["limits"]["msgs_per_hour"], 7000);
}

#[test]
fn cli_mx_text_is_a_table_in_preference_order() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(dir.path());
    let ns = server().to_string();
    let (code, out, err) = mx_cli(&["someone@multi.bouncelab.test", "--rules", &rules, "--nameserver", &ns]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("multi.bouncelab.test") && lines[0].contains("Normal"), "{out}");
    let header = lines.iter().position(|l| l.starts_with("PREF")).expect("header");
    let rows = &lines[header + 1..];
    assert_eq!(rows.len(), 4, "{out}");
    assert!(rows[0].contains("mx0.multi.bouncelab.test") && rows[0].contains("#1 mx?.multi.bouncelab.test"), "{out}");
    assert!(rows[3].contains("ghost.multi.bouncelab.test") && rows[3].contains("#2 *"), "{out}");
    // Aligned: the HOST column starts at the same offset on every row.
    let col = lines[header].find("HOST").unwrap();
    assert!(rows.iter().all(|r| r[col..].starts_with(|c: char| c.is_ascii_alphanumeric())), "{out}");

    let (code, out, _) = mx_cli(&["implicit.bouncelab.test", "--rules", &rules, "--nameserver", &ns]);
    assert_eq!(code, 0);
    assert!(out.contains("implicit MX"), "{out}");
}

#[test]
fn cli_mx_fails_clearly_on_nxdomain_no_host_and_null_mx() {
    let ns = server().to_string();
    for (domain, says) in
        [("missing.bouncelab.test", "NXDOMAIN"), ("nothing.bouncelab.test", "no mail host"), ("nullmx.bouncelab.test", "Null MX")]
    {
        let (code, out, err) = mx_cli(&[domain, "--nameserver", &ns]);
        assert_eq!(code, 1, "{domain}: {out}{err}");
        assert!(err.contains(domain) && err.contains(says), "{domain}: {err}");
    }
    let (code, out, _) = mx_cli(&["missing.bouncelab.test", "--nameserver", &ns, "--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["kind"], "nxdomain");
}

#[test]
fn cli_mx_gives_up_on_a_silent_server() {
    let silent = silent_socket();
    let ns = silent.local_addr().unwrap().to_string();
    let (code, _, err) = mx_cli(&["example.com", "--nameserver", &ns, "--timeout", "0.2"]);
    assert_eq!(code, 2);
    assert!(err.contains("no answer") && err.contains("example.com"), "{err}");
}

#[test]
fn cli_mx_rejects_bad_input() {
    let ns = server().to_string();
    let (code, _, err) = mx_cli(&["exa mple.com", "--nameserver", &ns]);
    assert_eq!(code, 2);
    assert!(err.contains("spaces"), "{err}");
    let (code, _, err) = mx_cli(&["multi.bouncelab.test", "--nameserver", &ns, "--level", "warp"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown level"), "{err}");
    let (code, _, err) = mx_cli(&["multi.bouncelab.test", "--nameserver", "not-an-ip"]);
    assert_ne!(code, 0);
    assert!(err.contains("not-an-ip"), "{err}");
}
