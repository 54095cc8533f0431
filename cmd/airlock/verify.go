package main

import (
	"context"
	"errors"
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

// verifyOptions are the flags of airlock verify.
type verifyOptions struct {
	keyFile, session, table, proof string
	allowOpen                      bool
	anchors                        anchorFlags
	anchorTable, anchorToken       string
}

// cmdVerify runs `airlock verify SOURCE --key PUBFILE [--session ID]
// [--allow-open] [--anchor A]...` or `airlock verify --proof FILE --key
// PUBFILE`: it checks every entry, every session's chain, every sink-level
// log's Merkle tree against its signed checkpoints and, with anchors, the
// tail; it names the first bad point of each damage and exits 1 when any
// is found.
func cmdVerify(args []string, stdout, stderr io.Writer) int {
	var o verifyOptions
	fs := newFlagSet("verify", stderr)
	fs.StringVar(&o.keyFile, "key", "", "Ed25519 public key file (PEM or base64) that signed the checkpoints (required)")
	fs.StringVar(&o.session, "session", "", "report only this session (the whole record is still verified)")
	fs.BoolVar(&o.allowOpen, "allow-open", false, "accept entries after the newest signed checkpoint of a log that was not closed (a running recorder) and sessions without an end; they are reported, never proven")
	fs.StringVar(&o.table, "table", "", "table name when SOURCE is a PostgreSQL URL (default airlock_record)")
	fs.StringVar(&o.proof, "proof", "", "verify a session proof file (airlock export --proof) instead of a record")
	fs.Var(&o.anchors, "anchor", "an anchor holding the log's checkpoints: a file path, a postgres:// URL or an http(s):// URL (repeatable)")
	fs.StringVar(&o.anchorTable, "anchor-table", "", "table of postgres:// anchors (default airlock_anchor)")
	fs.StringVar(&o.anchorToken, "anchor-token-file", "", "file holding the bearer token of http(s):// anchors")
	pos, help, err := parseWithUsage(fs, args, stderr,
		"usage: airlock verify FILE|postgres://... --key PUBFILE [--session ID] [--allow-open] [--anchor A]...",
		"       airlock verify --proof FILE --key PUBFILE",
	)
	if help {
		return 0
	}
	if err != nil || o.keyFile == "" || (o.proof == "" && len(pos) != 1) || (o.proof != "" && len(pos) != 0) {
		fs.Usage()
		return 2
	}
	pub, err := readVerifyKey(o.keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "airlock verify:", err)
		return 2
	}
	if o.proof != "" {
		return verifyProof(o.proof, pub, stdout, stderr)
	}
	return exitCode(stderr, "verify", verifyRecord(context.Background(), pos[0], pub, o, stdout))
}

// verifyRecord verifies the whole record at source and prints the report.
func verifyRecord(ctx context.Context, source string, pub []byte, o verifyOptions, stdout io.Writer) error {
	opts := record.VerifyOptions{Key: pub, AllowOpen: o.allowOpen}
	anchored, err := anchoredCheckpoints(ctx, o)
	if err != nil {
		return err
	}
	opts.Anchored = anchored
	src, all, closeSrc, err := openStored(ctx, source, o.table)
	if err != nil {
		return err
	}
	defer closeSrc()
	rep := record.VerifyRecord(ctx, all.Stored(ctx), opts)
	var missing []string
	if fr, ok := src.(*record.FileReader); ok {
		missing = fr.MissingFiles()
	}
	if !printVerifiedSessions(stdout, rep, o.session) {
		return fmt.Errorf("session %q not found", o.session)
	}
	printVerifyDamage(stdout, rep, missing)
	if !rep.OK() || len(missing) > 0 {
		return quietFailure(1)
	}
	if len(rep.Sessions) == 0 {
		return errors.New("no sessions recorded")
	}
	count := map[record.SessionStatus]int{}
	for _, s := range rep.Sessions {
		count[s.Status]++
	}
	fmt.Fprintf(stdout, "verified %d sessions (%d entries): %d proven, %d open, %d unverified, %d legacy; key %s\n", len(rep.Sessions), rep.Entries,
		count[record.SessionVerified], count[record.SessionOpen], count[record.SessionUnverified], count[record.SessionLegacy], record.KeyID(pub))
	return nil
}

// anchoredCheckpoints reads the latest checkpoints of every --anchor.
func anchoredCheckpoints(ctx context.Context, o verifyOptions) ([]*record.LogCheckpoint, error) {
	var anchored []*record.LogCheckpoint
	for _, spec := range o.anchors {
		a, err := openAnchor(spec, o.anchorTable, o.anchorToken)
		if err != nil {
			return nil, usageFailure(err)
		}
		latest, err := a.Latest(ctx)
		if err != nil {
			return nil, fmt.Errorf("anchor %s: %v", clean(spec), err)
		}
		anchored = append(anchored, latest...)
	}
	return anchored, nil
}

// printVerifiedSessions prints a line a session (only the one named, when
// one is) and tells whether the named session was there.
func printVerifiedSessions(stdout io.Writer, rep *record.Report, only string) (found bool) {
	found = only == ""
	for _, s := range rep.Sessions {
		if only != "" && s.ID != only {
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
	return found
}

// printVerifyDamage prints the logs, the legacy note, the deleted files
// and the first 20 problems.
func printVerifyDamage(stdout io.Writer, rep *record.Report, missing []string) {
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
