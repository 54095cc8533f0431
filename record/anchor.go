package record

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// Anchor is an independent witness of a log's checkpoints: a place the
// writer of the record can append to but an operator who can edit the
// record cannot rewrite (another host's table, an HTTP service, a file on
// another mount). The Recorder publishes its log checkpoints to every
// anchor (Options.Anchors); `airlock verify --anchor` then checks the
// record against the newest anchored checkpoint of each log.
//
// The bound: entries written after the newest anchored checkpoint can be
// cut off without detection. The recorder writes a checkpoint every
// Options.LogCheckpointEvery entries (default 1000) or LogCheckpointInterval
// (default 1 s) and at Close, and publishes the newest one as soon as the
// anchor takes it, so at most that many entries, or that much time plus
// the anchor's latency, can be lost undetected.
type Anchor interface {
	// Publish stores a signed checkpoint.
	Publish(ctx context.Context, cp *LogCheckpoint) error
	// Latest returns the newest stored checkpoint (the largest tree) of
	// every log the anchor has seen.
	Latest(ctx context.Context) ([]*LogCheckpoint, error)
}

// NewestCheckpoints keeps the largest checkpoint of each origin (a final
// one among equals), in the order origins were first seen: what an
// Anchor's Latest returns from everything it stored.
func NewestCheckpoints(cps []*LogCheckpoint) []*LogCheckpoint {
	idx := map[string]int{}
	var out []*LogCheckpoint
	for _, c := range cps {
		i, ok := idx[c.Origin]
		switch {
		case !ok:
			idx[c.Origin] = len(out)
			out = append(out, c)
		case c.Size > out[i].Size || (c.Size == out[i].Size && c.Final):
			out[i] = c
		}
	}
	return out
}

// FileAnchor appends checkpoints to a file, one JSON line each
// ({"note":"..."}), fsynced. Put it on another mount or host than the
// record.
type FileAnchor struct {
	Path string
	mu   sync.Mutex
}

// Publish implements Anchor.
func (a *FileAnchor) Publish(ctx context.Context, cp *LogCheckpoint) error {
	line, err := json.Marshal(logCheckpointBody{Note: string(cp.Note())})
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.OpenFile(a.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("record: anchor: %w", err)
	}
	_, werr := f.Write(append(line, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("record: anchor %s: %w", a.Path, err)
	}
	return nil
}

// Latest implements Anchor. A line that does not parse is an error: an
// anchor is trusted, and a damaged one must be looked at.
func (a *FileAnchor) Latest(ctx context.Context) ([]*LogCheckpoint, error) {
	f, err := os.Open(a.Path)
	if err != nil {
		return nil, fmt.Errorf("record: anchor: %w", err)
	}
	defer f.Close()
	return readAnchorLines(f, a.Path)
}

func readAnchorLines(r io.Reader, name string) ([]*LogCheckpoint, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var cps []*LogCheckpoint
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var b logCheckpointBody
		if err := json.Unmarshal(sc.Bytes(), &b); err != nil {
			return nil, fmt.Errorf("record: anchor %s line %d: %w", name, n, err)
		}
		cp, err := ParseLogCheckpoint([]byte(b.Note))
		if err != nil {
			return nil, fmt.Errorf("record: anchor %s line %d: %w", name, n, err)
		}
		cps = append(cps, cp)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("record: anchor %s: %w", name, err)
	}
	return NewestCheckpoints(cps), nil
}

// HTTPAnchor publishes to an AnchorServer: POST the note (text/plain) with
// a bearer token; GET returns the newest checkpoints as JSON lines.
type HTTPAnchor struct {
	URL    string
	Token  string
	Client *http.Client // nil: a client with a 10 s timeout
}

func (a *HTTPAnchor) client() *http.Client {
	if a.Client != nil {
		return a.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// Publish implements Anchor.
func (a *HTTPAnchor) Publish(ctx context.Context, cp *LogCheckpoint) error {
	return bearerPost(ctx, a.client(), a.URL, a.Token, "text/plain; charset=utf-8", bytes.NewReader(cp.Note()),
		"record: anchor", "record: anchor answered")
}

// Latest implements Anchor.
func (a *HTTPAnchor) Latest(ctx context.Context) ([]*LogCheckpoint, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("record: anchor: %w", err)
	}
	resp, err := bearerDo(a.client(), req, a.Token, "record: anchor")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("record: anchor answered %s", resp.Status)
	}
	return readAnchorLines(io.LimitReader(resp.Body, 64<<20), a.URL)
}

// AnchorServer is the http.Handler behind an HTTPAnchor: it stores
// checkpoints in its own Anchor (a FileAnchor, a pgsink.Anchor). It takes
// only checkpoints signed by Key, and never one smaller than the newest it
// holds for the same log, nor a second one of the same size with another
// root: a witness that notices a log being rewritten refuses it (409).
type AnchorServer struct {
	Store Anchor
	// Key is the record's public key; checkpoints signed otherwise are
	// refused (400).
	Key ed25519.PublicKey
	// Token is the bearer token for both POST and GET; empty refuses all.
	Token string

	mu sync.Mutex
}

// ServeHTTP implements http.Handler.
func (s *AnchorServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !authorized(w, r, s.Token, "airlock-anchor") {
		return
	}
	switch r.Method {
	case http.MethodGet:
		cps, err := s.Store.Latest(r.Context())
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			http.Error(w, "anchor store failed", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		for _, c := range cps {
			b, _ := json.Marshal(logCheckpointBody{Note: string(c.Note())})
			_, _ = w.Write(append(b, '\n'))
		}
	case http.MethodPost:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		cp, err := ParseLogCheckpoint(body)
		if err == nil {
			err = cp.Verify(s.Key)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		cps, err := s.Store.Latest(r.Context())
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			http.Error(w, "anchor store failed", http.StatusServiceUnavailable)
			return
		}
		for _, old := range cps {
			if old.Origin != cp.Origin {
				continue
			}
			if cp.Size < old.Size || (cp.Size == old.Size && cp.Root != old.Root) || old.Final && cp.Size > old.Size {
				http.Error(w, fmt.Sprintf("checkpoint of size %d contradicts the anchored one of size %d", cp.Size, old.Size), http.StatusConflict)
				return
			}
		}
		if err := s.Store.Publish(r.Context(), cp); err != nil {
			http.Error(w, "anchor store failed", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// anchorPublisher publishes the newest checkpoint to every anchor from its
// own goroutine, so a slow witness never holds up recording; checkpoints
// that arrive while a publication runs are coalesced into the newest.
type anchorPublisher struct {
	anchors []Anchor
	mu      sync.Mutex
	next    *LogCheckpoint
	lastErr error
	wake    chan struct{}
	done    chan struct{}
	stop    chan struct{}
}

func newAnchorPublisher(anchors []Anchor) *anchorPublisher {
	p := &anchorPublisher{anchors: anchors, wake: make(chan struct{}, 1), done: make(chan struct{}), stop: make(chan struct{})}
	go p.run()
	return p
}

func (p *anchorPublisher) offer(cp *LogCheckpoint) {
	p.mu.Lock()
	p.next = cp
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *anchorPublisher) run() {
	defer close(p.done)
	for {
		select {
		case <-p.wake:
		case <-p.stop:
			p.publish()
			return
		}
		p.publish()
	}
}

func (p *anchorPublisher) publish() {
	p.mu.Lock()
	cp := p.next
	p.next = nil
	p.mu.Unlock()
	if cp == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, a := range p.anchors {
		if err := a.Publish(ctx, cp); err != nil {
			errs = append(errs, err)
		}
	}
	p.mu.Lock()
	p.lastErr = errors.Join(errs...)
	if p.lastErr != nil && p.next == nil {
		p.next = cp // retried with the next offer, or at close
	}
	p.mu.Unlock()
}

// close publishes what is pending and stops; its error says whether the
// last checkpoint reached every anchor.
func (p *anchorPublisher) close(timeout time.Duration) error {
	close(p.stop)
	select {
	case <-p.done:
	case <-time.After(timeout):
		return errors.New("record: anchors: timed out publishing the final checkpoint")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastErr != nil {
		return fmt.Errorf("record: anchors: the final checkpoint was not published: %w", p.lastErr)
	}
	return nil
}
