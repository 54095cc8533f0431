package gate

import (
	"context"
	"sync/atomic"
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
	// Run names the run the session belongs to (see RunStore): set by the
	// protocol from what the client's harness sent, else from the
	// identity's run claim, else the identity's current run.
	Run string `json:"run,omitempty"`
	// Start is when the session opened; OpenSession fills it in when zero.
	Start time.Time `json:"start"`
	// SettingsImmutable is the protocol's promise that it never writes a
	// map of SQL settings (SQL.Settings) once a request of this session
	// carried it: settings that change come in a new map. The gate then
	// tells a request's settings unchanged by their map alone, one
	// comparison instead of one per setting, when leaving them out of a
	// decision's record. A protocol that breaks the promise leaves changed
	// settings out of the record. Not recorded.
	SettingsImmutable bool `json:"-"`

	stats sessionStats
	// settings: the SQL settings this session last recorded
	// (settings_record.go); set by OpenSession.
	settings *recordedSettings
	// identityLabels: the client could have chosen Run (it named it, or
	// its identity's window gave it), so its labels are its identity's
	// too and it sees its identity's (RunConfig.TrustClientRuns).
	identityLabels bool
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

// sessionStats keeps the counters without a lock, so that a Session (which
// embeds it) may be passed by value before it is in use. The per-minute
// count uses sixty one-second buckets, so it costs the same however busy
// the session is; each bucket packs the unix second it counts (high 32 bits)
// with its count (low 32 bits) and is updated by compare-and-swap.
type sessionStats struct {
	requests int64
	denied   int64
	buckets  [60]uint64
}

func (st *sessionStats) snapshot(now time.Time) SessionStats {
	sec := uint32(now.Unix())
	var recent int64
	for i := range st.buckets {
		b := atomic.LoadUint64(&st.buckets[i])
		if sec-uint32(b>>32) < 60 {
			recent += int64(uint32(b))
		}
	}
	return SessionStats{Requests: atomic.LoadInt64(&st.requests), Denied: atomic.LoadInt64(&st.denied), RequestsLastMinute: recent}
}

func (st *sessionStats) countRequest(now time.Time) {
	atomic.AddInt64(&st.requests, 1)
	sec := uint32(now.Unix())
	b := &st.buckets[sec%60]
	for {
		old := atomic.LoadUint64(b)
		next := uint64(sec)<<32 | 1
		if uint32(old>>32) == sec {
			next = old + 1
		}
		if atomic.CompareAndSwapUint64(b, old, next) {
			return
		}
	}
}

func (st *sessionStats) countDenied() { atomic.AddInt64(&st.denied, 1) }

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
