package httpgate

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/airlock-sdk/airlock/mask"
)

// lineJSON reports whether mt is a stream of JSON texts, one per line
// (NDJSON, JSON Lines, JSON text sequences and their aliases), which a
// client reads line by line and whose string fields it may concatenate
// (a token stream).
func lineJSON(mt string) bool {
	switch mt {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonl",
		"application/jsonlines", "application/x-jsonlines", "application/json-seq", "application/stream+json",
		"application/x-json-stream", "application/x-ldjson", "text/x-ndjson", "text/jsonl":
		return true
	}
	return false
}

// lineMasker masks a stream of JSON texts one line at a time, following
// values split across lines as sseMasker follows them across events: a
// line is held until its end, masked alone, then against what earlier
// lines sent (per string field for JSON). A line above max bytes fails
// the stream closed.
type lineMasker struct{ sseMasker }

func (m *lineMasker) Write(b []byte) (int, error) {
	m.buf = append(m.buf, b...)
	start := 0
	for {
		k := bytes.IndexByte(m.buf[max(start, m.scanned):], '\n')
		if k < 0 {
			break
		}
		end := max(start, m.scanned) + k + 1
		if err := m.emitLine(m.buf[start:end]); err != nil {
			return 0, err
		}
		start = end
		m.scanned = end
	}
	m.buf = m.buf[:copy(m.buf, m.buf[start:])]
	m.scanned = len(m.buf)
	if int64(len(m.buf)) > m.max {
		return 0, fmt.Errorf("JSON line above %d bytes", m.max)
	}
	return len(b), nil
}

// Close masks and writes an unterminated last line.
func (m *lineMasker) Close() error {
	if len(m.buf) == 0 {
		return nil
	}
	err := m.emitLine(m.buf)
	m.buf = nil
	return err
}

// emitLine masks one line, its record separator (json-seq) and line end
// kept as they are.
func (m *lineMasker) emitLine(line []byte) error {
	s, fs, err := m.p.Value("", string(line))
	if err != nil {
		return err
	}
	m.findings = mask.MergeFindings(m.findings, fs)
	body := strings.TrimLeft(s, "\x1e")
	pre := s[:len(s)-len(body)]
	data := strings.TrimRight(body, "\r\n")
	post := body[len(data):]
	if strings.TrimSpace(data) != "" {
		m.maskedRecord = s != string(line)
		d, err := m.follow(data)
		if err != nil {
			return err
		}
		s = pre + d + post
	}
	_, err = io.WriteString(m.out, s)
	return err
}

// maskLines masks doc as a stream of JSON lines, whole: a body served as
// application/json that is not one JSON text is most often JSON lines.
func maskLines(p *mask.Policy, doc []byte, max int64) ([]byte, []mask.Finding, error) {
	var out bytes.Buffer
	m := &lineMasker{sseMasker{p: p, max: max}}
	m.start(&out)
	if _, err := m.Write(doc); err != nil {
		return nil, nil, err
	}
	if err := m.Close(); err != nil {
		return nil, nil, err
	}
	return out.Bytes(), m.Findings(), nil
}

// maxFollowedDoc bounds the JSON documents that are not streamed arrays
// whose strings are followed as a client joining them does (each string
// costs a read of its field's tail).
const maxFollowedDoc = 16 << 10

// followArray follows the string fields of a JSON document as a client
// joining them does (see joinFields and cross): an array from one
// element to the next, as lineMasker follows lines (a streamed array of
// deltas, Gemini's streamGenerateContent, is concatenated by its
// client), an object of at most maxFollowedDoc bytes as one record
// (chunks in an array, a value cut across fields).
func followArray(p *mask.Policy, doc []byte) ([]byte, []mask.Finding, error) {
	d := bytes.TrimLeft(doc, " \t\r\n")
	if len(d) == 0 || d[0] != '[' && (d[0] != '{' || len(doc) > maxFollowedDoc) {
		return doc, nil, nil
	}
	v, err := decodeOrdered(string(doc))
	if err != nil {
		return doc, nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		arr = []any{v}
	}
	m := &sseMasker{p: p}
	changed := false
	for i := range arr {
		m.record++
		c, err := m.joinFields(&arr[i], "")
		if err != nil {
			return nil, nil, err
		}
		changed = changed || c
	}
	if !changed {
		return doc, nil, nil
	}
	if !ok {
		v = arr[0]
	}
	b, err := marshalOrdered(v)
	return []byte(b), m.findings, err
}
