package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/airlock-sdk/airlock/record"
	"github.com/airlock-sdk/airlock/record/pgsink"
)

// anchorFlags collects repeated --anchor values.
type anchorFlags []string

func (a *anchorFlags) String() string     { return strings.Join(*a, ",") }
func (a *anchorFlags) Set(v string) error { *a = append(*a, v); return nil }

// cmdVerify runs `airlock verify SOURCE --key PUBFILE [--session ID]
// [--allow-open] [--anchor A]...` or `airlock verify --proof FILE --key
// PUBFILE`: it checks every entry, every session's chain, every sink-level
// log's Merkle tree against its signed checkpoints and, with anchors, the
// tail; it names the first bad point of each damage and exits 1 when any
// is found.
func cmdVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key", "", "Ed25519 public key file (PEM or base64) that signed the checkpoints (required)")
	session := fs.String("session", "", "report only this session (the whole record is still verified)")
	allowOpen := fs.Bool("allow-open", false, "accept entries after the newest signed checkpoint of a log that was not closed (a running recorder) and sessions without an end; they are reported, never proven")
	table := fs.String("table", "", "table name when SOURCE is a PostgreSQL URL (default airlock_record)")
	proof := fs.String("proof", "", "verify a session proof file (airlock export --proof) instead of a record")
	var anchors anchorFlags
	fs.Var(&anchors, "anchor", "an anchor holding the log's checkpoints: a file path, a postgres:// URL or an http(s):// URL (repeatable)")
	anchorTable := fs.String("anchor-table", "", "table of postgres:// anchors (default airlock_anchor)")
	anchorToken := fs.String("anchor-token-file", "", "file holding the bearer token of http(s):// anchors")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: airlock verify FILE|postgres://... --key PUBFILE [--session ID] [--allow-open] [--anchor A]...")
		fmt.Fprintln(stderr, "       airlock verify --proof FILE --key PUBFILE")
		fs.PrintDefaults()
	}
	pos, err := parseArgsErr(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil || *keyFile == "" || (*proof == "" && len(pos) != 1) || (*proof != "" && len(pos) != 0) {
		fs.Usage()
		return 2
	}
	pub, err := readVerifyKey(*keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "airlock verify:", err)
		return 2
	}
	if *proof != "" {
		return verifyProof(*proof, pub, stdout, stderr)
	}
	ctx := context.Background()
	opts := record.VerifyOptions{Key: pub, AllowOpen: *allowOpen}
	for _, spec := range anchors {
		a, err := openAnchor(spec, *anchorTable, *anchorToken)
		if err != nil {
			fmt.Fprintln(stderr, "airlock verify:", err)
			return 2
		}
		latest, err := a.Latest(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "airlock verify: anchor %s: %v\n", clean(spec), err)
			return 1
		}
		opts.Anchored = append(opts.Anchored, latest...)
	}
	src, closeSrc, err := openSource(ctx, pos[0], *table)
	if err != nil {
		fmt.Fprintln(stderr, "airlock verify:", err)
		return 1
	}
	defer closeSrc()
	all, ok := src.(record.StoredReader)
	if !ok {
		fmt.Fprintln(stderr, "airlock verify: this source cannot be read whole")
		return 1
	}
	rep := record.VerifyRecord(ctx, all.Stored(ctx), opts)
	var missing []string
	if fr, ok := src.(*record.FileReader); ok {
		missing = fr.MissingFiles()
	}
	found := *session == ""
	count := map[record.SessionStatus]int{}
	for _, s := range rep.Sessions {
		count[s.Status]++
		if *session != "" && s.ID != *session {
			continue
		}
		found = true
		switch s.Status {
		case record.SessionVerified:
			fmt.Fprintf(stdout, "ok     session %s: %d entries\n", clean(s.ID), s.Entries)
		case record.SessionLegacy:
			fmt.Fprintf(stdout, "legacy session %s: %d entries: %s\n", clean(s.ID), s.Entries, clean(s.Detail))
		case record.SessionOpen:
			fmt.Fprintf(stdout, "open   session %s: %d entries: %s\n", clean(s.ID), s.Entries, clean(s.Detail))
		case record.SessionUnverified:
			fmt.Fprintf(stdout, "UNVERIFIED session %s: %d entries: %s\n", clean(s.ID), s.Entries, clean(s.Detail))
		default:
			fmt.Fprintf(stdout, "BROKEN session %s: %s\n", clean(s.ID), clean(s.Detail))
		}
	}
	if !found {
		fmt.Fprintf(stderr, "airlock verify: session %q not found\n", *session)
		return 1
	}
	for _, l := range rep.Logs {
		state := "closed"
		if !l.Closed {
			state = "not closed"
		}
		anchored := ""
		if l.Anchored > 0 {
			anchored = fmt.Sprintf(", anchored at %d", l.Anchored)
		}
		fmt.Fprintf(stdout, "log    %s: %d entries, %d proven by %d signed checkpoints%s, %s\n", clean(l.ID), l.Leaves, l.Verified, l.Checkpoints, anchored, state)
	}
	if rep.Legacy {
		fmt.Fprintln(stdout, "note: some sessions predate sink integrity: each verifies on its own, but the deletion of a whole one of them cannot be detected")
	}
	for _, f := range missing {
		fmt.Fprintf(stdout, "BROKEN deleted file %s: the next file names it as the one it follows\n", clean(f))
	}
	for i, p := range rep.Problems {
		if i == 20 {
			fmt.Fprintf(stdout, "... and %d more problems\n", len(rep.Problems)-i)
			break
		}
		fmt.Fprintf(stdout, "BROKEN %s\n", clean(describeProblem(p)))
	}
	if !rep.OK() || len(missing) > 0 {
		return 1
	}
	if len(rep.Sessions) == 0 {
		fmt.Fprintln(stderr, "airlock verify: no sessions recorded")
		return 1
	}
	fmt.Fprintf(stdout, "verified %d sessions (%d entries): %d proven, %d open, %d unverified, %d legacy; key %s\n", len(rep.Sessions), rep.Entries,
		count[record.SessionVerified], count[record.SessionOpen], count[record.SessionUnverified], count[record.SessionLegacy], record.KeyID(pub))
	return 0
}

// describeProblem puts the damage and where it starts first.
func describeProblem(p record.Problem) string {
	var where []string
	if p.Log != "" {
		w := "log " + p.Log
		if p.Index >= 0 {
			w += fmt.Sprintf(" at index %d", p.Index)
		}
		where = append(where, w)
	}
	if p.Session != "" {
		w := "session " + p.Session
		if p.Seq > 0 {
			w += fmt.Sprintf(" (seq %d)", p.Seq)
		}
		where = append(where, w)
	}
	s := string(p.Damage)
	if len(where) > 0 {
		s += " " + strings.Join(where, ", ")
	}
	return s + ": " + p.Detail
}

// openAnchor makes an Anchor of a command-line spec.
func openAnchor(spec, table, tokenFile string) (record.Anchor, error) {
	switch {
	case isPostgresURL(spec):
		return &pgsink.Anchor{ConnString: spec, Table: table}, nil
	case strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://"):
		tok := ""
		if tokenFile != "" {
			b, err := os.ReadFile(tokenFile)
			if err != nil {
				return nil, fmt.Errorf("anchor token: %w", err)
			}
			tok = strings.TrimSpace(string(b))
		}
		return &record.HTTPAnchor{URL: spec, Token: tok}, nil
	case spec == "":
		return nil, errors.New("empty --anchor")
	}
	return &record.FileAnchor{Path: spec}, nil
}

// verifyProof checks a session proof file alone.
func verifyProof(path string, pub []byte, stdout, stderr io.Writer) int {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(stderr, "airlock verify:", err)
		return 1
	}
	res, err := record.VerifySessionProof(data, pub)
	if err != nil {
		fmt.Fprintf(stdout, "BROKEN proof %s: %s\n", clean(path), clean(err.Error()))
		return 1
	}
	if res.Complete {
		fmt.Fprintf(stdout, "ok     session %s: %d entries, complete, included in %s at size %d\n", clean(res.Session), len(res.Entries), clean(res.Checkpoint.Origin), res.Checkpoint.Size)
	} else {
		fmt.Fprintf(stdout, "open   session %s: %d entries included in %s at size %d; the session had not ended: %s\n", clean(res.Session), len(res.Entries), clean(res.Checkpoint.Origin), res.Checkpoint.Size, clean(res.Open))
	}
	return 0
}
