package httpgate

import (
	"net/http"
	"strconv"
)

// declaredWithin reports whether h declares a Content-Length of at most
// limit bytes.
func declaredWithin(h http.Header, limit int64) bool {
	n, ok := declaredLength(h)
	return ok && n <= limit
}

// declaredLength is the one Content-Length h declares, in its canonical
// form (digits, no leading zero).
func declaredLength(h http.Header) (int64, bool) {
	v := h["Content-Length"]
	if len(v) != 1 || v[0] == "" || len(v[0]) > 18 || len(v[0]) > 1 && v[0][0] == '0' {
		return 0, false
	}
	var n int64
	for _, c := range []byte(v[0]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// setLength makes h declare a Content-Length of n, unless it does.
func setLength(h http.Header, n int64) {
	if m, ok := declaredLength(h); !ok || m != n {
		h["Content-Length"] = []string{strconv.FormatInt(n, 10)}
	}
}
