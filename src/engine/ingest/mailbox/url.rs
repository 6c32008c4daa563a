//! Mailbox URLs: `imap://USER@HOST[:PORT]/MAILBOX`, `imaps://`, `pop3://`, `pop3s://`.
//! A password is never part of one: it would end up in shell history and logs.

use std::fmt;

use crate::i18n::tr_fmt;

/// How to talk to the mailbox server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// IMAP in plain text (port 143).
    Imap,
    /// IMAP over TLS (port 993).
    Imaps,
    /// POP3 in plain text (port 110).
    Pop3,
    /// POP3 over TLS (port 995).
    Pop3s,
}

impl Protocol {
    /// The URL scheme.
    pub fn scheme(self) -> &'static str {
        match self {
            Protocol::Imap => "imap",
            Protocol::Imaps => "imaps",
            Protocol::Pop3 => "pop3",
            Protocol::Pop3s => "pop3s",
        }
    }

    /// The well-known port.
    pub fn default_port(self) -> u16 {
        match self {
            Protocol::Imap => 143,
            Protocol::Imaps => 993,
            Protocol::Pop3 => 110,
            Protocol::Pop3s => 995,
        }
    }

    /// Whether the connection starts with TLS.
    pub fn tls(self) -> bool {
        matches!(self, Protocol::Imaps | Protocol::Pop3s)
    }

    /// IMAP (either flavour).
    pub fn is_imap(self) -> bool {
        matches!(self, Protocol::Imap | Protocol::Imaps)
    }
}

/// A parsed mailbox URL. Displays without a password (there is none) and with
/// the port only when it is not the scheme's default.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MailboxUrl {
    /// Scheme.
    pub protocol: Protocol,
    /// Login name (percent-decoded; may contain `@`).
    pub user: String,
    /// Server host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// IMAP mailbox name (default `INBOX`); empty for POP3.
    pub mailbox: String,
}

/// Why a mailbox URL was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not one of the four schemes.
    #[error("{}", tr_fmt("mailbox.url_scheme", &[("url", .0)]))]
    Scheme(String),
    /// `user:password@` in the URL.
    #[error("{}", crate::i18n::tr("mailbox.url_password"))]
    PasswordInUrl,
    /// No `USER@` part.
    #[error("{}", tr_fmt("mailbox.url_user", &[("url", .0)]))]
    NoUser(String),
    /// Empty or malformed host, or a bad port.
    #[error("{}", tr_fmt("mailbox.url_host", &[("url", .0)]))]
    Host(String),
    /// A POP3 URL names a mailbox (POP3 has only one).
    #[error("{}", tr_fmt("mailbox.url_pop3_path", &[("url", .0)]))]
    Pop3Path(String),
}

impl MailboxUrl {
    /// Whether `s` looks like a mailbox URL (to tell it from a file name).
    pub fn looks_like(s: &str) -> bool {
        let l = s.to_ascii_lowercase();
        ["imap://", "imaps://", "pop3://", "pop3s://"].iter().any(|p| l.starts_with(p))
    }

    /// Parses a URL. `user@` may itself contain `@` (the last one ends it) or `%40`.
    pub fn parse(s: &str) -> Result<MailboxUrl, UrlError> {
        let s = s.trim();
        let (scheme, rest) = s.split_once("://").ok_or_else(|| UrlError::Scheme(s.to_owned()))?;
        let protocol = match scheme.to_ascii_lowercase().as_str() {
            "imap" => Protocol::Imap,
            "imaps" => Protocol::Imaps,
            "pop3" | "pop" => Protocol::Pop3,
            "pop3s" | "pops" => Protocol::Pop3s,
            _ => return Err(UrlError::Scheme(s.to_owned())),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (userinfo, hostport) = authority.rsplit_once('@').ok_or_else(|| UrlError::NoUser(s.to_owned()))?;
        if userinfo.contains(':') {
            return Err(UrlError::PasswordInUrl);
        }
        let user = percent_decode(userinfo).ok_or_else(|| UrlError::NoUser(s.to_owned()))?;
        if user.is_empty() {
            return Err(UrlError::NoUser(s.to_owned()));
        }
        let host_err = || UrlError::Host(s.to_owned());
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(host_err)?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(host_err()),
            };
            (h.to_owned(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (hostport.to_owned(), None),
            }
        };
        let port = match port {
            None => protocol.default_port(),
            Some(p) => p.parse::<u16>().ok().filter(|&p| p > 0).ok_or_else(host_err)?,
        };
        let host_ok = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
        if !host_ok {
            return Err(host_err());
        }
        let path = path.trim_end_matches('/');
        let mailbox = percent_decode(path).ok_or_else(host_err)?;
        let mailbox = match protocol {
            Protocol::Imap | Protocol::Imaps if mailbox.is_empty() => "INBOX".to_owned(),
            Protocol::Imap | Protocol::Imaps => mailbox,
            Protocol::Pop3 | Protocol::Pop3s if mailbox.is_empty() => String::new(),
            Protocol::Pop3 | Protocol::Pop3s => return Err(UrlError::Pop3Path(s.to_owned())),
        };
        Ok(MailboxUrl { protocol, user, host, port, mailbox })
    }
}

impl fmt::Display for MailboxUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}@", self.protocol.scheme(), percent_encode(&self.user))?;
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if self.port != self.protocol.default_port() {
            write!(f, ":{}", self.port)?;
        }
        if !self.mailbox.is_empty() {
            write!(f, "/{}", percent_encode(&self.mailbox).replace("%2F", "/"))?;
        }
        Ok(())
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_four_schemes() {
        let u = MailboxUrl::parse("imaps://bounces@mail.example.com/Bounces").unwrap();
        assert_eq!(
            (u.protocol, u.user.as_str(), u.host.as_str(), u.port, u.mailbox.as_str()),
            (Protocol::Imaps, "bounces", "mail.example.com", 993, "Bounces")
        );
        let u = MailboxUrl::parse("imap://a@127.0.0.1:1143").unwrap();
        assert_eq!((u.port, u.mailbox.as_str()), (1143, "INBOX"));
        let u = MailboxUrl::parse("pop3s://errors@example.com@pop.example.com").unwrap();
        assert_eq!((u.user.as_str(), u.host.as_str(), u.port), ("errors@example.com", "pop.example.com", 995));
        let u = MailboxUrl::parse("pop3://x%40y@[::1]:1110/").unwrap();
        assert_eq!((u.user.as_str(), u.host.as_str(), u.port, u.mailbox.as_str()), ("x@y", "::1", 1110, ""));
        assert_eq!(u.to_string(), "pop3://x%40y@[::1]:1110");
        let u = MailboxUrl::parse("imaps://a@h/Archive/Bounces%202026").unwrap();
        assert_eq!(u.mailbox, "Archive/Bounces 2026");
        assert_eq!(u.to_string(), "imaps://a@h/Archive/Bounces%202026");
    }

    #[test]
    fn refuses_passwords_and_junk() {
        assert_eq!(MailboxUrl::parse("imaps://u:secret@h/INBOX"), Err(UrlError::PasswordInUrl));
        assert!(matches!(MailboxUrl::parse("http://u@h"), Err(UrlError::Scheme(_))));
        assert!(matches!(MailboxUrl::parse("imap://h/INBOX"), Err(UrlError::NoUser(_))));
        assert!(matches!(MailboxUrl::parse("imap://u@h:99999"), Err(UrlError::Host(_))));
        assert!(matches!(MailboxUrl::parse("imap://u@/INBOX"), Err(UrlError::Host(_))));
        assert!(matches!(MailboxUrl::parse("imap://u@h x/INBOX"), Err(UrlError::Host(_))));
        assert!(matches!(MailboxUrl::parse("pop3://u@h/INBOX"), Err(UrlError::Pop3Path(_))));
        assert!(MailboxUrl::looks_like("IMAPS://u@h"));
        assert!(!MailboxUrl::looks_like("imap.log"));
    }
}
