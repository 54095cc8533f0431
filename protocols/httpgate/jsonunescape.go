package httpgate

import "github.com/airlock-sdk/airlock/internal/jsontext"

// unescapeJSON returns a valid JSON text with the escapes of its strings
// decoded, as a JSON decoder decodes them (an unpaired surrogate is
// U+FFFD). Outside strings a JSON text holds no backslash. A string that
// does not decode is kept as it is, with the rest of the text.
func unescapeJSON(doc []byte) []byte {
	out := make([]byte, 0, len(doc))
	var buf []byte
	for i := 0; i < len(doc); {
		if doc[i] != '"' {
			out = append(out, doc[i])
			i++
			continue
		}
		s, escaped, next, err := jsontext.ReadString(buf, doc, i)
		if err != nil {
			return append(out, doc[i:]...)
		}
		out = append(append(append(out, '"'), s...), '"')
		if escaped { // s is buf's, not a slice of doc
			buf = s[:0]
		}
		i = next
	}
	return out
}
