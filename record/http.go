package record

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// HTTP is a Sink that ships each batch to a Collector in another process, so
// that an agent runtime keeps no record it could edit. A batch is one POST
// of JSON Lines (the File line format) with a bearer token; Write returns nil
// once the collector answered that its own sink stored the batch. Retrying a
// batch is safe: the collector stores each session and sequence once.
type HTTP struct {
	url    string
	token  string
	client *http.Client
}

// HTTPOptions configures an HTTP sink.
type HTTPOptions struct {
	// Client sends the requests; nil means a client with a 30 s timeout.
	Client *http.Client
}

// NewHTTP returns a sink posting to the collector at url with token.
func NewHTTP(url, token string, opts HTTPOptions) *HTTP {
	c := opts.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	return &HTTP{url: url, token: token, client: c}
}

// Write implements Sink.
func (h *HTTP) Write(ctx context.Context, batch []Event) error {
	var body []byte
	for i := range batch {
		var err error
		if body, err = appendLine(body, &batch[i]); err != nil {
			return err
		}
	}
	return bearerPost(ctx, h.client, h.url, h.token, collectorContentType, bytes.NewReader(body),
		"record: http sink", "record: http sink: collector answered")
}

// Close implements Sink; the collector's sink stays open.
func (h *HTTP) Close() error {
	h.client.CloseIdleConnections()
	return nil
}

const collectorContentType = "application/x-ndjson"

// Collector is the http.Handler that receives batches from HTTP sinks and
// writes them to its own Sink. It checks the bearer token, every entry's
// hash and the continuity of each session's chain, and stores an entry once
// however often it is sent. Answers: 200 stored, 400 malformed or forged
// entry, 401 bad token, 409 an entry contradicts what is stored, 413 too
// large, 503 the sink failed (the sender retries).
//
// The collector remembers the chain heads of open sessions (and of the last
// 4096 that ended) in memory. After a restart it accepts a session from
// wherever its next batch starts; put it in front of a sink that is itself
// idempotent (Postgres) if senders may retry across collector restarts.
type Collector struct {
	// Sink stores the entries.
	Sink Sink
	// Token is the bearer token senders must present; empty refuses all.
	Token string
	// MaxBatchBytes bounds a request body (default 64 MiB).
	MaxBatchBytes int64

	mu   sync.Mutex
	seen tracker
}

// ServeHTTP implements http.Handler.
func (c *Collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !authorized(w, r, c.Token, "airlock-collector") {
		return
	}
	limit := c.MaxBatchBytes
	if limit <= 0 {
		limit = 64 << 20
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "batch too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	batch, err := ParseBatch(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	todo, err := c.seen.filter(batch)
	if err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	if len(todo) > 0 {
		if err := c.Sink.Write(r.Context(), todo); err != nil {
			http.Error(w, "sink failed", http.StatusServiceUnavailable)
			return
		}
		c.seen.commit(todo)
		c.seen.forget(todo)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]int{"stored": len(todo), "duplicates": len(batch) - len(todo)})
}

// ParseBatch parses JSON Lines of entries (the File and collector format),
// checking each entry's hash and body. It is the parser of untrusted input
// for the Collector.
func ParseBatch(b []byte) ([]Event, error) {
	var out []Event
	for n := 1; len(b) > 0; n++ {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, fmt.Errorf("record: batch line %d: not terminated", n)
		}
		line := b[:i+1]
		b = b[i+1:]
		e, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("record: batch line %d: %w", n, err)
		}
		if e == nil {
			return nil, fmt.Errorf("record: batch line %d: header in a batch", n)
		}
		if err := checkEntry(e); err != nil {
			return nil, fmt.Errorf("record: batch line %d: %w", n, err)
		}
		out = append(out, *e)
	}
	return out, nil
}

// checkEntry checks what can be checked of one entry on its own.
func checkEntry(e *Event) error {
	switch {
	case e.Version != Version && e.Version != VersionLegacy:
		return fmt.Errorf("unknown version %d", e.Version)
	case e.SessionID == "" || e.Seq == 0:
		return errors.New("missing session or sequence")
	case e.ComputeHash() != e.Hash:
		return errors.New("hash mismatch")
	case len(e.Body) == 0 || e.Body[0] != '{' || bytes.IndexByte(e.Body, '\n') >= 0:
		return errors.New("body is not single-line JSON")
	case e.Event == nil && e.Checkpoint == nil && e.LogCheckpoint == nil:
		return errors.New("undecodable body")
	}
	return nil
}
