#!/usr/bin/env python3
"""Published phrasings as a stand-in for unseen bounces (README, "Default bounce rules").

Classifies every phrase of Sisimai's reason lists (lib/Sisimai/Reason/*.pm: `$index`, and
`$pairs` joined with " x "), of its provider tables (lib/Sisimai/Rhost/*.pm) and of its MTA
tables (lib/Sisimai/Lhost/*.pm: `$messagesof`) with `bouncelab classify --input lines`, and
counts how many get the category Sisimai files them under, and how many the same reason
(what `bouncelab eval` scores). Only the library's code is read: never its set-of-emails or
t/ folders, which hold the held-out bounces and their labels.

Usage: tools/sisimai-phrases.py P5_SISIMAI_LIB [--bouncelab BIN] [--rules FILE] [--misses]
  P5_SISIMAI_LIB: the lib/Sisimai folder of a p5-sisimai checkout (session 14: 21cfb93)
"""
import argparse, glob, json, os, re, subprocess, sys

QUOTED = r"""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)\""""


def strings(text):
    return [(a or b).replace("\\'", "'") for a, b in re.findall(QUOTED, text)]


def reason_lists(lib):
    for f in sorted(glob.glob(os.path.join(lib, "Reason", "*.pm"))):
        cat = os.path.basename(f)[:-3].lower()
        src = open(f, encoding="utf-8").read()
        m = re.search(r"state \$index = \[(.*?)\n\s*\];", src, re.S)
        if m:
            for line in m.group(1).split("\n"):
                for t in strings(line.split(" #")[0]):
                    yield "reason lists", cat, t
        m = re.search(r"state \$pairs = \[(.*?)\n\s*\];", src, re.S)
        if m:
            for group in re.findall(r"\[(.*?)\]", m.group(1)):
                parts = [p.strip() for p in strings(group)]
                if parts:
                    yield "reason lists", cat, " x ".join(parts)


def uncommented(text):
    return "\n".join(l.split(" #")[0] for l in text.split("\n") if not l.strip().startswith("#"))


def blocks(text):
    """(key, body) of each `'key' => [ ... ]` at the top of `text`, brackets inside quotes ignored."""
    for m in re.finditer(r"'(\w+)'\s*=>\s*\[", text):
        depth, i, quote = 1, m.end(), None
        while i < len(text) and depth:
            c = text[i]
            if quote:
                quote = None if c == quote and text[i - 1] != "\\" else quote
            elif c in "'\"":
                quote = c
            elif c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
            i += 1
        yield m.group(1), text[m.end() : i - 1]


def keyed_tables(lib, folder, what):
    """Each entry of a `$messagesof` table: a phrase, or (providers) a reply code, status and phrase joined."""
    for f in sorted(glob.glob(os.path.join(lib, folder, "*.pm"))):
        src = open(f, encoding="utf-8").read()
        m = re.search(r"state \$messagesof = \{(.*?)\n    \};", src, re.S)
        if not m:
            continue
        for key, body in blocks(uncommented(m.group(1))):
            inner = re.findall(r"\[([^\[\]]*)\]", body)
            for group in inner:
                yield what, key, " ".join(strings(group))
            for t in strings(re.sub(r"\[[^\[\]]*\]", "", body)):
                yield what, key, t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib")
    ap.add_argument("--bouncelab", default="target/debug/bouncelab")
    ap.add_argument("--rules", default="sample_rules/default.ron")
    ap.add_argument("--misses", action="store_true")
    a = ap.parse_args()
    rows = list(reason_lists(a.lib))
    rows += keyed_tables(a.lib, "Rhost", "provider tables")
    rows += keyed_tables(a.lib, "Lhost", "MTA tables")
    rows = [r for r in rows if r[2].strip() and "\n" not in r[2]]
    text = "".join(t + "\n" for *_, t in rows).encode()
    out = subprocess.run([a.bouncelab, "classify", "--input", "lines", "-r", a.rules], input=text, capture_output=True, check=True).stdout
    verdicts = [json.loads(l) for l in out.decode().splitlines()]
    if len(verdicts) != len(rows):
        sys.exit(f"{len(rows)} phrases but {len(verdicts)} verdicts")
    rules = open(a.rules, encoding="utf-8").read()
    reason_of = dict(re.findall(r'Category\(id: "(\w+)", reason: "(\w+)"', rules))
    totals = {}
    for (what, cat, t), v in zip(rows, verdicts):
        n, same_cat, same_reason = totals.get(what, (0, 0, 0))
        ok = reason_of.get(v["category"]) == reason_of.get(cat)
        totals[what] = (n + 1, same_cat + (v["category"] == cat), same_reason + ok)
        if a.misses and not ok:
            print(f"{what}\t{cat}\t{v['category']}\t{t}")
    for what, (n, c, r) in totals.items():
        print(f"{what:16} {n:4} phrases: same category {c:4}, same reason {r:4} ({100 * r / n:.1f} %)")


if __name__ == "__main__":
    main()
