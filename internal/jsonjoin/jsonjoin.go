// Package jsonjoin reads a JSON document as a client that drops its
// structure does: its string and number values, keys left out, joined in
// document order. Tests of the maskers use it to tell whether a value
// split across a document's members comes back readable.
package jsonjoin

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Values returns every string and number value of doc, keys left out,
// concatenated in document order; for a text that is no JSON, what it
// read before the error.
func Values(doc []byte) string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var b strings.Builder
	// open holds, per open container, whether it is an object whose next
	// token is a key.
	type container struct{ object, keyNext bool }
	var open []container
	for {
		tok, err := dec.Token()
		if err != nil {
			return b.String()
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			open = open[:len(open)-1]
			continue
		}
		isKey := false
		if n := len(open); n > 0 && open[n-1].object {
			isKey = open[n-1].keyNext
			open[n-1].keyNext = !isKey
		}
		switch v := tok.(type) {
		case json.Delim:
			open = append(open, container{object: v == '{', keyNext: v == '{'})
		case string:
			if !isKey {
				b.WriteString(v)
			}
		case json.Number:
			b.WriteString(string(v))
		}
	}
}
