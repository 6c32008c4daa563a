//! One TCP connection to a mailbox server, plain or TLS (rustls, system roots),
//! with a timeout on every step: name lookup, connect, TLS handshake, each read
//! and each write.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use super::{MailboxError, Step};

/// A connected byte stream: plain TCP or TLS over TCP.
pub(crate) enum Conn {
    /// Plain text (loopback, or `--allow-plaintext`).
    Plain(TcpStream),
    /// TLS.
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// What the connection needs to know.
pub(crate) struct ConnectOptions<'a> {
    pub host: &'a str,
    pub port: u16,
    pub tls: bool,
    pub allow_plaintext: bool,
    pub timeout: Duration,
    /// Extra trusted root certificates (PEM), besides the system's.
    pub extra_roots: Option<&'a Path>,
}

/// Resolves, connects (trying each address) and, for TLS, completes the handshake.
pub(crate) fn connect(o: &ConnectOptions) -> Result<Conn, MailboxError> {
    let addrs = resolve(o.host, o.port, o.timeout)?;
    let mut last = None;
    let mut tcp = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, o.timeout) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    let tcp = match (tcp, last) {
        (Some(s), _) => s,
        (None, Some((_, e))) if is_timeout(&e) => {
            return Err(MailboxError::Timeout { step: Step::Connect, seconds: super::secs(o.timeout) });
        }
        (None, Some((addr, e))) => return Err(MailboxError::Connect { address: addr.to_string(), message: e.to_string() }),
        (None, None) => return Err(MailboxError::Resolve { host: o.host.to_owned(), message: "no address".into() }),
    };
    let io_err = |e: io::Error| MailboxError::Connect { address: format!("{}:{}", o.host, o.port), message: e.to_string() };
    tcp.set_read_timeout(Some(o.timeout)).map_err(io_err)?;
    tcp.set_write_timeout(Some(o.timeout)).map_err(io_err)?;
    tcp.set_nodelay(true).map_err(io_err)?;
    if !o.tls {
        let peer = tcp.peer_addr().map_err(io_err)?;
        // Credentials in clear only where nobody else can listen, unless asked.
        if !peer.ip().is_loopback() && !o.allow_plaintext {
            return Err(MailboxError::PlaintextRefused { host: o.host.to_owned() });
        }
        return Ok(Conn::Plain(tcp));
    }
    let config = tls_config(o.extra_roots)?;
    let name = ServerName::try_from(o.host.to_owned()).map_err(|e| MailboxError::Tls { message: e.to_string() })?;
    let conn = ClientConnection::new(config, name).map_err(|e| MailboxError::Tls { message: e.to_string() })?;
    let mut stream = StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
            return Err(if is_timeout(&e) {
                MailboxError::Timeout { step: Step::Tls, seconds: super::secs(o.timeout) }
            } else if e.kind() == io::ErrorKind::UnexpectedEof || e.kind() == io::ErrorKind::ConnectionReset {
                MailboxError::Tls { message: format!("{e} (is the port a TLS port?)") }
            } else {
                MailboxError::Tls { message: e.to_string() }
            });
        }
    }
    Ok(Conn::Tls(Box::new(stream)))
}

/// Name lookup on a helper thread, so a dead resolver cannot stall us past the timeout.
fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, MailboxError> {
    let (tx, rx) = mpsc::channel();
    let h = host.to_owned();
    std::thread::spawn(move || {
        let _ = tx.send((h.as_str(), port).to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(a)) if !a.is_empty() => Ok(a),
        Ok(Ok(_)) => Err(MailboxError::Resolve { host: host.to_owned(), message: "no address".into() }),
        Ok(Err(e)) => Err(MailboxError::Resolve { host: host.to_owned(), message: e.to_string() }),
        Err(_) => Err(MailboxError::Timeout { step: Step::Resolve, seconds: super::secs(timeout) }),
    }
}

fn tls_config(extra_roots: Option<&Path>) -> Result<Arc<ClientConfig>, MailboxError> {
    let mut roots = RootCertStore::empty();
    // Unreadable system certificates are skipped: the handshake then says what is missing.
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = extra_roots {
        let bad = |message: String| MailboxError::CaFile { path: path.to_owned(), message };
        let certs = CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))?;
        let mut n = 0;
        for c in certs {
            roots.add(c.map_err(|e| bad(e.to_string()))?).map_err(|e| bad(e.to_string()))?;
            n += 1;
        }
        if n == 0 {
            return Err(bad("no certificate".into()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| MailboxError::Tls { message: e.to_string() })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Whether an I/O error is a socket timeout.
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}
