package httpgate

import (
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Typed binders read a query or form value otherwise than the string the
// rules compare. Spring binds a single value to a List or array parameter
// split at its commas, each element trimmed: ?id=2,1 deletes accounts 2
// and 1 in a handler taking @RequestParam List<Long> id, where a rule on
// http.query.id[0] == "1" sees "2,1" (and ?id=%201 account 1, where the
// rule sees " 1"). Integer binders read leading zeros, a '+' and
// surrounding whitespace away (Spring and ASP.NET: 01 and +1 are 1),
// Rails' and PHP's integer casts read the leading digits of any value
// ("1abc", "1.9" and "1e3" are 1), Python's int() drops underscores
// between digits ("1_0" is 10), and Jackson coerces a JSON string to an
// integer field and an integer to a string field. So a value of a parameter the rules read
// is also judged as each of these readings (each element alone, each
// element's integer), without recording, as the path readings are, and
// refused with 400 when one of them is held, denied or masked by a rule
// where the value as sent is not.

// maxListElements bounds the elements a value is judged as; a value with
// more is refused when the rules read its parameter.
const maxListElements = 32

// valueReading is req read with the value of one parameter as one of its
// readings.
type valueReading struct {
	req                  *gate.Request
	name, value, reading string
}

// valueReadingsOf returns the requests req is also read as by upstreams
// that bind the values of the parameters the rules read (names) as lists
// or integers (see valueReadings), in the query or a form body, or a
// refusal when a value has more than maxListElements.
func valueReadingsOf(req *gate.Request, names readNames) ([]valueReading, *refusal) {
	h := req.HTTP
	if h == nil || len(names) == 0 {
		return nil, nil
	}
	var out []valueReading
	for k, vs := range h.Query {
		if len(vs) != 1 || !names.spelled(k) {
			continue
		}
		readings, ref := valueReadings(k, vs[0])
		if ref != nil {
			return nil, ref
		}
		for _, e := range readings {
			q := make(map[string][]string, len(h.Query))
			for k2, v2 := range h.Query {
				q[k2] = v2
			}
			q[k] = []string{e}
			alt, hq := *req, *h
			hq.Query = q
			alt.HTTP = &hq
			alt.Command = commandWithQuery(req.Command, h.Method+" "+h.Path, q)
			out = append(out, valueReading{&alt, k, vs[0], e})
		}
	}
	body, _ := h.Body.(map[string]any)
	if !isFormBody(h) {
		return append(out, jsonValueReadings(req, body, names)...), nil
	}
	for k, v := range body {
		l, _ := v.([]any)
		if len(l) != 1 || !names.spelled(k) {
			continue
		}
		s, _ := l[0].(string)
		readings, ref := valueReadings(k, s)
		if ref != nil {
			return nil, ref
		}
		for _, e := range readings {
			b := make(map[string]any, len(body))
			for k2, v2 := range body {
				b[k2] = v2
			}
			b[k] = []any{e}
			alt, hb := *req, *h
			hb.Body = b
			alt.HTTP = &hb
			out = append(out, valueReading{&alt, k, s, e})
		}
	}
	return out, nil
}

// jsonValueReadings returns the requests req, whose body is the JSON
// object body, is also read as by Jackson, which coerces scalars to the
// type of the field they bind (ALLOW_COERCION_OF_SCALARS, on by default):
// a string with an integer as the integer ({"id":"01"} and {"id":"+1"}
// are 1), and an integer as its decimal string ({"id":1} is "1" for a
// String field).
func jsonValueReadings(req *gate.Request, body map[string]any, names readNames) []valueReading {
	var out []valueReading
	with := func(k string, v any) *gate.Request {
		b := make(map[string]any, len(body))
		for k2, v2 := range body {
			b[k2] = v2
		}
		b[k] = v
		alt, hb := *req, *req.HTTP
		hb.Body = b
		alt.HTTP = &hb
		return &alt
	}
	for k, v := range body {
		if !names.spelled(k) {
			continue
		}
		switch x := v.(type) {
		case string:
			n, ok := integerReading(x)
			if !ok {
				continue
			}
			if i, err := strconv.ParseInt(n, 10, 64); err == nil {
				out = append(out, valueReading{with(k, i), k, x, n})
			}
			if n != x {
				out = append(out, valueReading{with(k, n), k, x, n})
			}
		case int64:
			s := strconv.FormatInt(x, 10)
			out = append(out, valueReading{with(k, s), k, s, strconv.Quote(s)})
		}
	}
	return out
}

// valueReadings returns the values other than v that binders read the
// value v of the parameter k as: its elements, split at commas and
// trimmed as Spring does (StringUtils.commaDelimitedListToStringArray),
// and the integer of v and of each element (integerReading).
func valueReadings(k, v string) ([]string, *refusal) {
	var out []string
	add := func(s string) {
		if s != v && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	elems := []string{v}
	if strings.Contains(v, ",") || strings.TrimSpace(v) != v {
		elems = strings.Split(v, ",")
		if len(elems) > maxListElements {
			return nil, refuse(400, "query", "the value of %q holds more than %d comma-separated elements, which some frameworks read as a list", k, maxListElements)
		}
	}
	for _, e := range elems {
		e = strings.TrimSpace(e)
		add(e)
		if n, ok := integerReading(e); ok {
			add(n)
		}
	}
	return out, nil
}

// integerReading returns the integer an integer binder or cast reads s
// as, in its canonical form, when s starts with one (after whitespace, a
// sign, and digits with '_' between them): leading zeros and a '+'
// dropped, and whatever follows the digits.
func integerReading(s string) (string, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	var digits []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			if len(digits) > 0 || c != '0' {
				digits = append(digits, c)
			}
		case c == '_' && i > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
		default:
			s = s[:i]
		}
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return "", false
	}
	if len(digits) == 0 {
		return "0", true
	}
	if neg {
		return "-" + string(digits), true
	}
	return string(digits), true
}

// isFormBody reports whether the body of h was sent as a form.
func isFormBody(h *gate.HTTP) bool {
	ct := h.Headers["content-type"]
	if len(ct) != 1 {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct[0])
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// commandWithQuery is command (prefix, then "?" and the query) with its
// query replaced by q.
func commandWithQuery(command, prefix string, q url.Values) string {
	if !strings.HasPrefix(command, prefix) {
		return command
	}
	if enc := q.Encode(); enc != "" {
		return prefix + "?" + enc
	}
	return prefix
}
