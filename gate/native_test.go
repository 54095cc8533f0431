package gate

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"cel.dev/cel-go/common/types"
)

// exprGen writes random rule expressions, mostly inside the native subset
// and sometimes outside it.
type exprGen struct {
	r     *rand.Rand
	depth int
	vars  int
	// in-scope comprehension variables: name -> kind ("str", "stmt",
	// "table", "cmd")
	scope map[string]string
}

func (g *exprGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

var strLits = []string{`""`, `"\uFFFD"`, `"a"`, `"A"`, `"SELECT"`, `"rm"`, `"agents"`, `"payments"`, `"write"`, `"/admin"`, `"é"`, `"x y"`}

func (g *exprGen) str() string {
	var opts []string
	for v, k := range g.scope {
		switch k {
		case "str":
			opts = append(opts, v)
		case "stmt":
			opts = append(opts, v+".kind", v+".text")
		case "table":
			opts = append(opts, v+".name", v+".access", v+".schema")
		case "cmd":
			opts = append(opts, v+".program", v+".path")
		}
	}
	opts = append(opts, strLits[g.r.IntN(len(strLits))], "request.protocol", "request.command", "identity.subject",
		"identity.kind", "session.target", "ssh.kind", "ssh.command", "http.method", "http.path", "tool.name", "tool.kind",
		vocabularyStrings[g.r.IntN(len(vocabularyStrings))])
	s := opts[g.r.IntN(len(opts))]
	if g.r.IntN(6) == 0 {
		s += ".lowerAscii()"
	}
	return s
}

func (g *exprGen) strList() string {
	var opts []string
	for v, k := range g.scope {
		switch k {
		case "stmt":
			opts = append(opts, v+".functions", v+".columns")
		case "cmd":
			opts = append(opts, v+".args")
		}
	}
	opts = append(opts, "identity.groups", "ssh.programs", "ssh.argv", vocabularyStrLists[g.r.IntN(len(vocabularyStrLists))])
	return opts[g.r.IntN(len(opts))]
}

func (g *exprGen) integer() string {
	opts := []string{"0", "1", "3", "-1", "ssh.port", "session.requests", "session.requests_last_minute",
		"size(" + g.strList() + ")", g.strList() + ".size()", "size(sql.statements)", "ssh.commands.size()",
		vocabularyInts[g.r.IntN(len(vocabularyInts))]}
	return opts[g.r.IntN(len(opts))]
}

func (g *exprGen) boolean() string {
	g.depth++
	defer func() { g.depth-- }()
	n := 12
	if g.depth > 3 {
		n = 6
	}
	switch g.r.IntN(n) {
	case 0:
		return g.str() + g.pick(" == ", " != ") + g.str()
	case 1:
		return g.str() + " in [" + g.pick(`"a"`, `"SELECT", "DROP"`, `"agents", "rm"`) + "]"
	case 2:
		return g.str() + " in " + g.strList()
	case 3:
		return g.str() + "." + g.pick("startsWith", "endsWith", "contains") + "(" + g.str() + ")"
	case 4:
		return g.integer() + g.pick(" < ", " <= ", " > ", " >= ", " == ", " != ") + g.integer()
	case 5:
		var opts []string
		for v, k := range g.scope {
			if k == "stmt" {
				opts = append(opts, v+".read_only", v+".opaque", v+".has_where")
			}
		}
		opts = append(opts, "true", "false", "ssh.dynamic", "ssh.pipes_to_shell", vocabularyBools[g.r.IntN(len(vocabularyBools))])
		b := opts[g.r.IntN(len(opts))]
		if g.r.IntN(8) == 0 {
			return b + " == " + g.pick("true", "false")
		}
		return b
	case 6, 7:
		return "(" + g.boolean() + g.pick(" && ", " || ") + g.boolean() + ")"
	case 8:
		return "!(" + g.boolean() + ")"
	case 9:
		return g.quantifier()
	case 10:
		// Outside the subset: regular expressions, dyn maps, time.
		return g.pick(`request.command.matches("^a")`, `tool.args.limit == 3.0`, `request.time.getHours() > 3`, `http.headers.exists(k, k == "x")`)
	default:
		return g.quantifier()
	}
}

func (g *exprGen) quantifier() string {
	g.vars++
	v := fmt.Sprintf("v%d", g.vars)
	q := g.pick("exists", "all")
	var rng, kind string
	var tableOwner string
	for name, k := range g.scope {
		if k == "stmt" {
			tableOwner = name
		}
	}
	switch g.r.IntN(4) {
	case 0:
		rng, kind = g.strList(), "str"
	case 1:
		rng, kind = "sql.statements", "stmt"
	case 2:
		rng, kind = "ssh.commands", "cmd"
	default:
		if tableOwner != "" {
			rng, kind = tableOwner+".tables", "table"
		} else {
			rng, kind = "sql.statements", "stmt"
		}
	}
	g.scope[v] = kind
	body := g.boolean()
	delete(g.scope, v)
	return fmt.Sprintf("%s.%s(%s, %s)", rng, q, v, body)
}

var nastyStrings = []string{"", "a", "A", "SELECT", "select", "rm", "agents", "payments", "write", "/admin/x", "é", "É", "\xff\xfeA", "x y", "AGENTS"}

func nastyRequest(r *rand.Rand) *Request {
	s := func() string { return nastyStrings[r.IntN(len(nastyStrings))] }
	list := func() []string {
		if r.IntN(4) == 0 {
			return nil
		}
		out := make([]string, r.IntN(4))
		for i := range out {
			out[i] = s()
		}
		return out
	}
	sess := &Session{ID: s(), Target: s(), Identity: Identity{Subject: s(), Groups: list(), Kind: IdentityKind(s())}}
	for range r.IntN(5) {
		sess.stats.countRequest(time.Now())
	}
	req := &Request{Session: sess, Protocol: s(), Command: s(), Time: time.Now()}
	if r.IntN(3) > 0 {
		var sts []SQLStatement
		for range r.IntN(3) {
			st := SQLStatement{Kind: s(), Text: s(), ReadOnly: r.IntN(2) == 0, Opaque: r.IntN(2) == 0, HasWhere: r.IntN(2) == 0,
				Functions: list(), Columns: list()}
			for range r.IntN(3) {
				st.Tables = append(st.Tables, SQLTable{Schema: s(), Name: s(), Access: s()})
			}
			sts = append(sts, st)
		}
		req.SQL = &SQL{Statements: sts}
	}
	if r.IntN(3) > 0 {
		x := &SSH{Kind: s(), Command: s(), Programs: list(), Argv: list(), Dynamic: r.IntN(2) == 0, PipesToShell: r.IntN(2) == 0, Port: r.IntN(3)}
		for range r.IntN(3) {
			x.Commands = append(x.Commands, SSHCommand{Program: s(), Path: s(), Args: list(), Redirects: list()})
		}
		req.SSH = x
	}
	if r.IntN(2) == 0 {
		req.HTTP = &HTTP{Method: s(), Path: s()}
	}
	if r.IntN(2) == 0 {
		req.Tool = &ToolCall{Name: s(), Kind: s(), Args: map[string]any{"limit": float64(r.IntN(5))}}
	}
	// Every other field the vocabulary reads natively, half the time: a
	// field added to an attribute struct is tested without an edit here.
	for _, p := range []any{&sess.Identity, req.SQL, req.SSH, req.HTTP, req.Tool} {
		if v := reflect.ValueOf(p); !v.IsNil() {
			fillZeroFields(r, v.Elem(), s, list)
		}
	}
	return req
}

// fillZeroFields sets, half the time, each zero string, bool, int and
// []string field of the struct v.
func fillZeroFields(r *rand.Rand, v reflect.Value, s func() string, list func() []string) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if !f.CanSet() || !f.IsZero() || r.IntN(2) == 0 {
			continue
		}
		switch {
		case f.Kind() == reflect.String:
			f.SetString(s())
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() == reflect.Int || f.Kind() == reflect.Int64:
			f.SetInt(int64(r.IntN(3)))
		case f.Type() == stringsType:
			f.Set(reflect.ValueOf(list()))
		}
	}
}

// vocabularyNames are the variables with a native reader has accepts.
func vocabularyNames(has func(*variable) bool) []string {
	var out []string
	for _, v := range vocabulary {
		if has(v) {
			out = append(out, v.name)
		}
	}
	return out
}

var (
	vocabularyStrings  = vocabularyNames(func(v *variable) bool { return v.str != nil })
	vocabularyStrLists = vocabularyNames(func(v *variable) bool { return v.strs != nil })
	vocabularyInts     = vocabularyNames(func(v *variable) bool { return v.num != nil || v.counter != nil })
	vocabularyBools    = vocabularyNames(func(v *variable) bool { return v.flag != nil })
)

// Over generated expressions and requests, a rule's native closure returns
// exactly what the CEL interpreter returns; where CEL would raise an error,
// the rule has no native closure.
func TestNativeEqualsCEL(t *testing.T) {
	env, err := ruleEnv()
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(seed, 11))
	compiled, native := 0, 0
	for i := range 1500 {
		g := &exprGen{r: r, scope: map[string]string{}}
		src := g.boolean()
		checked, iss := env.Compile(src)
		if iss != nil && iss.Err() != nil {
			t.Fatalf("generator wrote an expression that does not compile: %s: %v", src, iss.Err())
		}
		compiled++
		fn := compileNative(checked.NativeRep())
		if fn == nil {
			continue
		}
		native++
		prg, err := env.Program(checked)
		if err != nil {
			t.Fatal(err)
		}
		for j := range 30 {
			req := nastyRequest(r)
			act := newActivation(req)
			out, _, err := prg.Eval(act)
			act.release()
			if err != nil {
				t.Fatalf("seed %d, expr %d/%d: %s: CEL errs (%v) but the expression compiled natively", seed, i, j, src, err)
			}
			got := fn(&nativeEnv{req: req})
			if (out == types.True) != got {
				t.Fatalf("seed %d, expr %d/%d: %s\nCEL %v, native %v\nrequest %+v", seed, i, j, src, out, got, req)
			}
		}
	}
	if native < compiled/3 {
		t.Fatalf("only %d of %d generated expressions compiled natively: the subset is not being tested", native, compiled)
	}
	t.Logf("%d expressions, %d native", compiled, native)
}

// The realistic benchmark rules compile natively, except those outside the
// subset (a regular expression).
func TestNativeCoversRealisticRules(t *testing.T) {
	env, _ := ruleEnv()
	for _, src := range []string{
		`request.protocol == "postgres" && sql.statements.all(s, s.read_only) && identity.groups.exists(g, g in ["agents", "analysts"])`,
		`sql.statements.exists(s, s.tables.exists(t, t.name == "payments" && t.access == "write"))`,
		`request.protocol == "ssh" && (ssh.pipes_to_shell || ssh.dynamic || ssh.interpreter_inline)`,
		`identity.groups.exists(g, g == "contractors") && request.command.lowerAscii().contains("secret")`,
		`session.requests_last_minute > 600 && identity.kind == "agent"`,
	} {
		checked, iss := env.Compile(src)
		if iss != nil && iss.Err() != nil {
			t.Fatal(iss.Err())
		}
		if compileNative(checked.NativeRep()) == nil {
			t.Errorf("not native: %s", src)
		}
	}
	checked, _ := env.Compile(`http.path.matches("^/v1/[0-9]+$")`)
	if compileNative(checked.NativeRep()) != nil {
		t.Error("a regular expression compiled natively")
	}
	// lowerAscii agrees with CEL's on every awkward string.
	lower, _ := env.Compile(`request.command.lowerAscii()`)
	prg, err := env.Program(lower)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(nastyStrings, "\xffA", "ÀB", "a\x80", strings.Repeat("Z", 40)) {
		act := newActivation(&Request{Command: s})
		out, _, err := prg.Eval(act)
		act.release()
		if err != nil {
			t.Fatal(err)
		}
		if got := lowerASCII(s); got != out.Value().(string) {
			t.Errorf("lowerASCII(%q) = %q, CEL %q", s, got, out.Value())
		}
	}
}
