//! A real Dovecot (IMAP + POP3, plain and TLS) for the mailbox tests: its own
//! config file, a passwd-file user and a temp Maildir, on 127.0.0.1 and free
//! ports. Never a mock. Stopped when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The test user and password.
pub const USER: &str = "bounces";
/// The password of [`USER`].
pub const PASSWORD: &str = "s3cret pass";

/// One running Dovecot.
pub struct Dovecot {
    dir: tempfile::TempDir,
    conf: PathBuf,
    /// Plain IMAP port.
    pub imap: u16,
    /// IMAP over TLS port.
    pub imaps: u16,
    /// Plain POP3 port.
    pub pop3: u16,
    /// POP3 over TLS port.
    pub pop3s: u16,
}

/// `N` distinct free ports: the listeners are held together while picking, so the
/// kernel cannot hand the same port out twice (dovecot then refused a "duplicate listener").
fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<TcpListener> = (0..N).map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port")).collect();
    std::array::from_fn(|i| listeners[i].local_addr().expect("a bound port").port())
}

/// A test CA and a server certificate it signed for 127.0.0.1 / localhost
/// (CA, certificate, key), made once per test run with openssl.
pub fn certificate() -> (&'static Path, &'static Path, &'static Path) {
    static CERT: OnceLock<(tempfile::TempDir, PathBuf, PathBuf, PathBuf)> = OnceLock::new();
    let (_, ca, cert, key) = CERT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = |n: &str| dir.path().join(n);
        std::fs::write(p("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
            .unwrap();
        let steps: [Vec<String>; 3] = [
            vec![
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=bouncelab test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
            vec!["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "key.pem", "-out", "leaf.csr"],
            vec![
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
                "-out",
                "cert.pem",
            ],
        ]
        .map(|v| v.into_iter().map(String::from).collect());
        for args in steps {
            let out = Command::new("openssl")
                .args(&args)
                .current_dir(dir.path())
                .output()
                .expect("openssl (Debian package openssl) makes the test certificates");
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        let (ca, cert, key) = (p("ca.pem"), p("cert.pem"), p("key.pem"));
        (dir, ca, cert, key)
    });
    (ca, cert, key)
}

fn dovecot_binary() -> PathBuf {
    for p in ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!(
        "Dovecot is not installed: the mailbox tests need a real server. \
         Install it with `apt-get install -y dovecot-imapd dovecot-pop3d` (.ci/run does)."
    );
}

impl Dovecot {
    /// Starts a Dovecot serving `messages` (raw bytes) as the user's INBOX.
    pub fn start(messages: &[Vec<u8>]) -> Dovecot {
        let bin = dovecot_binary();
        let dir = tempfile::Builder::new().prefix("bouncelab-dovecot-").tempdir().expect("temp dir");
        let root = dir.path();
        let maildir = root.join("home/Maildir");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
        }
        for (i, m) in messages.iter().enumerate() {
            write_message(&maildir, i, m);
        }
        std::fs::create_dir_all(root.join("run")).expect("run dir");
        std::fs::create_dir_all(root.join("state")).expect("state dir");
        std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}::::{}::\n", root.join("home").display())).expect("passwd");
        let is_root = unsafe { libc::geteuid() } == 0;
        let (login_user, internal_user, mail_user) = if is_root {
            ("dovenull".to_owned(), "dovecot".to_owned(), "dovecot".to_owned())
        } else {
            let me = std::env::var("USER").unwrap_or_else(|_| "nobody".into());
            (me.clone(), me.clone(), me)
        };
        if is_root {
            chown_tree(&root.join("home"), &mail_user);
        }
        let (_, cert, key) = certificate();
        let [imap, imaps, pop3, pop3s] = free_ports::<4>();
        let conf = root.join("dovecot.conf");
        let r = root.display();
        let text = format!(
            r#"base_dir = {r}/run
state_dir = {r}/state
instance_name = bouncelab-test-{imap}
listen = 127.0.0.1
protocols = imap pop3
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_uid = {mail_user}
mail_gid = {mail_user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
log_path = {r}/dovecot.log
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={r}/home
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {pop3s}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"#,
            cert = cert.display(),
            key = key.display(),
        );
        std::fs::write(&conf, text).expect("dovecot.conf");
        if is_root {
            // The login and mail processes read the certificate and passwd file.
            let _ = Command::new("chmod").args(["-R", "a+rX"]).arg(root).status();
        }
        // The daemon keeps its standard streams: a pipe would never reach EOF.
        let startup = root.join("startup.log");
        let sink = std::fs::File::create(&startup).expect("startup log");
        let status = Command::new(&bin)
            .arg("-c")
            .arg(&conf)
            .stdin(std::process::Stdio::null())
            .stdout(sink.try_clone().expect("startup log"))
            .stderr(sink)
            .status()
            .expect("run dovecot");
        let d = Dovecot { dir, conf, imap, imaps, pop3, pop3s };
        assert!(status.success(), "dovecot did not start: {}\n{}", std::fs::read_to_string(&startup).unwrap_or_default(), d.log());
        let deadline = Instant::now() + Duration::from_secs(20);
        for port in [imap, imaps, pop3, pop3s] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < deadline, "dovecot does not listen on {port}:\n{}", d.log());
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        d
    }

    /// The Maildir of the user.
    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("home/Maildir")
    }

    /// Adds a message to the Maildir (as another delivery agent would).
    pub fn deliver(&self, index: usize, raw: &[u8]) {
        write_message(&self.maildir(), index, raw);
        if unsafe { libc::geteuid() } == 0 {
            chown_tree(&self.maildir(), "dovecot");
        }
    }

    /// Dovecot's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// Disconnects every session of the user (a server closing mid-fetch).
    pub fn kick(&self) {
        let _ = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .args(["kick", USER])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }

    /// Every message file of the Maildir (`cur/` and `new/`): name → bytes.
    /// Dovecot's own index files are not messages and are left out.
    pub fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for sub in ["cur", "new"] {
            for e in std::fs::read_dir(self.maildir().join(sub)).expect("maildir listing").flatten() {
                out.push((format!("{sub}/{}", e.file_name().to_string_lossy()), std::fs::read(e.path()).expect("message file")));
            }
        }
        out.sort();
        out
    }
}

/// Writes a message into `cur/` with empty flags (`:2,`), as a delivered, unread message.
fn write_message(maildir: &Path, index: usize, raw: &[u8]) {
    std::fs::write(maildir.join(format!("cur/{}.M{index}P1.bouncelab:2,", 1_700_000_000 + index)), raw).expect("message file");
}

fn chown_tree(p: &Path, user: &str) {
    let st = Command::new("chown").arg("-R").arg(format!("{user}:{user}")).arg(p).status().expect("chown");
    assert!(st.success(), "chown {user} {}", p.display());
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new(dovecot_binary())
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}
