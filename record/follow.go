package record

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// FollowOptions tune Follow.
type FollowOptions struct {
	// Poll is how often the file is looked at for new entries; zero means
	// 200ms.
	Poll time.Duration
	// Session, when set, keeps only the entries of this session (its full
	// id), and ends following when the session is over: at its final
	// checkpoint, or one poll after its session_end event when no final
	// checkpoint follows (the recorder stopped first).
	Session string
	// Idle, when set, is called each time every entry appended so far has
	// been yielded, before waiting for more: the moment to flush buffered
	// output.
	Idle func()
	// Verify checks every session's chain as its entries arrive, as Verify
	// does: sequence, links, hashes, bodies, checkpoints, and with Key
	// their signatures. Only entries that pass are yielded. The first entry
	// of a session that fails is yielded as a *VerifyError instead, and
	// the session's later entries are withheld (following a single session
	// ends there). An entry is proven once a signed checkpoint covers it:
	// until then it is only known to extend its chain.
	Verify bool
	// Key is the public key that signs checkpoints, for Verify; nil checks
	// the chains but not the signatures.
	Key ed25519.PublicKey
}

// Follow tails the record file at path while a File sink writes it: it
// yields the entries of the files the record rotated into (oldest first),
// then those of path, then every entry appended to it, following path when
// it rotates, until ctx ends or the followed session is over
// (FollowOptions.Session). Only complete lines are read: a line still
// being written waits for its newline.
//
// An unreadable line is yielded as a *LineError and following goes on;
// any other error (the file cannot be opened or read) is yielded last. The
// end of ctx ends the sequence without an error.
//
// The entries are parsed as ParseLine parses them; Verify or VerifyRecord
// proves them once the session or the record is complete.
func Follow(ctx context.Context, path string, opts FollowOptions) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		t := newTailer(path, opts, yield)
		if err := t.run(ctx); err != nil {
			yield(Event{}, err)
		}
	}
}

// tailer reads a record file that is being written: first the files it
// rotated into, then the file itself, then whatever is appended to it,
// following it when it rotates.
type tailer struct {
	path string
	poll time.Duration
	// emit is called with each entry in stored order; true stops.
	emit func(Event) bool
	// bad is called with each unreadable line; true stops.
	bad func(error) bool
	// idle is called when the file has no new complete line, before
	// waiting; true stops.
	idle func() bool

	seen []os.FileInfo // files read or being read
}

// newTailer makes the tailer of Follow: it yields to yield, keeping to
// opts.Session when set.
func newTailer(path string, opts FollowOptions, yield func(Event, error) bool) *tailer {
	poll := opts.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	ended := false // the followed session recorded its end
	idleAfterEnd := 0
	verify := newFollowVerifier(opts)
	return &tailer{
		path: path,
		poll: poll,
		emit: func(e Event) bool {
			if opts.Session != "" && e.SessionID != opts.Session {
				return false
			}
			if ok, err := verify.check(&e); err != nil {
				return !yield(Event{}, err) || opts.Session != ""
			} else if !ok {
				return false
			}
			if !yield(e, nil) {
				return true
			}
			if opts.Session == "" {
				return false
			}
			if e.Checkpoint != nil && e.Checkpoint.Final {
				return true
			}
			if e.Event != nil && e.Event.Kind == gate.EventSessionEnd {
				ended = true
			}
			return false
		},
		bad: func(err error) bool { return !yield(Event{}, err) },
		idle: func() bool {
			if opts.Idle != nil {
				opts.Idle()
			}
			if ended {
				idleAfterEnd++
			}
			return idleAfterEnd > 1
		},
	}
}

// followVerifier checks the chains of the sessions Follow yields.
type followVerifier struct {
	key      ed25519.PublicKey
	sessions map[string]*chainVerifier
	broken   map[string]bool
}

// newFollowVerifier returns the verifier opts ask for, or nil.
func newFollowVerifier(opts FollowOptions) *followVerifier {
	if !opts.Verify {
		return nil
	}
	return &followVerifier{key: opts.Key, sessions: map[string]*chainVerifier{}, broken: map[string]bool{}}
}

// check reports whether e may be yielded, or the error that breaks its
// session's chain. A nil verifier passes everything.
func (f *followVerifier) check(e *Event) (bool, error) {
	if f == nil {
		return true, nil
	}
	id := e.SessionID
	if f.broken[id] {
		return false, nil
	}
	v := f.sessions[id]
	if v == nil {
		v = &chainVerifier{pub: f.key}
		f.sessions[id] = v
	}
	if err := v.next(e); err != nil {
		f.broken[id] = true
		delete(f.sessions, id)
		return false, err
	}
	// A session's verifier stays after its final checkpoint: an entry
	// after it is an error.
	return true, nil
}

// errStop ends reading when emit, bad or idle say so.
var errStop = errors.New("stop")

// run reads until ctx ends (returning nil), emit, bad or idle stop, or the
// file cannot be read.
func (t *tailer) run(ctx context.Context) error {
	for {
		f, err := os.Open(t.path)
		if err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		// Every rotated file is older than f, even one that f itself became
		// since it was opened (that one is skipped: follow reads it).
		t.seen = append(t.seen, st)
		if err := t.readRotated(); err != nil {
			f.Close()
			return stopped(err)
		}
		err = t.follow(ctx, f)
		f.Close()
		if !errors.Is(err, errRotated) {
			return stopped(err)
		}
	}
}

func stopped(err error) error {
	if errors.Is(err, errStop) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// torn reports the incomplete last line of a file that will not grow.
func (t *tailer) torn(ln *followReader) error {
	if len(ln.partial) > 0 && t.bad(&LineError{File: ln.name, Line: ln.line + 1, Err: ErrTorn}) {
		return errStop
	}
	return nil
}

// readRotated reads the rotated files of path not read yet, oldest first.
func (t *tailer) readRotated() error {
	r, err := OpenFileReader(t.path)
	if err != nil {
		return err
	}
	for _, name := range r.Files() {
		if name == t.path {
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil || t.wasSeen(st) {
			f.Close()
			if err != nil {
				return err
			}
			continue
		}
		t.seen = append(t.seen, st)
		ln := &followReader{name: name, br: bufio.NewReaderSize(f, 1<<20)}
		err = ln.each(t.emit, t.bad)
		if err == nil {
			err = t.torn(ln)
		}
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *tailer) wasSeen(st os.FileInfo) bool {
	for _, s := range t.seen {
		if os.SameFile(s, st) {
			return true
		}
	}
	return false
}

var errRotated = errors.New("rotated")

// follow reads f to its end, and then what is appended, until ctx ends or
// path names another file (errRotated, after reading f to its end).
func (t *tailer) follow(ctx context.Context, f *os.File) error {
	ln := &followReader{name: t.path, br: bufio.NewReaderSize(f, 1<<20)}
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		if err := ln.each(t.emit, t.bad); err != nil {
			return err
		}
		if rotated(f, t.path) {
			// Whatever reached f before the rename is complete by now.
			if err := ln.each(t.emit, t.bad); err != nil {
				return err
			}
			if err := t.torn(ln); err != nil {
				return err
			}
			return errRotated
		}
		if t.idle() {
			return errStop
		}
		timer.Reset(t.poll)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// rotated reports whether path no longer names the open file f.
func rotated(f *os.File, path string) bool {
	st, err := f.Stat()
	if err != nil {
		return false
	}
	cur, err := os.Stat(path)
	if err != nil {
		return false // not recreated yet
	}
	return !os.SameFile(st, cur)
}

// followReader reads complete lines from a growing file.
type followReader struct {
	name    string
	br      *bufio.Reader
	partial []byte
	line    int
}

// maxFollowLine bounds a line held while waiting for its newline.
const maxFollowLine = 64 << 20

// each parses and emits every complete line available now.
func (l *followReader) each(emit func(Event) bool, bad func(error) bool) error {
	for {
		b, err := l.br.ReadSlice('\n')
		if len(b) > 0 {
			l.partial = append(l.partial, b...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(l.partial) > maxFollowLine {
				return fmt.Errorf("%s:%d: line longer than %d bytes", l.name, l.line+1, maxFollowLine)
			}
			continue
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		l.line++
		line := l.partial
		l.partial = l.partial[:0]
		e, perr := ParseLine(bytes.TrimRight(line, "\n"))
		if perr != nil {
			if bad(&LineError{File: l.name, Line: l.line, Err: perr}) {
				return errStop
			}
			continue
		}
		if e != nil && emit(*e) {
			return errStop
		}
	}
}
