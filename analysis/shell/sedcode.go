package shell

import "strings"

// GNU sed runs shell commands from its script: the e command runs its
// argument, or the pattern space (the input's data) when it has none,
// and the s///e flag runs the result of the substitution. So
// echo 'cp x ~/.bashrc' | sed e runs a command the gate never sees. A
// sed whose script is not one the read-only check accepts (other than for
// -i, which only edits the named files) and holds an e (or a word only
// known at run time) is taken as running unseen code.

// sedRunsCode reports whether sed with args may run commands or write
// files its script names: its script, in-place editing left out, is not
// read-only.
func sedRunsCode(args []string) bool {
	var kept []string
	for _, a := range args {
		if a == "--" {
			kept = append(kept, a)
			continue
		}
		if strings.HasPrefix(a, "--") {
			name, _, _ := strings.Cut(a, "=")
			if len(name) > 2 && strings.HasPrefix("--in-place", name) {
				continue
			}
			kept = append(kept, a)
			continue
		}
		if len(a) > 1 && a[0] == '-' {
			// -i takes the rest of its cluster as a backup suffix
			// (-ni.bak); e, f and l take theirs as a value.
			if k := strings.IndexAny(a[1:], "iefl"); k >= 0 && a[1+k] == 'i' {
				a = a[:1+k]
				if a == "-" {
					continue
				}
			}
		}
		kept = append(kept, a)
	}
	return !sedReadOnly(kept) && sedMayExecute(kept)
}

// sedMayExecute reports whether a script or operand of sed (options but
// -e and --expression left out) holds an e, the letter of the command and
// the flag, or is only known at run time: without one, a script the
// read-only check refuses writes (w) or reads (r) files but runs nothing.
func sedMayExecute(args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--expression" || a == "-e":
			i++
			if i < len(args) && strings.ContainsAny(args[i], "e"+wildcards) {
				return true
			}
		case strings.HasPrefix(a, "--expression="):
			if strings.ContainsAny(a[len("--expression="):], "e"+wildcards) {
				return true
			}
		case strings.HasPrefix(a, "--"):
			if strings.ContainsAny(a, wildcards) {
				return true
			}
		case len(a) > 1 && a[0] == '-':
			if k := strings.IndexAny(a[1:], "efl"); k >= 0 && a[1+k] == 'e' {
				v := a[2+k:]
				if v == "" && i+1 < len(args) {
					i++
					v = args[i]
				}
				if strings.ContainsAny(v, "e"+wildcards) {
					return true
				}
			} else if strings.ContainsAny(a, wildcards) {
				return true
			}
		default:
			if strings.ContainsAny(a, "e"+wildcards) {
				return true
			}
		}
	}
	return false
}
