package httpgate

import (
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/mask"
)

// A client of a token stream does not always join the deltas of one
// field: it may join the strings of several fields (a key name changing
// from record to record, "text" then "partial_json", a field then its
// sibling, chunks moving along an array, JSON inside a string) and skip
// the ones that only label the records ("type", "id", "object", a
// stamp). Besides each field's own tail, and the tail of its field with
// array indexes folded (chunks of an array, joinFields), sseMasker keeps
// the last strings of the stream in the order sent, with their fields.
// A string of a field that varies (one first seen after the first
// record, or missing from a record since) is checked joined to:
//
//   - those strings, but of labels and of fields in every record (a
//     changing id or stamp): a field that took one
//     value in two records or more, or two values in three or more,
//     each of three bytes or more, is a label, left out even where it
//     came before it was known to be one;
//   - the tail of each other field among the last crossPairs strings
//     that is neither a label nor in every record (a client joining
//     two fields).
//
// Fields in every record are a record's columns, not deltas: joining
// them would read matches across the columns of ordinary records (a
// phone number then a date), so they are followed each alone.
//
// A join that holds a match the string alone does not replaces the
// string by [REDACTED], as joinFields does.

// crossLeaves bounds the strings kept; their length is bounded by
// tailLen.
const crossLeaves = 64

// crossPairs is how many of the last strings name the fields a new
// string is joined to one by one.
const crossPairs = 8

// crossLeaf is one string of the stream and the field that carried it.
type crossLeaf struct{ path, val string }

// fieldSeen is what cross knows of a field: its first two values (cut to
// labelLen), how many strings it carried, whether a third value came,
// and the records it was first and last seen in and in how many.
type fieldSeen struct {
	vals        [2]string
	nvals       int
	n           int
	more        bool
	first, last int
	records     int
}

// labelLen bounds the values kept per field.
const labelLen = 128

// label reports whether the field at path is a label.
func (m *sseMasker) label(path string) bool {
	f := m.seen[path]
	return f != nil && !f.more && (f.nvals == 1 && f.n >= 2 || f.nvals == 2 && f.n >= 3)
}

// everyRecord reports whether the field at path came in every record,
// twice or more: a column of the records (a field that came later is a
// delta's).
func (m *sseMasker) everyRecord(path string) bool {
	f := m.seen[path]
	return f != nil && f.first == 1 && f.records >= 2 && f.records == m.record
}

// note counts string s at path.
func (m *sseMasker) note(path, s string) {
	if m.seen == nil {
		m.seen = map[string]*fieldSeen{}
	}
	f := m.seen[path]
	if f == nil {
		if len(m.seen) >= sseMaxFields {
			return // an unknown field is never a label
		}
		f = &fieldSeen{first: m.record, last: m.record - 1}
		m.seen[path] = f
	}
	f.n++
	if f.last != m.record {
		f.last = m.record
		f.records++
	}
	switch {
	case len(s) > labelLen || len(s) < 3:
		// A token of a byte or two is a delta, never a label.
		f.more = true
	case f.nvals > 0 && f.vals[0] == s, f.nvals > 1 && f.vals[1] == s:
	case f.nvals < 2:
		f.vals[f.nvals] = s
		f.nvals++
	default:
		f.more = true
	}
}

// varying reports whether the field at path varies: first seen after
// the first record, or missing from a record since.
func (m *sseMasker) varying(path string) bool {
	f := m.seen[path]
	return f == nil || f.first > 1 || f.records < m.record-f.first+1
}

// cross reports whether s, the string at path, completes a match in one
// of the joins a client may make across fields; own is the field's own
// tail, already joined to s. The caller noted s.
func (m *sseMasker) cross(path, s, own string) (bool, error) {
	if m.label(path) || !m.varying(path) {
		return false, nil
	}
	var view strings.Builder
	for _, l := range m.leaves {
		if !m.label(l.path) && !m.everyRecord(l.path) {
			view.WriteString(l.val)
		}
	}
	checked := []string{own}
	try := func(prefix string) (bool, error) {
		if n := m.tailLen(); len(prefix) > n {
			prefix = prefix[len(prefix)-n:]
		}
		if prefix == "" || slices.Contains(checked, prefix) {
			return false, nil
		}
		checked = append(checked, prefix)
		return m.joinHolds(prefix, s)
	}
	if hit, err := try(view.String()); hit || err != nil {
		return hit, err
	}
	var done []string
	for i := len(m.leaves) - 1; i >= max(0, len(m.leaves)-crossPairs); i-- {
		q := m.leaves[i].path
		if q == path || m.label(q) || m.everyRecord(q) || slices.Contains(done, q) {
			continue
		}
		done = append(done, q)
		tail, ok := m.fields[q]
		if q == "" || !ok {
			tail = m.tail
		}
		if hit, err := try(tail); hit || err != nil {
			return hit, err
		}
	}
	return false, nil
}

// presentAll counts every field known as present in the current record.
func (m *sseMasker) presentAll() {
	for _, f := range m.seen {
		if f.last != m.record {
			f.last = m.record
			f.records++
		}
	}
}

// foldIndexes returns path with its array indexes (parts that are
// digits only) replaced by "*".
func foldIndexes(path string) string {
	var b []byte // nil until a part is folded
	for start := 0; start <= len(path); {
		end := strings.IndexByte(path[start:], '/')
		if end < 0 {
			end = len(path)
		} else {
			end += start
		}
		part := path[start:end]
		if allDigits(part) {
			if b == nil {
				b = make([]byte, 0, len(path))
				b = append(b, path[:start]...)
			}
			b = append(b, '*')
		} else if b != nil {
			b = append(b, part...)
		}
		if end < len(path) && b != nil {
			b = append(b, '/')
		}
		start = end + 1
	}
	if b == nil {
		return path
	}
	return string(b)
}

// joinHolds reports whether prefix and s joined hold a match that the
// prefix alone (sent masked) does not.
func (m *sseMasker) joinHolds(prefix, s string) (bool, error) {
	joined := prefix + s
	mj, fs, err := m.p.Value("", joined)
	if err != nil || mj == joined {
		return false, err
	}
	m.findings = mask.MergeFindings(m.findings, fs)
	return true, nil
}

// leaf keeps s, as sent, the string at path, as the last of the stream.
func (m *sseMasker) leaf(path, s string) {
	m.leaves = append(m.leaves, crossLeaf{path, s})
	n := 0
	for _, l := range m.leaves {
		n += len(l.val)
	}
	drop := 0
	for drop < len(m.leaves)-1 && (len(m.leaves)-drop > crossLeaves || n-len(m.leaves[drop].val) >= m.tailLen()) {
		n -= len(m.leaves[drop].val)
		drop++
	}
	if drop > 0 {
		m.leaves = m.leaves[:copy(m.leaves, m.leaves[drop:])]
	}
}

// allDigits reports whether s is one digit or more, and nothing else.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
