package postgres

import (
	"sync"

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
)

// op is one expected answer, queued by the client goroutine before the
// message goes upstream and consumed by the upstream goroutine, so every
// response is matched to the message and decision it belongs to.
type op struct {
	kind    opKind
	name    string  // statement (Parse, Describe S, Close) or portal
	stmt    string  // Bind: statement name
	formats []int16 // Bind: result format codes

	policy   *mask.Policy
	decision string
	stmts    []Statement // lineage source, per result of a Query

	// opRefuse: the error shown instead of the stand-in's; simple is true
	// when the stand-in went as a Query (answered up to ReadyForQuery).
	refusal *pgproto3.ErrorResponse
	simple  bool
}

// opQueue is a FIFO shared by the two goroutines.
type opQueue struct {
	mu   sync.Mutex
	ops  []*op
	head int
}

func (q *opQueue) push(o ...*op) {
	q.mu.Lock()
	q.ops = append(q.ops, o...)
	q.mu.Unlock()
}

// peek returns the oldest unanswered op, or nil.
func (q *opQueue) peek() *op {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head < len(q.ops) {
		return q.ops[q.head]
	}
	return nil
}

func (q *opQueue) pop() *op {
	q.mu.Lock()
	defer q.mu.Unlock()
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
	return o
}

// dropUntilSync discards the ops the server skips after an error in an
// extended-protocol batch: everything before the next Sync.
func (q *opQueue) dropUntilSync() {
	for {
		o := q.peek()
		if o == nil || o.kind == opSync || o.kind == opQuery {
			return
		}
		q.pop()
	}
}
