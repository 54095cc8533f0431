package gate

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types/ref"
)

// The vocabulary of the rules: every name a `when` expression can read, with
// what its value depends on and how to read it from a Request. It is the
// only place a name is spelled. The CEL declarations (celenv.go), the
// activation (activation.go), the native evaluator (native.go), the run-time
// size check behind the cost estimate (cost.go) and the decision cache's
// keys (decisioncache.go) are all derived from it once, at init; tools that
// analyse rules (the MCP gateway's discovery filter) read it through
// Variables.
//
// The fields of the protocol attributes (SQL, SSH, HTTP, ToolCall) and of
// Identity are read by reflection over their `cel` struct tags: adding a
// tagged field to one of those structs adds the variable, its declaration,
// its activation, its size bound and its cache key, with no other edit
// (TestVocabularyFollowsStructTags, TestVocabularyOneEdit). The Go type of a
// field decides the rest (vocabfield.go); a field of a type the vocabulary
// cannot read panics at init, so no test of the package passes.
//
// Reflection rather than generated code: the structs are the source, so
// there is no generator to run and no generated file to keep in step. The
// walk runs once, at init, and leaves typed readers that load a field at
// its offset, at the cost of a hand-written field access and a call; only
// lists of request objects are handed on as reflect values, as they were
// before (CEL's type adapter and the native evaluator select their fields).

// Scope says what the value of a rule variable depends on.
type Scope uint8

const (
	// ScopeSession: fixed for the life of a session (who asks, over what
	// connection).
	ScopeSession Scope = iota + 1
	// ScopeRequest: a function of the request alone (what it asks). The
	// decision cache keys rules that read only session and request
	// variables on their values.
	ScopeRequest
	// ScopeVolatile: may differ between two identical requests (the time,
	// the session's counters, the grants in force), or is free text the
	// decision cache does not key on. Rules reading one are evaluated
	// afresh for every request.
	ScopeVolatile
)

// String returns "session", "request" or "volatile".
func (s Scope) String() string {
	switch s {
	case ScopeSession:
		return "session"
	case ScopeRequest:
		return "request"
	case ScopeVolatile:
		return "volatile"
	}
	return fmt.Sprintf("Scope(%d)", uint8(s))
}

// Variable describes one name rules can read, for tools that analyse rules.
type Variable struct {
	// Name is the dotted name rules use: "ssh.read_only".
	Name string
	// Type is its CEL type as CEL prints it: "string", "list(string)".
	Type string
	// Scope says what its value depends on.
	Scope Scope
	// Attribute is true for a field of a protocol's attributes
	// (Request.SQL, SSH, HTTP or Tool): it is the zero value in the
	// requests of every other protocol.
	Attribute bool
}

// Variables returns the vocabulary of the rules, sorted by name.
func Variables() []Variable {
	out := make([]Variable, 0, len(vocabulary))
	for _, v := range vocabulary {
		out = append(out, Variable{Name: v.name, Type: v.typ.String(), Scope: v.scope, Attribute: v.attribute})
	}
	slices.SortFunc(out, func(a, b Variable) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// variable is one entry of the vocabulary. Its reader is set when it is
// declared; everything else is derived from the reader's type by derive.
type variable struct {
	name      string
	scope     Scope
	attribute bool
	// read is how to read the value: a func(*Request) T for the types
	// vocabfield.go knows, an objectsReader for a list of request objects,
	// a func(SessionStats) int64 for a counter, or a
	// func(*activation) ref.Val (with typ set) for a value the gate looks
	// up elsewhere.
	read any
	// typ is the CEL type; derived from read unless set.
	typ *cel.Type
	// unbounded says why a variable of a sized type needs no run-time size
	// check; derived variables have one or a check.
	unbounded string

	// Derived once. Exactly one of the typed readers is set, matching read.
	str     func(*Request) string
	flag    func(*Request) bool
	num     func(*Request) int64
	strs    func(*Request) []string
	objects func(*Request) reflect.Value // a slice of structs
	counter func(SessionStats) int64
	// celValue is what the CEL activation hands the interpreter: a ref.Val
	// or a Go value the type adapter converts.
	celValue func(*activation) any
	// appendKey encodes the value exactly for the decision cache; nil for
	// volatile variables.
	appendKey func([]byte, *Request) ([]byte, bool)
	// bounded reports whether the value is within the sizes the cost
	// estimator assumes; nil for values of a fixed size and for the fields
	// its struct's sizes check.
	bounded func(*Request) bool
}

// sessionOf is the request's session, or an empty one.
func sessionOf(r *Request) *Session {
	if r.Session != nil {
		return r.Session
	}
	return &zeroSession
}

var zeroSession Session

// vocabulary is every variable, in declaration order; vocabularyIndex finds
// one by name. Both are built once and never modified.
var (
	vocabulary      = buildVocabulary()
	vocabularyIndex = indexVocabulary(vocabulary)
)

func buildVocabulary() []*variable {
	var vs []*variable
	add := func(list ...*variable) { vs = append(vs, list...) }

	add(structFields("identity", ScopeSession, false, func(r *Request) *Identity { return &sessionOf(r).Identity },
		map[string]any{
			// An identity that does not say what it is is an agent.
			"kind": func(r *Request) string { return string(sessionOf(r).Identity.EffectiveKind()) },
		})...)

	add(
		&variable{name: "session.id", scope: ScopeSession, read: func(r *Request) string { return sessionOf(r).ID }},
		&variable{name: "session.protocol", scope: ScopeSession, read: func(r *Request) string { return sessionOf(r).Protocol }},
		&variable{name: "session.target", scope: ScopeSession, read: func(r *Request) string { return sessionOf(r).Target }},
		&variable{name: "session.client_addr", scope: ScopeSession, read: func(r *Request) string { return sessionOf(r).ClientAddr }},
		&variable{name: "session.requests", scope: ScopeVolatile, read: func(s SessionStats) int64 { return s.Requests }},
		&variable{name: "session.denied", scope: ScopeVolatile, read: func(s SessionStats) int64 { return s.Denied }},
		&variable{name: "session.requests_last_minute", scope: ScopeVolatile, read: func(s SessionStats) int64 { return s.RequestsLastMinute }},
		// session.grants: the active grants of the identity, each a map with
		// id, rules, scope, protocol, target, expires_at, uses, uses_left
		// (-1: only the TTL bounds it) and granted_by (reviewer subjects).
		&variable{name: "session.grants", scope: ScopeVolatile,
			typ:       cel.ListType(cel.MapType(cel.StringType, cel.DynType)),
			read:      (*activation).grants,
			unbounded: "at most MaxGrantsSeen grants, written by reviewers, not by the requester"},

		&variable{name: "request.protocol", scope: ScopeRequest, read: func(r *Request) string { return r.Protocol }},
		&variable{name: "request.command", scope: ScopeRequest, read: func(r *Request) string { return r.Command }},
		&variable{name: "request.time", scope: ScopeVolatile, read: func(r *Request) time.Time { return r.Time }},
		// Free text, different in nearly every request: keying the decision
		// cache on it would only churn the cache.
		&variable{name: "request.reason", scope: ScopeVolatile, read: func(r *Request) string { return r.Reason }},
	)

	add(runVariables()...)

	add(structFields("sql", ScopeRequest, true, func(r *Request) *SQL { return r.SQL }, nil)...)
	add(structFields("ssh", ScopeRequest, true, func(r *Request) *SSH { return r.SSH }, nil)...)
	add(structFields("http", ScopeRequest, true, func(r *Request) *HTTP { return r.HTTP }, nil)...)
	add(structFields("tool", ScopeRequest, true, func(r *Request) *ToolCall { return r.Tool }, nil)...)

	for _, v := range vs {
		if err := v.derive(); err != nil {
			panic("gate: rule vocabulary: " + err.Error())
		}
	}
	return vs
}

func indexVocabulary(vs []*variable) map[string]*variable {
	m := make(map[string]*variable, len(vs))
	for _, v := range vs {
		if m[v.name] != nil {
			panic("gate: rule vocabulary: " + v.name + " declared twice")
		}
		m[v.name] = v
	}
	return m
}

// variableNamed returns the variable called name, or nil.
func variableNamed(name string) *variable { return vocabularyIndex[name] }

// structFields declares one variable "<root>.<tag>" per field of T with a
// cel tag, read through get (nil: every field is zero). override replaces
// the reader of the fields it names.
func structFields[T any](root string, scope Scope, attribute bool, get func(*Request) *T, override map[string]any) []*variable {
	t := reflect.TypeFor[T]()
	var out []*variable
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := celTag(f)
		if tag == "" {
			continue
		}
		v := &variable{name: root + "." + tag, scope: scope, attribute: attribute}
		if r, ok := override[tag]; ok {
			v.read = r
		} else {
			r, err := fieldReader(get, f)
			if err != nil {
				panic(fmt.Sprintf("gate: rule vocabulary: %s: %v", v.name, err))
			}
			v.read = r
		}
		out = append(out, v)
	}
	for tag := range override {
		if !slices.ContainsFunc(out, func(v *variable) bool { return v.name == root+"."+tag }) {
			panic("gate: rule vocabulary: override of " + root + "." + tag + ", which has no field")
		}
	}
	return out
}

// celTag is the name a struct field has in CEL, or "" when it has none.
func celTag(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	return f.Tag.Get("cel")
}

// derive fills in the variable's CEL type and its typed readers from read.
func (v *variable) derive() error {
	switch f := v.read.(type) {
	case func(*Request) string:
		v.str = f
		v.setType(cel.StringType)
		v.celValue = func(a *activation) any { return stringVal(f(a.req)) }
		v.appendKey = func(b []byte, r *Request) ([]byte, bool) { return appendString(append(b, 's'), f(r)), true }
		v.bounded = func(r *Request) bool { return strOK(f(r)) }
	case func(*Request) bool:
		v.flag = f
		v.setType(cel.BoolType)
		v.celValue = func(a *activation) any { return boolVal(f(a.req)) }
		v.appendKey = func(b []byte, r *Request) ([]byte, bool) { return appendBool(b, f(r)), true }
	case func(*Request) int64:
		v.num = f
		v.setType(cel.IntType)
		v.celValue = func(a *activation) any { return intVal(f(a.req)) }
		v.appendKey = func(b []byte, r *Request) ([]byte, bool) { return appendInt(b, f(r)), true }
	case func(*Request) []string:
		v.strs = f
		v.setType(cel.ListType(cel.StringType))
		v.celValue = func(a *activation) any { return strList(f(a.req)) }
		v.appendKey = func(b []byte, r *Request) ([]byte, bool) { return appendStrings(b, f(r)), true }
		v.bounded = func(r *Request) bool { return strsOK(f(r)) }
	case func(*Request) map[string]any:
		v.setType(cel.MapType(cel.StringType, cel.DynType))
		v.celValue = func(a *activation) any {
			if m := f(a.req); m != nil {
				return m
			}
			return emptyMap
		}
		v.appendKey = func(b []byte, r *Request) ([]byte, bool) { return appendValue(b, reflect.ValueOf(f(r))) }
		v.bounded = func(r *Request) bool { return anyOK(f(r), 0) }
	case func(*Request) map[string][]string:
		v.setType(cel.MapType(cel.StringType, cel.ListType(cel.StringType)))
		v.celValue = func(a *activation) any {
			if m := f(a.req); m != nil {
				return m
			}
			return emptyStrLists
		}
		v.appendKey = func(b []byte, r *Request) ([]byte, bool) { return appendValue(b, reflect.ValueOf(f(r))) }
		v.bounded = func(r *Request) bool { return mapOK(f(r)) }
	case func(*Request) map[string]string:
		v.setType(cel.MapType(cel.StringType, cel.StringType))
		v.celValue = func(a *activation) any {
			if m := f(a.req); m != nil {
				return m
			}
			return emptyStrMap
		}
		v.appendKey = func(b []byte, r *Request) ([]byte, bool) { return appendValue(b, reflect.ValueOf(f(r))) }
		v.bounded = func(r *Request) bool { return strMapOK(f(r)) }
	case func(*Request) any:
		// A decoded JSON value.
		v.setType(cel.DynType)
		v.celValue = func(a *activation) any {
			if x := f(a.req); x != nil {
				return x
			}
			return nullValue
		}
		v.appendKey = func(b []byte, r *Request) ([]byte, bool) { return appendValue(b, reflect.ValueOf(f(r))) }
		v.bounded = func(r *Request) bool { return anyOK(f(r), 0) }
	case func(*Request) time.Time:
		v.setType(cel.TimestampType)
		v.celValue = func(a *activation) any { return timestampVal(f(a.req)) }
		v.appendKey = func(b []byte, r *Request) ([]byte, bool) { return appendValue(b, reflect.ValueOf(f(r))) }
	case objectsReader:
		v.objects = f.get
		v.setType(cel.ListType(cel.ObjectType(celObjectName(f.elem))))
		v.celValue = func(a *activation) any { return objectList(f.get(a.req)) }
		enc := keyEncoderOf(reflect.SliceOf(f.elem))
		v.appendKey = func(b []byte, r *Request) ([]byte, bool) {
			p := f.ptr(r)
			if p == nil {
				return append(b, 'n'), true // the zero list, as appendValue writes it
			}
			return enc(b, p)
		}
		elem, err := sizesOf(f.elem)
		if err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
		list := objectsField{size: f.elem.Size(), sizes: elem}
		v.bounded = func(r *Request) bool {
			p := f.ptr(r)
			return p == nil || list.ok(p)
		}
	case func(SessionStats) int64:
		v.counter = f
		v.setType(cel.IntType)
		v.celValue = func(a *activation) any { return intVal(f(a.stats)) }
	case func(*activation) ref.Val:
		if v.typ == nil {
			return fmt.Errorf("%s: a looked-up value needs its CEL type", v.name)
		}
		v.celValue = func(a *activation) any { return f(a) }
	default:
		return fmt.Errorf("%s: cannot read a %T", v.name, v.read)
	}
	if v.scope == ScopeVolatile {
		v.appendKey = nil
	}
	if v.bounded != nil && v.unbounded != "" {
		return fmt.Errorf("%s: has a size check and a reason to need none", v.name)
	}
	return nil
}

func (v *variable) setType(t *cel.Type) {
	if v.typ == nil {
		v.typ = t
	}
}
