package record

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"iter"
	"sort"
)

// Damage names a kind of damage VerifyRecord found.
type Damage string

// The kinds of damage.
const (
	// DamageEdited: an entry's bytes differ from what was hashed and signed.
	DamageEdited Damage = "edited"
	// DamageDeleted: entries, whole sessions, files or checkpoints are gone.
	DamageDeleted Damage = "deleted"
	// DamageReordered: entries are out of order or duplicated.
	DamageReordered Damage = "reordered"
	// DamageTruncated: the record ends before what an anchor or a later
	// log proves was written.
	DamageTruncated Damage = "truncated"
	// DamageForged: entries no signed checkpoint can cover (inserted
	// after a log's final checkpoint, signed by another key, or made to
	// look older than sink integrity).
	DamageForged Damage = "forged"
	// DamageUnverified: entries after the newest signed checkpoint of a
	// log that was not closed (an open recorder, a crash, or a cut);
	// accepted with VerifyOptions.AllowOpen, never proven.
	DamageUnverified Damage = "unverified"
	// DamageUnreadable: a line or row that does not parse (a torn write).
	DamageUnreadable Damage = "unreadable"
)

// Problem is one finding of VerifyRecord.
type Problem struct {
	Damage Damage
	// Log and Index locate the first bad entry in its log (Index is its
	// leaf index; -1 when not known).
	Log   string
	Index int64
	// Session and Seq locate it in its session, when known.
	Session string
	Seq     uint64
	Detail  string
}

// String says what the problem is and where it starts.
func (p Problem) String() string {
	s := string(p.Damage)
	if p.Log != "" {
		s += fmt.Sprintf(" log %s", p.Log)
		if p.Index >= 0 {
			s += fmt.Sprintf(" index %d", p.Index)
		}
	}
	if p.Session != "" {
		s += fmt.Sprintf(" session %s", p.Session)
		if p.Seq > 0 {
			s += fmt.Sprintf(" seq %d", p.Seq)
		}
	}
	return s + ": " + p.Detail
}

// SessionStatus is what VerifyRecord concluded about a session.
type SessionStatus string

// The session statuses.
const (
	// SessionVerified: complete, and every entry covered by a signed
	// checkpoint of its log.
	SessionVerified SessionStatus = "verified"
	// SessionOpen: no end recorded, but every entry is covered.
	SessionOpen SessionStatus = "open"
	// SessionUnverified: some entries are covered by no signed checkpoint.
	SessionUnverified SessionStatus = "unverified"
	// SessionLegacy: written before sink integrity, verified per session.
	SessionLegacy SessionStatus = "legacy"
	// SessionBroken: damaged.
	SessionBroken SessionStatus = "broken"
)

// SessionResult is one session's verdict.
type SessionResult struct {
	ID      string
	Entries int
	Status  SessionStatus
	Detail  string
}

// LogResult is one sink-level log's verdict.
type LogResult struct {
	ID string
	// Leaves is the number of entries of the log in the record.
	Leaves uint64
	// Verified is the size of the newest signed checkpoint (record or
	// anchor) that matches the record: entries below it are proven.
	Verified uint64
	// Checkpoints counts the valid signed checkpoints in the record.
	Checkpoints int
	// Closed: the log ends with its final checkpoint.
	Closed bool
	// Anchored is the size of the newest anchored checkpoint (0: none).
	Anchored uint64
}

// Report is the result of VerifyRecord.
type Report struct {
	Logs     []LogResult
	Sessions []SessionResult
	// Problems, the first bad point of each damage found, in the order
	// of the record.
	Problems []Problem
	// Entries counts every entry read.
	Entries int
	// Legacy is set when some sessions predate sink integrity.
	Legacy bool
}

// OK reports whether the record verified (with the options it was
// verified with).
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// VerifyOptions configures VerifyRecord.
type VerifyOptions struct {
	// Key is the record's public key. Nil checks consistency only: any
	// key's checkpoints are accepted.
	Key ed25519.PublicKey
	// AllowOpen accepts entries after the newest signed checkpoint of a
	// log that was not closed (a recorder still running), and sessions
	// without an end; they are reported as open or unverified, never as
	// proven.
	AllowOpen bool
	// Anchored are the newest checkpoints an anchor holds (Anchor.Latest).
	Anchored []*LogCheckpoint
}

// logCheck is the verifier's state for one log.
type logCheck struct {
	id      string
	order   int
	leaves  []Hash
	tree    frontier
	broken  bool // a gap or reordering: no root after it can be checked
	cps     []*LogCheckpoint
	lastSeq uint64
	verRoot Hash
	res     LogResult
	first   *LogCheckpoint // the first checkpoint seen (its Prev links the log before)
	pending []*LogCheckpoint
	final   bool
	// gap is the range of leaf indexes found missing, and the problem
	// that reported it, reclassified when a missing entry turns up later.
	gapFrom, gapTo uint64
	gapProblem     int
}

// StoredReader is a Reader that can also yield every stored entry, the
// sink-level log's checkpoints included, in stored order (FileReader,
// Postgres, Memory's Reader): what VerifyRecord reads.
type StoredReader interface {
	Reader
	Stored(ctx context.Context) iter.Seq2[Event, error]
}

// VerifyRecord checks a whole record, every entry of every session and
// every log, as a Reader's All yields them: each entry's hash and its
// session's chain, each log's Merkle tree against its signed checkpoints,
// the chain of checkpoints within and across logs, and, with anchors, the
// tail. It reports every session's status and the first bad point of
// each damage found.
func VerifyRecord(ctx context.Context, all iter.Seq2[Event, error], opts VerifyOptions) *Report {
	rep := &Report{}
	logs := map[string]*logCheck{}
	var logOrder []*logCheck
	sessions := map[string][]Event{}
	var sessionOrder []string
	notes := map[Hash]bool{}
	firstLogTime := int64(-1)
	problem := func(p Problem) { rep.Problems = append(rep.Problems, p) }
	getLog := func(id string) *logCheck {
		l := logs[id]
		if l == nil {
			l = &logCheck{id: id, order: len(logOrder), res: LogResult{ID: id}}
			logs[id] = l
			logOrder = append(logOrder, l)
		}
		return l
	}
	for e, err := range all {
		if err != nil {
			if ctx.Err() != nil {
				problem(Problem{Damage: DamageUnreadable, Index: -1, Detail: err.Error()})
				break
			}
			problem(Problem{Damage: DamageUnreadable, Index: -1, Detail: err.Error()})
			continue
		}
		rep.Entries++
		if e.Kind == KindLogCheckpoint {
			l := getLog(e.Log)
			checkLogCheckpoint(l, &e, opts, problem)
			if e.LogCheckpoint != nil {
				notes[e.LogCheckpoint.NoteHash()] = true
				if firstLogTime < 0 || e.LogCheckpoint.Time < firstLogTime {
					firstLogTime = e.LogCheckpoint.Time
				}
			}
			continue
		}
		if _, ok := sessions[e.SessionID]; !ok {
			sessionOrder = append(sessionOrder, e.SessionID)
		}
		sessions[e.SessionID] = append(sessions[e.SessionID], e)
		if e.Log == "" {
			continue
		}
		l := getLog(e.Log)
		sum := e.computeSum()
		leaf := sum
		want := uint64(len(l.leaves))
		switch {
		case l.broken:
			if l.gapTo > l.gapFrom && e.Index >= l.gapFrom && e.Index < l.gapTo {
				p := &rep.Problems[l.gapProblem]
				p.Damage = DamageReordered
				p.Detail = fmt.Sprintf("entry %d is out of place: entries reordered", e.Index)
				l.gapTo = l.gapFrom
			}
		case e.Index > want:
			l.broken = true
			l.gapFrom, l.gapTo, l.gapProblem = want, e.Index, len(rep.Problems)
			problem(Problem{Damage: DamageDeleted, Log: l.id, Index: int64(want), Session: e.SessionID, Seq: e.Seq,
				Detail: fmt.Sprintf("entries %d to %d of the log are missing (deleted: entries, a whole session or a rotated file)", want, e.Index-1)})
		case e.Index < want:
			l.broken = true
			problem(Problem{Damage: DamageReordered, Log: l.id, Index: int64(e.Index), Session: e.SessionID, Seq: e.Seq,
				Detail: fmt.Sprintf("entry %d found after entry %d: duplicated or reordered", e.Index, want-1)})
		default:
			l.leaves = append(l.leaves, leaf)
			l.tree.append(leaf)
			// Checkpoints read before the leaves they cover (a table read
			// in another order) are checked as soon as the leaves are in.
			for len(l.pending) > 0 && l.pending[0].Size == l.tree.size {
				checkRoot(l, l.pending[0], problem)
				l.pending = l.pending[1:]
			}
		}
	}
	// Logs: the tail, the final checkpoint, the link to the log before.
	for _, l := range logOrder {
		for _, cp := range l.pending {
			if cp.Size <= uint64(len(l.leaves)) && !l.broken {
				checkRoot(l, cp, problem)
				continue
			}
			problem(Problem{Damage: DamageDeleted, Log: l.id, Index: int64(len(l.leaves)),
				Detail: fmt.Sprintf("a signed checkpoint covers %d entries but the record holds %d: entries from index %d on were deleted", cp.Size, len(l.leaves), len(l.leaves))})
		}
		l.res.Leaves = uint64(len(l.leaves))
		if l.final && !l.broken && l.res.Closed && l.res.Verified < uint64(len(l.leaves)) {
			problem(Problem{Damage: DamageForged, Log: l.id, Index: int64(l.res.Verified),
				Detail: fmt.Sprintf("%d entries after the log's final checkpoint", uint64(len(l.leaves))-l.res.Verified)})
		}
		if l.first != nil && l.first.Prev != (Hash{}) && !notes[l.first.Prev] {
			problem(Problem{Damage: DamageDeleted, Log: l.id, Index: 0,
				Detail: "the log continues a checkpoint that is not in the record: an earlier log (or its last checkpoint, or the file holding it) was deleted"})
		}
	}
	// Anchors: the newest anchored checkpoint of each log must be a
	// prefix of the record.
	for _, a := range opts.Anchored {
		if opts.Key != nil {
			if err := a.Verify(opts.Key); err != nil {
				problem(Problem{Damage: DamageForged, Log: a.logID(), Index: -1, Detail: "anchored checkpoint: " + err.Error()})
				continue
			}
		}
		l := logs[a.logID()]
		if l == nil {
			problem(Problem{Damage: DamageTruncated, Log: a.logID(), Index: 0,
				Detail: fmt.Sprintf("an anchor proves %d entries of this log were written; none is in the record (deleted)", a.Size)})
			continue
		}
		l.res.Anchored = a.Size
		checkAnchor(l, a, problem)
	}
	// Sessions.
	for _, id := range sessionOrder {
		rep.Sessions = append(rep.Sessions, judgeSession(id, sessions[id], logs, firstLogTime, opts, problem))
		if rep.Sessions[len(rep.Sessions)-1].Status == SessionLegacy {
			rep.Legacy = true
		}
	}
	for _, l := range logOrder {
		switch {
		case l.res.Checkpoints == 0 && l.res.Verified == 0 && len(l.leaves) > 0:
			problem(Problem{Damage: DamageForged, Log: l.id, Index: 0,
				Detail: fmt.Sprintf("no valid signed checkpoint covers any of the log's %d entries", len(l.leaves))})
		case l.broken:
			// The damage is reported; what follows it cannot be judged.
		case !l.res.Closed && l.res.Verified < uint64(len(l.leaves)) && !opts.AllowOpen:
			problem(Problem{Damage: DamageUnverified, Log: l.id, Index: int64(l.res.Verified),
				Detail: fmt.Sprintf("entries %d to %d come after the log's newest signed checkpoint and the log was not closed: the recorder is running or died, or the record was cut there (--allow-open accepts them unproven)", l.res.Verified, len(l.leaves)-1)})
		case !l.res.Closed && !opts.AllowOpen:
			problem(Problem{Damage: DamageUnverified, Log: l.id, Index: int64(len(l.leaves)),
				Detail: "the log has no final checkpoint: its recorder is running or died, or the record was cut after a checkpoint (only an anchor can tell)"})
		}
		rep.Logs = append(rep.Logs, l.res)
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		if a.Log != b.Log {
			return logOrderOf(logs, a.Log) < logOrderOf(logs, b.Log)
		}
		return a.Index < b.Index
	})
	return rep
}

func logOrderOf(logs map[string]*logCheck, id string) int {
	if l := logs[id]; l != nil {
		return l.order
	}
	return -1
}

// checkLogCheckpoint checks a checkpoint entry: its hash, its place in the
// chain of the log's checkpoints, its signature, and (now or once the
// leaves are in) the root.
func checkLogCheckpoint(l *logCheck, e *Event, opts VerifyOptions, problem func(Problem)) {
	bad := func(d Damage, format string, args ...any) {
		problem(Problem{Damage: d, Log: l.id, Index: int64(e.Index), Session: e.SessionID, Seq: e.Seq, Detail: fmt.Sprintf(format, args...)})
	}
	switch {
	case e.ComputeHash() != e.Hash:
		bad(DamageEdited, "log checkpoint entry edited")
		return
	case e.LogCheckpoint == nil:
		bad(DamageEdited, "log checkpoint does not parse")
		return
	case e.SessionID != logSession(e.Log) || e.LogCheckpoint.logID() != e.Log || e.Index != e.LogCheckpoint.Size:
		bad(DamageForged, "log checkpoint filed under another log or size")
		return
	}
	cp := e.LogCheckpoint
	if opts.Key != nil {
		if err := cp.Verify(opts.Key); err != nil {
			bad(DamageForged, "%v", err)
			return
		}
	}
	if e.Seq != l.lastSeq+1 {
		if e.Seq > l.lastSeq+1 {
			bad(DamageDeleted, "checkpoints %d to %d of the log are missing (deleted)", l.lastSeq+1, e.Seq-1)
		} else {
			bad(DamageReordered, "checkpoint %d after checkpoint %d: duplicated or reordered", e.Seq, l.lastSeq)
		}
	} else if n := len(l.cps); n > 0 && cp.Prev != l.cps[n-1].NoteHash() {
		bad(DamageEdited, "checkpoint does not chain to the one before it")
	}
	if l.final {
		bad(DamageForged, "checkpoint after the log's final checkpoint")
		return
	}
	l.lastSeq = max(l.lastSeq, e.Seq)
	if l.first == nil {
		l.first = cp
	}
	l.cps = append(l.cps, cp)
	l.res.Checkpoints++
	if cp.Final {
		l.final = true
	}
	switch {
	case l.broken:
	case cp.Size == l.tree.size:
		checkRoot(l, cp, problem)
	case cp.Size < l.tree.size:
		checkRoot(l, cp, problem)
	default:
		l.pending = append(l.pending, cp)
	}
}

// checkRoot compares a checkpoint's root with the record's leaves.
func checkRoot(l *logCheck, cp *LogCheckpoint, problem func(Problem)) {
	var root Hash
	if cp.Size == l.tree.size {
		root = l.tree.root()
	} else {
		root = treeRoot(l.leaves[:cp.Size])
	}
	if root != cp.Root {
		from := l.res.Verified
		problem(Problem{Damage: DamageEdited, Log: l.id, Index: int64(from),
			Detail: fmt.Sprintf("the entries before index %d do not hash to the signed checkpoint's root: one at or after index %d was edited, removed, inserted or reordered", cp.Size, from)})
		l.broken = true
		return
	}
	if cp.Size >= l.res.Verified {
		l.res.Verified = cp.Size
		l.verRoot = root
		l.res.Closed = cp.Final
	}
}

// checkAnchor checks the record against an anchored checkpoint with a
// consistency proof from it to the record's newest verified checkpoint.
func checkAnchor(l *logCheck, a *LogCheckpoint, problem func(Problem)) {
	n := uint64(len(l.leaves))
	if a.Size > n {
		problem(Problem{Damage: DamageTruncated, Log: l.id, Index: int64(n),
			Detail: fmt.Sprintf("an anchor proves %d entries were written; the record holds %d: entries from index %d on were cut off", a.Size, n, n)})
		return
	}
	if l.broken {
		return // already reported
	}
	size2, root2 := l.res.Verified, l.verRoot
	if size2 < a.Size {
		size2, root2 = a.Size, treeRoot(l.leaves[:a.Size])
	}
	proof, err := ConsistencyProof(l.leaves[:size2], a.Size)
	if err == nil {
		err = VerifyConsistency(a.Size, size2, proof, a.Root, root2)
	}
	if err != nil {
		problem(Problem{Damage: DamageEdited, Log: l.id, Index: 0,
			Detail: fmt.Sprintf("the record is not an extension of the anchored checkpoint of size %d: rewritten (%v)", a.Size, err)})
		return
	}
	if a.Size > l.res.Verified {
		l.res.Verified, l.verRoot = a.Size, root2
	}
	if a.Final {
		l.res.Closed = true
		if n > a.Size {
			problem(Problem{Damage: DamageForged, Log: l.id, Index: int64(a.Size),
				Detail: fmt.Sprintf("%d entries after the log's anchored final checkpoint", n-a.Size)})
		}
	}
}

// judgeSession verifies one session's chain and says how much of it the
// log proves.
func judgeSession(id string, evs []Event, logs map[string]*logCheck, firstLogTime int64, opts VerifyOptions, problem func(Problem)) SessionResult {
	res := SessionResult{ID: id, Entries: len(evs)}
	legacy := 0
	for i := range evs {
		switch {
		case evs[i].Log == "" && evs[i].Version != VersionLegacy:
			res.Status, res.Detail = SessionBroken, fmt.Sprintf("seq %d is a version %d entry without its log: its log fields were stripped", evs[i].Seq, evs[i].Version)
			problem(Problem{Damage: DamageForged, Index: -1, Session: id, Seq: evs[i].Seq, Detail: res.Detail})
			return res
		case evs[i].Log != "" && evs[i].Version == VersionLegacy:
			lg, idx := evs[i].Log, int64(evs[i].Index)
			res.Status, res.Detail = SessionBroken, fmt.Sprintf("seq %d is an entry from before sink integrity placed in a log", evs[i].Seq)
			problem(Problem{Damage: DamageForged, Log: lg, Index: idx, Session: id, Seq: evs[i].Seq, Detail: res.Detail})
			return res
		case evs[i].Log == "":
			legacy++
		}
	}
	err := Verify(evs, opts.Key)
	var ve *VerifyError
	errors.As(err, &ve)
	at := func(i int) (string, int64) {
		if i >= 0 && i < len(evs) && evs[i].Log != "" {
			return evs[i].Log, int64(evs[i].Index)
		}
		return "", -1
	}
	if legacy > 0 && legacy < len(evs) {
		res.Status, res.Detail = SessionBroken, "some entries carry no sink-level log: entries were inserted"
		problem(Problem{Damage: DamageForged, Index: -1, Session: id, Detail: res.Detail})
		return res
	}
	if legacy == len(evs) {
		if firstLogTime >= 0 && evs[0].Time >= firstLogTime {
			res.Status, res.Detail = SessionBroken, "a session without sink integrity, dated after sink integrity began: forged or inserted"
			problem(Problem{Damage: DamageForged, Index: -1, Session: id, Detail: res.Detail})
			return res
		}
		switch {
		case err == nil:
			res.Status, res.Detail = SessionLegacy, "written before sink integrity: its chain and signed checkpoints verify, but deleting it whole could not be detected"
		case errors.Is(err, ErrUnterminated) && opts.AllowOpen && hasSignedCheckpoint(evs):
			res.Status, res.Detail = SessionLegacy, "written before sink integrity, still open: "+ve.Reason
		default:
			res.Status = SessionBroken
			if ve != nil {
				res.Detail = ve.Reason
				problem(Problem{Damage: damageOf(ve), Index: -1, Session: id, Seq: ve.Seq, Detail: "(before sink integrity) " + ve.Reason})
			} else {
				res.Detail = err.Error()
				problem(Problem{Damage: DamageForged, Index: -1, Session: id, Detail: err.Error()})
			}
		}
		return res
	}
	if err != nil && !errors.Is(err, ErrUnterminated) {
		res.Status, res.Detail = SessionBroken, ve.Reason
		lg, idx := at(ve.Index)
		problem(Problem{Damage: damageOf(ve), Log: lg, Index: idx, Session: id, Seq: ve.Seq, Detail: ve.Reason})
		return res
	}
	uncovered := 0
	for i := range evs {
		l := logs[evs[i].Log]
		if l == nil || evs[i].Index >= l.res.Verified {
			uncovered++
		}
	}
	switch {
	case uncovered > 0:
		res.Status = SessionUnverified
		res.Detail = fmt.Sprintf("%d of its %d entries come after the newest signed checkpoint: not proven", uncovered, len(evs))
	case err != nil:
		res.Status = SessionOpen
		res.Detail = "no session end recorded; every entry so far is proven"
		if !opts.AllowOpen {
			lg, idx := at(len(evs) - 1)
			problem(Problem{Damage: DamageUnverified, Log: lg, Index: idx, Session: id, Seq: evs[len(evs)-1].Seq,
				Detail: "the session has no end recorded (open, or its recorder stopped first); --allow-open accepts it"})
		}
	default:
		res.Status = SessionVerified
	}
	return res
}

func hasSignedCheckpoint(evs []Event) bool {
	for i := range evs {
		if evs[i].Checkpoint != nil && len(evs[i].Checkpoint.Signature) > 0 {
			return true
		}
	}
	return false
}

// damageOf classifies a session chain error.
func damageOf(ve *VerifyError) Damage {
	switch r := ve.Reason; {
	case contains(r, "missing"):
		return DamageDeleted
	case contains(r, "duplicated"), contains(r, "reordered"):
		return DamageReordered
	case contains(r, "without a final checkpoint"):
		return DamageTruncated
	case contains(r, "signature"), contains(r, "not signed"), contains(r, "after the final"):
		return DamageForged
	}
	return DamageEdited
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
