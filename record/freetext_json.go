package record

import (
	"bytes"
	"encoding/base64"
)

// base64Value returns where the value of key, when it is the standard
// base64 of p, starts and ends in b (the first such); -1 when none. An
// empty p is never looked for.
func base64Value(b []byte, key string, p []byte) (int, int) {
	if len(p) == 0 {
		return -1, -1
	}
	n := base64.StdEncoding.EncodedLen(len(p))
	for from := 0; ; {
		i := bytes.Index(b[from:], []byte(key))
		if i < 0 {
			return -1, -1
		}
		start := from + i + len(key)
		if end := start + n; end < len(b) && b[end] == '"' && isBase64Of(b[start:end], p) {
			return start, end
		}
		from = start
	}
}

// isBase64Of reports whether enc is the standard base64 of p, encoding p
// a chunk at a time on the stack.
func isBase64Of(enc, p []byte) bool {
	var buf [4 << 10]byte
	const chunk = 3 << 10 // 3 KiB of p give 4 KiB of base64
	for len(p) > 0 {
		k := min(chunk, len(p))
		m := base64.StdEncoding.EncodedLen(k)
		base64.StdEncoding.Encode(buf[:m], p[:k])
		if len(enc) < m || !bytes.Equal(enc[:m], buf[:m]) {
			return false
		}
		enc, p = enc[m:], p[k:]
	}
	return len(enc) == 0
}
