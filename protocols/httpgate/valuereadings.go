package httpgate

import (
	"fmt"
	"maps"
	"mime"
	"net/url"
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/coerce"
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
// between digits ("1_0" is 10), JavaScript's Number() reads "0x9" as 9,
// Jackson coerces a JSON string to an integer field and an integer to a
// string field, and file servers and URL parsers resolve paths and URLs
// (/files/public/../secret is /files/secret; see coerce.Resolved). So a value of a parameter the rules read
// is also judged as each of these readings (each element alone, each
// element's integer), without recording, as the path readings are, and
// refused with 400 when one of them is held, denied or masked by a rule
// where the value as sent is not.

// maxListElements bounds the elements a value is judged as, and the
// values of one parameter; a value or a parameter with more is refused
// when the rules read its parameter.
const maxListElements = 32

// maxValueReadings bounds the readings of one request (values, JSON
// scalars and body shapes); a request with more is refused.
const maxValueReadings = 256

// valueReading is req read with the value of one parameter, a group of
// the scalars of its JSON body, or the shape of its body, as one of its
// readings: why says which, and who reads it so.
type valueReading struct {
	req        *gate.Request
	check, why string
}

// valueReadingsOf returns the requests req is also read as by upstreams
// that bind the values of the parameters the rules read (read.names) as
// lists or integers, or one of several values (see listReadings), in the
// query or a form body, that coerce the scalars of a JSON body at any
// depth (jsonTreeReadings), or that present a JSON body in another shape
// (bodyShapes); or a refusal when a value has more than maxListElements,
// or the request more than maxValueReadings.
func valueReadingsOf(req *gate.Request, read *namesOf) ([]valueReading, *refusal) {
	h := req.HTTP
	names := read.names
	if h == nil {
		return nil, nil
	}
	out, ref := headerReadings(req, read.headers)
	if ref != nil || len(names) == 0 {
		return out, ref
	}
	query, ref := listReadingsOf(h.Query, names.spelled, func(k string, vs []string, q map[string][]string) valueReading {
		alt, hq := *req, *h
		hq.Query = q
		alt.HTTP = &hq
		alt.Command = commandWithQuery(req.Command, h.Method+" "+h.Path, q)
		return valueReading{&alt, "query", listWhy(k, vs, q[k][0])}
	})
	if ref != nil {
		return nil, ref
	}
	out = append(out, query...)
	combos, ref := combinedParamReadings(h.Query, names)
	if ref != nil {
		return nil, ref
	}
	for _, c := range combos {
		alt, hq := *req, *h
		hq.Query = c.params
		alt.HTTP = &hq
		alt.Command = commandWithQuery(req.Command, h.Method+" "+h.Path, c.params)
		out = append(out, valueReading{&alt, "query", "the query is read with " + c.why + " by frameworks that read every parameter so (Spring, ASP.NET, Rails, PHP)"})
	}
	if !isFormBody(h) {
		out = append(out, bodyReadings(req, read)...)
	} else if body, ok := h.Body.(map[string]any); ok {
		form := make(map[string][]string, len(body))
		for k, v := range body {
			l, _ := v.([]any)
			for _, e := range l {
				s, _ := e.(string)
				form[k] = append(form[k], s)
			}
		}
		combos, ref := combinedParamReadings(form, names)
		if ref != nil {
			return nil, ref
		}
		for _, c := range combos {
			b := make(map[string]any, len(c.params))
			for k, vs := range c.params {
				l := make([]any, len(vs))
				for j, s := range vs {
					l[j] = s
				}
				b[k] = l
			}
			alt, hb := *req, *h
			hb.Body = b
			alt.HTTP = &hb
			out = append(out, valueReading{&alt, "body", "the form is read with " + c.why + " by frameworks that read every parameter so (Spring, ASP.NET, Rails, PHP)"})
		}
		for _, k := range slices.Sorted(maps.Keys(body)) {
			l, _ := body[k].([]any)
			if len(l) == 0 || !names.spelled(k) {
				continue
			}
			vs := make([]string, len(l))
			for i, e := range l {
				vs[i], _ = e.(string)
			}
			lists, ref := listReadings(k, vs)
			if ref != nil {
				return nil, ref
			}
			for _, rl := range lists {
				b := maps.Clone(body)
				b[k] = []any{rl[0]}
				alt, hb := *req, *h
				hb.Body = b
				alt.HTTP = &hb
				out = append(out, valueReading{&alt, "body", listWhy(k, vs, rl[0])})
			}
		}
	}
	if len(out) > maxValueReadings {
		return nil, refuse(400, "body", "the request holds %d readings of the values the rules read (more than %d): too many to judge each as the frameworks read it", len(out), maxValueReadings)
	}
	return out, nil
}

// listWhy says how a framework reads the values vs of k as e.
func listWhy(k string, vs []string, e string) string {
	if len(vs) == 1 {
		return fmt.Sprintf("the value %.64q of %q is read as %.64q by frameworks that bind lists or integers (Spring, ASP.NET, Rails, PHP)", vs[0], k, e)
	}
	return fmt.Sprintf("the %d values of %q are read as %.64q by frameworks that take the first or the last, join them with commas, or bind lists or integers (Go, Flask, PHP, Rails, Spring, ASP.NET)", len(vs), k, e)
}

// listReadings returns the single values the values vs of the parameter
// k are also read as: each value alone (Go and Java take the first, PHP
// and Rack the last), all of them joined with commas (Spring and ASP.NET
// binding one string), and the readings of each of those
// (valueReadings); the list as sent is not among them.
func listReadings(k string, vs []string) ([][]string, *refusal) {
	if len(vs) > maxListElements {
		return nil, refuse(400, "query", "%q is sent %d times (more than %d)", k, len(vs), maxListElements)
	}
	var out [][]string
	seen := map[string]bool{}
	if len(vs) == 1 {
		seen[vs[0]] = true
	}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, []string{s})
		}
	}
	singles := vs
	if len(vs) > 1 {
		singles = append(slices.Clone(vs), strings.Join(vs, ","))
	}
	for _, s := range singles {
		add(s)
		readings, ref := valueReadings(k, s)
		if ref != nil {
			return nil, ref
		}
		for _, e := range readings {
			add(e)
		}
	}
	return out, nil
}

// bodyReadings returns the readings of the JSON body of req: its shapes
// (bodyShapes), and the coercions of its scalars (jsonTreeReadings) in
// the body as sent and in each shape.
func bodyReadings(req *gate.Request, read *namesOf) []valueReading {
	h := req.HTTP
	if h.Body == nil {
		return nil
	}
	with := func(b any) *gate.Request {
		alt, hb := *req, *h
		hb.Body = b
		alt.HTTP = &hb
		return &alt
	}
	var out []valueReading
	coerced := func(body any, in string) {
		for _, r := range coerce.Tree(body, read.names.spelled, read.types) {
			out = append(out, valueReading{with(r.Body), "body", r.Why("JSON value", in)})
		}
	}
	coerced(h.Body, "")
	for _, s := range bodyShapes(h.Body, read.names, read.below) {
		out = append(out, valueReading{with(s.body), "body", "the JSON body is read with " + s.how + " by " + s.by})
		coerced(s.body, " (with "+s.how+")")
	}
	return out
}

// valueReadings returns the values other than v that binders read the
// value v of the parameter k as: its elements, split at commas and
// trimmed as Spring does (StringUtils.commaDelimitedListToStringArray),
// and the integer of v and of each element (coerce.Integer).
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
		if n, ok := coerce.Integer(e); ok {
			add(n)
		}
		if n, ok := coerce.CInteger(e); ok {
			add(n)
		}
		if n, ok := coerce.JSIntegerText(e); ok {
			add(n)
		}
	}
	if r, ok := coerce.Resolved(v); ok {
		add(r)
	}
	return out, nil
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
