package shell

import (
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// split and csplit write files named by a prefix and a suffix they make
// up: split FILE ~/.bash writes ~/.bashaa, ~/.bashab, ... and, at the
// 472nd piece, ~/.bashrc; split -a 1 --additional-suffix=c FILE ~/.bash
// the 18th piece ~/.bashrc; split FILE ~/.ssh/ writes ~/.ssh/rc. Without
// a prefix they write xaa... (split) or xx00... (csplit) in the working
// directory, a drop-in directory's files (~/.bashrc.d) if it is one. So
// each word of theirs counts as any name it starts (WORD*) and as its
// first piece (WORDaa, WORD00), and the default first pieces count too.

// prefixWriters are the programs that name their outputs PREFIX+suffix.
var prefixWriters = map[string]bool{"split": true, "csplit": true, "gsplit": true, "gcsplit": true}

// prefixOutputStartup reports a word of c, a prefixWriters program run in
// one of dirs, that may start the name of a start-up file it writes.
func (j *lineJudge) prefixOutputStartup(c gate.SSHCommand, dirs []string) (string, bool) {
	suffix := prefixWriterSuffix(c.Program, c.Args)
	words := append([]string{"xaa", "x00", "xx00"}, c.Args...)
	for _, a := range words {
		if strings.HasPrefix(a, "-") && !strings.Contains(a, "=") && len(a) > 2 && a[1] != '-' {
			a = a[2:] // an attached value: -f~/.bash
		}
		for _, w := range []string{a + "*" + suffix, a + "aa" + suffix, a + "00" + suffix} {
			if j.mayBeStartup(w) || homeAnchored(w, dirs) {
				return a, true
			}
		}
	}
	return "", false
}

// prefixWriterSuffix is the end of every output name: split's
// --additional-suffix, csplit's -b/--suffix-format with its conversion
// (%02d) as *; "" when none is given.
func prefixWriterSuffix(prog string, args []string) string {
	csplit := strings.HasSuffix(prog, "csplit")
	v := ""
	for i, a := range args {
		switch {
		case (a == "--additional-suffix" || a == "--suffix-format" || csplit && a == "-b") && i+1 < len(args):
			v = args[i+1]
		case strings.HasPrefix(a, "--additional-suffix=") || strings.HasPrefix(a, "--suffix-format="):
			v = a[strings.IndexByte(a, '=')+1:]
		case csplit && strings.HasPrefix(a, "-b") && len(a) > 2:
			v = a[2:]
		}
	}
	if k := strings.LastIndexByte(v, '%'); k >= 0 {
		v = "*" + v[k+1:]
		if e := strings.IndexAny(v, "diouxX"); e >= 0 {
			v = "*" + v[e+1:]
		}
	}
	return v
}
