package pgsql

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// A nesting construct: a text made of head, n times rep, then tail n
// times.
type nestCase struct {
	name, head, rep, mid, tail string
}

func (c nestCase) text(n int) string {
	return c.head + strings.Repeat(c.rep, n) + c.mid + strings.Repeat(c.tail, n)
}

// nestConstructs are the ways an expression nests: the left-deep chains
// the grammar builds without growing its own stack (binary and postfix
// operators, casts, COLLATE, AT TIME ZONE), the prefix and bracketing
// ones it stops at its own depth, and chains whose separators hide in
// comments, brackets and strings.
var nestConstructs = []nestCase{
	{name: "plus", head: "1", rep: "+1"},
	{name: "mul-minus", head: "1", rep: "*2-1"},
	{name: "concat", head: "'a'", rep: "||'a'"},
	{name: "cast", head: "1", rep: "::int"},
	{name: "collate", head: "'a'", rep: ` COLLATE "C"`},
	{name: "at-time-zone", head: "now()", rep: " AT TIME ZONE 'UTC'"},
	{name: "json-arrow", head: "'{}'::jsonb", rep: "->'a'"},
	{name: "operator-call", head: "1", rep: " OPERATOR(pg_catalog.+) 1"},
	{name: "comments", head: "1", rep: "/*,*/+/*;*/1--,\n"},
	{name: "bracketed-commas", head: "1", rep: "+f(1,2)"},
	{name: "string-commas", head: "'a'", rep: "||',;'"},
	{name: "dollar-commas", head: "'a'", rep: "||$$,;$$"},
	{name: "prefix-minus", rep: "- ", mid: "x"},
	{name: "not", rep: "NOT ", mid: "x"},
	{name: "parens", rep: "(", mid: "x", tail: ")"},
	{name: "array", rep: "ARRAY[", mid: "1", tail: "]"},
	{name: "case", rep: "CASE WHEN x THEN ", mid: "1", tail: " END"},
	{name: "case-else", rep: "CASE WHEN x THEN 1 ELSE ", mid: "1", tail: " END"},
	{name: "paren-chains", rep: "(1+1+1+1+1+1+1+1+", mid: "1", tail: ")"},
	{name: "and-plus", head: "x", rep: " AND 1+1+1 = 3 OR 1+1+1+1", mid: " = 4"},
}

// nestStatements wraps e (an expression) as the statements of the
// family: in select lists after commas, in function arguments, beside
// AND, in a CASE, a subquery, an INSERT and an UPDATE.
var nestStatements = []func(e string) string{
	func(e string) string { return "SELECT " + e },
	func(e string) string { return "SELECT 1, 2, " + e },
	func(e string) string { return "SELECT f(1, " + e + ")" },
	func(e string) string { return "SELECT 1 FROM t WHERE a AND " + e + " IS NOT NULL" },
	func(e string) string { return "SELECT CASE WHEN a THEN 1 WHEN b THEN " + e + " END" },
	func(e string) string { return "SELECT * FROM (SELECT " + e + ") s" },
	func(e string) string { return "INSERT INTO t VALUES (1, " + e + ")" },
	func(e string) string { return "UPDATE t SET a = 1, b = " + e },
}

// nestSetOps are the statements that nest left-deep as a whole: set
// operations and joins, with commas and AND in every part.
var nestSetOps = []nestCase{
	{name: "union", head: "SELECT 1, 2", rep: " UNION SELECT 1, 2"},
	{name: "union-all-where", head: "SELECT a, b FROM t", rep: " UNION ALL SELECT a, b FROM t WHERE x AND y"},
	{name: "intersect", head: "SELECT 1", rep: " INTERSECT SELECT 1"},
	{name: "except", head: "SELECT 1", rep: " EXCEPT SELECT 1"},
	{name: "join", head: "SELECT 1 FROM t t0", rep: " JOIN t ON f(1, 2) AND true"},
	{name: "cross-join", head: "SELECT a, b FROM t", rep: " CROSS JOIN t"},
	{name: "left-join-using", head: "SELECT 1 FROM t", rep: " LEFT JOIN u USING (a, b)"},
}

// nestFamily generates the family: every construct in every form at each
// of the sizes, the set operations and joins at each of setOpSizes.
func nestFamily(sizes, setOpSizes []int) (names, texts []string) {
	for _, n := range sizes {
		for _, c := range nestConstructs {
			for i, wrap := range nestStatements {
				names = append(names, fmt.Sprintf("%s/%d/form%d", c.name, n, i))
				texts = append(texts, wrap(c.text(n)))
			}
		}
	}
	for _, n := range setOpSizes {
		for _, c := range nestSetOps {
			names = append(names, fmt.Sprintf("%s/%d", c.name, n))
			texts = append(texts, c.text(n))
		}
	}
	return names, texts
}

// The child process of TestDeepStatementsNeverCrash parses each statement
// of its file (one per line, newlines escaped) and prints a line per
// statement; a parse that overflows the stack kills it.
const parseChildEnv = "AIRLOCK_PGSQL_PARSE_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(parseChildEnv); mode != "" {
		os.Exit(parseChild(mode, os.Getenv(parseChildEnv+"_FILE")))
	}
	os.Exit(m.Run())
}

func parseChild(mode, file string) int {
	// Off the main thread, as a gateway's sessions parse.
	runtime.LockOSThread()
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Println("child:", err)
		return 2
	}
	parse := Parse
	if mode == "raw" {
		parse = pg_query.Parse
	}
	var start int
	fmt.Sscan(os.Getenv(parseChildEnv+"_START"), &start)
	fmt.Printf("limit %d\n", MaxNesting)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for _, line := range lines[start:] {
		text := strings.ReplaceAll(line, `\n`, "\n")
		done := make(chan error)
		go func() { _, err := parse(text); done <- err }()
		err := <-done
		switch {
		case err == nil:
			fmt.Println("parsed")
		case errors.Is(err, ErrTooDeep):
			fmt.Println("too deep")
		default:
			fmt.Println("error")
		}
	}
	return 0
}

// runParseChildren parses texts in child processes whose stacks are
// limited to stackKB, restarting after each crash; it returns each
// text's outcome ("parsed", "too deep", "error" or "CRASH") and the
// children's MaxNesting.
func runParseChildren(t *testing.T, mode string, stackKB int, texts []string) ([]string, string) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal("sh is needed to limit the children's stacks:", err)
	}
	file := filepath.Join(t.TempDir(), "statements")
	var b strings.Builder
	for _, s := range texts {
		b.WriteString(strings.ReplaceAll(s, "\n", `\n`) + "\n")
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(texts))
	limit := ""
	for len(out) < len(texts) {
		rest := texts[len(out):]
		cmd := exec.Command(sh, "-c", fmt.Sprintf(`ulimit -s %d && exec "$0" -test.run '^$'`, stackKB), os.Args[0])
		cmd.Env = append(os.Environ(), parseChildEnv+"="+mode, parseChildEnv+"_FILE="+file, fmt.Sprintf("%s_START=%d", parseChildEnv, len(out)))
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		cmd.Stderr = nil
		_ = cmd.Run() // a crash is an outcome
		sc := bufio.NewScanner(&stdout)
		got := 0
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "limit "); ok {
				limit = rest
				continue
			}
			out = append(out, line)
			got++
		}
		if got < len(rest) {
			out = append(out, "CRASH") // the statement after the last answered
		}
		if got == 0 && limit == "" {
			t.Fatalf("the child process answered nothing: %s", stdout.String())
		}
	}
	return out, limit
}

// TestDeepStatementsNeverCrash is the family of statements that nest too
// deeply for libpg_query's recursion in C — every construct of
// nestConstructs in every form of nestStatements, and the set operations
// and joins — parsed by child processes whose threads have a 512 KB stack
// (the crash comes at about 1,500 levels there, 24,000 with 8 MB). Parse
// must never crash: it parses, or refuses the text as too deep, or the
// grammar refuses it. The same family through pg_query.Parse shows what
// crashed before the guard.
func TestDeepStatementsNeverCrash(t *testing.T) {
	const stackKB = 512
	names, texts := nestFamily([]int{2500}, []int{6000})
	got, limit := runParseChildren(t, "guarded", stackKB, texts)
	crashes, refused := 0, 0
	for i, g := range got {
		switch g {
		case "CRASH":
			crashes++
			t.Errorf("%s: the parser crashed the process (MaxNesting %s)", names[i], limit)
		case "too deep":
			refused++
		default:
			t.Logf("%s: %s", names[i], g)
		}
	}
	if want := fmt.Sprint(maxNestingFor(stackKB << 10)); limit != want {
		t.Errorf("the children's MaxNesting is %q, want %s for their %d KB stack", limit, want, stackKB)
	}
	// Before the guard: the same texts through pg_query.Parse (three of
	// the forms: a child is started again after each crash).
	var deep []string
	for i, name := range names {
		if !strings.Contains(name, "/form") || strings.HasSuffix(name, "/form0") || strings.HasSuffix(name, "/form1") || strings.HasSuffix(name, "/form3") {
			deep = append(deep, texts[i])
		}
	}
	before, _ := runParseChildren(t, "raw", stackKB, deep)
	crashedBefore := 0
	for _, g := range before {
		if g == "CRASH" {
			crashedBefore++
		}
	}
	t.Logf("%d of %d deep statements crashed the process before the guard, %d of %d of the family now (%d refused as too deep; MaxNesting %s at %d KB)",
		crashedBefore, len(deep), crashes, len(texts), refused, limit, stackKB)
	if crashedBefore == 0 {
		t.Error("no statement of the family crashed pg_query.Parse: the generator no longer reaches the crash")
	}
}

// TestShallowFamilyParses: the family's constructs at 150 levels, in
// every form, are not refused as too deep (the bound is not far above
// the depth).
func TestShallowFamilyParses(t *testing.T) {
	names, texts := nestFamily([]int{150}, []int{150})
	for i, text := range texts {
		if _, err := Parse(text); errors.Is(err, ErrTooDeep) {
			t.Errorf("%s: refused as too deep: %v", names[i], err)
		}
	}
}

// bigShallowStatements are large statements that nest little: bulk
// inserts, long IN lists, AND and OR chains, wide CASEs, many unions and
// joins, long literals and comments full of operators and brackets.
func bigShallowStatements() map[string]string {
	rows := make([]string, 20000)
	for i := range rows {
		rows[i] = fmt.Sprintf("(%d, 'name %d' || '-' || %d, now() - interval '%d days', %d.5 * 2)", i, i, i, i%30, i)
	}
	ints := make([]string, 50000)
	for i := range ints {
		ints[i] = fmt.Sprint(i)
	}
	var and, or, whens, unions, joins, targets, ctes strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&and, " AND c%d = %d + 1", i%50, i)
		fmt.Fprintf(&or, " OR (a = %d AND b <> 'x%d')", i, i)
	}
	for i := range 3000 {
		fmt.Fprintf(&whens, " WHEN code = %d THEN 'label ' || %d", i, i)
	}
	for i := range 1500 {
		fmt.Fprintf(&unions, " UNION ALL SELECT %d, 'row %d', a + b FROM t WHERE x = %d AND y", i, i, i)
	}
	for i := range 300 {
		fmt.Fprintf(&joins, " LEFT JOIN t%d ON t%d.id = t0.id + %d AND t%d.k IN (1, 2)", i, i, i, i)
	}
	for i := range 10000 {
		fmt.Fprintf(&targets, ", a * %d + b::numeric(10,2) AS c%d", i, i)
	}
	for i := range 2000 {
		fmt.Fprintf(&ctes, "c%d AS (SELECT %d + 1 AS x FROM t WHERE a > %d), ", i, i, i)
	}
	ops := strings.Repeat("+(),;[]::||->AND OR UNION JOIN ", 40000)
	return map[string]string{
		"bulk insert":      "INSERT INTO t (a, b, c, d) VALUES " + strings.Join(rows, ", "),
		"in list":          "SELECT * FROM t WHERE id IN (" + strings.Join(ints, ", ") + ")",
		"and chain":        "SELECT * FROM t WHERE true" + and.String(),
		"or chain":         "SELECT * FROM t WHERE false" + or.String(),
		"wide case":        "SELECT CASE" + whens.String() + " ELSE 'other' END FROM t",
		"many unions":      "SELECT 0, 'row', 1" + unions.String(),
		"many joins":       "SELECT * FROM t0" + joins.String(),
		"wide select":      "SELECT 1" + targets.String() + " FROM t",
		"many ctes":        "WITH " + ctes.String() + "last AS (SELECT 1) SELECT * FROM last",
		"long literal":     "SELECT '" + ops + "' AS s",
		"long dollar body": "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1 " + ops + "$body$",
		"long comment":     "SELECT 1 /* " + ops + " */ + 2 -- " + ops,
	}
}

// TestBigShallowStatementsAccepted: the guard refuses none of the big
// statements that nest little (nor do they parse to an error of depth).
func TestBigShallowStatementsAccepted(t *testing.T) {
	refused := 0
	for name, text := range bigShallowStatements() {
		if len(text) < MaxNesting {
			t.Fatalf("%s: %d bytes, too short to be scanned", name, len(text))
		}
		if err := checkNesting(text, MaxNesting); err != nil {
			refused++
			t.Errorf("%s (%d bytes): %v", name, len(text), err)
		}
	}
	t.Logf("%d of %d big shallow statements refused", refused, len(bigShallowStatements()))
}

// cEntryPoints are the functions of pg_query_go that run libpg_query's
// recursive walkers over a parse tree (Scan does not).
var cEntryPoints = map[string]bool{"Parse": true, "ParseToJSON": true, "ParsePlPgSqlToJSON": true,
	"Deparse": true, "Normalize": true, "NormalizeUtility": true, "Fingerprint": true,
	"FingerprintToUInt64": true, "SplitWithParser": true, "IsUtilityStmt": true, "Summary": true}

// TestNoUnguardedParse: outside this package's parse.go, no Go file of the
// module (tests aside) calls libpg_query's parser but through Parse.
func TestNoUnguardedParse(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal("the module's root is not two levels up:", err)
	}
	guard := filepath.Join(root, "analysis", "pgsql", "parse.go")
	files := 0
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || path == guard {
			return nil
		}
		files++
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		names := map[string]bool{}
		for _, imp := range f.Imports {
			if strings.Trim(imp.Path.Value, `"`) != "github.com/pganalyze/pg_query_go/v6" {
				continue
			}
			name := "pg_query"
			if imp.Name != nil {
				name = imp.Name.Name
			}
			names[name] = true
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && names[id.Name] && cEntryPoints[sel.Sel.Name] {
				t.Errorf("%s: %s.%s bypasses pgsql.Parse's guard against statements that crash the parser", fset.Position(sel.Pos()), id.Name, sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("only %d Go files read under %s", files, root)
	}
}

// BenchmarkParseBulkInsert: what the guard adds to the parse of a
// statement long enough to be scanned (a 1,000-row insert, 44 KB).
func BenchmarkParseBulkInsert(b *testing.B) {
	rows := make([]string, 1000)
	for i := range rows {
		rows[i] = fmt.Sprintf("(%d, 'name %d', now() - interval '%d days', %d.5)", i, i, i%30, i)
	}
	text := "INSERT INTO t (a, b, c, d) VALUES " + strings.Join(rows, ", ")
	for _, c := range []struct {
		name  string
		parse func(string) (*pg_query.ParseResult, error)
	}{{"guarded", Parse}, {"unguarded", pg_query.Parse}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for range b.N {
				if _, err := c.parse(text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
