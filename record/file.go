package record

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/rawio"
	"github.com/airlock-sdk/airlock/internal/uring"
)

// FileHeader is the first line of every record file.
type FileHeader struct {
	// Format is always "airlock-record".
	Format string `json:"format"`
	// Version is the record format version.
	Version int `json:"v"`
	// Created is when the file was started (RFC 3339, UTC, nanoseconds).
	Created time.Time `json:"created"`
	// Previous names the file this one follows after rotation, if any.
	Previous string `json:"previous,omitempty"`
}

// Durability says when File.Write returns.
type Durability int

const (
	// DurabilityWrite returns once the batch is written to the file (in the
	// operating system's cache): it survives the gateway process dying at
	// any point. The file is fsynced in the background at most SyncInterval
	// after a write (on a disk slower than that, as soon as the fsync before
	// it ends: writes do not wait for it), so an operating-system crash or
	// power loss can lose at most that window. This is the default, and
	// what Vault's file audit device does. On Linux the background fsync
	// goes through io_uring (internal/uring) where the kernel allows it.
	DurabilityWrite Durability = iota
	// DurabilityFsync returns once the batch is fsynced. Concurrent writers
	// share fsyncs: the first flushes at once, those arriving meanwhile
	// share the next.
	DurabilityFsync
)

// DefaultSyncInterval bounds how long a DurabilityWrite batch waits for its
// fsync.
const DefaultSyncInterval = 5 * time.Millisecond

// FileOptions configures a File sink. The zero value writes every batch
// before Write returns, fsyncs within 5 ms, and rotates at 64 MiB.
type FileOptions struct {
	// Durability is DurabilityWrite (default) or DurabilityFsync.
	Durability Durability
	// SyncInterval bounds the wait of a written batch for its fsync under
	// DurabilityWrite (default DefaultSyncInterval).
	SyncInterval time.Duration
	// GroupCommit, when positive, lets concurrent writes share one commit:
	// a Write waits until the next commit, at most GroupCommit later. Zero
	// commits every Write before it returns. A Recorder already puts every
	// event that queued during an fsync into its next Write, so GroupCommit
	// pays off when several recorders share a file, or to bound the fsync
	// rate; it adds up to GroupCommit to every synchronous Record.
	GroupCommit time.Duration
	// MaxSize rotates the file once it holds at least this many bytes
	// (default 64 MiB; negative never rotates). The full file is renamed to
	// PATH.<UTC time in ns> and a new PATH is started.
	MaxSize int64
	// Perm is the mode of new files (default 0600).
	Perm os.FileMode
}

// File is a Sink that appends JSON Lines to a file: a FileHeader line, then
// one Event per line ({"v":2,"session":...,"log":...,"idx":...,"event":{...}}). A batch is
// written whole or not at all: after a failed write or fsync the file is cut
// back to its last durable size before the next write.
//
// A crash can leave a torn last line. OpenFile never appends after one: it
// moves such a file aside (as a rotated file), so readers report the torn line
// (ErrTorn) instead of dropping it.
type File struct {
	path string
	opts FileOptions

	mu      sync.Mutex // guards buf, spare, cur, closed
	buf     []byte
	spare   []byte // a written buffer, for reuse
	cur     *commit
	timerOn bool
	closed  bool

	lastMu sync.Mutex
	lastCP *LogCheckpoint // the newest log checkpoint written

	flushMu sync.Mutex // guards f, size, good, dirty, unsynced
	f       *os.File
	size    int64 // durable size of f
	dirty   bool  // f may hold bytes past size
	// unsynced: written bytes wait for a background fsync (DurabilityWrite).
	unsynced bool
	// syncMu is held across every fsync of unsynced bytes. The background
	// fsync holds it without flushMu, so writes go on while the disk
	// flushes; rotation and Close take it (after flushMu) to wait for an
	// fsync in flight before they close the file.
	syncMu sync.Mutex
	// syncErr: a background fsync failed, and every later Write fails
	// with it.
	syncErr atomic.Pointer[error]
	// syncFile is f.Sync, replaceable by tests to simulate a failing disk.
	syncFile func(*os.File) error
	// syncer fsyncs in the background through io_uring, so the goroutine
	// waiting for the disk holds no thread of the scheduler; nil where
	// io_uring is unavailable (f.Sync then).
	syncer *uring.Syncer
	// bg runs the background fsyncs of DurabilityWrite.
	bg syncLoop
}

type commit struct {
	done chan struct{} // closed when committed; nil without group commit
	err  error
}

// OpenFile opens (or creates) the record file at path for appending.
func OpenFile(path string, opts FileOptions) (*File, error) {
	if opts.MaxSize == 0 {
		opts.MaxSize = 64 << 20
	}
	if opts.Perm == 0 {
		opts.Perm = 0o600
	}
	fs := &File{path: path, opts: opts}
	if err := fs.open(""); err != nil {
		return nil, err
	}
	if opts.Durability == DurabilityWrite {
		// Only the background fsync: a caller waiting for its own fsync
		// (DurabilityFsync) waits longer through the ring's worker.
		fs.syncer, _ = uring.New() // nil: f.Sync
	}
	return fs, nil
}

// open opens path, moving a file with a torn tail aside first.
func (fs *File) open(previous string) error {
	if st, err := os.Stat(fs.path); err == nil && st.Size() > 0 {
		ok, err := cleanTail(fs.path)
		if err != nil {
			return err
		}
		if !ok {
			rot, err := fs.rotateName()
			if err != nil {
				return err
			}
			if err := os.Rename(fs.path, rot); err != nil {
				return fmt.Errorf("record: move torn file aside: %w", err)
			}
			previous = filepath.Base(rot)
		}
	}
	f, err := os.OpenFile(fs.path, os.O_RDWR|os.O_CREATE, fs.opts.Perm)
	if err != nil {
		return fmt.Errorf("record: open %s: %w", fs.path, err)
	}
	size, err := f.Seek(0, 2)
	if err != nil {
		f.Close()
		return fmt.Errorf("record: open %s: %w", fs.path, err)
	}
	if size == 0 {
		hdr, _ := json.Marshal(FileHeader{Format: "airlock-record", Version: Version, Created: time.Now().UTC(), Previous: previous})
		hdr = append(hdr, '\n')
		if _, err := f.Write(hdr); err != nil {
			f.Close()
			return fmt.Errorf("record: write header: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("record: sync header: %w", err)
		}
		size = int64(len(hdr))
		syncDir(filepath.Dir(fs.path))
	}
	fs.f, fs.size, fs.dirty = f, size, false
	return nil
}

// cleanTail reports whether the file ends with a complete line.
func cleanTail(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("record: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("record: %w", err)
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], st.Size()-1); err != nil {
		return false, fmt.Errorf("record: %w", err)
	}
	return last[0] == '\n', nil
}

func (fs *File) rotateName() (string, error) {
	for i := 0; i < 100; i++ {
		name := fs.path + "." + strconv.FormatInt(time.Now().UTC().UnixNano(), 10)
		if _, err := os.Lstat(name); errors.Is(err, os.ErrNotExist) {
			return name, nil
		}
	}
	return "", errors.New("record: no free name to rotate to")
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// Write implements Sink: it returns once batch is written to the file
// (DurabilityWrite) or fsynced (DurabilityFsync).
func (fs *File) Write(ctx context.Context, batch []Event) error {
	if len(batch) == 0 {
		return nil
	}
	fs.mu.Lock()
	if fs.closed {
		fs.mu.Unlock()
		return errors.New("record: file sink closed")
	}
	n := len(fs.buf)
	for i := range batch {
		var err error
		if fs.buf, err = appendLine(fs.buf, &batch[i]); err != nil {
			fs.buf = fs.buf[:n]
			fs.mu.Unlock()
			return err
		}
	}
	group := fs.opts.GroupCommit > 0
	if fs.cur == nil {
		fs.cur = &commit{}
		if group {
			fs.cur.done = make(chan struct{})
		}
	}
	c := fs.cur
	if group && !fs.timerOn {
		fs.timerOn = true
		time.AfterFunc(fs.opts.GroupCommit, fs.flush)
	}
	fs.mu.Unlock()
	if !group {
		// Without group commit the batch is committed before flush
		// returns: by this flush, or by one that took it first and
		// completed it while holding flushMu.
		fs.flush()
		return fs.committed(c, batch)
	}
	select {
	case <-c.done:
		return fs.committed(c, batch)
	case <-ctx.Done():
		return fmt.Errorf("record: waiting for fsync: %w", ctx.Err())
	}
}

// committed notes the newest log checkpoint of a committed batch and
// returns the commit's outcome.
func (fs *File) committed(c *commit, batch []Event) error {
	if c.err != nil {
		return c.err
	}
	for i := len(batch) - 1; i >= 0; i-- {
		if cp := batch[i].LogCheckpoint; cp != nil {
			fs.lastMu.Lock()
			if fs.lastCP == nil || cp.Time >= fs.lastCP.Time {
				fs.lastCP = cp
			}
			fs.lastMu.Unlock()
			break
		}
	}
	return nil
}

// LastLogCheckpoint implements CheckpointSource: the newest log checkpoint
// written, or found in the file and its rotated predecessors (newest
// first) when this File has written none.
func (fs *File) LastLogCheckpoint(ctx context.Context) (*LogCheckpoint, error) {
	fs.lastMu.Lock()
	cp := fs.lastCP
	fs.lastMu.Unlock()
	if cp != nil {
		return cp, nil
	}
	r, err := OpenFileReader(fs.path)
	if err != nil {
		return nil, err
	}
	files := r.Files()
	for i := len(files) - 1; i >= 0; i-- {
		if last := lastCheckpointIn(files[i]); last != nil {
			return last, nil
		}
	}
	return nil, nil
}

// flush writes and fsyncs whatever is buffered, completing one commit.
func (fs *File) flush() {
	fs.flushMu.Lock()
	defer fs.flushMu.Unlock()
	fs.mu.Lock()
	data, c := fs.buf, fs.cur
	fs.buf, fs.cur, fs.timerOn = fs.spare, nil, false
	fs.spare = nil
	fs.mu.Unlock()
	if c == nil {
		return
	}
	c.err = fs.writeDurable(data)
	if c.done != nil {
		close(c.done)
	}
	if cap(data) <= 4<<20 {
		fs.mu.Lock()
		if fs.spare == nil {
			fs.spare = data[:0]
		}
		fs.mu.Unlock()
	}
}

// writeDurable appends data and fsyncs, or leaves the durable size unchanged.
func (fs *File) writeDurable(data []byte) error {
	if fs.f == nil {
		return errors.New("record: file sink closed")
	}
	if fs.dirty {
		if err := fs.f.Truncate(fs.size); err != nil {
			return fmt.Errorf("record: cut back %s after a failed write: %w", fs.path, err)
		}
		fs.dirty = false
	}
	if err := fs.syncFailure(); err != nil {
		// A background fsync failed: what was written may not be on disk,
		// and nothing more is accepted (fail closed).
		return err
	}
	// A raw pwrite: every decision of a lone client comes here, and a
	// normal system call would wake the runtime's monitor each time.
	if _, err := rawio.WriteAt(fs.f, data, fs.size); err != nil {
		fs.cutBack()
		return fmt.Errorf("record: write %s: %w", fs.path, err)
	}
	if fs.opts.Durability == DurabilityWrite {
		fs.size += int64(len(data))
		if !fs.unsynced {
			fs.unsynced = true
			fs.startSync()
		}
		return fs.maybeRotate()
	}
	if err := fs.syncFunc()(fs.f); err != nil {
		fs.cutBack()
		return fmt.Errorf("record: fsync %s: %w", fs.path, err)
	}
	fs.size += int64(len(data))
	return fs.maybeRotate()
}

// maybeRotate rotates a full file. The data is written either way; a failed
// rotation is retried by the next write.
func (fs *File) maybeRotate() error {
	if fs.opts.MaxSize > 0 && fs.size >= fs.opts.MaxSize {
		_ = fs.rotate()
	}
	return nil
}

// syncInterval is how long a DurabilityWrite batch waits for its fsync.
func (fs *File) syncInterval() time.Duration {
	if fs.opts.SyncInterval > 0 {
		return fs.opts.SyncInterval
	}
	return DefaultSyncInterval
}

// backgroundSync fsyncs what DurabilityWrite wrote. It holds flushMu only
// to take the file: a write waits neither for the disk nor for this
// fsync (both may run at once on one file; what a write adds meanwhile
// is left for the next fsync). Should the previous fsync still run, it
// reports false: the loop tries again an interval later.
func (fs *File) backgroundSync() bool {
	fs.flushMu.Lock()
	if !fs.unsynced || fs.f == nil {
		fs.flushMu.Unlock()
		return true
	}
	if !fs.syncMu.TryLock() {
		fs.flushMu.Unlock()
		return false
	}
	fs.unsynced = false
	f, sync := fs.f, fs.syncFunc()
	fs.flushMu.Unlock()
	fs.fsync(f, sync)
	fs.syncMu.Unlock()
	return true
}

// syncLocked fsyncs unsynced bytes at once, after any fsync in flight;
// the caller holds flushMu.
func (fs *File) syncLocked() {
	fs.syncMu.Lock()
	defer fs.syncMu.Unlock()
	if !fs.unsynced || fs.f == nil {
		return
	}
	fs.unsynced = false
	fs.fsync(fs.f, fs.syncFunc())
}

// syncFunc is what fsyncs the file: f.Sync unless a test replaced it;
// the caller holds flushMu.
func (fs *File) syncFunc() func(*os.File) error {
	if fs.syncFile != nil {
		return fs.syncFile
	}
	if fs.syncer != nil {
		return fs.syncer.Sync
	}
	return (*os.File).Sync
}

// fsync flushes f to the disk with sync and keeps the first failure; the
// caller holds syncMu.
func (fs *File) fsync(f *os.File, sync func(*os.File) error) {
	if err := sync(f); err != nil {
		err = fmt.Errorf("record: fsync %s: %w", fs.path, err)
		fs.syncErr.CompareAndSwap(nil, &err)
	}
}

// syncFailure is the error of the first failed background fsync, or nil.
func (fs *File) syncFailure() error {
	if p := fs.syncErr.Load(); p != nil {
		return *p
	}
	return nil
}

// cutBack removes what a failed write may have left past the durable size;
// if it cannot, the next write tries again before writing.
func (fs *File) cutBack() {
	fs.dirty = true
	if fs.f.Truncate(fs.size) == nil && fs.f.Sync() == nil {
		fs.dirty = false
	}
}

func (fs *File) rotate() error {
	fs.syncLocked() // a rotated file is complete and durable
	rot, err := fs.rotateName()
	if err != nil {
		return err
	}
	if err := fs.f.Close(); err != nil {
		return err
	}
	fs.f = nil
	if err := os.Rename(fs.path, rot); err != nil {
		return fs.reopen("")
	}
	return fs.reopen(filepath.Base(rot))
}

func (fs *File) reopen(previous string) error {
	return fs.open(previous)
}

// Close flushes buffered events and closes the file.
func (fs *File) Close() error {
	fs.mu.Lock()
	if fs.closed {
		fs.mu.Unlock()
		return nil
	}
	fs.closed = true
	fs.mu.Unlock()
	fs.flush()
	fs.flushMu.Lock()
	defer fs.flushMu.Unlock()
	fs.stopSync() // Close fsyncs what is left itself
	if fs.f == nil {
		return nil
	}
	if fs.dirty {
		fs.cutBack()
	}
	fs.syncLocked()
	err := fs.f.Close()
	fs.f = nil
	if fs.syncer != nil {
		fs.syncer.Close()
	}
	if serr := fs.syncFailure(); serr != nil {
		return serr
	}
	return err
}

// Path returns the path of the file being written.
func (fs *File) Path() string { return fs.path }

// appendLine appends e as one JSON line. The body is stored byte for byte,
// since it is what the hash covers; it must be compact JSON.
func appendLine(b []byte, e *Event) ([]byte, error) {
	if len(e.Body) == 0 || e.Body[0] != '{' || bytes.IndexByte(e.Body, '\n') >= 0 {
		return b, fmt.Errorf("record: event %s/%d: body is not single-line JSON", e.SessionID, e.Seq)
	}
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, int64(e.Version), 10)
	b = append(b, `,"session":`...)
	b = appendString(b, e.SessionID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"prev":`...)
	b = appendPlain(b, e.PrevHash, e.prevHex)
	b = append(b, `,"hash":`...)
	b = appendPlain(b, e.Hash, e.hashHex)
	b = append(b, `,"kind":`...)
	b = appendPlain(b, e.Kind, plainKind(e.Kind))
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, e.Time, 10)
	if e.Log != "" {
		b = append(b, `,"log":`...)
		b = appendPlain(b, e.Log, e.logHex)
		b = append(b, `,"idx":`...)
		b = strconv.AppendUint(b, e.Index, 10)
	}
	b = append(b, `,"event":`...)
	b = append(b, e.Body...)
	b = append(b, "}\n"...)
	return b, nil
}

// appendPlain appends s quoted, as appendString does; plain is a string
// this package made that needs no escaping (hex), which s is most often:
// then s is written between quotes as it is. Comparing strings that share
// their bytes costs next to nothing; an s changed since, equal or not, is
// still written right.
func appendPlain(b []byte, s, plain string) []byte {
	if s != plain {
		return appendString(b, s)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainKind returns kind when it is one of the kinds the recorder seals
// most (each needs no escaping), and "" otherwise.
func plainKind(kind string) string {
	switch kind {
	case string(gate.EventDecision), string(gate.EventOutput), KindCheckpoint, KindLogCheckpoint:
		return kind
	}
	return ""
}

// lastCheckpointIn returns the last log checkpoint of a record file,
// parsing only the lines that hold one.
func lastCheckpointIn(name string) *LogCheckpoint {
	f, err := os.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), maxLine)
	var last *LogCheckpoint
	for sc.Scan() {
		if !bytes.Contains(sc.Bytes(), []byte(`"kind":"log_checkpoint"`)) {
			continue
		}
		if e, err := parseLine(sc.Bytes()); err == nil && e != nil && e.LogCheckpoint != nil {
			last = e.LogCheckpoint
		}
	}
	return last
}
