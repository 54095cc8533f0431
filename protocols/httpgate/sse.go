package httpgate

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/airlock-sdk/airlock/mask"
)

// keepLength, returned by filter.prepare, means the body and its length are
// passed on unchanged.
const keepLength = -2

// sseMasker masks a server-sent event stream one whole event at a time: it
// holds the bytes of an event until its blank line arrives, however the
// upstream split them into chunks, masks the event, and writes it. An event
// is never held back once complete, so streams stay live; an event above
// the size bound fails the stream closed.
//
// An event is masked as bytes (comments and field names included) and its
// data as the client assembles it: the values of its data fields joined
// with "\n", lines ended by LF, CR or CRLF, a leading BOM dropped.
//
// A value can also be split across events (a token stream sending "4111
// 1111 " then "1111 1111", or {"delta":"ann@"} then
// {"delta":"example.com"}). The data already sent is kept as a short
// tail, and for JSON data one tail per string field (by its path), which
// is what a client concatenates; when a tail and the next event together
// hold a match that neither holds alone, that event's data (for JSON, the
// string field) is replaced by [REDACTED], so the client never receives
// the whole value.
type sseMasker struct {
	p        *mask.Policy
	max      int64
	out      io.Writer
	buf      []byte
	scanned  int    // buf[:scanned] holds no terminator
	started  bool   // the first bytes were seen (and a BOM dropped)
	tail     string // the end of the data sent so far
	fields   map[string]string
	findings []mask.Finding
	// readings: the data a client joins is also read as it decodes it
	// (base85 runs, protobuf fields: see joinedReadings), under a rule's
	// mask; decodes holds the base85 decodes judged.
	readings bool
	decodes  verdicts
	runs     map[string]string
	runCut   map[string]bool
	// leaves and seen: the last strings of the stream and what is
	// known of their fields, for the joins across fields (crossfields.go).
	leaves []crossLeaf
	seen   map[string]*fieldSeen
	record int
	// maskedRecord: the record was changed by masking it alone, which
	// may have taken fields out of it.
	maskedRecord bool
}

// sseTail bounds the data kept to detect values split across events: the
// longest match of the built-in detectors (a PEM block) and some context.
const sseTail = 8<<10 + 512

// sseMaxFields bounds the JSON string fields followed across events.
const sseMaxFields = 256

func (m *sseMasker) start(out io.Writer) { m.out = out }

// tailLen is how much of the data sent is kept: enough for the policy's
// longest match.
func (m *sseMasker) tailLen() int {
	return min(sseTail, max(m.p.MaxHeld()/2, 64))
}

func (m *sseMasker) Write(b []byte) (int, error) {
	m.buf = append(m.buf, b...)
	if !m.started {
		// EventSource drops one leading UTF-8 BOM.
		if len(m.buf) < 3 && bytes.HasPrefix([]byte("\xEF\xBB\xBF"), m.buf) {
			return len(b), nil
		}
		m.started = true
		m.buf = bytes.TrimPrefix(m.buf, []byte("\xEF\xBB\xBF"))
	}
	start := 0
	for {
		// A terminator is at most 4 bytes: look again only from just
		// before the bytes not yet searched.
		from := max(start, m.scanned-3)
		end := eventEnd(m.buf[from:])
		if end < 0 {
			m.scanned = len(m.buf)
			break
		}
		end += from
		if err := m.emit(m.buf[start:end]); err != nil {
			return 0, err
		}
		start, m.scanned = end, end
	}
	if start > 0 {
		m.buf = m.buf[:copy(m.buf, m.buf[start:])]
		m.scanned -= start
	}
	if int64(len(m.buf)) > m.max {
		return 0, fmt.Errorf("server-sent event above %d bytes", m.max)
	}
	return len(b), nil
}

// Close masks and writes an unterminated last event.
func (m *sseMasker) Close() error {
	if len(m.buf) == 0 {
		return nil
	}
	err := m.emit(m.buf)
	m.buf = nil
	return err
}

func (m *sseMasker) Findings() []mask.Finding { return m.findings }

func (m *sseMasker) emit(ev []byte) error {
	s, fs, err := m.p.Value("", string(ev))
	if err != nil {
		return err
	}
	m.findings = mask.MergeFindings(m.findings, fs)
	data, ok := eventData(s)
	if !ok {
		_, err = io.WriteString(m.out, s)
		return err
	}
	// The data as the client assembles it, masked alone: a match across
	// data lines. A token stream's client may also drop the "\n" (it
	// splits lines where the transport did), so the lines are checked
	// joined without it too.
	for _, d := range []string{data, strings.ReplaceAll(data, "\n", "")} {
		if md, fs, err := m.p.Value("", d); err != nil {
			return err
		} else if md != d {
			m.findings = mask.MergeFindings(m.findings, fs)
			s, data = replaceData(s, "[REDACTED]"), "[REDACTED]"
			break
		}
		if !strings.Contains(data, "\n") {
			break
		}
	}
	m.maskedRecord = s != string(ev)
	if d, err := m.follow(data); err != nil {
		return err
	} else if d != data {
		s = replaceData(s, d)
	}
	_, err = io.WriteString(m.out, s)
	return err
}

// follow returns what to send of data, one event's (or line's) data as a
// client decodes it, given the data sent before: data itself, or with the
// part that completes a match split across events redacted.
func (m *sseMasker) follow(data string) (string, error) {
	m.record++
	if m.maskedRecord {
		// Fields masking took out are not missing from the record.
		defer m.presentAll()
	}
	if jsonData(data) {
		if doc, err := decodeOrdered(data); err == nil {
			changed, err := m.joinFields(&doc, "")
			if err != nil || !changed {
				return data, err
			}
			return marshalOrdered(doc)
		}
	}
	own := m.tail
	m.note("", data)
	hit, err := m.joins(&m.tail, "", data)
	if err != nil {
		return data, err
	}
	if !hit {
		if hit, err = m.cross("", data, own); err != nil {
			return data, err
		}
	}
	if !hit {
		m.leaf("", data)
		return data, nil
	}
	m.tail = m.tail[:max(0, len(m.tail)-len(data))] + "[REDACTED]"
	m.leaf("", "[REDACTED]")
	return "[REDACTED]", nil
}

// jsonData reports whether data looks like a JSON object, array or
// string, whose string fields a client reads one by one.
func jsonData(data string) bool {
	d := strings.TrimLeft(data, " \t\r\n")
	return d != "" && (d[0] == '{' || d[0] == '[' || d[0] == '"')
}

// joins appends s to the tail and reports whether the two hold a match
// together that s alone does not (the tail was sent masked).
func (m *sseMasker) joins(tail *string, path, s string) (bool, error) {
	joined := *tail + s
	mj, fs, err := m.p.Value("", joined)
	if err != nil {
		return false, err
	}
	hit := mj != joined
	if hit {
		m.findings = mask.MergeFindings(m.findings, fs)
	} else if m.readings {
		if hit, err = m.joinedReadings(path, s); err != nil {
			return false, err
		}
	}
	if n := m.tailLen(); len(joined) > n {
		joined = joined[len(joined)-n:]
	}
	*tail = joined
	return hit, nil
}

// joinFields follows the string fields of JSON data (as decodeOrdered
// returns it) across events and replaces one whose value completes a
// match begun in the same field of earlier events, or in the strings a
// client may join across fields (see cross). A string that is itself
// JSON is followed field by field too.
func (m *sseMasker) joinFields(v *any, path string) (bool, error) {
	switch x := (*v).(type) {
	case string:
		if m.fields == nil {
			m.fields = map[string]string{}
		}
		tail, known := m.fields[path]
		at := path
		if !known && len(m.fields) >= sseMaxFields {
			// Too many fields to follow: the new one joins the whole
			// data's tail instead.
			at, tail = "", m.tail
		}
		own := tail
		m.note(path, x)
		hit, err := m.joins(&tail, at, x)
		if err != nil {
			return false, err
		}
		inner := false
		if !hit && jsonData(x) {
			// JSON inside a string: its client decodes it and joins its
			// strings.
			if doc, err := decodeOrdered(x); err == nil {
				if _, str := doc.(string); !str {
					inner = true
					c, err := m.joinFields(&doc, path+"/\x00")
					if err != nil {
						return false, err
					}
					if c {
						s, err := marshalOrdered(doc)
						if err != nil {
							return false, err
						}
						*v = s
						tail = tail[:max(0, len(tail)-len(x))] + s
					}
				}
			}
		}
		folded := ""
		if !hit && !inner {
			// Chunks of an array: the field with its indexes folded.
			if f := foldIndexes(path); f != path {
				folded = "\x01" + f
				hit, err = m.joinHolds(m.fields[folded], x)
				if err != nil {
					return false, err
				}
			}
		}
		if !hit && !inner {
			if hit, err = m.cross(path, x, own); err != nil {
				return false, err
			}
		}
		if _, fk := m.fields[folded]; folded != "" && (fk || len(m.fields) < sseMaxFields) {
			ft := m.fields[folded] + (*v).(string)
			if hit {
				ft = m.fields[folded] + "[REDACTED]"
			}
			m.fields[folded] = ft[max(0, len(ft)-m.tailLen()):]
		}
		if hit {
			*v = "[REDACTED]"
			tail = tail[:max(0, len(tail)-len(x))] + "[REDACTED]"
		}
		if !inner {
			m.leaf(path, (*v).(string))
		}
		if at == "" {
			m.tail = tail
		} else {
			m.fields[at] = tail
		}
		return hit || (inner && (*v).(string) != x), nil
	case jsonObject:
		changed := false
		for i := range x {
			c, err := m.joinFields(&x[i].val, path+"/"+x[i].key)
			if err != nil {
				return false, err
			}
			changed = changed || c
		}
		return changed, nil
	case []any:
		changed := false
		for i := range x {
			c, err := m.joinFields(&x[i], path+"/"+strconv.Itoa(i))
			if err != nil {
				return false, err
			}
			changed = changed || c
		}
		return changed, nil
	}
	return false, nil
}

// eventData returns the data of an event as a client assembles it: the
// values of its "data" fields (a line "data" alone is one, empty) joined
// with "\n"; comments and other fields are left out.
func eventData(ev string) (string, bool) {
	var data []string
	for _, line := range splitLines(ev) {
		name, v, colon := strings.Cut(line, ":")
		if name != "data" || (line == "" || line[0] == ':') {
			continue
		}
		if colon {
			v = strings.TrimPrefix(v, " ")
		}
		data = append(data, v)
	}
	return strings.Join(data, "\n"), len(data) > 0
}

// replaceData replaces the data fields of an event by one carrying data.
func replaceData(ev, data string) string {
	var b strings.Builder
	done := false
	rest := ev
	for rest != "" {
		i := strings.IndexAny(rest, "\r\n")
		line, term := rest, ""
		if i >= 0 {
			line = rest[:i]
			j := i + 1
			if rest[i] == '\r' && j < len(rest) && rest[j] == '\n' {
				j++
			}
			term = rest[i:j]
			rest = rest[j:]
		} else {
			rest = ""
		}
		if name, _, _ := strings.Cut(line, ":"); name == "data" {
			if done {
				continue
			}
			done = true
			line = "data: " + data
		}
		b.WriteString(line)
		b.WriteString(term)
	}
	return b.String()
}

// splitLines splits on LF, CR and CRLF.
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(s, "\n")
}

// eventEnd returns the index just after the first event terminator (a blank
// line: two line ends in a row, where CRLF is one) in b, or -1. A CR that
// ends a blank line may yet be followed by its LF: the event ends at the
// CR either way, and the LF makes an empty line of its own.
func eventEnd(b []byte) int {
	best := -1
	for _, t := range [][]byte{[]byte("\n\n"), []byte("\r\r"), []byte("\n\r"), []byte("\r\n\n")} {
		if i := bytes.Index(b, t); i >= 0 && (best < 0 || i+len(t) < best) {
			best = i + len(t)
		}
	}
	return best
}
