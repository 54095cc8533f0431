package httpgate

import (
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/parser"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/coerce"
	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// Object keys, query and form names are matched by many upstreams without
// regard to case: Go's encoding/json folds keys by Unicode simple folding
// ("Amount", "AMOUNT" and "amount" are one field, and so are "status" and
// "ſtatus"), ASP.NET binds parameters case-insensitively. The rules, like
// JSON itself, tell them apart. So that a rule reading http.body.amount is
// not bypassed by {"Amount":5000}, and a rule reading http.body.dry_run is
// not satisfied by a "DRY_RUN" that a case-sensitive upstream ignores, a
// name is refused when it folds to a name the rules read but is not
// spelled as they read it; names no rule reads pass as they are, whatever
// their case (camelCase APIs keep working). Two names that fold alike in
// one object, query or form are always refused.

// readNames are the names the rules read from http.body and http.query,
// by their folded form.
type readNames map[string][]string

// conflict returns the spelling the rules read of a name that folds like
// name but is not name, if any.
func (n readNames) conflict(name string) (string, bool) {
	spellings, ok := n[jsontext.FoldKey(name)]
	if !ok {
		return "", false
	}
	for _, s := range spellings {
		if s == name {
			return "", false
		}
	}
	return spellings[0], true
}

// spelled reports whether the rules read name spelled exactly so.
func (n readNames) spelled(name string) bool {
	for _, s := range n[jsontext.FoldKey(name)] {
		if s == name {
			return true
		}
	}
	return false
}

// ruleNames caches the readNames of the rule set in force.
type ruleNames struct {
	cur atomic.Pointer[namesOf]
}

// namesOf are the readNames of one rule set, where they are read, the
// names they read only below another in a JSON body, every name they
// read directly below another there (by the other's name), and the types
// of the constants they compare names with.
type namesOf struct {
	rs      *gate.RuleSet
	names   readNames
	locs    nameLocs
	wrapped wrappedNames
	below   map[string][]string
	types   coerce.Types
	headers map[string]bool // the header names the rules read (lower case)
}

// get returns the names read by rs, computed once per rule set (twice at
// worst, when two requests race to see a new one).
func (c *ruleNames) get(rs *gate.RuleSet) *namesOf {
	if n := c.cur.Load(); n != nil && n.rs == rs {
		return n
	}
	names, locs := collectReadNamesAt(rs)
	wrapped, below := collectWrappedBelow(rs)
	n := &namesOf{rs: rs, names: names, locs: locs, wrapped: wrapped, below: below, types: coerce.ComparedTypes(rs, readsBodyOrQuery),
		headers: collectHeaderNames(rs)}
	c.cur.Store(n)
	return n
}

// nameLocs tell, by folded name, where the rules that read a name read
// it: in the query (locQuery), the body (locBody) or both.
type nameLocs map[string]uint8

const (
	locQuery uint8 = 1 << iota
	locBody
)

// readsAt returns where a rule reading the variables reads names: the
// query, the body or, reading http whole, both.
func readsAt(reads []string) uint8 {
	var loc uint8
	for _, v := range reads {
		switch {
		case v == "http":
			loc |= locQuery | locBody
		case strings.HasPrefix(v, "http.body"):
			loc |= locBody
		case strings.HasPrefix(v, "http.query"):
			loc |= locQuery
		}
	}
	return loc
}

// collectReadNames gathers, from every rule that reads the body or the
// query, the names it may look up in them: the fields it selects below a
// variable (http.body.amount, item.amount in a comprehension), the string
// constants it indexes with (http.body["amount"]) or tests with "in"
// ("kind" in http.query), the keys of its map literals, and the constants
// it compares a comprehension variable with (http.body.exists(k, k ==
// "amount"), k in ["amount"]). Selections below identity and session
// count too (identity.claims.org gives "org"); that only makes the check
// stricter. A name a rule computes (k.startsWith("amo")) is not found:
// such a rule should fold the name itself (k.lowerAscii()).
func collectReadNames(rs *gate.RuleSet) readNames {
	names, _ := collectReadNamesAt(rs)
	return names
}

// collectReadNamesAt is collectReadNames that also tells where each name
// is read: in the query, the body or both, as the rules reading it read
// the one, the other or both.
func collectReadNamesAt(rs *gate.RuleSet) (readNames, nameLocs) {
	names, locs := readNames{}, nameLocs{}
	if rs == nil {
		return names, locs
	}
	p, err := parser.NewParser(parser.Macros(parser.AllMacros...))
	if err != nil {
		return names, locs
	}
	for _, info := range rs.Info() {
		if !readsBodyOrQuery(info.Reads) {
			continue
		}
		mine, outside := readNames{}, map[string]bool{}
		a, errs := p.Parse(common.NewTextSource(info.Spec.When))
		if errs != nil && len(errs.GetErrors()) > 0 {
			// Compiled by the gate, so this does not happen; if it did,
			// every word of the rule counts.
			for _, w := range strings.FieldsFunc(info.Spec.When, notNameRune) {
				mine.add(w)
			}
		} else {
			w := nameWalker{names: mine, roots: vocabularyRoots(), iterVars: map[string]bool{}, outside: outside, inside: map[string]bool{}}
			ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(w.noteIterVars))
			ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(w.visit))
			for name := range w.inside {
				delete(outside, name)
			}
		}
		loc := readsAt(info.Reads)
		for f, spellings := range mine {
			for _, s := range spellings {
				names.add(s)
				if !outside[s] {
					locs[f] |= loc
				}
			}
		}
	}
	return names, locs
}

// nameWalker gathers the names one rule reads.
type nameWalker struct {
	names    readNames
	roots    map[string]bool // the vocabulary's first names
	iterVars map[string]bool // the rule's comprehension variables
	// outside holds the names selected below another variable than http
	// (identity.claims.org), inside the names found any other way: a name
	// only outside is not read in the query or the body.
	outside, inside map[string]bool
}

func (w nameWalker) noteIterVars(e ast.Expr) {
	if e.Kind() == ast.ComprehensionKind {
		c := e.AsComprehension()
		w.iterVars[c.IterVar()] = true
		if c.HasIterVar2() {
			w.iterVars[c.IterVar2()] = true
		}
	}
}

// visit adds the names e looks up, if it looks any up.
func (w nameWalker) visit(e ast.Expr) {
	switch e.Kind() {
	case ast.SelectKind:
		s := e.AsSelect()
		if op := s.Operand(); op.Kind() != ast.IdentKind || !w.roots[op.AsIdent()] {
			w.names.add(s.FieldName())
			if root := selectRoot(op); root != "http" && w.roots[root] {
				w.note(w.outside, s.FieldName())
			} else {
				w.note(w.inside, s.FieldName())
			}
		}
	case ast.MapKind:
		for _, entry := range e.AsMap().Entries() {
			w.addString(entry.AsMapEntry().Key())
		}
	case ast.CallKind:
		c := e.AsCall()
		args := c.Args()
		if len(args) != 2 {
			return
		}
		switch c.FunctionName() {
		case "_[_]":
			w.addString(args[1])
		case "@in":
			w.addString(args[0])
			if w.isIterVar(args[0]) && args[1].Kind() == ast.ListKind {
				for _, el := range args[1].AsList().Elements() {
					w.addString(el)
				}
			}
		case "_==_", "_!=_":
			if w.isIterVar(args[0]) {
				w.addString(args[1])
			}
			if w.isIterVar(args[1]) {
				w.addString(args[0])
			}
		}
	}
}

func (w nameWalker) isIterVar(e ast.Expr) bool {
	return e.Kind() == ast.IdentKind && w.iterVars[e.AsIdent()]
}

// addString adds e if it is a string constant.
func (w nameWalker) addString(e ast.Expr) {
	if e.Kind() != ast.LiteralKind {
		return
	}
	if s, ok := e.AsLiteral().(types.String); ok {
		w.names.add(string(s))
		w.note(w.inside, string(s))
	}
}

// note adds name to set, when the walker keeps sets.
func (w nameWalker) note(set map[string]bool, name string) {
	if set != nil {
		set[name] = true
	}
}

// selectRoot returns the identifier a chain of selections starts from
// (identity for identity.claims), or "" when it starts elsewhere.
func selectRoot(e ast.Expr) string {
	for e.Kind() == ast.SelectKind {
		e = e.AsSelect().Operand()
	}
	if e.Kind() == ast.IdentKind {
		return e.AsIdent()
	}
	return ""
}

func (n readNames) add(name string) {
	f := jsontext.FoldKey(name)
	for _, s := range n[f] {
		if s == name {
			return
		}
	}
	n[f] = append(n[f], name)
}

func notNameRune(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-')
}

// readsBodyOrQuery reports whether a rule reading the variables reads
// names out of the body or the query.
func readsBodyOrQuery(reads []string) bool {
	for _, v := range reads {
		if v == "http" || strings.HasPrefix(v, "http.body") || strings.HasPrefix(v, "http.query") {
			return true
		}
	}
	return false
}

var (
	rootsOnce sync.Once
	roots     map[string]bool
)

// vocabularyRoots are the first names of the gate's variables (http,
// identity, ...): a field selected on one of them is a variable, not a
// name looked up in a body.
func vocabularyRoots() map[string]bool {
	rootsOnce.Do(func() {
		roots = map[string]bool{}
		for _, v := range gate.Variables() {
			root, _, _ := strings.Cut(v.Name, ".")
			roots[root] = true
		}
	})
	return roots
}

// checkParams refuses query or form parameters (kind names them) that
// an upstream could read otherwise than the rules: more than maxParams, a
// name repeated, two that fold alike, or a plain and a nested name of one
// base (unless allowDup), a name with a control character, and a name, or
// a name a framework reads it as or under (paramReadings), that folds like
// one the rules read without being spelled like it.
func checkParams(kind string, params url.Values, names readNames, allowDup bool) *refusal {
	check := "query"
	if kind == "form" {
		check = "body"
	}
	n := 0
	for _, v := range params {
		n += len(v)
	}
	if n > maxParams {
		return refuse(400, check, "%s has %d parameters: PHP and Express read only the first %d, the rules would read them all", kind, n, maxParams)
	}
	folded := make(map[string]string, len(params))
	// The folded bases of plain names and of nested ones (amount[x]).
	var plain, nestedBases map[string]string
	for k, v := range params {
		if strings.ContainsFunc(k, isControl) {
			// PHP reads a name as a C string: amount%00x is amount.
			return refuse(400, check, "%s parameter name %q holds a control character", kind, k)
		}
		base, nested := paramBase(k)
		if !allowDup {
			f := jsontext.FoldKey(k)
			if base != k && !nested {
				f = jsontext.FoldKey(base)
			}
			other, dup := folded[f]
			if len(v) > 1 || dup && other != k {
				return refuse(400, check, "%s parameter %q is repeated", kind, k)
			}
			folded[f] = k
			if plain == nil {
				plain, nestedBases = map[string]string{}, map[string]string{}
			}
			fb := jsontext.FoldKey(base)
			mine, others := plain, nestedBases
			if nested {
				mine, others = nestedBases, plain
			}
			if other, dup := others[fb]; dup {
				return refuse(400, check, "%s parameters %q and %q are read as one", kind, other, k)
			}
			mine[fb] = k
		}
		if spelled, ok := names.conflict(k); ok {
			return refuse(400, check, "%s parameter %q differs only in case from %q, which the rules read", kind, k, spelled)
		}
		if len(names) > 0 && !names.spelled(k) {
			for _, r := range paramReadings(k) {
				if spellings, ok := names[jsontext.FoldKey(r)]; ok {
					return refuse(400, check, "%s parameter %q is read as %q, or under it, by some frameworks (PHP, Rails, Express, Spring, ASP.NET), and the rules read %q", kind, k, r, spellings[0])
				}
			}
		}
	}
	return nil
}

// checkJSONKeys refuses a JSON value holding an object key that folds like
// a name the rules read without being spelled like it, or that holds such
// a name as a piece of a path (keyPieces: "user.role" when the rules read
// role or user), or a name the rules read whose value holds an integer
// JavaScript reads rounded (checkSafeIntegers). (ParseJSON already
// refused keys that fold alike in one object.)
func checkJSONKeys(v any, names readNames) *refusal {
	if len(names) == 0 {
		return nil
	}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if spelled, ok := names.conflict(k); ok {
				return refuse(400, "body", "JSON key %q differs only in case from %q, which the rules read", k, spelled)
			}
			if names.spelled(k) {
				if ref := checkSafeIntegers(k, e); ref != nil {
					return ref
				}
			} else {
				for _, p := range keyPieces(k) {
					if spellings, ok := names[jsontext.FoldKey(p)]; ok {
						return refuse(400, "body", "JSON key %q is read as the path %q, or under it, by some frameworks (Laravel's input(), lodash's get()), and the rules read %q", k, strings.Join(keyPieces(k), "."), spellings[0])
					}
				}
			}
			if ref := checkJSONKeys(e, names); ref != nil {
				return ref
			}
		}
	case []any:
		for _, e := range t {
			if ref := checkJSONKeys(e, names); ref != nil {
				return ref
			}
		}
	}
	return nil
}

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER, 2^53-1: beyond
// it, JSON.parse reads an integer as the nearest double, which other
// integers share (9007199254740993 is 9007199254740992).
const maxSafeInteger = 1<<53 - 1

// checkSafeIntegers refuses the value v of the key k the rules read when
// it holds an integer beyond maxSafeInteger (directly or in a list): the
// rules compare it exactly, a JavaScript upstream the double it rounds to,
// so a rule on one account would not see another that such an upstream
// takes for it.
func checkSafeIntegers(k string, v any) *refusal {
	switch t := v.(type) {
	case int64:
		if t > maxSafeInteger || t < -maxSafeInteger {
			return refuse(400, "body", "JSON number %d of %q is beyond 2^53: JavaScript reads it as %.0f, which other numbers share (send it as a string)", t, k, float64(t))
		}
	case []any:
		for _, e := range t {
			if ref := checkSafeIntegers(k, e); ref != nil {
				return ref
			}
		}
	}
	return nil
}
