package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/record"
)

const replayUsage = `usage: airlock replay FILE|postgres://... [--session ID] [--speed N] [--detail] [--follow] [--color auto|always|never]

Prints recorded sessions as a transcript: one line per event by default, with
times relative to the session's start; --detail adds the request attributes,
the decision's rules, mask and errors, review votes and every line of output
with what was masked. Recorded text is escaped: a record cannot drive your
terminal. Colour is used when standard output is a terminal and NO_COLOR is
not set. A progress line goes to standard error (when it is a terminal) while
a large record is read.

Without --session, a record file of several sessions is shown in recorded
order, each line tagged with the start of its session id (airlock sessions
lists the ids); a PostgreSQL table is shown session by session.

--follow tails a record file that a gateway is writing and prints entries as
they are appended, until Ctrl-C, or until the session named by --session ends.

Exit status: 0 ok, 1 failure (unreadable source or entries, unknown session),
2 bad usage.

flags:`

// replayOptions are the parsed flags of airlock replay.
type replayOptions struct {
	source  string
	session string
	table   string
	speed   float64
	detail  bool
	follow  bool
	color   bool
	poll    time.Duration // --follow polling interval
}

// cmdReplay runs `airlock replay SOURCE [--session ID] [--speed N]`: a human
// transcript of recorded sessions with relative times, decisions, approvals
// and the (masked) outputs the client saw. Ctrl-C stops it.
func cmdReplay(args []string, stdout, stderr io.Writer) int {
	return onInterrupt(runReplay, args, stdout, stderr)
}

// onInterrupt runs a command under a context that Ctrl-C cancels.
func onInterrupt(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return run(ctx, args, stdout, stderr)
}

// runReplay is cmdReplay under ctx; cancelling ctx stops it (and ends
// --follow normally).
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, code := parseReplayFlags(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	bw := bufio.NewWriterSize(stdout, 64<<10)
	defer bw.Flush()
	prog := newProgress(stderr, "airlock replay")
	defer prog.clear()
	pr := &printer{w: bw, pal: palette{on: o.color}, detail: o.detail, prog: prog, start: map[string]int64{}}
	if o.follow {
		return followReplay(ctx, o, pr, stderr)
	}
	src, closeSrc, err := openSource(ctx, o.source, o.table)
	if err != nil {
		fmt.Fprintln(stderr, "airlock replay:", err)
		return 1
	}
	defer closeSrc()
	ids, err := sessionIDs(ctx, src, o.session)
	if err != nil {
		fmt.Fprintln(stderr, "airlock replay:", err)
		return 1
	}
	rp := &replayer{ctx: ctx, o: o, pr: pr, bw: bw, prog: prog}
	if fr, ok := src.(*record.FileReader); ok && len(ids) > 1 {
		return rp.playFile(fr)
	}
	return rp.playSessions(src, ids, stderr)
}

// parseReplayFlags parses the flags of airlock replay. It returns -1, or
// the exit code to return.
func parseReplayFlags(args []string, stdout, stderr io.Writer) (replayOptions, int) {
	fs := newFlagSet("replay", stderr)
	var o replayOptions
	fs.StringVar(&o.session, "session", "", "replay only this session (default: all)")
	fs.Float64Var(&o.speed, "speed", 0, "play back in real time divided by N (0: no waiting)")
	fs.StringVar(&o.table, "table", "", "table name when SOURCE is a PostgreSQL URL (default airlock_record)")
	fs.BoolVar(&o.detail, "detail", false, "show everything recorded: attributes, rules, mask, errors, votes, full output")
	fs.BoolVar(&o.follow, "follow", false, "keep reading a record FILE as it grows (stop with Ctrl-C, or when --session ends)")
	colorMode := fs.String("color", "auto", "colour: auto (when stdout is a terminal and NO_COLOR is unset), always or never")
	fs.DurationVar(&o.poll, "poll", 200*time.Millisecond, "with --follow: how often to look for new entries")
	pos, code := parseFlags(fs, args, replayUsage, stdout, stderr)
	if code >= 0 {
		return o, code
	}
	if len(pos) != 1 || o.speed < 0 || o.poll <= 0 {
		printUsage(stderr, fs, replayUsage)
		return o, 2
	}
	o.source = pos[0]
	var err error
	if o.color, err = useColor(*colorMode, stdout); err != nil {
		fmt.Fprintln(stderr, "airlock replay:", err)
		return o, 2
	}
	if o.follow && isPostgresURL(o.source) {
		fmt.Fprintln(stderr, "airlock replay: --follow reads a record file, not a PostgreSQL table")
		return o, 2
	}
	return o, -1
}

// replayer prints the entries of a replay, waiting between them as --speed
// asks.
type replayer struct {
	ctx    context.Context
	o      replayOptions
	pr     *printer
	bw     *bufio.Writer
	prog   *progress
	prev   int64 // time of the latest entry played in this session
	status int   // 1 once an entry could not be read
}

// play prints one entry read, after waiting as --speed asks; false means
// stop (interrupted).
func (rp *replayer) play(e record.Event, err error) bool {
	rp.prog.tick(func() { _ = rp.bw.Flush() })
	if rp.ctx.Err() != nil {
		return false
	}
	if err != nil {
		rp.pr.problem(err.Error())
		rp.status = 1
		return true
	}
	if rp.prev == 0 {
		rp.prev = e.Time
	}
	if rp.o.speed > 0 && e.Time > rp.prev {
		_ = rp.bw.Flush()
		t := time.NewTimer(time.Duration(float64(e.Time-rp.prev) / rp.o.speed))
		select {
		case <-rp.ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
	rp.prev = max(rp.prev, e.Time)
	rp.pr.entry(e)
	return true
}

// playFile plays several sessions of a file: one pass in recorded order,
// each line tagged with its session (reading the file once per session
// would not scale).
func (rp *replayer) playFile(fr *record.FileReader) int {
	rp.pr.tag = true
	for e, err := range fr.All(rp.ctx) {
		if !rp.play(e, err) {
			return 1
		}
	}
	return rp.status
}

// playSessions plays the sessions one after the other, each under its
// header.
func (rp *replayer) playSessions(src record.Reader, ids []string, stderr io.Writer) int {
	for i, id := range ids {
		if i > 0 {
			rp.pr.blank()
		}
		rp.pr.tag = len(ids) > 1
		rp.prev = 0
		n := 0
		for e, err := range src.Read(rp.ctx, id) {
			if err == nil && n == 0 {
				rp.pr.header(id)
			}
			if err == nil {
				n++
			}
			if !rp.play(e, err) {
				return 1
			}
		}
		if n == 0 {
			_ = rp.bw.Flush()
			rp.prog.clear()
			fmt.Fprintf(stderr, "airlock replay: session %s: no entries\n", clean(id))
			rp.status = 1
		}
	}
	return rp.status
}

func isPostgresURL(src string) bool {
	return strings.HasPrefix(src, "postgres://") || strings.HasPrefix(src, "postgresql://")
}

// openSource opens a record file, or a PostgreSQL table when src is a URL.
func openSource(ctx context.Context, src, table string) (record.Reader, func(), error) {
	if isPostgresURL(src) {
		p, err := openRecordTable(ctx, src, table)
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
	id, err := matchSession(ids, only)
	if err != nil {
		return nil, err
	}
	return []string{id}, nil
}

// matchSession finds a session by its id or by a unique prefix of it (the
// short ids replay and sessions print).
func matchSession(ids []string, want string) (string, error) {
	var found []string
	for _, id := range ids {
		if id == want {
			return id, nil
		}
		if strings.HasPrefix(id, want) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("session %q not found (airlock sessions lists them)", want)
	case 1:
		return found[0], nil
	}
	if len(found) > 5 {
		found = append(found[:5], "...")
	}
	return "", fmt.Errorf("session prefix %q matches %s: give more of the id", want, strings.Join(found, ", "))
}

func orDash(s string) string {
	if s == "" {
		return "-"
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
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
