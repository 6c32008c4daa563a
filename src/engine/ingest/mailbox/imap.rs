//! IMAP, read-only: `EXAMINE` (never `SELECT`), `UID SEARCH`, `UID FETCH
//! (RFC822.SIZE)` then `UID FETCH (BODY.PEEK[])` in batches. `PEEK` leaves
//! `\Seen` alone; nothing is stored, copied, moved or expunged.

use std::ops::ControlFlow;
use std::time::Duration;

use ::imap::Error as ImapError;

use super::net::Conn;
use super::{Event, FetchOptions, FetchSummary, MailboxError, MailboxState, MailboxUrl, RawMessage, Step};

pub(super) fn fetch(
    conn: Conn,
    url: &MailboxUrl,
    password: &str,
    opts: &FetchOptions,
    state: &mut MailboxState,
    sink: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<FetchSummary, MailboxError> {
    let t = opts.timeout;
    let mut client = ::imap::Client::new(conn);
    client.read_greeting().map_err(|e| map(e, Step::Greeting, t))?;
    let mut session = client.login(&url.user, password).map_err(|(e, _)| match e {
        ImapError::No(n) => MailboxError::Login { server_says: n.information },
        ImapError::Bad(b) => MailboxError::Login { server_says: b.information },
        e => map(e, Step::Login, t),
    })?;
    let mailbox = session.examine(&url.mailbox).map_err(|e| match e {
        ImapError::No(n) => MailboxError::Open { mailbox: url.mailbox.clone(), server_says: n.information },
        ImapError::Bad(b) => MailboxError::Open { mailbox: url.mailbox.clone(), server_says: b.information },
        e => map(e, Step::Open, t),
    })?;
    if state.uidvalidity.is_some() && state.uidvalidity != mailbox.uid_validity {
        // The UIDs we kept name other messages now: start over.
        state.last_uid = 0;
        if sink(Event::UidValidityChanged).is_break() {
            let _ = session.logout();
            return Ok(FetchSummary { cancelled: true, ..Default::default() });
        }
    }
    state.uidvalidity = mailbox.uid_validity;

    let mut summary = FetchSummary::default();
    let mut uids: Vec<u32> = Vec::new();
    if mailbox.exists > 0 {
        let mut query = format!("UID {}:*", state.last_uid.saturating_add(1));
        if let Some(d) = opts.since {
            query.push_str(&format!(" SINCE {}", d.imap()));
        }
        // `n:*` always includes the highest UID, even below n: filter.
        uids = session.uid_search(&query).map_err(|e| map(e, Step::List, t))?.into_iter().filter(|&u| u > state.last_uid).collect();
        uids.sort_unstable();
        if state.last_uid > 0 {
            summary.known = session.uid_search(format!("UID 1:{}", state.last_uid)).map_err(|e| map(e, Step::List, t))?.len();
        }
    }
    if sink(Event::Listed { total: uids.len(), known: summary.known }).is_break() {
        let _ = session.logout();
        summary.cancelled = true;
        return Ok(summary);
    }

    for chunk in uids.chunks(opts.batch.max(1)) {
        let set = uid_set(chunk);
        let sizes = session.uid_fetch(&set, "(UID RFC822.SIZE)").map_err(|e| map(e, Step::Fetch, t))?;
        let mut whole = Vec::new();
        let mut cut = Vec::new();
        for f in sizes.iter() {
            if let Some(uid) = f.uid {
                if f.size.is_some_and(|s| s as usize > opts.max_message_bytes) {
                    cut.push(uid);
                } else {
                    whole.push(uid);
                }
            }
        }
        let mut got: Vec<(u32, Vec<u8>, bool)> = Vec::with_capacity(chunk.len());
        if !whole.is_empty() {
            let bodies = session.uid_fetch(uid_set(&whole), "(UID BODY.PEEK[])").map_err(|e| map(e, Step::Fetch, t))?;
            got.extend(bodies.iter().filter_map(|f| Some((f.uid?, f.body()?.to_vec(), false))));
        }
        for &uid in &cut {
            let q = format!("(UID BODY.PEEK[]<0.{}>)", opts.max_message_bytes);
            let bodies = session.uid_fetch(uid.to_string(), q).map_err(|e| map(e, Step::Fetch, t))?;
            got.extend(bodies.iter().filter_map(|f| Some((f.uid?, f.body()?.to_vec(), true))));
        }
        // Unsolicited responses (flag changes by other clients) pile up otherwise.
        session.take_all_unsolicited().for_each(drop);
        got.sort_by_key(|g| g.0);
        // A message expunged by another client between SEARCH and FETCH is simply absent.
        for (uid, raw, truncated) in got {
            summary.truncated += usize::from(truncated);
            let flow = sink(Event::Message(RawMessage { uid: u64::from(uid), unique_id: None, raw, truncated }));
            state.last_uid = state.last_uid.max(uid);
            summary.fetched += 1;
            if flow.is_break() {
                let _ = session.logout();
                summary.cancelled = true;
                return Ok(summary);
            }
        }
        if let Some(&last) = chunk.last() {
            state.last_uid = state.last_uid.max(last);
        }
    }
    // Everything was read; a failed LOGOUT changes nothing.
    let _ = session.logout();
    Ok(summary)
}

/// A UID set with ranges: `1:3,7,9:10`.
fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

fn map(e: ImapError, step: Step, timeout: Duration) -> MailboxError {
    match e {
        ImapError::Io(e) => MailboxError::from_io(step, &e, timeout),
        ImapError::ConnectionLost => MailboxError::Closed { step },
        ImapError::Bye(b) => MailboxError::Protocol { step, message: format!("BYE {}", b.information) },
        ImapError::No(n) => MailboxError::Protocol { step, message: format!("NO {}", n.information) },
        ImapError::Bad(b) => MailboxError::Protocol { step, message: format!("BAD {}", b.information) },
        e => MailboxError::Protocol { step, message: e.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_use_ranges() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }
}
