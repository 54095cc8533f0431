package httpgate

import (
	"mime"
	"net/url"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Spring binds a single query or form value to a List or array parameter
// split at its commas, each element trimmed: ?id=2,1 deletes accounts 2
// and 1 in a handler taking @RequestParam List<Long> id, where a rule on
// http.query.id[0] == "1" sees "2,1" (and ?id=%201 account 1, where the
// rule sees " 1"). So a value with commas of a
// parameter the rules read is also judged as each of its elements alone
// (without recording, as the path readings are), and refused when one of
// them is held, denied or masked by a rule where the value as sent is
// not.

// maxListElements bounds the elements a value is judged as; a value with
// more is refused when the rules read its parameter.
const maxListElements = 32

// listReading is req read with the value of one parameter as one of its
// elements.
type listReading struct {
	req               *gate.Request
	name, value, elem string
}

// listReadings returns the requests req is also read as by an upstream
// that splits comma-separated values of the parameters the rules read
// (names): one per element of each such value of the query or a form
// body, or a refusal when a value has more than maxListElements.
func listReadings(req *gate.Request, names readNames) ([]listReading, *refusal) {
	h := req.HTTP
	if h == nil || len(names) == 0 {
		return nil, nil
	}
	var out []listReading
	for k, vs := range h.Query {
		if len(vs) != 1 || !listLike(vs[0]) || !names.spelled(k) {
			continue
		}
		elems, ref := listElements(k, vs[0])
		if ref != nil {
			return nil, ref
		}
		for _, e := range elems {
			q := make(map[string][]string, len(h.Query))
			for k2, v2 := range h.Query {
				q[k2] = v2
			}
			q[k] = []string{e}
			alt, hq := *req, *h
			hq.Query = q
			alt.HTTP = &hq
			alt.Command = commandWithQuery(req.Command, h.Method+" "+h.Path, q)
			out = append(out, listReading{&alt, k, vs[0], e})
		}
	}
	var body map[string]any
	if isFormBody(h) {
		body, _ = h.Body.(map[string]any)
	}
	for k, v := range body {
		l, _ := v.([]any)
		if len(l) != 1 || !names.spelled(k) {
			continue
		}
		s, _ := l[0].(string)
		if !listLike(s) {
			continue
		}
		elems, ref := listElements(k, s)
		if ref != nil {
			return nil, ref
		}
		for _, e := range elems {
			b := make(map[string]any, len(body))
			for k2, v2 := range body {
				b[k2] = v2
			}
			b[k] = []any{e}
			alt, hb := *req, *h
			hb.Body = b
			alt.HTTP = &hb
			out = append(out, listReading{&alt, k, s, e})
		}
	}
	return out, nil
}

// listLike reports whether Spring reads v, bound to a list, as other than
// the one element v: it holds a comma, or whitespace that trimming drops.
func listLike(v string) bool {
	return strings.Contains(v, ",") || strings.TrimSpace(v) != v
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

// listElements splits the value v of the parameter k as Spring does
// (StringUtils.commaDelimitedListToStringArray, each element trimmed).
func listElements(k, v string) ([]string, *refusal) {
	parts := strings.Split(v, ",")
	if len(parts) > maxListElements {
		return nil, refuse(400, "query", "the value of %q holds more than %d comma-separated elements, which some frameworks read as a list", k, maxListElements)
	}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != v {
			out = append(out, p)
		}
	}
	return out, nil
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
