package gate

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/airlock-sdk/airlock/internal/yamlstrict"
	"github.com/airlock-sdk/airlock/mask"
	"go.yaml.in/yaml/v3"
)

// RuleFile is the YAML form of a rule set:
//
//	default: deny
//	rules:
//	  - name: read-only-for-agents
//	    when: request.protocol == "postgres" && sql.statements.all(s, s.read_only)
//	    action: allow
//	  - name: mask-pii
//	    when: identity.groups.exists(g, g == "agents")
//	    mask: [credit_card, email, ssn]
type RuleFile struct {
	// Default is the action when no rule with an action matches (deny when unset).
	Default string `yaml:"default"`
	// Rules are evaluated in order; every matching rule contributes.
	Rules []RuleSpec `yaml:"rules"`
	// Masking configures custom detectors, field rules and strategies for the
	// mask package; it is kept as YAML for the masking engine to decode.
	Masking yaml.Node `yaml:"masking"`
	// Labels says which mask findings give a run a label (see Label):
	// `labels: {pii: {detectors: [email], fields: [customers.*]}}`.
	Labels map[string]LabelSource `yaml:"labels"`
}

// LabelSource names the mask findings that give a run one label: a value a
// detector masked, or a column a field rule masked, in a result the client
// received.
type LabelSource struct {
	// Detectors are detector names (email, credit_card, ...).
	Detectors []string `yaml:"detectors"`
	// Fields are columns ("customers.email"), or every column of a table
	// ("customers.*").
	Fields []string `yaml:"fields"`
}

// RuleSpec is one rule as written in a rule file.
type RuleSpec struct {
	Name string `yaml:"name"`
	// When is a CEL expression of type bool.
	When string `yaml:"when"`
	// Action is allow, deny or review; empty for rules that only mask.
	Action string `yaml:"action"`
	// Reason is shown to the client when this rule refuses.
	Reason string `yaml:"reason"`
	// Mask names detectors and field rules to apply to results.
	Mask []string `yaml:"mask"`
	// Mode is "enforce" (default) or "audit": an audit rule is evaluated and
	// its would-be outcome recorded, but it does not change the decision.
	Mode string `yaml:"mode"`
	// Review is the review policy of a rule with action review.
	Review *ReviewPolicy `yaml:"review"`
	// Labels are given to the session's run when this rule matches a
	// request that is then allowed: tag a table, a resource, a tool as
	// something a run that read it carries (see Label).
	Labels []string `yaml:"labels"`

	line     int // line of the rule in its file
	whenLine int // line of the when expression
}

// LoadRules reads and compiles a rule file.
func LoadRules(path string, opts ...RuleOption) (*RuleSet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	return ParseRules(path, data, opts...)
}

// ParseRules compiles the rule file held in data; name appears in errors.
func ParseRules(name string, data []byte, opts ...RuleOption) (*RuleSet, error) {
	// The node tree first: syntax errors, then every unknown key and
	// mistyped value, named by key and line (the masking section too, which
	// the decoder would otherwise take loosely).
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("rules: %s: %s", name, yamlstrict.HumanizeSyntax(err, data))
	}
	if err := yamlstrict.Check(&root, &RuleFile{}, "yaml"); err != nil {
		return nil, fileErrors(name, err)
	}
	var f RuleFile
	if err := root.Decode(&f); err != nil && root.Kind != 0 {
		return nil, fmt.Errorf("rules: %s: %s", name, yamlstrict.Humanize(err))
	}
	if f.Masking.Kind != 0 {
		if err := yamlstrict.CheckIn(&f.Masking, &mask.Config{}, "yaml", "masking"); err != nil {
			return nil, fileErrors(name, err)
		}
	}
	attachLines(&root, f.Rules)
	return compileRuleFile(name, data, &f, opts...)
}

// attachLines copies the line of each rule, and of its when key, from the
// YAML node tree onto the decoded specs.
func attachLines(root *yaml.Node, specs []RuleSpec) {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "rules" || m.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for j, item := range m.Content[i+1].Content {
			if j >= len(specs) {
				return
			}
			specs[j].line = item.Line
			specs[j].whenLine = item.Line
			for k := 0; k+1 < len(item.Content); k += 2 {
				if item.Content[k].Value == "when" {
					specs[j].whenLine = item.Content[k+1].Line
				}
			}
		}
	}
}

// fileErrors prefixes each of a joined list of errors with the file name, so
// every line of the message reads "rules: FILE: line N: ...".
func fileErrors(name string, err error) error { return fileErrorsAs("rules", name, err) }

func fileErrorsAs(what, name string, err error) error {
	var errs []error
	for _, line := range strings.Split(err.Error(), "\n") {
		errs = append(errs, fmt.Errorf("%s: %s: %s", what, name, line))
	}
	return errors.Join(errs...)
}
