package gate

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The structs whose cel-tagged fields are rule variables, by namespace.
var taggedStructs = map[string]reflect.Type{
	"identity": reflect.TypeFor[Identity](),
	"sql":      reflect.TypeFor[SQL](),
	"ssh":      reflect.TypeFor[SSH](),
	"http":     reflect.TypeFor[HTTP](),
	"tool":     reflect.TypeFor[ToolCall](),
}

// Every field of the attribute structs (and of Identity) is a variable, and
// every field of a request object is visible to CEL under its tag: adding a
// tagged field is the one edit that adds a variable.
func TestVocabularyFollowsStructTags(t *testing.T) {
	env, err := ruleEnv()
	require.NoError(t, err)
	for root, st := range taggedStructs {
		for i := 0; i < st.NumField(); i++ {
			f := st.Field(i)
			tag := f.Tag.Get("cel")
			if !assert.NotEmpty(t, tag, "%s.%s has no cel tag", st, f.Name) {
				continue
			}
			v := variableNamed(root + "." + tag)
			if assert.NotNil(t, v, "%s.%s is not declared", st, f.Name) {
				assert.Equal(t, root != "identity", v.attribute, v.name)
			}
		}
	}
	assert.ElementsMatch(t, []reflect.Type{reflect.TypeFor[SQLStatement](), reflect.TypeFor[SQLTable](),
		reflect.TypeFor[SSHCommand](), reflect.TypeFor[SSHRedirect]()}, objectTypes)
	for _, ot := range objectTypes {
		name := celObjectName(ot)
		assert.Equal(t, ot, nativeObjects[name])
		for i := 0; i < ot.NumField(); i++ {
			tag := ot.Field(i).Tag.Get("cel")
			if !assert.NotEmpty(t, tag, "%s.%s has no cel tag", ot, ot.Field(i).Name) {
				continue
			}
			// CEL knows the field under its tag.
			_, iss := env.Compile(`[` + name + `{}].exists(x, x.` + tag + ` == x.` + tag + `)`)
			assert.NoError(t, iss.Err(), "%s.%s", name, tag)
		}
	}
}

// Every variable is declared to CEL, activated, classified, cost-bounded
// when it has a size, keyed when the cache may key on it, and readable by
// the native evaluator when the native subset covers its type.
func TestVocabularyIsComplete(t *testing.T) {
	env, err := ruleEnv()
	require.NoError(t, err)
	full := fullRequest()
	for _, v := range vocabulary {
		// Declared: a rule can read it, with the declared type.
		checked, iss := env.Compile(v.name)
		if assert.NoError(t, iss.Err(), v.name) {
			assert.True(t, checked.OutputType().IsExactType(v.typ), "%s: declared %s", v.name, checked.OutputType())
		}
		// Activated, on an empty request and on a full one.
		for _, req := range []*Request{{}, full} {
			a := newActivation(req)
			val, ok := a.ResolveName(v.name)
			a.release()
			if assert.True(t, ok, "%s is not activated", v.name) {
				if rv, isVal := val.(ref.Val); assert.True(t, isVal, v.name) && v.name != "session.grants" {
					assert.False(t, types.IsError(rv), "%s: %v", v.name, rv)
				}
			}
		}
		// Classified.
		assert.Contains(t, []Scope{ScopeSession, ScopeRequest, ScopeVolatile}, v.scope, v.name)
		assert.Equal(t, v.scope != ScopeVolatile, isStable(v.name), v.name)
		assert.Equal(t, v.scope != ScopeVolatile, v.appendKey != nil, "%s: keyed iff stable", v.name)
		// Cost-bounded.
		switch v.typ.Kind() {
		case types.StringKind, types.BytesKind, types.ListKind, types.MapKind, types.DynKind:
			// Its own check (TestWithinEstimateCoversEveryField shows the
			// checks cover every field), or a reason to need none.
			assert.True(t, v.bounded != nil || v.unbounded != "", "%s has a size and no size check", v.name)
		default:
			assert.Nil(t, v.bounded, v.name)
		}
		// Native readers match the type; a value the gate looks up
		// elsewhere (grants, runs) is left to CEL.
		if _, lookedUp := v.read.(func(*activation) ref.Val); lookedUp {
			continue
		}
		switch {
		case v.typ == cel.StringType:
			assert.NotNil(t, v.str, v.name)
		case v.typ == cel.BoolType:
			assert.NotNil(t, v.flag, v.name)
		case v.typ == cel.IntType:
			assert.True(t, v.num != nil || v.counter != nil, v.name)
		}
	}
	assert.True(t, withinEstimate(full), "the full request is within the estimate")
}

// A value over the estimator's sizes in any field a rule can read, nested
// request objects included, takes the request off the estimate: of every
// rule (withinEstimate), and of a partition exactly when one of its rules
// reads that variable.
func TestWithinEstimateCoversEveryField(t *testing.T) {
	require.True(t, withinEstimate(fullRequest()))
	cases := oversizedRequests(t)
	for _, c := range cases {
		assert.False(t, withinEstimate(c.req), "%s over its size bound keeps the request within the estimate", c.field)
	}
	// A partition checks the variables its rules read, and only those.
	checked := map[string]bool{}
	for _, v := range vocabulary {
		if v.bounded == nil {
			continue
		}
		cond := "size(" + v.name + ") >= 0"
		if v.typ.Kind() == types.DynKind {
			cond = v.name + " == " + v.name
		}
		rs, err := ParseRules("one.yaml", []byte("default: deny\nrules:\n  - name: r\n    when: "+cond+"\n    action: allow\n"))
		require.NoError(t, err, v.name)
		part := rs.partitionFor("ssh")
		require.Equal(t, []string{v.name}, part.rules[0].reads)
		assert.True(t, part.sizes.within(fullRequest()), v.name)
		for _, c := range cases {
			want := c.variable != v.name && c.variable != ""
			assert.Equal(t, want, part.sizes.within(c.req), "a rule reading %s, %s over its size bound", v.name, c.field)
		}
		checked[v.name] = true
	}
	for _, c := range cases {
		assert.True(t, c.variable == "" || checked[c.variable], "%s: no rule reading %s was tried", c.field, c.variable)
	}
}

// oversizedCase is a request with one field over the estimator's sizes:
// the field, and the variable that reads it ("" for none: no session).
type oversizedCase struct {
	field, variable string
	req             *Request
}

// oversizedRequests sets every sized field of every attribute struct in
// turn, recursing into the first element of lists of objects, and every
// other sized variable, each in a fresh fullRequest.
func oversizedRequests(t *testing.T) []oversizedCase {
	long := strings.Repeat("x", maxEstimatedString+1)
	many := make([]string, maxEstimatedList+1)
	manyKeys := map[string]any{}
	manyLists := map[string][]string{}
	manyStrs := map[string]string{}
	for i := range maxEstimatedList + 1 {
		k := strings.Repeat("k", i+1)
		manyKeys[k], manyLists[k], manyStrs[k] = 1, nil, ""
	}
	var cases []oversizedCase
	// oversize sets every sized field of the struct v (addressable) in
	// turn, recursing into the first element of lists of objects;
	// variable is the variable a nested object is read through.
	var oversize func(path, variable string, v reflect.Value, req func() (*Request, reflect.Value))
	oversize = func(path, variable string, v reflect.Value, fresh func() (*Request, reflect.Value)) {
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			name := path + "." + f.Name
			fieldVar := variable
			if fieldVar == "" {
				fieldVar = path + "." + celTag(f)
			}
			var bad []reflect.Value
			switch {
			case f.Type.Kind() == reflect.String:
				bad = []reflect.Value{reflect.ValueOf(long).Convert(f.Type)}
			case f.Type == stringsType:
				bad = []reflect.Value{reflect.ValueOf(many), reflect.ValueOf([]string{long})}
			case f.Type == jsonMapType:
				bad = []reflect.Value{reflect.ValueOf(manyKeys), reflect.ValueOf(map[string]any{"a": long})}
			case f.Type == stringListsType:
				bad = []reflect.Value{reflect.ValueOf(manyLists), reflect.ValueOf(map[string][]string{"a": {long}})}
			case f.Type == stringMapType:
				bad = []reflect.Value{reflect.ValueOf(manyStrs), reflect.ValueOf(map[string]string{"a": long})}
			case f.Type == jsonValueType:
				bad = []reflect.Value{reflect.ValueOf(long), reflect.ValueOf([]any{long})}
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
				bad = []reflect.Value{reflect.MakeSlice(f.Type, maxEstimatedList+1, maxEstimatedList+1)}
				oversize(name, fieldVar, v.Field(i).Index(0), func() (*Request, reflect.Value) {
					req, parent := fresh()
					return req, parent.Field(i).Index(0)
				})
			case f.Type.Kind() == reflect.Bool, f.Type.Kind() == reflect.Int, f.Type.Kind() == reflect.Int64:
				continue
			default:
				t.Errorf("%s: a field of type %s: extend this test", name, f.Type)
			}
			for _, b := range bad {
				req, parent := fresh()
				parent.Field(i).Set(b)
				cases = append(cases, oversizedCase{field: name, variable: fieldVar, req: req})
			}
		}
	}
	for root, st := range taggedStructs {
		fresh := func() (*Request, reflect.Value) {
			req := fullRequest()
			var p any
			switch root {
			case "identity":
				p = &req.Session.Identity
			case "sql":
				p = req.SQL
			case "ssh":
				p = req.SSH
			case "http":
				p = req.HTTP
			case "tool":
				p = req.Tool
			}
			v := reflect.ValueOf(p).Elem()
			require.Equal(t, st, v.Type())
			return req, v
		}
		_, v := fresh()
		oversize(root, "", v, fresh)
	}
	// The variables that are not struct fields.
	for variable, set := range map[string]func(*Request){
		"request.command":     func(r *Request) { r.Command = long },
		"request.protocol":    func(r *Request) { r.Protocol = long },
		"request.reason":      func(r *Request) { r.Reason = long },
		"session.id":          func(r *Request) { r.Session.ID = long },
		"session.protocol":    func(r *Request) { r.Session.Protocol = long },
		"session.target":      func(r *Request) { r.Session.Target = long },
		"session.client_addr": func(r *Request) { r.Session.ClientAddr = long },
		"":                    func(r *Request) { r.Session = nil },
	} {
		req := fullRequest()
		set(req)
		cases = append(cases, oversizedCase{field: variable, variable: variable, req: req})
	}
	return cases
}

// fullRequest has every attribute, with one element in every list of
// objects, all within the estimator's sizes.
func fullRequest() *Request {
	s := &Session{ID: "s", Protocol: "ssh", Target: "t", ClientAddr: "c",
		Identity: Identity{Subject: "u", Name: "n", Groups: []string{"g"}, Claims: map[string]any{"a": "b"}, Kind: KindHuman}}
	return &Request{Session: s, Protocol: "ssh", Command: "ls", Reason: "r", Time: time.Unix(1, 0),
		SQL: &SQL{Statements: []SQLStatement{{Kind: "SELECT", Tables: []SQLTable{{Name: "t"}}}}, Params: []string{"1"}},
		SSH: &SSH{Kind: "exec", Programs: []string{"ls"},
			Commands: []SSHCommand{{Program: "ls", Redirections: []SSHRedirect{{Op: ">", Target: "f"}}}}},
		HTTP: &HTTP{Method: "GET", Path: "/", Query: map[string][]string{"q": {"1"}}, Body: map[string]any{"a": 1.0}},
		Tool: &ToolCall{Kind: "call", Name: "x", Args: map[string]any{"a": "b"}},
	}
}

// extended is an attribute struct with one field of every type the
// vocabulary reads: what a protocol gets by adding a tagged field.
type extended struct {
	Name    string              `cel:"name"`
	On      bool                `cel:"on"`
	Count   int                 `cel:"count"`
	Total   int64               `cel:"total"`
	Tags    []string            `cel:"tags"`
	Args    map[string]any      `cel:"args"`
	Headers map[string][]string `cel:"headers"`
	Body    any                 `cel:"body"`
	Items   []SQLTable          `cel:"items"`
	Untyped string              // no tag: never a variable
}

// Adding a tagged field is one edit: structFields derives the variable's
// CEL type, its activation, its size check and its cache key from the field
// alone, for a field of every type it reads.
func TestVocabularyOneEdit(t *testing.T) {
	env, err := ruleEnv()
	require.NoError(t, err)
	var current *extended
	vars := structFields("ext", ScopeRequest, true, func(*Request) *extended { return current }, nil)
	want := map[string]*cel.Type{
		"ext.name": cel.StringType, "ext.on": cel.BoolType, "ext.count": cel.IntType, "ext.total": cel.IntType,
		"ext.tags":    cel.ListType(cel.StringType),
		"ext.args":    cel.MapType(cel.StringType, cel.DynType),
		"ext.headers": cel.MapType(cel.StringType, cel.ListType(cel.StringType)),
		"ext.body":    cel.DynType,
		"ext.items":   cel.ListType(cel.ObjectType("gate.SQLTable")),
	}
	require.Len(t, vars, len(want))
	long := strings.Repeat("x", maxEstimatedString+1)
	values := &extended{Name: "n", On: true, Count: 3, Total: 4, Tags: []string{"a"}, Args: map[string]any{"k": "v"},
		Headers: map[string][]string{"h": {"v"}}, Body: []any{"b"}, Items: []SQLTable{{Name: "t", Access: "read"}}}
	oversized := &extended{Name: long, Tags: []string{long}, Args: map[string]any{"k": long},
		Headers: map[string][]string{"h": {long}}, Body: long, Items: []SQLTable{{Name: long}}}
	req := &Request{}
	for _, v := range vars {
		require.NoError(t, v.derive(), v.name)
		assert.True(t, want[v.name].IsExactType(v.typ), "%s: %s", v.name, v.typ)

		// Activation: CEL sees the zero value when the struct is absent,
		// the field's value when present.
		current = nil
		zero := v.celValue(&activation{req: req})
		current = values
		got := v.celValue(&activation{req: req})
		name := strings.TrimPrefix(v.name, "ext.")
		field := reflect.ValueOf(values).Elem().FieldByNameFunc(func(f string) bool {
			sf, _ := reflect.TypeFor[extended]().FieldByName(f)
			return sf.Tag.Get("cel") == name
		})
		gotVal := toVal(reflect.ValueOf(got))
		assert.Equal(t, types.True, gotVal.Equal(toVal(field)), "%s: activation reads %v", v.name, gotVal)
		assert.NotEqual(t, types.True, toVal(reflect.ValueOf(zero)).Equal(gotVal), "%s: the absent struct reads as the value", v.name)

		// Cache key: changes with the value.
		current = nil
		k0, ok0 := v.appendKey(nil, req)
		current = values
		k1, ok1 := v.appendKey(nil, req)
		assert.True(t, ok0 && ok1, v.name)
		assert.NotEqual(t, string(k0), string(k1), "%s: the key ignores the value", v.name)

		current = values
	}
	// Size checks: each sized field's own, which only that field trips.
	byName := map[string]*variable{}
	for _, v := range vars {
		byName[v.name] = v
		if v.bounded != nil {
			current = values
			assert.True(t, v.bounded(req), v.name)
		}
	}
	over := reflect.ValueOf(oversized).Elem()
	checked := 0
	for i := 0; i < over.NumField(); i++ {
		if over.Field(i).IsZero() {
			continue
		}
		x := *values
		reflect.ValueOf(&x).Elem().Field(i).Set(over.Field(i))
		current = &x
		field := over.Type().Field(i)
		for _, v := range vars {
			if v.bounded != nil {
				assert.Equal(t, v.name != "ext."+celTag(field), v.bounded(req), "%s over its size bound, %s's check", field.Name, v.name)
			}
		}
		checked++
	}
	assert.Equal(t, 6, checked)
	x := *values
	x.Untyped = long // not a variable: not checked
	current = &x
	for _, v := range vars {
		if v.bounded != nil {
			assert.True(t, v.bounded(req), v.name)
		}
	}

	// A rule over the new fields compiles in an environment declaring them,
	// and its native closure reads them.
	opts := []cel.EnvOption{}
	for _, v := range vars {
		opts = append(opts, cel.Variable(v.name, v.typ))
	}
	extEnv, err := env.Extend(opts...)
	require.NoError(t, err)
	_, iss := extEnv.Compile(`ext.name == "n" && ext.on && ext.count == 3 && "a" in ext.tags && ext.items.exists(t, t.access == "read")`)
	require.NoError(t, iss.Err())
}

// toVal converts a Go value the way the activation does.
func toVal(x reflect.Value) ref.Val {
	if v, ok := x.Interface().(ref.Val); ok {
		return v
	}
	if x.Kind() == reflect.Slice && x.Type().Elem().Kind() == reflect.Struct {
		return objectList(x)
	}
	return celAdapter.NativeToValue(x.Interface())
}
