package record

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Tee is a Sink that writes every batch to several sinks at once. A Write
// succeeds only when every sink stored the batch; otherwise its error is a
// *TeeError naming the sinks that failed. A retried batch goes only to the
// sinks that still lack it, so no sink stores an entry twice.
type Tee struct {
	sinks []Sink
	names []string
	seen  []tracker
}

// NewTee returns a Tee over sinks. Names label the sinks in errors; missing
// names default to "sink N".
func NewTee(sinks []Sink, names ...string) *Tee {
	t := &Tee{sinks: sinks, names: make([]string, len(sinks)), seen: make([]tracker, len(sinks))}
	for i := range sinks {
		if i < len(names) && names[i] != "" {
			t.names[i] = names[i]
		} else {
			t.names[i] = fmt.Sprintf("sink %d", i)
		}
	}
	return t
}

// TeeError says which sinks of a Tee failed.
type TeeError struct {
	// Failed maps a sink's name to its error.
	Failed map[string]error
}

func (e *TeeError) Error() string {
	var parts []string
	for name, err := range e.Failed {
		parts = append(parts, name+": "+err.Error())
	}
	return "record: tee: " + strings.Join(parts, "; ")
}

// Unwrap returns the sinks' errors.
func (e *TeeError) Unwrap() []error {
	var out []error
	for _, err := range e.Failed {
		out = append(out, err)
	}
	return out
}

// Write implements Sink.
func (t *Tee) Write(ctx context.Context, batch []Event) error {
	var mu sync.Mutex
	failed := map[string]error{}
	var wg sync.WaitGroup
	for i, s := range t.sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			todo, err := t.seen[i].filter(batch)
			if err == nil && len(todo) > 0 {
				err = s.Write(ctx, todo)
			}
			if err != nil {
				mu.Lock()
				failed[t.names[i]] = err
				mu.Unlock()
				return
			}
			t.seen[i].commit(todo)
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		return &TeeError{Failed: failed}
	}
	for i := range t.seen {
		t.seen[i].forget(batch)
	}
	return nil
}

// Close closes every sink.
func (t *Tee) Close() error {
	var errs []error
	for i, s := range t.sinks {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.names[i], err))
		}
	}
	return errors.Join(errs...)
}

// LastLogCheckpoint implements CheckpointSource: the newest log checkpoint
// of the sinks, when every sink that can tell holds the same one (a log
// whose predecessor some sink lacks would look, in that sink, as if the
// predecessor were deleted; then the new log chains to nothing).
func (t *Tee) LastLogCheckpoint(ctx context.Context) (*LogCheckpoint, error) {
	var agreed *LogCheckpoint
	for i, s := range t.sinks {
		src, ok := s.(CheckpointSource)
		if !ok {
			continue
		}
		cp, err := src.LastLogCheckpoint(ctx)
		if err != nil || cp == nil {
			return nil, err
		}
		if i > 0 && agreed != nil && agreed.NoteHash() != cp.NoteHash() {
			return nil, nil
		}
		agreed = cp
	}
	return agreed, nil
}
