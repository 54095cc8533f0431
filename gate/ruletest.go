package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/airlock-sdk/airlock/internal/yamlstrict"
	"go.yaml.in/yaml/v3"
)

// RuleCase is one test case of a rule file: a request and the decision the
// rules must reach for it. Rule files are code, so they get tests:
//
//	cases:
//	  - name: agents may read
//	    identity: {subject: agent-1, groups: [agents], kind: agent}
//	    request:
//	      protocol: postgres
//	      command: SELECT * FROM customers
//	      sql: {statements: [{kind: SELECT, read_only: true}]}
//	    expect: {action: allow, rules: [read-only-for-agents], mask: [email]}
type RuleCase struct {
	Name     string   `json:"name"`
	Identity Identity `json:"identity"`
	Session  struct {
		ID     string `json:"id"`
		Target string `json:"target"`
	} `json:"session"`
	// Request is the request; its protocol attributes use the same names as
	// in rules (sql.statements, tool.args, ...).
	Request Request `json:"request"`
	Expect  struct {
		// Action is required: allow, deny or review.
		Action Action `json:"action"`
		// Rule, when set, is the rule that must decide.
		Rule string `json:"rule"`
		// Rules, when set, must all be among the matching rules.
		Rules []string `json:"rules"`
		// Mask, when set, must equal the mask directives (in any order).
		Mask []string `json:"mask"`
	} `json:"expect"`
}

// CaseResult is the outcome of one RuleCase.
type CaseResult struct {
	Case     RuleCase
	Decision *Decision
	// Failures says what did not match; empty when the case passed.
	Failures []string
}

// Passed reports whether the case's expectations held.
func (r CaseResult) Passed() bool { return len(r.Failures) == 0 }

// ParseRuleCases reads a YAML file of the form `cases: [RuleCase...]`.
func ParseRuleCases(name string, data []byte) ([]RuleCase, error) {
	var doc struct {
		Cases []yaml.Node `yaml:"cases"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("cases: %s: %s", name, yamlstrict.Humanize(err))
	}
	out := make([]RuleCase, 0, len(doc.Cases))
	for i, n := range doc.Cases {
		if err := yamlstrict.CheckIn(&n, &RuleCase{}, "json", fmt.Sprintf("cases[%d]", i)); err != nil {
			return nil, fileErrorsAs("cases", name, err)
		}
		// YAML -> generic value -> JSON, so the JSON names of the request
		// model (snake_case, as rules see them) apply.
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("cases: %s:%d: case %d: %w", name, n.Line, i+1, err)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("cases: %s:%d: case %d: %w", name, n.Line, i+1, err)
		}
		var c RuleCase
		jd := json.NewDecoder(bytes.NewReader(raw))
		jd.DisallowUnknownFields()
		if err := jd.Decode(&c); err != nil {
			return nil, fmt.Errorf("cases: %s:%d: case %d: %w", name, n.Line, i+1, err)
		}
		if c.Name == "" {
			c.Name = fmt.Sprintf("case %d (line %d)", i+1, n.Line)
		}
		if _, err := ParseAction(string(c.Expect.Action)); err != nil {
			return nil, fmt.Errorf("cases: %s:%d: %s: expect.action: %w", name, n.Line, c.Name, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// RunCases decides every case with the rule set and compares the outcome
// with the case's expectations.
func (rs *RuleSet) RunCases(ctx context.Context, cases []RuleCase) []CaseResult {
	results := make([]CaseResult, 0, len(cases))
	for _, c := range cases {
		req := c.Request
		if req.Protocol == "" {
			req.Protocol = protocolOf(&req)
		}
		if req.Time.IsZero() {
			req.Time = time.Now().UTC()
		}
		req.Session = &Session{ID: c.Session.ID, Protocol: req.Protocol, Target: c.Session.Target, Identity: c.Identity}
		d := rs.Decide(ctx, &req)
		r := CaseResult{Case: c, Decision: d}
		if d.Action != c.Expect.Action {
			r.Failures = append(r.Failures, fmt.Sprintf("action: got %s (rule %s), want %s", d.Action, d.Rule, c.Expect.Action))
		}
		if c.Expect.Rule != "" && d.Rule != c.Expect.Rule {
			r.Failures = append(r.Failures, fmt.Sprintf("deciding rule: got %s, want %s", d.Rule, c.Expect.Rule))
		}
		for _, want := range c.Expect.Rules {
			if !slices.Contains(d.Rules, want) {
				r.Failures = append(r.Failures, fmt.Sprintf("rule %s did not match (matched: %s)", want, strings.Join(d.Rules, ", ")))
			}
		}
		if c.Expect.Mask != nil {
			got, want := slices.Clone(d.Mask), slices.Clone(c.Expect.Mask)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				r.Failures = append(r.Failures, fmt.Sprintf("mask: got [%s], want [%s]", strings.Join(got, ", "), strings.Join(want, ", ")))
			}
		}
		for _, e := range d.Errors {
			if c.Expect.Action != Deny {
				r.Failures = append(r.Failures, "evaluation error: "+e)
			}
		}
		results = append(results, r)
	}
	return results
}

func protocolOf(r *Request) string {
	switch {
	case r.SQL != nil:
		return ProtocolPostgres
	case r.SSH != nil:
		return ProtocolSSH
	case r.HTTP != nil:
		return ProtocolHTTP
	case r.Tool != nil:
		return ProtocolTool
	}
	return ""
}
