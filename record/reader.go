package record

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Reader reads session records back from where a sink stored them.
type Reader interface {
	// Sessions lists the recorded session ids, in order of first entry.
	Sessions(ctx context.Context) ([]string, error)
	// Read yields the session's entries in stored order (which Verify
	// checks), and an error for anything unreadable that may belong to it.
	// The consumer may stop early.
	Read(ctx context.Context, session string) iter.Seq2[Event, error]
}

// ReadSession collects a session's entries from r. It stops at the first
// error, returning the entries before it.
func ReadSession(ctx context.Context, r Reader, session string) ([]Event, error) {
	var out []Event
	for e, err := range r.Read(ctx, session) {
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// ErrTorn is wrapped by the error for a line cut off by a crash.
var ErrTorn = errors.New("torn line (write cut off by a crash)")

// LineError reports an unreadable line of a record file.
type LineError struct {
	File   string
	Line   int
	Offset int64
	Err    error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("record: %s:%d (offset %d): %v", e.File, e.Line, e.Offset, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// FileReader reads a record file together with the files it rotated into
// (PATH.<number>), oldest first.
type FileReader struct {
	files []string
}

// OpenFileReader returns a reader over the record file at path and its
// rotated predecessors. A path that is itself a rotated file is read alone.
func OpenFileReader(path string) (*FileReader, error) {
	var files []string
	matches, err := filepath.Glob(globEscape(path) + ".*")
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	type rot struct {
		name string
		n    int64
	}
	var rots []rot
	for _, m := range matches {
		if n, err := strconv.ParseInt(strings.TrimPrefix(m, path+"."), 10, 64); err == nil {
			rots = append(rots, rot{m, n})
		}
	}
	sort.Slice(rots, func(i, j int) bool { return rots[i].n < rots[j].n })
	for _, r := range rots {
		files = append(files, r.name)
	}
	if _, err := os.Stat(path); err == nil {
		files = append(files, path)
	} else if len(files) == 0 {
		return nil, fmt.Errorf("record: %w", err)
	}
	return &FileReader{files: files}, nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}

// MissingFiles returns the files that the header of a file read names as
// the one it follows (FileHeader.Previous) but that are not there: rotated
// files that were deleted (or removed by retention).
func (r *FileReader) MissingFiles() []string {
	have := map[string]bool{}
	for _, f := range r.files {
		have[filepath.Base(f)] = true
	}
	var out []string
	for _, f := range r.files {
		h, err := readHeader(f)
		if err == nil && h.Previous != "" && !have[h.Previous] {
			out = append(out, filepath.Join(filepath.Dir(f), h.Previous))
		}
	}
	return out
}

func readHeader(name string) (FileHeader, error) {
	f, err := os.Open(name)
	if err != nil {
		return FileHeader{}, err
	}
	defer f.Close()
	line, err := bufio.NewReaderSize(f, 4096).ReadSlice('\n')
	var h FileHeader
	if err != nil || json.Unmarshal(line, &h) != nil || h.Format != "airlock-record" {
		return FileHeader{}, errors.New("no header")
	}
	return h, nil
}

// Files returns the files read, oldest first.
func (r *FileReader) Files() []string { return append([]string(nil), r.files...) }

// Sessions implements Reader.
func (r *FileReader) Sessions(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for e, err := range r.all(ctx) {
		if err != nil {
			if errors.Is(err, ErrTorn) {
				continue
			}
			return out, err
		}
		if !seen[e.SessionID] && !IsLogSession(e.SessionID) {
			seen[e.SessionID] = true
			out = append(out, e.SessionID)
		}
	}
	return out, nil
}

// Read implements Reader. A torn or corrupt line is yielded as an error when
// it may belong to session.
func (r *FileReader) Read(ctx context.Context, session string) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for e, err := range r.all(ctx) {
			if err != nil {
				var le *lineErr
				if errors.As(err, &le) && le.session != "" && le.session != session {
					continue
				}
				if !yield(Event{}, err) {
					return
				}
				continue
			}
			if e.SessionID == session && !yield(e, nil) {
				return
			}
		}
	}
}

// lineErr carries the session a broken line seems to belong to.
type lineErr struct {
	*LineError
	session string
}

func (e *lineErr) Unwrap() error { return e.LineError }

// All yields every entry of every session, of every file, in stored
// order (not the sink-level log's checkpoints; Stored has them too).
func (r *FileReader) All(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for e, err := range r.all(ctx) {
			if err == nil && IsLogSession(e.SessionID) {
				continue
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// Stored yields every stored entry of every file in stored order, the
// sink-level log's checkpoints included: what VerifyRecord reads.
func (r *FileReader) Stored(ctx context.Context) iter.Seq2[Event, error] { return r.all(ctx) }

func (r *FileReader) all(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for _, name := range r.files {
			if err := ctx.Err(); err != nil {
				yield(Event{}, err)
				return
			}
			if !readFile(name, yield) {
				return
			}
		}
	}
}

const maxLine = 64 << 20

func readFile(name string, yield func(Event, error) bool) bool {
	f, err := os.Open(name)
	if err != nil {
		return yield(Event{}, fmt.Errorf("record: %w", err))
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var off int64
	for line := 1; ; line++ {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			full := append([]byte(nil), b...)
			for errors.Is(err, bufio.ErrBufferFull) && len(full) < maxLine {
				b, err = br.ReadSlice('\n')
				full = append(full, b...)
			}
			b = full
		}
		if len(b) == 0 && err == io.EOF {
			return true
		}
		start := off
		off += int64(len(b))
		if err != nil && err != io.EOF {
			return yield(Event{}, &LineError{File: name, Line: line, Offset: start, Err: err})
		}
		if err == io.EOF {
			// No newline: the last write never completed.
			le := &lineErr{&LineError{File: name, Line: line, Offset: start, Err: ErrTorn}, sessionHint(b)}
			return yield(Event{}, le)
		}
		e, perr := parseLine(b)
		if perr != nil {
			le := &lineErr{&LineError{File: name, Line: line, Offset: start, Err: perr}, sessionHint(b)}
			if !yield(Event{}, le) {
				return false
			}
			continue
		}
		if e == nil { // header
			continue
		}
		if !yield(*e, nil) {
			return false
		}
	}
}

// parseLine parses one record line; a header gives nil.
func parseLine(b []byte) (*Event, error) {
	b = bytes.TrimRight(b, "\n")
	if bytes.HasPrefix(b, []byte(`{"format":`)) {
		var h FileHeader
		if err := json.Unmarshal(b, &h); err != nil || h.Format != "airlock-record" {
			return nil, fmt.Errorf("bad file header")
		}
		return nil, nil
	}
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("bad entry: %w", err)
	}
	e.Body = append(json.RawMessage(nil), e.Body...)
	// A line is stored in exactly one form: another spelling of the same
	// entry (a key's case, an escape) is an edit too.
	if canon, err := appendLine(make([]byte, 0, len(b)+1), &e); err != nil || !bytes.Equal(canon[:len(canon)-1], b) {
		return nil, errors.New("bad entry: not in the form the recorder writes (edited)")
	}
	_ = e.decode() // Verify reports bodies that do not decode
	return &e, nil
}

// sessionHint returns the session id a possibly broken line starts with.
func sessionHint(b []byte) string {
	const p = `,"session":"`
	if !bytes.HasPrefix(b, []byte(`{"v":1`)) && !bytes.HasPrefix(b, []byte(`{"v":2`)) || !bytes.HasPrefix(b[6:], []byte(p)) {
		return ""
	}
	rest := b[6+len(p):]
	i := bytes.IndexByte(rest, '"')
	if i < 0 || bytes.IndexByte(rest[:i], '\\') >= 0 {
		return ""
	}
	return string(rest[:i])
}

// ReadFile reads every session of a record file (and its rotated
// predecessors) into memory, keyed by session id (not the sink-level
// log's checkpoints: VerifyRecord reads those, from FileReader.Stored). The first unreadable line
// is returned as the error, with everything read before it.
func ReadFile(path string) (map[string][]Event, error) {
	r, err := OpenFileReader(path)
	if err != nil {
		return nil, err
	}
	out := map[string][]Event{}
	for e, err := range r.All(context.Background()) {
		if err != nil {
			return out, err
		}
		out[e.SessionID] = append(out[e.SessionID], e)
	}
	return out, nil
}
