package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// cmdRules runs `airlock rules check FILE` and `airlock rules test FILE CASES`.
func cmdRules(args []string, stdout, stderr io.Writer) int {
	const use = "usage: airlock rules check RULES.yaml\n       airlock rules test RULES.yaml CASES.yaml [-v]"
	if len(args) == 0 {
		fmt.Fprintln(stderr, use)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, use)
		return 0
	}
	switch args[0] {
	case "check":
		if len(args) != 2 {
			fmt.Fprintln(stderr, use)
			return 2
		}
		return rulesCheck(args[1], stdout, stderr)
	case "test":
		fs := flag.NewFlagSet("rules test", flag.ContinueOnError)
		fs.SetOutput(stderr)
		verbose := fs.Bool("v", false, "print every case, not only failures")
		rest := args[1:]
		var files []string
		for len(rest) > 0 {
			if err := fs.Parse(rest); err != nil {
				return 2
			}
			rest = fs.Args()
			if len(rest) > 0 {
				files = append(files, rest[0])
				rest = rest[1:]
			}
		}
		if len(files) != 2 {
			fmt.Fprintln(stderr, use)
			return 2
		}
		return rulesTest(files[0], files[1], *verbose, stdout, stderr)
	}
	fmt.Fprintf(stderr, "airlock rules: unknown subcommand %q\n%s\n", args[0], use)
	return 2
}

func rulesCheck(path string, stdout, stderr io.Writer) int {
	rs, err := gate.LoadRules(path)
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

func rulesTest(rulesPath, casesPath string, verbose bool, stdout, stderr io.Writer) int {
	rs, err := gate.LoadRules(rulesPath)
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
	results := rs.RunCases(context.Background(), cases)
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
