package gate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/mask"
)

// labelSources maps mask findings to the labels they give a run; compiled
// from the rule file's `labels:` section.
type labelSources struct {
	detectors map[string][]string // detector -> labels
	fields    map[string][]string // "table.column" -> labels
	tables    map[string][]string // "table" (from "table.*") -> labels
}

// compileLabelSources compiles the rule file's labels; a detector may be
// named as the masking engine knows it: a detector, an alias, a group (pii,
// secrets) or a field rule.
func compileLabelSources(spec map[string]LabelSource, engine *mask.Engine) (labelSources, error) {
	ls := labelSources{detectors: map[string][]string{}, fields: map[string][]string{}, tables: map[string][]string{}}
	for name, src := range spec {
		if err := checkLabelName(name); err != nil {
			return ls, err
		}
		if len(src.Detectors) == 0 && len(src.Fields) == 0 {
			return ls, fmt.Errorf("label %q: names no detector and no field", name)
		}
		for _, d := range src.Detectors {
			if !engine.Has(d) {
				return ls, fmt.Errorf("label %q: unknown detector or field rule %q", name, d)
			}
			expanded := []string{d}
			if p, err := engine.Policy([]string{d}); err == nil {
				expanded = append(expanded, p.Detectors()...)
			}
			for _, x := range expanded {
				ls.detectors[x] = appendNew(ls.detectors[x], name)
			}
		}
		for _, f := range src.Fields {
			f = strings.ToLower(strings.TrimSpace(f))
			table, col, ok := strings.Cut(f, ".")
			if !ok || table == "" || col == "" {
				return ls, fmt.Errorf("label %q: field %q: want table.column or table.*", name, f)
			}
			if col == "*" {
				ls.tables[table] = appendNew(ls.tables[table], name)
			} else {
				ls.fields[f] = appendNew(ls.fields[f], name)
			}
		}
	}
	return ls, nil
}

// of returns the labels findings give, each with the source that gave it.
func (ls labelSources) of(findings []Finding) []Label {
	var out []Label
	add := func(names []string, source string) {
		for _, n := range names {
			if !slices.ContainsFunc(out, func(l Label) bool { return l.Name == n }) {
				out = append(out, Label{Name: n, Source: source})
			}
		}
	}
	for _, f := range findings {
		if f.Count <= 0 {
			continue
		}
		add(ls.detectors[f.Detector], "detector:"+f.Detector)
		if f.Field == "" {
			continue
		}
		field := strings.ToLower(f.Field)
		add(ls.fields[field], "field:"+field)
		if table, _, ok := strings.Cut(field, "."); ok {
			add(ls.tables[table], "field:"+field)
		}
	}
	return out
}

func (ls labelSources) empty() bool {
	return len(ls.detectors) == 0 && len(ls.fields) == 0 && len(ls.tables) == 0
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// checkLabelName accepts lower-case identifiers: they are map keys in rules
// ("pii" in run.labels) and names in the record.
func checkLabelName(name string) error {
	if name == "" || len(name) > 64 {
		return errors.New("a label name is 1 to 64 characters")
	}
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c == '_' || c == '-' || (i > 0 && c >= '0' && c <= '9')) {
			return fmt.Errorf("label %q: use lower-case letters, digits, _ and -", name)
		}
	}
	return nil
}
