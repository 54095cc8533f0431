package postgres

import (
	"fmt"
	"sync"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/jackc/pgx/v5/pgproto3"
)

// opKind is a client message sent upstream that the server will answer.
type opKind uint8

const (
	opQuery          opKind = iota + 1 // Query: results up to ReadyForQuery
	opParse                            // ParseComplete
	opBind                             // BindComplete
	opDescribeStmt                     // ParameterDescription, RowDescription|NoData
	opDescribePortal                   // RowDescription|NoData
	opExecute                          // rows, CommandComplete|EmptyQuery|PortalSuspended
	opClose                            // CloseComplete
	opSync                             // ReadyForQuery
	opRefuse                           // the gate's stand-in statement: its error is replaced
	opFunctionCall                     // FunctionCallResponse (never sent: refused)
	opProbe                            // the gateway's own settings read: SHOWs up to ReadyForQuery
)

var opNames = [...]string{opQuery: "Query", opParse: "Parse", opBind: "Bind", opDescribeStmt: "Describe statement",
	opDescribePortal: "Describe portal", opExecute: "Execute", opClose: "Close", opSync: "Sync", opRefuse: "a refusal",
	opFunctionCall: "FunctionCall", opProbe: "the settings read"}

func (k opKind) String() string {
	if int(k) < len(opNames) && opNames[k] != "" {
		return opNames[k]
	}
	return fmt.Sprintf("op %d", k)
}

// op is one expected answer, queued by the client goroutine before the
// message goes upstream and consumed by the upstream goroutine, so every
// response is matched to the message and decision it belongs to.
type op struct {
	kind    opKind
	name    string  // statement (Parse, Describe S, Close S) or portal
	stmt    string  // Bind: statement name
	formats []int16 // Bind: result format codes
	objType byte    // Close: 'S' or 'P'
	// hidden marks a Describe the gateway added: its reply is kept, not
	// passed on (describe.go).
	hidden bool

	// The state the server creates when it confirms: Parse -> sinfo,
	// Bind -> portal.
	sinfo  *stmtInfo
	portal *portalEntry

	policy   *mask.Policy
	decision *gate.Decision    // the allow decision the replies belong to
	stmts    []pgsql.Statement // lineage source, per result of a Query

	// opRefuse: the error shown instead of the stand-in's; simple is true
	// when the stand-in went as a Query (answered up to ReadyForQuery).
	refusal *pgproto3.ErrorResponse
	simple  bool

	// read is what an opProbe got (sessionsettings.go).
	read *settingsRead
}

// ends reports whether the op is answered by ReadyForQuery: it closes a
// sync group.
func (o *op) ends() bool {
	return o.kind == opSync || o.kind == opQuery || o.kind == opProbe || o.kind == opRefuse && o.simple
}

// opQueue is a FIFO shared by the two goroutines. It also holds the
// server's skip-until-Sync state: after an ErrorResponse to an
// extended-protocol message the server ignores everything up to Sync,
// Query included, and answers none of it.
type opQueue struct {
	mu       sync.Mutex
	ops      []*op
	head     int
	skipping bool
	copyIn   bool          // the server waits for COPY FROM STDIN data
	changed  chan struct{} // closed on the next change, when someone waits
}

// setCopyIn records whether the server is in COPY FROM STDIN.
func (q *opQueue) setCopyIn(v bool) {
	q.mu.Lock()
	q.copyIn = v
	q.notifyLocked()
	q.mu.Unlock()
}

// awaitChangeLocked releases q.mu and waits for the next change of the
// queue; false when done closed first. The caller holds q.mu.
func (q *opQueue) awaitChangeLocked(done <-chan struct{}) bool {
	if q.changed == nil {
		q.changed = make(chan struct{})
	}
	ch := q.changed
	q.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-done:
		return false
	}
}

// waitCopy blocks until the server has answered everything sent (ok) or
// is waiting for COPY data (copying), or done is closed.
func (q *opQueue) waitCopy(done <-chan struct{}) (copying, ok bool) {
	for {
		q.mu.Lock()
		if q.copyIn {
			q.mu.Unlock()
			return true, true
		}
		if q.head == len(q.ops) {
			q.mu.Unlock()
			return false, true
		}
		if !q.awaitChangeLocked(done) {
			return false, false
		}
	}
}

func (q *opQueue) push(o ...*op) {
	q.mu.Lock()
	q.ops = append(q.ops, o...)
	q.mu.Unlock()
}

// peek returns the oldest unanswered op, or nil.
func (q *opQueue) peek() *op {
	q.mu.Lock()
	h := q.peekLocked()
	q.mu.Unlock()
	return h
}

func (q *opQueue) peekLocked() *op {
	if q.head < len(q.ops) {
		return q.ops[q.head]
	}
	return nil
}

func (q *opQueue) pop() *op {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.popLocked()
}

func (q *opQueue) popLocked() *op {
	if q.head >= len(q.ops) {
		return nil
	}
	o := q.ops[q.head]
	q.ops[q.head] = nil
	q.head++
	if q.head == len(q.ops) {
		q.ops, q.head = q.ops[:0], 0
	} else if q.head > 1024 && q.head*2 > len(q.ops) {
		n := copy(q.ops, q.ops[q.head:])
		q.ops, q.head = q.ops[:n], 0
	}
	q.notifyLocked()
	return o
}

func (q *opQueue) notifyLocked() {
	if q.changed != nil {
		close(q.changed)
		q.changed = nil
	}
}

// skippedLocked pops the ops the server ignores while it skips to Sync:
// every op before the next one that ReadyForQuery answers. It returns
// them so their state changes can be dropped.
func (q *opQueue) skippedLocked() []*op {
	if !q.skipping {
		return nil
	}
	var out []*op
	for q.head < len(q.ops) && !q.ops[q.head].ends() {
		out = append(out, q.popLocked())
	}
	return out
}

// skippedThenPeek is skippedLocked, then peek, under one lock: what every
// server message but the asynchronous ones starts with. (The client
// goroutine pushes an op before its message goes upstream, so no reply
// finds its op missing for want of a second look.)
func (q *opQueue) skippedThenPeek() ([]*op, *op) {
	q.mu.Lock()
	out := q.skippedLocked()
	h := q.peekLocked()
	q.mu.Unlock()
	return out, h
}

// fail handles an ErrorResponse to the extended-protocol op at the head:
// the server now skips to Sync. It returns the failed op and those the
// server will skip.
func (q *opQueue) fail() []*op {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := []*op{q.popLocked()}
	for q.head < len(q.ops) && !q.ops[q.head].ends() {
		out = append(out, q.popLocked())
	}
	q.skipping = true
	q.notifyLocked()
	return out
}

// ready handles ReadyForQuery: it pops the op it answers, which must be at
// the head, and ends the skip.
func (q *opQueue) ready() *op {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head >= len(q.ops) || !q.ops[q.head].ends() {
		return nil
	}
	q.skipping = false
	return q.popLocked()
}

// settled reports whether every group sent before is answered and the
// current one is answered or skipped: the model is then exact.
func (q *opQueue) settledLocked() bool {
	for _, o := range q.ops[q.head:] {
		if o.ends() {
			return false
		}
	}
	return q.head == len(q.ops) || q.skipping
}

// wait blocks until the queue is settled or done is closed, and reports
// whether the server is skipping to Sync.
func (q *opQueue) wait(done <-chan struct{}) (skipping bool, ok bool) {
	for {
		q.mu.Lock()
		if q.settledLocked() {
			s := q.skipping
			q.mu.Unlock()
			return s, true
		}
		if !q.awaitChangeLocked(done) {
			return false, false
		}
	}
}
