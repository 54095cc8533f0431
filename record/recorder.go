package record

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("record: recorder closed")

// Options configures a Recorder. The zero value records every event
// synchronously, with a random HMAC key and unsigned checkpoints.
type Options struct {
	// HMACKey keys the HMACs that replace secrets. Keep it secret and stable:
	// with it an investigator can check whether a guessed secret was used.
	// Nil means a random key per Recorder (secrets can then never be checked).
	HMACKey []byte
	// SigningKey signs checkpoints. Nil writes unsigned checkpoints, which
	// Verify rejects when given a public key.
	SigningKey ed25519.PrivateKey
	// CheckpointEvery writes a signed checkpoint after this many entries of a
	// session (default 1000); one is always written at session end.
	CheckpointEvery int
	// CheckpointInterval also writes one when a session has entries not
	// covered by a checkpoint for this long (default 10s; negative: never),
	// so the record of a long, quiet session is proven while it is open.
	CheckpointInterval time.Duration
	// AsyncOutput makes Record return for output events as soon as they are
	// queued; all other events (decisions above all) are always durable
	// before Record returns. A full queue blocks Record (backpressure); a
	// failing sink makes Record fail. A queued output event is written with
	// the next synchronous event's write, or by the writer goroutine within
	// about 5 ms (as long as a File under DurabilityWrite leaves a write
	// unsynced).
	AsyncOutput bool
	// QueueSize bounds the events waiting for the sink (default 16384).
	QueueSize int
	// BatchSize bounds the events of one Sink.Write (default 4096).
	BatchSize int
	// RetryBackoff is the longest wait between retries of queued
	// asynchronous events after a sink failure (default 1s).
	RetryBackoff time.Duration
	// CloseTimeout bounds how long Close keeps retrying a failing sink
	// before giving up on queued events (default 10s).
	CloseTimeout time.Duration
	// LogCheckpointEvery writes a signed sink-level checkpoint (a
	// LogCheckpoint: a Merkle tree head over every entry this recorder
	// wrote to the sink, of every session) after this many entries
	// (default 1000). One is also written when the recorder starts
	// writing and when it closes. Negative turns the sink-level log off:
	// the record then proves each session on its own, as records written
	// before sink integrity did, and deleting a whole session is not
	// detected.
	LogCheckpointEvery int
	// LogCheckpointInterval also writes one when entries have waited this
	// long for one (default 1s; negative: never).
	LogCheckpointInterval time.Duration
	// Anchors receive the log's checkpoints (see Anchor), so that a record
	// cut off after the newest anchored checkpoint is detected.
	Anchors []Anchor
	// SecretNames are the names of JSON body fields, tool arguments,
	// headers and query or form parameters whose values are stored as
	// HMACs (see DefaultSecretNames for the syntax); nil means
	// DefaultSecretNames. Values listed in gate.Request.Secrets are
	// always stored as HMACs too.
	SecretNames []string
	// Now is the clock for checkpoints; nil means time.Now.
	Now func() time.Time
}

// Recorder is the gate.Recorder that makes session records: it redacts
// secrets, orders and chains each session's events, signs checkpoints and
// writes batches to a Sink, one at a time (from a caller's goroutine or
// its writer goroutine; see Record). It is safe for concurrent use. Close
// it to flush.
type Recorder struct {
	sink  Sink
	opts  Options
	red   redactor
	keyID string
	queue chan *item

	mu       sync.RWMutex // guards closed against sends on queue
	closed   bool
	failMu   sync.Mutex
	failErr  error // the last sink error while events are still pending
	done     chan struct{}
	closeErr error

	// wmu is held by whoever writes: a caller combining the queued events
	// into one Sink.Write (see combine), or the writer goroutine (timed
	// checkpoints, retries, Close). It guards w and log.
	wmu sync.Mutex
	w   writer
	// queued is set after every send on queue and cleared by a round
	// before it drains: whoever releases wmu looks at it afterwards, so an
	// event queued while someone else held wmu is never left behind.
	queued atomic.Bool
	// wake asks the writer goroutine for a round.
	wake chan struct{}
	// callersWrite: the sink is quick (see quickSink), so callers write
	// their own events rather than wait for the writer goroutine.
	callersWrite bool
	// lingering: an asynchronous event waits (at most asyncLinger) for a
	// synchronous caller to write it along with its own.
	lingering atomic.Bool
	// recycleBodies: the sink keeps nothing of a batch once Write
	// returns (see bodyBufs), so a written body's buffer is reused.
	recycleBodies bool

	log     *logState // guarded by wmu; nil when the sink-level log is off
	anchors *anchorPublisher

	endedMu    sync.Mutex
	ended      map[string]bool // sessions whose end was recorded (the last maxEnded)
	endedOrder []string
}

// writer is the state of the record's write side, guarded by
// Recorder.wmu.
type writer struct {
	chains  map[string]*chain
	pending []Event   // sealed entries of a failed batch, to retry as they are
	refused []refusal // synchronous entries whose callers got an error
	open    bool      // the queue is not closed yet
	backoff time.Duration
	// The slices of one round are reused by the next: a sink keeps a
	// batch only until Write returns.
	items []*item
	batch []Event
	// lateLost counts asynchronous events that arrived after their
	// session's end.
	lateLost int
	// shared: the last round wrote more than one caller's event.
	shared bool
	// hex makes the hex hashes of every chain's entries.
	hex hexArena
}

// healthy reports whether a caller may write the queue itself: nothing
// waits for a retry and the queue is open.
func (w *writer) healthy() bool { return w.open && len(w.pending) == 0 }

// asyncLinger is how long an asynchronous event may wait in the queue
// for a synchronous caller's write before the writer goroutine writes it.
// Each wait arms a timer, whose start and end wake threads: at 1 ms a
// lone PostgreSQL client paid one such wake-up every three statements.
const asyncLinger = 5 * time.Millisecond

type item struct {
	session string
	kind    string
	time    int64
	body    []byte
	end     bool
	// wait: a caller waits on done for the outcome (synchronous events).
	// The writer sends exactly one outcome and then never touches the item
	// again; the caller puts it back in itemPool once it has the outcome.
	// The writer puts back asynchronous items once it is done with them.
	wait bool
	done chan error
}

// itemPool recycles items with their done channels: a synchronous event
// otherwise costs three allocations for its hand-off alone.
var itemPool = sync.Pool{New: func() any { return &item{done: make(chan error, 1)} }}

func newItem(session, kind string, t int64, body []byte, end, wait bool) *item {
	it := itemPool.Get().(*item)
	it.session, it.kind, it.time, it.body, it.end, it.wait = session, kind, t, body, end, wait
	return it
}

// release returns it to itemPool; its done channel is empty.
func (it *item) release() {
	it.body = nil
	itemPool.Put(it)
}

// finish reports the outcome of a synchronous item to its caller, who then
// owns it; an asynchronous item goes back to the pool.
func (it *item) finish(err error) {
	if it.wait {
		it.done <- err
		return
	}
	it.release()
}

// New returns a Recorder writing to sink and starts its writer goroutine,
// which ends with Close.
func New(sink Sink, opts Options) *Recorder {
	_, file := sink.(*File)
	return newRecorder(sink, opts, file)
}

// newRecorder is New, recycling the buffers of written bodies when
// recycle is set (only for a sink that keeps nothing of a batch once
// Write returns: see bodyBufs).
func newRecorder(sink Sink, opts Options, recycle bool) *Recorder {
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 1000
	}
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = 10 * time.Second
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 16384
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 4096
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = time.Second
	}
	if opts.CloseTimeout <= 0 {
		opts.CloseTimeout = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LogCheckpointEvery == 0 {
		opts.LogCheckpointEvery = 1000
	}
	if opts.LogCheckpointInterval == 0 {
		opts.LogCheckpointInterval = time.Second
	}
	key := opts.HMACKey
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	r := &Recorder{
		sink:  sink,
		opts:  opts,
		red:   redactor{key: key, names: mask.CompileSecretNames(opts.SecretNames), nameFilter: newNameFilter(opts.SecretNames)},
		queue: make(chan *item, opts.QueueSize),
		done:  make(chan struct{}),
		wake:  make(chan struct{}, 1),

		callersWrite: isQuick(sink),
	}
	if recycle {
		r.recycleBodies = true
		r.red.bufs = new(bodyBufs)
	}
	r.w = writer{chains: make(map[string]*chain), open: true, backoff: 5 * time.Millisecond}
	if opts.SigningKey != nil {
		r.keyID = KeyID(opts.SigningKey.Public().(ed25519.PublicKey))
	}
	if opts.LogCheckpointEvery > 0 {
		var prev Hash
		if src, ok := sink.(CheckpointSource); ok {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if cp, err := src.LastLogCheckpoint(ctx); err == nil && cp != nil {
				prev = cp.NoteHash()
			}
			cancel()
		}
		r.log = newLogState(opts.SigningKey, prev)
		if len(opts.Anchors) > 0 {
			r.anchors = newAnchorPublisher(opts.Anchors)
		}
	}
	go r.run()
	return r
}

// Record implements gate.Recorder. It returns nil once the event is durable
// (or, for output events with AsyncOutput, once it is queued while the sink
// is healthy). An error means the event was not recorded.
//
// With a quick sink (a File without GroupCommit, Memory, or a Tee of
// them) a synchronous
// event is written by its own caller when no one else is writing, with
// whatever else is queued: Record then returns when that Sink.Write does,
// whatever ctx says. ctx bounds the wait for room in the queue and for
// another caller's or the writer goroutine's write.
func (r *Recorder) Record(ctx context.Context, e gate.Event) error {
	if e.SessionID == "" {
		return fmt.Errorf("record: %s event without session id", e.Kind)
	}
	if e.Time.IsZero() {
		e.Time = r.opts.Now()
	}
	e.Time = e.Time.UTC()
	body, err := r.red.body(e)
	if err != nil {
		return err
	}
	if r.hasEnded(e.SessionID) {
		return fmt.Errorf("record: %s event after the end of session %s", e.Kind, e.SessionID)
	}
	// A refusal is a session of one event: it ends as it starts.
	end := e.Kind == gate.EventSessionEnd || e.Kind == gate.EventRefused
	// Refusals, like output, need not hold anyone up: the client is
	// refused whether or not the event is durable yet.
	async := r.opts.AsyncOutput && (e.Kind == gate.EventOutput || e.Kind == gate.EventRefused)
	// While the sink fails, refuse at once rather than pile up events; the
	// end of a session is still queued, so its record can be completed.
	if err := r.failure(); err != nil && e.Kind != gate.EventSessionEnd {
		return fmt.Errorf("record: sink failing, %s event not recorded: %w", e.Kind, err)
	}
	// Once queued, an asynchronous item belongs to the writer: only the
	// synchronous one is touched after the send below.
	it := newItem(e.SessionID, string(e.Kind), e.Time.UnixNano(), body, end, !async)
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		it.release()
		return ErrClosed
	}
	// A queue with room takes the item without a two-way select (the
	// usual case, and a choice the two-way select could make too).
	select {
	case r.queue <- it:
	default:
		select {
		case r.queue <- it:
		case <-ctx.Done():
			r.mu.RUnlock()
			it.release()
			return fmt.Errorf("record: queue full: %w", ctx.Err())
		}
	}
	r.mu.RUnlock()
	r.queued.Store(true)
	if end {
		r.markEnded(e.SessionID)
	}
	if async {
		r.linger()
		return nil
	}
	// Write the queue here rather than wake the writer goroutine and wait
	// for it to wake this one: two goroutine switches less per event.
	r.combine(it)
	// Most often the caller wrote its own event: the outcome is there.
	select {
	case err := <-it.done:
		it.release()
		return err
	default:
	}
	select {
	case err := <-it.done:
		it.release()
		return err
	case <-ctx.Done():
		// The event may still be written; the caller must treat it as not
		// recorded (the gate refuses).
		return fmt.Errorf("record: waiting for the sink: %w", ctx.Err())
	}
}

func (r *Recorder) hasEnded(session string) bool {
	r.endedMu.Lock()
	defer r.endedMu.Unlock()
	return r.ended[session]
}

func (r *Recorder) markEnded(session string) {
	r.endedMu.Lock()
	defer r.endedMu.Unlock()
	if r.ended == nil {
		r.ended = map[string]bool{}
	}
	if r.ended[session] {
		return
	}
	r.ended[session] = true
	r.endedOrder = append(r.endedOrder, session)
	if len(r.endedOrder) > maxEnded {
		delete(r.ended, r.endedOrder[0])
		r.endedOrder = r.endedOrder[1:]
	}
}

func (r *Recorder) failure() error {
	r.failMu.Lock()
	defer r.failMu.Unlock()
	return r.failErr
}

func (r *Recorder) setFailure(err error) {
	r.failMu.Lock()
	r.failErr = err
	r.failMu.Unlock()
}

// Close stops accepting events, writes every queued one and closes the sink.
// Its error reports events that could not be written and the sink's own
// close error.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	r.wakeWriter()
	<-r.done
	return r.closeErr
}

// wakeWriter asks the writer goroutine for a round; it never blocks.
func (r *Recorder) wakeWriter() {
	select {
	case r.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// linger makes sure a queued asynchronous event is written within
// asyncLinger even if no synchronous caller comes to write it.
func (r *Recorder) linger() {
	if r.lingering.CompareAndSwap(false, true) {
		time.AfterFunc(asyncLinger, func() {
			r.lingering.Store(false)
			if r.queued.Load() {
				r.wakeWriter()
			}
		})
	}
}

// combine writes the queued events, its caller's own (it) among them,
// from the caller's goroutine: one write of the caller's, instead of
// waking the writer goroutine and being woken by it. Callers arriving
// while one writes queue their events and wait; once the caller's own
// event is written, what queued meanwhile goes to the writer goroutine,
// which writes it as one batch (a caller is not held up writing others'
// events, which under DurabilityFsync would cost it an fsync each).
// Retries after a sink failure, timed checkpoints and the close are the
// writer goroutine's too.
//
// Whoever holds wmu looks at queued after releasing it, so an event queued
// by a caller that found wmu taken is written by the holder's next round
// or by the writer goroutine.
//
// Only a quick sink (see quickSink) is written by callers: a caller
// inside Sink.Write cannot give up when its context ends, which for a
// sink across a network could be long. Fsyncs are still shared: the
// callers queued during one are written together by the writer
// goroutine.
func (r *Recorder) combine(it *item) {
	if !r.callersWrite {
		r.wakeWriter()
		return
	}
	for {
		if !r.wmu.TryLock() {
			return // the holder sees queued when it lets go
		}
		if !r.w.healthy() {
			r.wmu.Unlock()
			r.wakeWriter()
			return
		}
		err := r.combineRound()
		healthy := err == nil && r.w.healthy()
		r.wmu.Unlock()
		if !r.queued.Load() {
			if !healthy {
				r.wakeWriter()
			}
			return
		}
		if !healthy || len(it.done) > 0 {
			r.wakeWriter()
			return
		}
		// Still queued behind a full batch: write the next one.
	}
}

// combineRound is round for a combining caller. A panic in it (a bug in
// a sink) would leave wmu held when the caller's goroutine recovers, as
// net/http's server does, and every later event would wait forever: it
// ends the process instead, as it would in the writer goroutine.
func (r *Recorder) combineRound() error {
	defer func() {
		if p := recover(); p != nil {
			go panic(p)
			select {}
		}
	}()
	return r.round(nil, false, yieldShared)
}

// run is the writer goroutine: it writes what no caller wrote (events left
// behind by a combining caller, asynchronous events that waited too long),
// timed checkpoints, retries after a sink failure and, after Close, the
// rest of the queue; then it closes the sink.
//
// Events are sealed (numbered, chained, checkpointed) once, when they first
// enter a batch. A batch that fails is retried as it is, so a sink that
// stored part of it (a Tee, a Collector) sees the same entries again and can
// skip them by session and sequence. The callers of synchronous events of a
// failed batch are told at once (the gate refuses); the retry carries, after
// the batch, an error event per such entry saying its caller was refused.
func (r *Recorder) run() {
	defer close(r.done)
	var tick <-chan time.Time
	if period := r.tickPeriod(); period > 0 {
		t := time.NewTicker(period)
		defer t.Stop()
		tick = t.C
	}
	var closeDeadline time.Time
	for finished := false; !finished; {
		var timed []Event // checkpoints due by time
		logDue := false   // a log checkpoint is due by time
		ticked := false
		select {
		case <-r.wake:
		case <-tick:
			ticked = true
		}
		r.wmu.Lock()
		if ticked {
			timed = r.dueCheckpoints(r.w.chains)
			logDue = r.log != nil && r.opts.LogCheckpointInterval > 0 && (r.log.pending() > 0 || len(timed) > 0) &&
				r.opts.Now().UnixNano()-r.log.last >= int64(r.opts.LogCheckpointInterval)
		}
		// Rounds until the queue is empty and nothing waits for a retry.
		for {
			err := r.round(timed, logDue, yieldAlways)
			timed, logDue = nil, false
			if err != nil {
				if !r.w.open {
					if closeDeadline.IsZero() {
						closeDeadline = time.Now().Add(r.opts.CloseTimeout)
					} else if time.Now().After(closeDeadline) {
						r.closeErr = fmt.Errorf("record: %d entries lost: %w", len(r.w.pending), err)
						finished = true
						break
					}
				}
				time.Sleep(r.w.backoff)
				r.w.backoff = min(r.w.backoff*2, r.opts.RetryBackoff)
				continue
			}
			if !r.w.open && len(r.w.pending) == 0 {
				finished = true
				break
			}
			if len(r.w.pending) == 0 && !r.queued.Load() {
				break
			}
		}
		r.wmu.Unlock()
		if !finished && r.queued.Load() {
			r.wakeWriter() // queued by a caller that found wmu taken
		}
	}
	if r.w.lateLost > 0 {
		r.closeErr = errors.Join(r.closeErr, fmt.Errorf("record: %d output events arrived after their session ended and were not recorded", r.w.lateLost))
	}
	if r.anchors != nil {
		if err := r.anchors.close(r.opts.CloseTimeout); err != nil {
			r.closeErr = errors.Join(r.closeErr, err)
		}
	}
	if err := r.sink.Close(); err != nil {
		r.closeErr = errors.Join(r.closeErr, fmt.Errorf("record: close sink: %w", err))
	}
}

// round seals the queued events (after the entries of a failed batch, and
// timed checkpoints) and writes them in one Sink.Write, then tells their
// callers the outcome. yield says when to let ready goroutines queue
// their events first.
// The caller holds wmu. It returns the sink's error, if any.
func (r *Recorder) round(timed []Event, logDue bool, yield yieldMode) error {
	w := &r.w
	clear(w.items)
	items := w.items[:0]
	r.queued.Store(false)
	items, w.open = r.drain(items, w.open)
	if yield == yieldShared {
		// A caller writing its own event waits for others only when
		// others are recording too (this round or the last holds
		// another caller's event): alone, it writes at once.
		if waiting(items) < 2 && !w.shared {
			yield = yieldNever
		}
	}
	if yield != yieldNever && w.open && len(items) > 0 && len(items) < r.opts.BatchSize {
		// Let the goroutines that are ready to run (callers about to
		// record) queue their events, so that they share one write.
		// With nothing else to run this returns at once.
		runtime.Gosched()
		items, w.open = r.drain(items, w.open)
	}
	w.shared = waiting(items) >= 2
	if len(items) >= r.opts.BatchSize {
		r.queued.Store(true) // more may wait behind a full batch
	}
	w.items = items
	// pending may be batch itself (a failed batch): copying it onto
	// itself is a no-op.
	evs := append(w.batch[:0], w.pending...)
	evs = r.noteRefused(evs)
	evs = append(evs, timed...)
	for i, it := range items {
		var err error
		if evs, err = r.seal(evs, w.chains, it.session, it.kind, it.time, it.body, it.end); err != nil {
			if !it.wait {
				w.lateLost++
			}
			it.finish(err)
			items[i] = nil
		}
	}
	if r.log != nil {
		evs = r.logCheckpoints(evs, logDue, !w.open)
	}
	w.batch = evs
	if len(evs) == 0 {
		return nil
	}
	err := r.sink.Write(context.Background(), evs)
	if err == nil {
		r.setFailure(nil)
		w.backoff = 5 * time.Millisecond
		w.pending = nil
		for i := range evs {
			e := &evs[i]
			if e.Kind == KindCheckpoint && e.Checkpoint != nil && e.Checkpoint.Final {
				delete(w.chains, e.SessionID)
			}
			if e.LogCheckpoint != nil && r.anchors != nil {
				r.anchors.offer(e.LogCheckpoint)
			}
		}
		clear(evs) // let the stored bodies go
		for _, it := range items {
			if it != nil {
				if r.recycleBodies {
					// The sink kept nothing of the batch (and evs no
					// longer holds it); before finish, after which a
					// waiting caller owns it.
					r.red.bufs.put(it.body)
				}
				it.finish(nil)
			}
		}
		return nil
	}
	r.setFailure(err)
	w.pending = evs
	for _, it := range items {
		if it == nil {
			continue
		}
		if it.wait {
			if seq := sealedSeq(evs, it); seq != 0 {
				w.refused = append(w.refused, refusal{session: it.session, seq: seq, time: r.opts.Now().UTC().UnixNano(), err: err.Error()})
			}
		}
		it.finish(err)
	}
	return err
}

// noteRefused seals, after the entries of a failed batch (evs, about to
// be retried), an error entry for each of them whose caller was told it
// was not recorded, so that a reader of the record knows the gate treated
// it as refused. The note goes in the same write as the entry it names,
// before anything recorded since (a session's end among them).
func (r *Recorder) noteRefused(evs []Event) []Event {
	w := &r.w
	for _, rf := range w.refused {
		body, _ := json.Marshal(gate.Event{Kind: gate.EventError, SessionID: rf.session, Time: time.Unix(0, rf.time).UTC(),
			Error: fmt.Sprintf("record: entry seq %d was not durable in time (%s); its caller treated it as not recorded", rf.seq, rf.err)})
		if c := w.chains[rf.session]; c != nil && !c.ended {
			evs, _ = r.seal(evs, w.chains, rf.session, string(gate.EventError), rf.time, body, false)
		}
	}
	w.refused = w.refused[:0]
	return evs
}

// yieldMode says when a round lets the goroutines ready to run queue
// their events before it writes (sharing one write among more callers).
type yieldMode int

const (
	yieldNever  yieldMode = iota
	yieldAlways           // the writer goroutine: nobody waits on it but its callers
	yieldShared           // a caller writing its own event: only while others record too
)

// waiting counts the synchronous items: callers waiting for the write.
func waiting(items []*item) int {
	n := 0
	for _, it := range items {
		if it.wait {
			n++
		}
	}
	return n
}

// drain adds the queued items to items, up to BatchSize, without waiting;
// open turns false when the queue is closed.
func (r *Recorder) drain(items []*item, open bool) ([]*item, bool) {
	for open && len(items) < r.opts.BatchSize {
		select {
		case it, ok := <-r.queue:
			if !ok {
				return items, false
			}
			items = append(items, it)
		default:
			return items, open
		}
	}
	return items, open
}

// tickPeriod is how often the writer looks for checkpoints due by time.
func (r *Recorder) tickPeriod() time.Duration {
	var p time.Duration
	if r.opts.CheckpointInterval > 0 {
		p = r.opts.CheckpointInterval / 2
	}
	if r.log != nil && r.opts.LogCheckpointInterval > 0 && (p == 0 || r.opts.LogCheckpointInterval/2 < p) {
		p = r.opts.LogCheckpointInterval / 2
	}
	return p
}

// logCheckpoints makes the log's leaves of the entries of evs that are
// new (sealed in this round), with a first checkpoint before the log's
// first leaf, one after every LogCheckpointEvery leaves, one at the end
// when due (by time) and the final one when final is set.
func (r *Recorder) logCheckpoints(evs []Event, due, final bool) []Event {
	l := r.log
	if l.final {
		return evs
	}
	now := func() int64 { return r.opts.Now().UTC().UnixNano() }
	// Leaves are made in place; a checkpoint, rare, is inserted.
	for i := 0; i < len(evs); i++ {
		e := &evs[i]
		if e.Log != "" || e.Kind == KindLogCheckpoint {
			continue
		}
		if !l.started {
			l.started = true
			if cp, err := l.checkpoint(now(), false); err == nil {
				evs = slices.Insert(evs, i, cp)
				i++
				e = &evs[i]
			}
		}
		l.add(e)
		if l.pending() >= uint64(r.opts.LogCheckpointEvery) {
			if cp, err := l.checkpoint(now(), false); err == nil {
				evs = slices.Insert(evs, i+1, cp)
				i++
			}
		}
	}
	if (final || (due && l.pending() > 0)) && l.started {
		if cp, err := l.checkpoint(now(), final); err == nil {
			evs = append(evs, cp)
		}
	}
	return evs
}

type refusal struct {
	session string
	seq     uint64
	time    int64
	err     string
}

// sealedSeq finds the sequence number given to it in evs.
func sealedSeq(evs []Event, it *item) uint64 {
	for i := len(evs) - 1; i >= 0; i-- {
		e := &evs[i]
		if e.SessionID == it.session && e.Time == it.time && e.Kind == it.kind && len(e.Body) == len(it.body) && len(it.body) > 0 && &e.Body[0] == &it.body[0] {
			return e.Seq
		}
	}
	return 0
}

// seal numbers and chains one event and appends it to dst, with a
// checkpoint after it when one is due. On error dst is returned unchanged.
func (r *Recorder) seal(dst []Event, chains map[string]*chain, session, kind string, t int64, body []byte, end bool) ([]Event, error) {
	c := chains[session]
	if c == nil {
		c = &chain{lastCheckpoint: r.opts.Now().UnixNano(), version: VersionLegacy, hex: &r.w.hex}
		if r.log != nil {
			c.version = Version
		}
		chains[session] = c
	}
	if c.ended {
		return dst, fmt.Errorf("record: %s event after the end of session %s", kind, session)
	}
	out := append(dst, Event{})
	c.nextInto(&out[len(out)-1], session, kind, t, body)
	c.since++
	if end || c.since >= r.opts.CheckpointEvery {
		cp, err := r.checkpoint(c, session, end)
		if err != nil {
			return dst, err
		}
		out = append(out, cp)
	}
	return out, nil
}

// dueCheckpoints seals a checkpoint for every session whose latest entries
// have waited CheckpointInterval for one.
func (r *Recorder) dueCheckpoints(chains map[string]*chain) []Event {
	now := r.opts.Now().UnixNano()
	var out []Event
	for session, c := range chains {
		if c.since == 0 || c.ended || now-c.lastCheckpoint < int64(r.opts.CheckpointInterval) {
			continue
		}
		cp, err := r.checkpoint(c, session, false)
		if err == nil {
			out = append(out, cp)
		}
	}
	return out
}

// checkpoint seals a checkpoint over c's head onto c.
func (r *Recorder) checkpoint(c *chain, session string, final bool) (Event, error) {
	now := r.opts.Now().UTC().UnixNano()
	cp := Checkpoint{HeadSeq: c.seq, HeadHash: c.head, Final: final, KeyID: r.keyID}
	if r.opts.SigningKey != nil {
		cp.Signature = ed25519.Sign(r.opts.SigningKey, cp.message(session, now))
	}
	body, err := marshalCheckpoint(cp)
	if err != nil {
		return Event{}, err
	}
	c.since = 0
	c.ended = final
	c.lastCheckpoint = now
	return c.next(session, KindCheckpoint, now, body), nil
}
