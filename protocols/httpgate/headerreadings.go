package httpgate

import (
	"maps"
	"slices"
	"strings"

	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/parser"

	"github.com/airlock-sdk/airlock/gate"
)

// Header values are bound as parameters are: Spring's @RequestHeader Long
// and ASP.NET's [FromHeader] int read X-Tenant-Id: 09 and +9 as 9,
// Spring a header List split at its commas, an Express handler
// Number(req.get("x-tenant-id")) reads 0x9 as 9, and a service resolves a
// path or URL it is handed. A rule on http.headers["x-tenant-id"] == "9"
// sees the value as sent. So the value of a header the rules read is
// also judged as each of the readings of a query value (valueReadings),
// and the request refused with 400 when one of them is guarded more.

// collectHeaderNames gathers, lower-cased, the names the rules that read
// http.headers may look up in it (the string constants they index with
// or test with "in", as collectReadNames finds them).
func collectHeaderNames(rs *gate.RuleSet) map[string]bool {
	out := map[string]bool{}
	if rs == nil {
		return out
	}
	p, err := parser.NewParser(parser.Macros(parser.AllMacros...))
	if err != nil {
		return out
	}
	for _, info := range rs.Info() {
		if !readsHeaders(info.Reads) {
			continue
		}
		mine := readNames{}
		a, errs := p.Parse(common.NewTextSource(info.Spec.When))
		if errs != nil && len(errs.GetErrors()) > 0 {
			for _, w := range strings.FieldsFunc(info.Spec.When, notNameRune) {
				mine.add(w)
			}
		} else {
			w := nameWalker{names: mine, roots: vocabularyRoots(), iterVars: map[string]bool{}, outside: map[string]bool{}, inside: map[string]bool{}}
			ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(w.noteIterVars))
			ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(w.visit))
		}
		for _, spellings := range mine {
			for _, s := range spellings {
				out[strings.ToLower(s)] = true
			}
		}
	}
	return out
}

// readsHeaders reports whether a rule reading the variables reads the
// request's headers.
func readsHeaders(reads []string) bool {
	return slices.ContainsFunc(reads, func(v string) bool { return v == "http" || strings.HasPrefix(v, "http.headers") })
}

// headerReadings returns req read with the value of each header the rules
// read (names) as each of its readings, or a refusal when a value has too
// many elements.
func headerReadings(req *gate.Request, names map[string]bool) ([]valueReading, *refusal) {
	h := req.HTTP
	return listReadingsOf(h.Headers, func(k string) bool { return names[k] }, func(k string, vs []string, hs map[string][]string) valueReading {
		alt, hh := *req, *h
		hh.Headers = hs
		alt.HTTP = &hh
		return valueReading{&alt, "header", strings.Replace(listWhy(k, vs, hs[k][0]), "frameworks", "frameworks binding the header", 1)}
	})
}

// listReadingsOf returns, for each key of m that read accepts, in order,
// a reading of m for each reading of the key's values (listReadings):
// made by with from m with the key's values replaced by the reading (a
// copy; with may keep it), or a refusal when values have too many
// elements. Headers and query parameters are read so alike.
func listReadingsOf(m map[string][]string, read func(k string) bool, with func(k string, vs []string, alt map[string][]string) valueReading) ([]valueReading, *refusal) {
	var out []valueReading
	// The keys sorted in place of a small array: most requests have few
	// headers and parameters, and these are read on every request.
	var small [32]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !read(k) {
			continue
		}
		vs := m[k]
		lists, ref := listReadings(k, vs)
		if ref != nil {
			return nil, ref
		}
		for _, l := range lists {
			alt := maps.Clone(m)
			alt[k] = l
			out = append(out, with(k, vs, alt))
		}
	}
	return out, nil
}
