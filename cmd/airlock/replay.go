package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// cmdReplay runs `airlock replay SOURCE [--session ID] [--speed N]`: a human
// transcript of recorded sessions with relative times, decisions, approvals
// and the (masked) outputs the client saw.
func cmdReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	session := fs.String("session", "", "replay only this session (default: all)")
	speed := fs.Float64("speed", 0, "play back in real time divided by N (0: no waiting)")
	table := fs.String("table", "", "table name when SOURCE is a PostgreSQL URL (default airlock_record)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: airlock replay FILE|postgres://... [--session ID] [--speed N]")
		fs.PrintDefaults()
	}
	pos, ok := parseArgs(fs, args)
	if !ok || len(pos) != 1 || *speed < 0 {
		fs.Usage()
		return 2
	}
	ctx := context.Background()
	src, closeSrc, err := openSource(ctx, pos[0], *table)
	if err != nil {
		fmt.Fprintln(stderr, "airlock replay:", err)
		return 1
	}
	defer closeSrc()
	ids, err := sessionIDs(ctx, src, *session)
	if err != nil {
		fmt.Fprintln(stderr, "airlock replay:", err)
		return 1
	}
	status := 0
	for i, id := range ids {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		var prev int64
		var start int64
		n := 0
		for e, err := range src.Read(ctx, id) {
			if err != nil {
				fmt.Fprintf(stdout, "!! %s\n", clean(err.Error()))
				status = 1
				continue
			}
			if n == 0 {
				start, prev = e.Time, e.Time
				fmt.Fprintf(stdout, "session %s\n", clean(id))
			}
			n++
			if *speed > 0 && e.Time > prev {
				time.Sleep(time.Duration(float64(e.Time-prev) / *speed))
			}
			prev = max(prev, e.Time)
			writeTranscriptLine(stdout, e, start)
		}
		if n == 0 {
			fmt.Fprintf(stderr, "airlock replay: session %s: no entries\n", clean(id))
			status = 1
		}
	}
	return status
}

// parseArgs parses flags placed before, between or after the positional
// arguments, which the flag package alone does not allow.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, true
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// openSource opens a record file, or a PostgreSQL table when src is a URL.
func openSource(ctx context.Context, src, table string) (record.Reader, func(), error) {
	if strings.HasPrefix(src, "postgres://") || strings.HasPrefix(src, "postgresql://") {
		p, err := record.OpenPostgres(ctx, src, record.PostgresOptions{Table: table})
		if err != nil {
			return nil, nil, err
		}
		return p, func() { _ = p.Close() }, nil
	}
	r, err := record.OpenFileReader(src)
	if err != nil {
		return nil, nil, err
	}
	return r, func() {}, nil
}

// sessionIDs returns the one session asked for, or all of them.
func sessionIDs(ctx context.Context, src record.Reader, only string) ([]string, error) {
	ids, err := src.Sessions(ctx)
	if err != nil {
		return nil, err
	}
	if only == "" {
		if len(ids) == 0 {
			return nil, errors.New("no sessions recorded")
		}
		return ids, nil
	}
	for _, id := range ids {
		if id == only {
			return []string{id}, nil
		}
	}
	return nil, fmt.Errorf("session %q not found", only)
}

// writeTranscriptLine prints one entry. Everything that came from the
// recorded session is escaped: a recording must not drive the auditor's
// terminal.
func writeTranscriptLine(w io.Writer, e record.Event, start int64) {
	rel := fmt.Sprintf("+%9.3fs", float64(e.Time-start)/1e9)
	if e.Checkpoint != nil {
		cp := e.Checkpoint
		what := "checkpoint"
		if cp.Final {
			what = "final checkpoint"
		}
		signed := "unsigned"
		if len(cp.Signature) > 0 {
			signed = "signed by key " + cp.KeyID
		}
		fmt.Fprintf(w, "%s  %-10s over seq %d (%s)\n", rel, what, cp.HeadSeq, signed)
		return
	}
	ev := e.Event
	if ev == nil {
		fmt.Fprintf(w, "%s  %-10s (undecodable entry)\n", rel, e.Kind)
		return
	}
	who := ""
	if ev.Identity != nil {
		who = clean(ev.Identity.Subject)
		if ev.Identity.Name != "" {
			who += " (" + clean(ev.Identity.Name) + ")"
		}
	}
	switch ev.Kind {
	case gate.EventSessionStart:
		si := ev.Session
		if si == nil {
			si = &gate.SessionInfo{}
		}
		fmt.Fprintf(w, "%s  %-10s %s %s -> %s from %s (%s)\n", rel, "start", clean(si.Protocol), who,
			orDash(clean(si.Target)), orDash(clean(si.ClientAddr)), time.Unix(0, e.Time).UTC().Format(time.RFC3339Nano))
		if si.FailOpen {
			fmt.Fprintf(w, "%s  %-10s the gate was configured to FAIL OPEN\n", rel, "warning")
		}
	case gate.EventSessionEnd:
		si := ev.Session
		if si == nil {
			si = &gate.SessionInfo{}
		}
		fmt.Fprintf(w, "%s  %-10s %s (requests %d, denied %d)\n", rel, "end", clean(si.Reason), si.Requests, si.Denied)
	case gate.EventRequest:
		if ev.Request != nil {
			fmt.Fprintf(w, "%s  %-10s %s\n", rel, "request", clean(ev.Request.Command))
		}
	case gate.EventDecision:
		if ev.Request != nil {
			fmt.Fprintf(w, "%s  %-10s %s\n", rel, "request", clean(ev.Request.Command))
		}
		if d := ev.Decision; d != nil {
			line := fmt.Sprintf("%s  %-10s %s by rule %s", rel, "decision", strings.ToUpper(string(d.Action)), clean(d.Rule))
			if d.Reason != "" {
				line += ": " + clean(d.Reason)
			}
			if len(d.Rules) > 0 {
				line += " [rules " + clean(strings.Join(d.Rules, ", ")) + "]"
			}
			if len(d.Mask) > 0 {
				line += " [mask " + clean(strings.Join(d.Mask, ", ")) + "]"
			}
			if d.RuleSetVersion != "" {
				line += " [rule set " + clean(shortHash(d.RuleSetVersion)) + "]"
			}
			if d.FailOpen {
				line += " [FAIL-OPEN]"
			}
			fmt.Fprintln(w, line)
			for _, msg := range d.Errors {
				fmt.Fprintf(w, "%s  %-10s %s\n", rel, "error", clean(msg))
			}
		}
	case gate.EventOutput:
		o := ev.Output
		if o == nil {
			return
		}
		label := orDash(clean(o.Stream))
		text := string(o.Data)
		lines := strings.Split(strings.TrimSuffix(strings.ReplaceAll(text, "\r\n", "\n"), "\n"), "\n")
		for i, l := range lines {
			if i == 0 {
				fmt.Fprintf(w, "%s  %-10s | %s\n", rel, label, clean(l))
			} else {
				fmt.Fprintf(w, "%s  %-10s | %s\n", strings.Repeat(" ", len(rel)), "", clean(l))
			}
		}
		var notes []string
		for _, f := range o.Findings {
			notes = append(notes, fmt.Sprintf("%s x%d", clean(f.Detector), f.Count))
		}
		if len(notes) > 0 {
			fmt.Fprintf(w, "%s  %-10s masked: %s\n", rel, "", strings.Join(notes, ", "))
		}
		if o.Truncated {
			fmt.Fprintf(w, "%s  %-10s (output truncated in the record)\n", rel, "")
		}
		if o.ExitStatus != nil {
			fmt.Fprintf(w, "%s  %-10s exit status %d\n", rel, "exit", *o.ExitStatus)
		}
	case gate.EventError:
		fmt.Fprintf(w, "%s  %-10s %s\n", rel, "error", clean(ev.Error))
	default:
		if a := ev.Approval; a != nil && strings.HasPrefix(string(ev.Kind), "approval_") {
			line := fmt.Sprintf("%s  %-10s %s id %s", rel, "approval", strings.TrimPrefix(string(ev.Kind), "approval_"), clean(a.ID))
			if a.Reviewer != nil {
				line += " reviewer " + clean(a.Reviewer.Subject)
				if a.Approve {
					line += " APPROVED"
				} else {
					line += " REJECTED"
				}
			}
			if a.BreakGlass {
				line += " (break glass)"
			}
			if len(a.Rules) > 0 {
				line += " [rules " + clean(strings.Join(a.Rules, ", ")) + "]"
			}
			if a.Reason != "" {
				line += ": " + clean(a.Reason)
			}
			fmt.Fprintln(w, line)
			return
		}
		fmt.Fprintf(w, "%s  %-10s %s\n", rel, clean(string(ev.Kind)), clean(ev.Error))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shortHash(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// clean escapes control characters and invalid UTF-8, so recorded text
// cannot move the cursor, change colours or rewrite earlier lines.
func clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString("    ")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
