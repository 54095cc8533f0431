// Package yamlstrict checks a YAML document against the Go type it will be
// decoded into, and says what is wrong in the file's own terms: the key and
// its line, the keys that are allowed there, and the kind of value expected,
// never a Go type name.
//
//	var root yaml.Node
//	_ = yaml.Unmarshal(data, &root)
//	if err := yamlstrict.Check(&root, &cfg, "yaml"); err != nil { ... }
//
// It complements the decoder: yaml.Node.Decode has no KnownFields mode, and
// the decoder's own messages name Go types ("field acton not found in type
// gate.RuleSpec"). Run Check first; decode after it passes.
package yamlstrict

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Check walks node (a document or any node) against the type of v and
// returns every unknown key and every value of the wrong shape, joined. tag
// is the struct tag whose names apply ("yaml" or "json").
func Check(node *yaml.Node, v any, tag string) error {
	return CheckIn(node, v, tag, "")
}

// CheckIn is Check for a node found at path in a larger document
// ("masking"), so messages name the key as the file spells it.
func CheckIn(node *yaml.Node, v any, tag, path string) error {
	c := &checker{tag: tag}
	t := reflect.TypeOf(v)
	if node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return nil
		}
		node = node.Content[0]
	}
	c.walk(node, t, path)
	return errors.Join(c.errs...)
}

type checker struct {
	tag  string
	errs []error
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
	nodeType     = reflect.TypeOf(yaml.Node{})
)

func (c *checker) fail(n *yaml.Node, format string, a ...any) {
	c.errs = append(c.errs, fmt.Errorf("line %d: %s", n.Line, fmt.Sprintf(format, a...)))
}

func where(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + path
}

func (c *checker) walk(n *yaml.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if t == nodeType || t.Kind() == reflect.Interface {
		return
	}
	switch {
	case t == durationType:
		if n.Kind != yaml.ScalarNode {
			c.fail(n, "%s: expected a duration such as 30s or 5m", label(path))
			return
		}
		if _, err := time.ParseDuration(n.Value); err != nil {
			c.fail(n, "%s: %q is not a duration (write it as 30s, 5m or 1h)", label(path), n.Value)
		}
		return
	case t == timeType:
		if n.Kind != yaml.ScalarNode {
			c.fail(n, "%s: expected a timestamp such as 2026-01-02T15:04:05Z", label(path))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.fail(n, "%s: expected a mapping of keys (%s), got %s", label(path), strings.Join(keyNames(c.fields(t)), ", "), describe(n))
			return
		}
		fields := c.fields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				continue
			}
			f, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("unknown key %q %s", k.Value, where(path))
				if s := suggest(k.Value, keyNames(fields)); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				c.fail(k, "%s; allowed keys: %s", msg, strings.Join(keyNames(fields), ", "))
				continue
			}
			c.walk(val, f, join(path, k.Value))
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return // []byte takes a scalar
		}
		if n.Kind != yaml.SequenceNode {
			c.fail(n, "%s: expected a list, got %s", label(path), describe(n))
			return
		}
		for i, item := range n.Content {
			c.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.fail(n, "%s: expected a mapping, got %s", label(path), describe(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			c.walk(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))
		}
	case reflect.Bool:
		c.scalar(n, path, "true or false", func(v string) bool {
			var b bool
			return yaml.Unmarshal([]byte(v), &b) == nil
		})
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.scalar(n, path, "a whole number", func(v string) bool {
			var i int64
			return yaml.Unmarshal([]byte(v), &i) == nil
		})
	case reflect.Float32, reflect.Float64:
		c.scalar(n, path, "a number", func(v string) bool {
			var f float64
			return yaml.Unmarshal([]byte(v), &f) == nil
		})
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			c.fail(n, "%s: expected a single value, got %s", label(path), describe(n))
		}
	}
}

func (c *checker) scalar(n *yaml.Node, path, want string, ok func(string) bool) {
	if n.Kind != yaml.ScalarNode || !ok(n.Value) {
		c.fail(n, "%s: expected %s, got %s", label(path), want, describe(n))
	}
}

// fields maps every key a struct accepts to the field's type, following
// inline and embedded structs.
func (c *checker) fields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get(c.tag)
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if strings.Contains(opts, "inline") || (f.Anonymous && name == "" && ft.Kind() == reflect.Struct) {
			for k, v := range c.fields(ft) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			if c.tag == "json" {
				name = f.Name
			} else {
				name = strings.ToLower(f.Name)
			}
		}
		out[name] = f.Type
	}
	return out
}

func keyNames(m map[string]reflect.Type) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func label(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

// suggest returns the candidate closest to s when it is a likely typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

var goTypeInError = regexp.MustCompile(`(?: into| in type) [\[\]\*a-zA-Z0-9_.]+`)

// Humanize rewrites a YAML decoder error so it names no Go type: it is the
// fallback for what Check cannot see (syntax errors pass through as they are,
// with their line).
func Humanize(err error) string {
	if err == nil {
		return ""
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	return goTypeInError.ReplaceAllString(msg, "")
}

var syntaxLine = regexp.MustCompile(`^line (\d+): `)

// HumanizeSyntax is Humanize for a document that did not parse: the YAML
// parser reports a mis-indented line where the enclosing block began, a few
// lines early, so the first line below that point whose indentation matches
// no enclosing block is named as well.
func HumanizeSyntax(err error, data []byte) string {
	msg := Humanize(err)
	m := syntaxLine.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	var reported int
	fmt.Sscan(m[1], &reported)
	if bad := misindented(data, reported); bad > 0 && bad != reported {
		return fmt.Sprintf("line %d: indentation does not match the lines above it (the parser stopped at line %d: %s)",
			bad, reported, strings.TrimPrefix(msg, m[0]))
	}
	return msg
}

// misindented returns the first line at or after from whose indentation is
// deeper than a block opener allows, or returns to a level no enclosing block
// has; 0 when none is found within a few lines.
func misindented(data []byte, from int) int {
	lines := strings.Split(string(data), "\n")
	levels := []int{0}
	opens := false // the previous content line opens a block ("key:")
	scalar := -1   // indentation of a block scalar's key while inside one
	for i, line := range lines {
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		ind := len(line) - len(trimmed)
		if scalar >= 0 {
			if ind > scalar {
				continue
			}
			scalar = -1
		}
		top := levels[len(levels)-1]
		bad := false
		switch {
		case ind > top && opens:
			levels = append(levels, ind)
		case ind > top:
			bad = true
		case ind < top:
			for len(levels) > 1 && levels[len(levels)-1] > ind {
				levels = levels[:len(levels)-1]
			}
			bad = levels[len(levels)-1] != ind
		}
		if bad && i+1 >= from {
			if i+1-from <= 10 {
				return i + 1
			}
			return 0
		}
		content := strings.TrimSpace(stripComment(trimmed))
		if strings.HasPrefix(content, "- ") {
			// A list item's mapping continues two columns in.
			levels = append(levels, ind+2)
			content = strings.TrimSpace(content[2:])
		}
		opens = strings.HasSuffix(content, ":") || content == "-"
		if strings.HasSuffix(content, "|") || strings.HasSuffix(content, ">") ||
			strings.HasSuffix(content, "|-") || strings.HasSuffix(content, ">-") {
			scalar = ind
		}
	}
	return 0
}

func stripComment(s string) string {
	if i := strings.Index(s, " #"); i >= 0 {
		return s[:i]
	}
	return s
}
