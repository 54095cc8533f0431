package httpgate

import (
	"fmt"
	"mime"
	"strings"
)

// utf8ContentType is the media type mt with its parameters and charset
// UTF-8 (set in params).
func utf8ContentType(mt string, params map[string]string) (string, error) {
	if len(params) == 0 || len(params) == 1 && params["charset"] != "" {
		// What mime.FormatMediaType gives, without its allocations.
		if mt == "application/json" {
			return "application/json; charset=utf-8", nil
		}
		return mt + "; charset=utf-8", nil
	}
	params["charset"] = "utf-8"
	ct := mime.FormatMediaType(mt, params)
	if ct == "" {
		return "", fmt.Errorf("%w: Content-Type %q cannot be rewritten", errUnmaskable, mt)
	}
	return ct, nil
}

// parseMediaType is mime.ParseMediaType, without its allocations for a
// media type without parameters in lower case (application/json). The
// parameters it returns may be nil.
func parseMediaType(ct string) (string, map[string]string, error) {
	if plainMediaType(ct) {
		return ct, nil, nil
	}
	return mime.ParseMediaType(ct)
}

// plainMediaType reports whether ct is type/subtype, both lower-case
// tokens.
func plainMediaType(ct string) bool {
	slash := -1
	for i := 0; i < len(ct); i++ {
		c := ct[i]
		switch {
		case c == '/':
			if slash >= 0 || i == 0 {
				return false
			}
			slash = i
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return slash > 0 && slash < len(ct)-1
}
