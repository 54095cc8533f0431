package shell

import (
	"regexp"
	"strings"
)

// globRefs are curl's references in an output name (-o '#1') to the part
// a URL glob ({a,b}, [a-z]) matched: text chosen by the URL, judged as an
// expansion.
var globRefs = regexp.MustCompile(`#[0-9]`)

// outputOptionStartup reports the start-up path an output option names
// (-o FILE, -oFILE, --output FILE, --output=FILE, --outfile=..., -O FILE)
// on any command, a read-only one included: a program taken as only
// reading (base64, sort, a BSD tool whose -o writes) still writes the
// file an output option names, so that word counts as written whatever
// the program. Reading a start-up file (cat ~/.bashrc) is not affected.
// With clusters (a program not known to only read), a cluster of flags
// ending in o takes the next word too (curl -so FILE; ls -lo reads).
func (j *lineJudge) outputOptionStartup(args []string, dirs []string, clusters bool) (string, bool) {
	bad := func(w string) bool {
		return w != "" && (j.mayBeStartup(w) || homeAnchored(w, dirs) || j.writeTargetStartup(w, dirs))
	}
	for i, a := range args {
		if a == "--" {
			break
		}
		var v string
		switch {
		case a == "-o" || a == "-O" || strings.HasPrefix(a, "--out") && !strings.Contains(a, "="):
			if i+1 < len(args) {
				v = args[i+1]
			}
		case strings.HasPrefix(a, "--out"):
			_, v, _ = strings.Cut(a, "=")
		case strings.HasPrefix(a, "-o") && len(a) > 2:
			v = a[2:]
		}
		if bad(globRefs.ReplaceAllString(v, "$${GLOB}")) {
			return v, true
		}
		// A cluster of flags ending in o takes the next word (curl -so FILE).
		if clusters && len(a) > 2 && a[0] == '-' && a[1] != '-' && a[len(a)-1] == 'o' && i+1 < len(args) &&
			bad(globRefs.ReplaceAllString(args[i+1], "$${GLOB}")) {
			return args[i+1], true
		}
	}
	return "", false
}

// onlyMatchingO are the grep family, whose -o is --only-matching (a flag
// taking no value: grep -o .bashrc ~/.profile reads) and which write no
// file by any option.
var onlyMatchingO = map[string]bool{"grep": true, "egrep": true, "fgrep": true, "rg": true, "zgrep": true,
	"zegrep": true, "zfgrep": true, "bzgrep": true, "xzgrep": true, "lzgrep": true, "zstdgrep": true,
	"ag": true, "ack": true, "pcregrep": true, "pcre2grep": true}
