package httpgate

import (
	"bytes"
	"fmt"
	"io"
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
// A value can also be split across events (a token stream sending "4111
// 1111 " then "1111 1111"). The data already sent is kept as a short tail;
// when the tail and the next event's data together hold a match that
// neither holds alone, that event's data is replaced by [REDACTED], so the
// client never receives the whole value.
type sseMasker struct {
	p        *mask.Policy
	max      int64
	out      io.Writer
	buf      []byte
	scanned  int    // buf[:scanned] holds no terminator
	tail     string // the end of the data sent so far
	findings []mask.Finding
}

// sseTail bounds the data kept to detect values split across events: the
// longest match of the built-in detectors (a PEM block) and some context.
const sseTail = 8<<10 + 512

// redactedData replaces the data of an event whose data completes a value
// begun in earlier events.
const redactedData = "data: [REDACTED]"

func (m *sseMasker) start(out io.Writer) { m.out = out }

func (m *sseMasker) Write(b []byte) (int, error) {
	m.buf = append(m.buf, b...)
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
	if data, ok := eventData(s); ok {
		// The event is masked as sent; a match in its data joined to the
		// data sent before spans events (or data lines), so the event's
		// data goes as [REDACTED].
		joined := m.tail + data
		mj, jfs, err := m.p.Value("", joined)
		if err != nil {
			return err
		}
		if mj != joined {
			s = replaceData(s)
			data = "[REDACTED]"
			m.findings = mask.MergeFindings(m.findings, jfs)
		}
		m.tail += data
		if len(m.tail) > sseTail {
			m.tail = m.tail[len(m.tail)-sseTail:]
		}
	}
	_, err = io.WriteString(m.out, s)
	return err
}

// eventData returns the data of an event: its data lines' values joined
// with "\n", as a client assembles them.
func eventData(ev string) (string, bool) {
	var data []string
	for _, line := range splitLines(ev) {
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			data = append(data, strings.TrimPrefix(v, " "))
		}
	}
	return strings.Join(data, "\n"), len(data) > 0
}

// replaceData replaces the data lines of an event by one redactedData line.
func replaceData(ev string) string {
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
		if strings.HasPrefix(line, "data:") {
			if done {
				continue
			}
			done = true
			line = redactedData
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
// line: LF LF, CR CR, or CRLF CRLF) in b, or -1.
func eventEnd(b []byte) int {
	best := -1
	for _, t := range [][]byte{[]byte("\n\n"), []byte("\r\r"), []byte("\r\n\r\n"), []byte("\n\r\n"), []byte("\r\n\n")} {
		if i := bytes.Index(b, t); i >= 0 && (best < 0 || i+len(t) < best) {
			best = i + len(t)
		}
	}
	return best
}
