package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

const sessionsUsage = `usage: airlock sessions FILE|postgres://... [--json] [--table NAME]

Lists the sessions of a record, oldest first: who (identity subject, name and
kind), protocol, target, client address, start time, duration, requests,
refusals (denied decisions), holds (requests held for review), and the state
of its record:

  closed  the session ended and its record ends with a final checkpoint, and
          the hash chain is intact (run airlock verify --key to check the
          signatures)
  open    no final checkpoint yet: the session is live, or was cut off
  broken  the chain does not link up, or lines are unreadable

Exit status: 0 ok, 1 failure (unreadable source or lines, a broken record),
2 bad usage.

flags:`

// sessionSummary is one row of airlock sessions (and one object of --json).
type sessionSummary struct {
	ID         string            `json:"id"`
	Subject    string            `json:"subject"`
	Name       string            `json:"name,omitempty"`
	Kind       gate.IdentityKind `json:"kind,omitempty"`
	Protocol   string            `json:"protocol"`
	Target     string            `json:"target,omitempty"`
	ClientAddr string            `json:"client_addr,omitempty"`
	Start      time.Time         `json:"start"`
	End        *time.Time        `json:"end,omitempty"`
	Duration   float64           `json:"duration_seconds"`
	Requests   int               `json:"requests"`
	Refusals   int               `json:"refusals"`
	Holds      int               `json:"holds"`
	Entries    int               `json:"entries"`
	Ended      bool              `json:"ended"`
	Final      bool              `json:"final_checkpoint"`
	Signed     bool              `json:"signed"`
	ChainOK    bool              `json:"chain_ok"`
	State      string            `json:"state"`
	Problems   []string          `json:"problems,omitempty"`

	last      int64             // time of the last entry (Unix ns)
	prevHash  string            // chain head so far
	startSeen bool              // a session_start entry was read
	identity  *gate.Identity    // from the first entry that carries one
	info      *gate.SessionInfo // from session_start
}

// cmdSessions runs `airlock sessions SOURCE [--json]`.
func cmdSessions(args []string, stdout, stderr io.Writer) int {
	return onInterrupt(runSessions, args, stdout, stderr)
}

func runSessions(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sessions", stderr)
	asJSON := fs.Bool("json", false, "print a JSON array (one object per session) instead of a table")
	table := fs.String("table", "", "table name when SOURCE is a PostgreSQL URL (default airlock_record)")
	pos, code := parseFlagsN(fs, args, 1, sessionsUsage, stdout, stderr)
	if code >= 0 {
		return code
	}
	src, closeSrc, err := openSource(ctx, pos[0], *table)
	if err != nil {
		fmt.Fprintln(stderr, "airlock sessions:", err)
		return 1
	}
	defer closeSrc()
	prog := newProgress(stderr, "airlock sessions")
	sums, readErrs, err := summarizeSessions(ctx, src, prog)
	prog.clear()
	if err != nil {
		fmt.Fprintln(stderr, "airlock sessions:", err)
		return 1
	}
	status := 0
	for _, e := range readErrs {
		fmt.Fprintln(stderr, "airlock sessions:", clean(e))
		status = 1
	}
	if *asJSON {
		if sums == nil {
			sums = []*sessionSummary{}
		}
		b, err := json.MarshalIndent(sums, "", "  ")
		if err != nil {
			fmt.Fprintln(stderr, "airlock sessions:", err)
			return 1
		}
		if _, err := stdout.Write(append(jsonInert(b), '\n')); err != nil {
			return 1
		}
	} else {
		writeSessionTable(stdout, sums)
	}
	for _, s := range sums {
		if s.State == "broken" {
			status = 1
		}
	}
	return status
}

// summarizeSessions reads every entry of src once and sums up each session, sorted
// by start time. Unreadable lines that belong to no known session come back
// as readErrs.
func summarizeSessions(ctx context.Context, src record.Reader, prog *progress) ([]*sessionSummary, []string, error) {
	byID := map[string]*sessionSummary{}
	var order []*sessionSummary
	var readErrs []string
	add := func(e record.Event) {
		prog.tick(nil)
		s := byID[e.SessionID]
		if s == nil {
			s = &sessionSummary{ID: e.SessionID, ChainOK: true}
			byID[e.SessionID] = s
			order = append(order, s)
		}
		s.add(e)
	}
	if fr, ok := src.(*record.FileReader); ok {
		for e, err := range fr.All(ctx) {
			if err != nil {
				if ctx.Err() != nil {
					return nil, nil, ctx.Err()
				}
				readErrs = append(readErrs, err.Error())
				continue
			}
			add(e)
		}
	} else {
		ids, err := src.Sessions(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range ids {
			for e, err := range src.Read(ctx, id) {
				if err != nil {
					if ctx.Err() != nil {
						return nil, nil, ctx.Err()
					}
					s := byID[id]
					if s == nil {
						s = &sessionSummary{ID: id}
						byID[id] = s
						order = append(order, s)
					}
					s.Problems = append(s.Problems, err.Error())
					s.ChainOK = false
					continue
				}
				add(e)
			}
		}
	}
	for _, s := range order {
		s.finish()
	}
	sort.SliceStable(order, func(i, j int) bool {
		if !order[i].Start.Equal(order[j].Start) {
			return order[i].Start.Before(order[j].Start)
		}
		return order[i].ID < order[j].ID
	})
	return order, readErrs, nil
}

// add folds one entry (in stored order) into the summary.
func (s *sessionSummary) add(e record.Event) {
	s.Entries++
	if s.Entries == 1 {
		s.Start = time.Unix(0, e.Time).UTC()
	}
	s.last = max(s.last, e.Time)
	// The chain, without the signatures: does each entry follow the last?
	if e.Seq != uint64(s.Entries) || e.PrevHash != s.prevHash || e.ComputeHash() != e.Hash {
		if s.ChainOK {
			s.Problems = append(s.Problems, fmt.Sprintf("chain broken at entry %d (seq %d)", s.Entries-1, e.Seq))
		}
		s.ChainOK = false
	}
	s.prevHash = e.Hash
	if s.Final {
		// Anything after the final checkpoint is not covered by it.
		s.Final = false
		s.Problems = append(s.Problems, fmt.Sprintf("entry after the final checkpoint (seq %d)", e.Seq))
		s.ChainOK = false
	}
	if cp := e.Checkpoint; cp != nil {
		if cp.Final {
			s.Final = true
			s.Signed = len(cp.Signature) > 0
		}
		return
	}
	ev := e.Event
	if ev == nil {
		s.Problems = append(s.Problems, fmt.Sprintf("undecodable entry (seq %d)", e.Seq))
		s.ChainOK = false
		return
	}
	if s.identity == nil && ev.Identity != nil {
		s.identity = ev.Identity
	}
	switch ev.Kind {
	case gate.EventSessionStart:
		if !s.startSeen && ev.Session != nil {
			s.startSeen = true
			s.info = ev.Session
			if ev.Identity != nil {
				s.identity = ev.Identity
			}
			if !ev.Session.Start.IsZero() {
				s.Start = ev.Session.Start.UTC()
			}
		}
	case gate.EventSessionEnd:
		s.Ended = true
		end := time.Unix(0, e.Time).UTC()
		s.End = &end
		if s.info == nil && ev.Session != nil {
			s.info = ev.Session
		}
	case gate.EventDecision:
		// A held request is decided twice: "review" with the request,
		// then the outcome without it.
		if ev.Request != nil {
			s.Requests++
		}
		if ev.Decision != nil && ev.Decision.Action == gate.Deny {
			s.Refusals++
		}
	case gate.EventApprovalRequested:
		s.Holds++
	}
}

// finish fills in the derived fields.
func (s *sessionSummary) finish() {
	if s.identity != nil {
		s.Subject, s.Name, s.Kind = s.identity.Subject, s.identity.Name, s.identity.Kind
	}
	if s.info != nil {
		s.Protocol, s.Target, s.ClientAddr = s.info.Protocol, s.info.Target, s.info.ClientAddr
	}
	end := time.Unix(0, s.last).UTC()
	if s.End != nil {
		end = *s.End
	}
	if end.After(s.Start) {
		s.Duration = end.Sub(s.Start).Seconds()
	}
	switch {
	case !s.ChainOK:
		s.State = "broken"
	case s.Ended && s.Final:
		s.State = "closed"
	default:
		s.State = "open"
	}
}

func writeSessionTable(w io.Writer, sums []*sessionSummary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tDURATION\tWHO\tPROTOCOL\tTARGET\tCLIENT\tREQUESTS\tREFUSED\tHELD\tSTATE\tSESSION")
	for _, s := range sums {
		who := orDash(clean(s.Subject))
		if s.Name != "" {
			who += " (" + clean(s.Name) + ")"
		}
		if s.Kind != "" {
			who += " [" + clean(string(s.Kind)) + "]"
		}
		dur := (time.Duration(s.Duration * float64(time.Second))).Round(time.Millisecond).String()
		if s.State == "open" {
			dur += "+"
		}
		// Recorded text must not break the table either: tabs become
		// spaces in clean, and clean leaves no control characters.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n",
			s.Start.Format("2006-01-02 15:04:05Z07:00"), dur, who, orDash(clean(s.Protocol)),
			orDash(clean(s.Target)), orDash(clean(s.ClientAddr)), s.Requests, s.Refusals, s.Holds, s.State, clean(s.ID))
	}
	_ = tw.Flush()
	if len(sums) == 0 {
		fmt.Fprintln(w, "(no sessions recorded)")
	}
}

// jsonInert escapes, inside JSON strings, the characters encoding/json
// leaves raw that a terminal may act on (DEL, the C1 controls, bidi
// overrides), so piping --json to a terminal is as safe as the table.
func jsonInert(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c {
			if out == nil {
				out = append([]byte(nil), b[:i]...)
			}
			out = fmt.Appendf(out, `\u%04x`, r)
		} else if out != nil {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	if out == nil {
		return b
	}
	return out
}
