package yamlstrict

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

type rule struct {
	Name   string   `yaml:"name"`
	Action string   `yaml:"action"`
	Mask   []string `yaml:"mask"`
}

type file struct {
	Default string        `yaml:"default"`
	Rules   []rule        `yaml:"rules"`
	Reload  time.Duration `yaml:"reload"`
	Limit   int           `yaml:"limit"`
	On      *bool         `yaml:"on"`
	Extra   yaml.Node     `yaml:"extra"`
	Tags    map[string]rule
}

func check(t *testing.T, doc string) string {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatal(err)
	}
	err := Check(&root, &file{}, "yaml")
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestCheckNamesKeyLineAndNoGoType(t *testing.T) {
	cases := []struct{ doc, want string }{
		{"rules:\n  - name: a\n    acton: allow\n", `line 3: unknown key "acton" in rules[0] (did you mean "action"?); allowed keys: action, mask, name`},
		{"defualt: deny\n", `line 1: unknown key "defualt" at the top level (did you mean "default"?)`},
		{"reload: soon\n", `line 1: reload: "soon" is not a duration`},
		{"limit: many\n", `line 1: limit: expected a whole number, got "many"`},
		{"on: maybe\n", `line 1: on: expected true or false, got "maybe"`},
		{"rules: {name: a}\n", `line 1: rules: expected a list, got a mapping`},
		{"rules:\n  - name: [a]\n", `line 2: rules[0].name: expected a single value, got a list`},
		{"tags:\n  x: {nme: a}\n", `line 2: unknown key "nme" in tags.x (did you mean "name"?)`},
	}
	for _, c := range cases {
		got := check(t, c.doc)
		if !strings.Contains(got, c.want) {
			t.Errorf("%q:\n got  %s\n want %s", c.doc, got, c.want)
		}
		if strings.Contains(got, "yamlstrict.") || strings.Contains(got, "time.Duration") {
			t.Errorf("%q: error names a Go type: %s", c.doc, got)
		}
	}
}

func TestCheckAcceptsValidAndOpaqueNodes(t *testing.T) {
	doc := "default: deny\nreload: 2s\nlimit: 3\non: true\nextra: {anything: [1, 2]}\nrules:\n  - {name: a, action: allow, mask: [email]}\ntags: {x: {name: b}}\n"
	if got := check(t, doc); got != "" {
		t.Fatalf("valid document rejected: %s", got)
	}
}

func TestCheckReportsEveryProblem(t *testing.T) {
	got := check(t, "defualt: deny\nrules:\n  - nme: a\n  - name: b\n    mask: email\n")
	for _, want := range []string{"line 1:", "line 3:", "line 5:"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in %s", want, got)
		}
	}
}

func TestHumanizeDropsGoTypes(t *testing.T) {
	var v struct {
		N int `yaml:"n"`
	}
	err := yaml.Unmarshal([]byte("n: abc\n"), &v)
	got := Humanize(err)
	if strings.Contains(got, " int") || !strings.Contains(got, "line 1") {
		t.Fatalf("Humanize(%v) = %q", err, got)
	}
}

func TestHumanizeSyntaxNamesTheMisindentedLine(t *testing.T) {
	doc := "record:\n  file:\n    path: /tmp/x\n   group_commit: 5ms\n    max_size: 10\nother: 1\n"
	var root yaml.Node
	err := yaml.Unmarshal([]byte(doc), &root)
	if err == nil {
		t.Fatal("document parsed")
	}
	got := HumanizeSyntax(err, []byte(doc))
	if !strings.HasPrefix(got, "line 4: indentation") {
		t.Fatalf("HumanizeSyntax = %q, want the error at line 4", got)
	}
	// Well-indented documents with lists, block scalars and comments leave
	// the parser's own message alone.
	ok := "rules:\n  - name: a\n    when: |\n      x\n        y\n    action: allow # c\n  - name: b\n"
	if l := misindented([]byte(ok), 1); l != 0 {
		t.Fatalf("misindented(valid) = %d", l)
	}
}
