package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

const rulesUsage = `usage: airlock rules check [--hash-key FILE] RULES.yaml
       airlock rules test [-v] [--hash-key FILE] RULES.yaml CASES.yaml

check compiles and type-checks a rule file (CEL expressions, the masking
section, review policies) and lists its rules with their cost bounds.

test decides every case of CASES.yaml with the rules and compares the
outcome with the case's expectation. A case's command is turned into the
request the gateway would build from it: SQL through the gateway's SQL
classifier (protocol: postgres), a shell command line through its shell
parser (protocol: ssh), "METHOD /path?query" into an HTTP request (protocol:
http). Attributes written in the case (sql:, ssh:, http:) are used as
written instead. A command the gateway could not parse is refused before the
rules, so its case passes only when it expects deny.

  cases:
    - name: agents may read
      identity: {subject: agent-1, groups: [agents], kind: agent}
      request: {protocol: postgres, command: SELECT email FROM customers}
      expect: {action: allow, rule: read-only-for-agents, mask: [email]}
    - name: drops are refused
      identity: {subject: agent-1, groups: [agents], kind: agent}
      request: {protocol: postgres, command: DROP TABLE customers}
      expect: {action: deny, rule: no-destructive-ddl}

flags:`

// cmdRules runs `airlock rules check FILE` and `airlock rules test FILE CASES`.
func cmdRules(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, rulesUsage)
		return 2
	}
	sub, rest := args[0], args[1:]
	if sub == "-h" || sub == "--help" || sub == "help" {
		fmt.Fprintln(stdout, rulesUsage)
		return 0
	}
	if sub != "check" && sub != "test" {
		fmt.Fprintf(stderr, "airlock rules: unknown subcommand %q\n%s\n", sub, rulesUsage)
		return 2
	}
	fs := newFlagSet("rules "+sub, stderr)
	verbose := fs.Bool("v", false, "test: print every case, not only failures")
	hashKey := fs.String("hash-key", "", "key file of the hash masking strategy (as rules.mask_hash_key_file); without it a rule file that uses hash is checked with a throwaway key")
	pos, code := parseFlags(fs, rest, rulesUsage, stdout, stderr)
	if code >= 0 {
		return code
	}
	opts, err := hashKeyOption(*hashKey)
	if err != nil {
		fmt.Fprintln(stderr, "airlock rules:", err)
		return 1
	}
	switch {
	case sub == "check" && len(pos) == 1:
		return rulesCheck(pos[0], opts, stdout, stderr)
	case sub == "test" && len(pos) == 2:
		return rulesTest(pos[0], pos[1], opts, *verbose, stdout, stderr)
	}
	fmt.Fprintln(stderr, rulesUsage)
	return 2
}

// hashKeyOption reads the mask hash key, or makes a throwaway one: checking
// a rule file needs a key to exist, not to be the production one.
func hashKeyOption(path string) ([]gate.RuleOption, error) {
	if path == "" {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		return []gate.RuleOption{gate.WithMaskHashKey(key)}, nil
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--hash-key: %w", err)
	}
	return []gate.RuleOption{gate.WithMaskHashKey(key)}, nil
}

func rulesCheck(path string, opts []gate.RuleOption, stdout, stderr io.Writer) int {
	rs, err := gate.LoadRules(path, opts...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %d rules, default %s, version %s\n", path, len(rs.Info()), rs.Default(), rs.Version())
	for _, r := range rs.Info() {
		what := r.Spec.Action
		if what == "" {
			what = "mask"
		}
		if r.Spec.Mode == "audit" {
			what += " (audit)"
		}
		protos := "any protocol"
		if r.Protocols != nil {
			protos = strings.Join(r.Protocols, ",")
		}
		fmt.Fprintf(stdout, "  %-28s %-14s %-14s cost %d..%d\n", r.Spec.Name, what, protos, r.CostMin, r.CostMax)
	}
	return 0
}

func rulesTest(rulesPath, casesPath string, opts []gate.RuleOption, verbose bool, stdout, stderr io.Writer) int {
	rs, err := gate.LoadRules(rulesPath, opts...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	data, err := os.ReadFile(casesPath)
	if err != nil {
		fmt.Fprintln(stderr, "airlock rules test:", err)
		return 1
	}
	cases, err := gate.ParseRuleCases(casesPath, data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, c := range cases {
		r := c.Request
		if r.Command != "" && r.Protocol == "" && r.SQL == nil && r.SSH == nil && r.HTTP == nil && r.Tool == nil {
			fmt.Fprintf(stderr, "airlock rules test: %s: case %q has a command but no request.protocol (postgres, ssh, http, tool or mcp)\n", casesPath, c.Name)
			return 1
		}
	}
	results := decideCases(context.Background(), rs, cases)
	failed := 0
	for _, r := range results {
		if r.Passed() {
			if verbose {
				fmt.Fprintf(stdout, "PASS %s (%s by %s)\n", r.Case.Name, r.Decision.Action, r.Decision.Rule)
			}
			continue
		}
		failed++
		fmt.Fprintf(stdout, "FAIL %s\n", r.Case.Name)
		for _, f := range r.Failures {
			fmt.Fprintf(stdout, "     %s\n", f)
		}
	}
	fmt.Fprintf(stdout, "%d cases: %d passed, %d failed\n", len(results), len(results)-failed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}
