package mask

import (
	"fmt"
	"path"
	"strings"
)

// fieldRule is a compiled FieldRule.
type fieldRule struct {
	name    string
	columns []string // lower-case globs
	headers []string
	paths   []jsonPath
	raw     []string // the JSON paths as written, for findings
}

func compileFieldRule(fr FieldRule) (*fieldRule, error) {
	f := &fieldRule{name: fr.Name}
	if len(fr.Columns)+len(fr.JSONPaths)+len(fr.Headers) == 0 {
		return nil, fmt.Errorf("needs at least one of columns, json_paths, headers")
	}
	for _, c := range fr.Columns {
		g := strings.ToLower(strings.TrimSpace(c))
		if g == "" {
			return nil, fmt.Errorf("empty column glob")
		}
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("column glob %q: %w", c, err)
		}
		f.columns = append(f.columns, g)
	}
	for _, h := range fr.Headers {
		h = strings.TrimSpace(h)
		if h == "" || strings.ContainsAny(h, " \t:\r\n") {
			return nil, fmt.Errorf("header name %q is not valid", h)
		}
		f.headers = append(f.headers, h)
	}
	for _, jp := range fr.JSONPaths {
		p, err := parseJSONPath(jp)
		if err != nil {
			return nil, fmt.Errorf("json path %q: %w", jp, err)
		}
		f.paths = append(f.paths, p)
		f.raw = append(f.raw, jp)
	}
	return f, nil
}

// matchField matches a "table.column" (or bare column) against the column
// globs, and a header name against the headers.
func (f *fieldRule) matchField(field string) bool {
	for _, h := range f.headers {
		if strings.EqualFold(h, field) {
			return true
		}
	}
	if len(f.columns) == 0 {
		return false
	}
	lf := strings.ToLower(field)
	col := lf
	if i := strings.LastIndexByte(lf, '.'); i >= 0 {
		col = lf[i+1:]
	}
	for _, g := range f.columns {
		target := lf
		if !strings.Contains(g, ".") {
			target = col
		}
		if ok, _ := path.Match(g, target); ok {
			return true
		}
	}
	return false
}

// matchPath reports whether a concrete JSON path matches one of the rule's
// JSON paths, and which one as written.
func (f *fieldRule) matchPath(p []pathElem) (string, bool) {
	for i, jp := range f.paths {
		if jp.match(p) {
			return f.raw[i], true
		}
	}
	return "", false
}
