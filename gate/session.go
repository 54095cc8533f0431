package gate

import (
	"context"
	"sync"
	"time"
)

// Session is one client connection (or one agent run) through the gate. A
// protocol package opens it with Gate.OpenSession, passes it on every Request
// and closes it with Gate.CloseSession. The gate keeps per-session counters
// on it, which rules see as `session.requests`, `session.denied` and
// `session.requests_last_minute`.
type Session struct {
	// ID is unique per session; OpenSession fills it in when empty.
	ID string `json:"id"`
	// Protocol is "postgres", "ssh", "http", "tool" or "mcp".
	Protocol string `json:"protocol"`
	// Target names the upstream resource (a database, a host, a base URL).
	Target string `json:"target,omitempty"`
	// Identity is the authenticated client.
	Identity Identity `json:"identity"`
	// ClientAddr is the client's network address, when there is one.
	ClientAddr string `json:"client_addr,omitempty"`
	// Start is when the session opened; OpenSession fills it in when zero.
	Start time.Time `json:"start"`

	stats sessionStats
}

// SessionStats is a snapshot of a session's counters.
type SessionStats struct {
	// Requests counts the requests checked so far (not counting the current one).
	Requests int64
	// Denied counts the requests refused so far.
	Denied int64
	// RequestsLastMinute counts requests checked in the last sixty seconds.
	RequestsLastMinute int64
}

// Stats returns the session's counters as of now.
func (s *Session) Stats() SessionStats {
	return s.stats.snapshot(time.Now())
}

// sessionStats keeps the counters. The per-minute count uses sixty one-second
// buckets, so it costs the same however busy the session is.
type sessionStats struct {
	mu       sync.Mutex
	requests int64
	denied   int64
	buckets  [60]int64
	stamps   [60]int64 // the unix second each bucket counts
}

func (st *sessionStats) snapshot(now time.Time) SessionStats {
	st.mu.Lock()
	defer st.mu.Unlock()
	sec := now.Unix()
	var recent int64
	for i := range st.buckets {
		if sec-st.stamps[i] < 60 {
			recent += st.buckets[i]
		}
	}
	return SessionStats{Requests: st.requests, Denied: st.denied, RequestsLastMinute: recent}
}

func (st *sessionStats) countRequest(now time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.requests++
	sec := now.Unix()
	i := sec % 60
	if st.stamps[i] != sec {
		st.stamps[i] = sec
		st.buckets[i] = 0
	}
	st.buckets[i]++
}

func (st *sessionStats) countDenied() {
	st.mu.Lock()
	st.denied++
	st.mu.Unlock()
}

type sessionKey struct{}

// WithSession returns a context that carries s. Wrappers that have no
// connection of their own (tool calls) find their session this way.
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// SessionFrom returns the session carried by ctx, or nil.
func SessionFrom(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}
