package shell

import "strings"

// More extractors whose names come from data (see startupdata.go):
// uudecode (the name in its input's begin line, absolute or not, unless
// -o), pax -r (absolute names kept; pax -rw copies a tree into its last
// operand), dpkg -x and dpkg-deb -x/-X/-R (into their last operand), jar x
// (into the working directory), unar (into -o DIR or the working
// directory) and unrar x/e (into a last operand ending in /, or the
// working directory).

// moreDataDests returns the directories prog writes data-chosen names
// into, for the programs above.
func moreDataDests(prog string, args []string) []string {
	ops, opts := splitOperands(args)
	last := func() []string {
		if len(ops) < 2 {
			return []string{""}
		}
		return []string{ops[len(ops)-1]}
	}
	switch prog {
	case "uudecode":
		if hasOpt(opts, 'o', "--output-file") {
			return nil
		}
		return []string{"/"}
	case "pax":
		if !hasOpt(opts, 'r', "") {
			return nil
		}
		if hasOpt(opts, 'w', "") {
			return last()
		}
		return []string{"/"}
	case "dpkg":
		if hasOpt(opts, 'x', "--extract") {
			return last()
		}
	case "dpkg-deb":
		if hasOpt(opts, 'x', "--extract") || hasOpt(opts, 'X', "--vextract") || hasOpt(opts, 'R', "--raw-extract") {
			return last()
		}
	case "jar":
		if len(args) > 0 && (strings.ContainsRune(strings.TrimPrefix(args[0], "-"), 'x') && !strings.HasPrefix(args[0], "--") ||
			hasOpt(opts, 0, "--extract")) {
			return []string{"."}
		}
	case "unar":
		for i, a := range args {
			if (a == "-o" || a == "--output-directory") && i+1 < len(args) {
				return []string{args[i+1]}
			}
			if v, ok := strings.CutPrefix(a, "--output-directory="); ok {
				return []string{v}
			}
		}
		return []string{"."}
	case "unrar":
		if len(ops) == 0 || ops[0] != "x" && ops[0] != "e" {
			return nil
		}
		if d := ops[len(ops)-1]; len(ops) > 2 && strings.HasSuffix(d, "/") {
			return []string{d}
		}
		return []string{"."}
	}
	return nil
}

// splitOperands parts args into operands and options ("--" ends options).
func splitOperands(args []string) (ops, opts []string) {
	for i, a := range args {
		switch {
		case a == "--":
			return append(ops, args[i+1:]...), opts
		case len(a) > 1 && a[0] == '-':
			opts = append(opts, a)
		default:
			ops = append(ops, a)
		}
	}
	return ops, opts
}

// hasOpt reports whether opts hold the short letter (alone or in a
// cluster) or the long option (or long= its value).
func hasOpt(opts []string, letter byte, long string) bool {
	for _, o := range opts {
		if long != "" && (o == long || strings.HasPrefix(o, long+"=")) {
			return true
		}
		if letter != 0 && !strings.HasPrefix(o, "--") && strings.IndexByte(o[1:], letter) >= 0 {
			return true
		}
	}
	return false
}
