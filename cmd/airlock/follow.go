package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// followReplay prints a record file's entries, then keeps printing entries
// as they are appended, until ctx ends or the followed session ends.
func followReplay(ctx context.Context, o replayOptions, pr *printer, stderr io.Writer) int {
	// Reading the existing entries is no "large record" to show progress
	// for: the output follows the file.
	pr.prog = nil
	pr.tag = o.session == ""
	if o.session != "" {
		pr.header(o.session)
	}
	status := 0
	ended := false // the followed session recorded its end
	idleAfterEnd := 0
	t := &tailer{
		path: o.source,
		poll: o.poll,
		emit: func(e record.Event) bool {
			if o.session != "" && e.SessionID != o.session {
				return false
			}
			pr.entry(e)
			if o.session == "" {
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
		bad: func(err error) {
			pr.problem(err.Error())
			status = 1
		},
		// A session that ended but whose final checkpoint did not follow
		// within one poll (the recorder died) is over too.
		idle: func() bool {
			_ = pr.w.Flush()
			if ended {
				idleAfterEnd++
			}
			return idleAfterEnd > 1
		},
	}
	if err := t.run(ctx); err != nil {
		_ = pr.w.Flush()
		fmt.Fprintln(stderr, "airlock replay:", err)
		return 1
	}
	return status
}

// tailer reads a record file that is being written: first the files it
// rotated into, then the file itself, then whatever is appended to it,
// following it when it rotates. Only complete lines are read; a line still
// being written waits for its newline.
type tailer struct {
	path string
	poll time.Duration
	// emit is called with each entry in stored order; true stops.
	emit func(record.Event) bool
	// bad is called with each unreadable line.
	bad func(error)
	// idle is called when the file has no new complete line, before
	// waiting; true stops.
	idle func() bool

	seen []os.FileInfo // files read or being read
}

// errStop ends reading when emit says so.
var errStop = errors.New("stop")

// run reads until ctx ends (returning nil), emit or idle stop, or the file
// cannot be read.
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

// readRotated reads the rotated files of path not read yet, oldest first.
func (t *tailer) readRotated() error {
	r, err := record.OpenFileReader(t.path)
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
		ln := &lineReader{name: name, br: bufio.NewReaderSize(f, 1<<20)}
		err = ln.each(t.emit, t.bad)
		if err == nil && len(ln.partial) > 0 {
			t.bad(&record.LineError{File: name, Line: ln.line + 1, Err: record.ErrTorn})
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
	ln := &lineReader{name: t.path, br: bufio.NewReaderSize(f, 1<<20)}
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
			if len(ln.partial) > 0 {
				t.bad(&record.LineError{File: t.path, Line: ln.line + 1, Err: record.ErrTorn})
			}
			return errRotated
		}
		if t.idle != nil && t.idle() {
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

// lineReader reads complete lines from a growing file.
type lineReader struct {
	name    string
	br      *bufio.Reader
	partial []byte
	line    int
}

// maxFollowLine bounds a line held while waiting for its newline.
const maxFollowLine = 64 << 20

// each parses and emits every complete line available now.
func (l *lineReader) each(emit func(record.Event) bool, bad func(error)) error {
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
		e, perr := record.ParseLine(bytes.TrimRight(line, "\n"))
		if perr != nil {
			bad(&record.LineError{File: l.name, Line: l.line, Err: perr})
			continue
		}
		if e != nil && emit(*e) {
			return errStop
		}
	}
}
