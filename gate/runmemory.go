package gate

import (
	"context"
	"sync"
	"time"
)

// windowBuckets is the number of buckets one hour spans.
const windowBuckets = int(time.Hour / bucketWidth)

// MemoryRuns is a RunStore in the gateway's memory: runs, labels and
// budgets of one replica (gate/pgruns shares them between replicas). The
// zero value is ready to use. A run nothing touched for RunRetention is
// forgotten, with its labels; counters older than an hour are dropped.
type MemoryRuns struct {
	mu       sync.Mutex
	current  map[string]*identityRun // by subject
	labels   map[string]map[string]Label
	seen     map[string]time.Time // last activity per run
	counters map[counterKey]*window
	swept    time.Time
}

// RunRetention is how long a store keeps a run nothing touched.
const RunRetention = 24 * time.Hour

// touch notes activity on run and, once a minute, forgets what expired.
func (m *MemoryRuns) touch(run string, now time.Time) {
	if m.seen == nil {
		m.seen = map[string]time.Time{}
	}
	if now.After(m.seen[run]) {
		m.seen[run] = now
	}
	if now.Sub(m.swept) < time.Minute {
		return
	}
	m.swept = now
	for r, t := range m.seen {
		if now.Sub(t) > RunRetention {
			delete(m.seen, r)
			delete(m.labels, r)
		}
	}
	for s, r := range m.current {
		if now.Sub(r.last) > RunRetention {
			delete(m.current, s)
		}
	}
	b := bucketOf(now)
	for k, w := range m.counters {
		if _, hour := w.sums(b); hour == 0 {
			delete(m.counters, k)
		}
	}
}

type identityRun struct {
	id   string
	last time.Time
}

type counterKey struct {
	scope  byte // 'r' run, 'i' identity
	id     string
	metric Metric
}

// window counts over the last hour in buckets of bucketWidth.
type window struct {
	stamp [windowBuckets]int64 // the bucket each slot counts
	n     [windowBuckets]int64
}

func (w *window) add(b, n int64) {
	i := int((b / int64(bucketWidth/time.Second)) % int64(windowBuckets))
	if w.stamp[i] != b {
		w.stamp[i], w.n[i] = b, 0
	}
	w.n[i] += n
}

// sums returns the counts of the last minute and the last hour before b
// (b included).
func (w *window) sums(b int64) (minute, hour int64) {
	for i := range w.stamp {
		age := b - w.stamp[i]
		if w.n[i] == 0 || age < 0 || age >= int64(time.Hour/time.Second) {
			continue
		}
		hour += w.n[i]
		if age < int64(time.Minute/time.Second) { // the current bucket and the five before it
			minute += w.n[i]
		}
	}
	return minute, hour
}

// Resolve implements RunStore.
func (m *MemoryRuns) Resolve(_ context.Context, subject string, now time.Time, idle time.Duration) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.current == nil {
		m.current = map[string]*identityRun{}
	}
	r := m.current[subject]
	if r == nil || now.Sub(r.last) > idle {
		r = &identityRun{id: NewID()}
		m.current[subject] = r
	}
	r.last = now
	m.touch(r.id, now)
	return r.id, nil
}

// AddLabel implements RunStore.
func (m *MemoryRuns) AddLabel(_ context.Context, run string, l Label) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.labels == nil {
		m.labels = map[string]map[string]Label{}
	}
	ls := m.labels[run]
	if ls == nil {
		ls = map[string]Label{}
		m.labels[run] = ls
	}
	if _, ok := ls[l.Name]; ok {
		return false, nil
	}
	ls[l.Name] = l
	m.touch(run, l.Time)
	return true, nil
}

// ClearLabel implements RunStore.
func (m *MemoryRuns) ClearLabel(_ context.Context, run, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.labels[run], name)
	return nil
}

// Count implements RunStore.
func (m *MemoryRuns) Count(_ context.Context, run, subject string, metric Metric, n int64, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counters == nil {
		m.counters = map[counterKey]*window{}
	}
	b := bucketOf(at)
	for _, k := range []counterKey{{'r', run, metric}, {'i', subject, metric}} {
		w := m.counters[k]
		if w == nil {
			w = &window{}
			m.counters[k] = w
		}
		w.add(b, n)
	}
	m.touch(run, at)
	return nil
}

// State implements RunStore.
func (m *MemoryRuns) State(_ context.Context, run, subject string, now time.Time) (RunState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := RunState{ID: run, Labels: make(map[string]Label, len(m.labels[run])), Run: newUsage(), Identity: newUsage()}
	for name, l := range m.labels[run] {
		st.Labels[name] = l
	}
	b := bucketOf(now)
	for _, metric := range Metrics {
		if w := m.counters[counterKey{'r', run, metric}]; w != nil {
			st.Run.LastMinute[metric], st.Run.LastHour[metric] = w.sums(b)
		}
		if w := m.counters[counterKey{'i', subject, metric}]; w != nil {
			st.Identity.LastMinute[metric], st.Identity.LastHour[metric] = w.sums(b)
		}
	}
	return st, nil
}

var _ RunStore = (*MemoryRuns)(nil)
