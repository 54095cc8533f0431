package shell

import (
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"mvdan.cc/sh/v3/syntax"
)

// A listing in sorted order tells where a masked name sorts among the
// names beside it: with a decoy the client made (touch /srv/in/alh), ls
// /srv/in prints alh before or after the masked name as alh sorts before
// or after it, and a binary search over decoys spells the name out a
// character at a time, through anything that shows the order (ls | head
// -n 1, the order cat prints the files in, ties of ls -t or -S broken by
// name). So under masking, what lists names in an order taken from the
// names is refused: ls and dir unless unsorted (-U, -f, --sort=none) or
// listing only the operands the client wrote (-d, but not over the {}
// of find -exec), tree unless -U, and
// every glob, * and .* too (the shell sorts what a glob matches). Orders
// not taken from the names pass: ls -U, find and du -a list a directory
// as the file system holds it.

// nameOrder reports the first part of s that lists names sorted (see
// above), its line parsed (nil: it does not parse).
func nameOrder(s *gate.SSH, f *syntax.File) (string, bool) {
	for i := range s.Commands {
		c := &s.Commands[i]
		prog := c.Program
		if j := strings.LastIndexByte(prog, '/'); j >= 0 {
			prog = prog[j+1:]
		}
		switch prog {
		case "ls", "dir":
			if !lsUnsorted(c.Args) {
				return prog + ", which lists names in their sorted order (list them unsorted: ls -U)", true
			}
		case "tree":
			if !treeUnsorted(c.Args) {
				return "tree, which lists names in their sorted order (list them unsorted: tree -U)", true
			}
		}
	}
	return anyGlobIn(f)
}

// lsLong are GNU ls's long options, each with whether it takes a value
// (in the same word after =, or the next word).
var lsLong = map[string]bool{
	"--all": false, "--almost-all": false, "--author": false, "--escape": false, "--block-size": true,
	"--ignore-backups": false, "--color": false, "--directory": false, "--dired": false, "--classify": false,
	"--file-type": false, "--format": true, "--full-time": false, "--group-directories-first": false,
	"--no-group": false, "--human-readable": false, "--si": false, "--dereference-command-line": false,
	"--dereference-command-line-symlink-to-dir": false, "--hide": true, "--hyperlink": false,
	"--indicator-style": true, "--inode": false, "--ignore": true, "--kibibytes": false, "--dereference": false,
	"--literal": false, "--numeric-uid-gid": false, "--hide-control-chars": false, "--show-control-chars": false,
	"--quote-name": false, "--quoting-style": true, "--reverse": false, "--recursive": false, "--size": false,
	"--sort": true, "--time": true, "--time-style": true, "--tabsize": true, "--width": true, "--context": false,
	"--zero": false, "--help": false, "--version": false,
}

// lsValueLetters are ls's short options that take a value.
const lsValueLetters = "ITw"

// lsUnsorted reports whether ls with args shows no order taken from
// names it found: its last sort option is -U, -f or --sort=none, or -d
// has it list the operands themselves (sorted, but they are the client's
// own words; a glob among them is refused on its own). Options are read
// as getopt reads them (bundles, attached values, unambiguous long
// prefixes); one it cannot read counts as sorting.
func lsUnsorted(args []string) bool {
	sorted, operandsOnly := true, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		switch {
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a, "=")
			long, ok := resolveLong(name, lsLong)
			if !ok {
				return false
			}
			if lsLong[long] && !hasValue {
				if i+1 >= len(args) {
					return false
				}
				i++
				value = args[i]
			}
			switch long {
			case "--sort":
				sorted = value == "" || !strings.HasPrefix("none", value)
			case "--time":
				sorted = true
			case "--directory":
				operandsOnly = true
			}
		case len(a) > 1 && a[0] == '-':
		letters:
			for j := 1; j < len(a); j++ {
				switch c := a[j]; {
				case c == 'U' || c == 'f':
					sorted = false
				case strings.IndexByte("tSvXcu", c) >= 0:
					sorted = true
				case c == 'd':
					operandsOnly = true
				case strings.IndexByte(lsValueLetters, c) >= 0:
					if j == len(a)-1 {
						i++ // the value is the next word
					}
					break letters
				}
			}
		}
	}
	if operandsOnly && slices.ContainsFunc(args, func(a string) bool { return strings.Contains(a, "{}") }) {
		operandsOnly = false // find -exec ls -d {} +: the operands are names find found
	}
	return !sorted || operandsOnly
}

// resolveLong returns the long option of opts that name spells, exactly
// or as the unambiguous prefix getopt_long takes.
func resolveLong(name string, opts map[string]bool) (string, bool) {
	if _, ok := opts[name]; ok {
		return name, true
	}
	found := ""
	for o := range opts {
		if strings.HasPrefix(o, name) {
			if found != "" {
				return "", false
			}
			found = o
		}
	}
	return found, found != "" && len(name) > 2
}

// treeValueLetters are tree's short options that take the next word as
// their value.
const treeValueLetters = "LPIHTo"

// treeUnsorted reports whether tree with args lists names unsorted: -U,
// and no option that sorts (-v, -t, -c, -r, --sort, --dirsfirst,
// --filesfirst). A long option other than those counts as sorting unless
// it is one of the few that do not.
func treeUnsorted(args []string) bool {
	unsorted := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		switch {
		case strings.HasPrefix(a, "--"):
			name, _, _ := strings.Cut(a, "=")
			switch name {
			case "--noreport", "--inodes", "--device", "--du", "--si", "--nolinks", "--charset", "--filelimit":
				if name == "--charset" || name == "--filelimit" {
					if !strings.Contains(a, "=") {
						i++
					}
				}
			default:
				return false
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				switch c := a[j]; {
				case c == 'U':
					unsorted = true
				case strings.IndexByte("vtcr", c) >= 0:
					return false
				case strings.IndexByte(treeValueLetters, c) >= 0:
					i++ // tree takes the next word, wherever the letter sits
				}
			}
		}
	}
	return unsorted
}

// anyGlobIn reports the first word of a parsed line the shell would
// expand as a glob, which lists what it matches in sorted order. A line
// that does not parse (nil) counts.
func anyGlobIn(f *syntax.File) (string, bool) {
	return firstGlobWord(f, func(w *syntax.Word) string {
		if _, glob := globComponents(w); glob {
			return "the glob " + wordText(w) + ", whose names the shell sorts (name the files, or list them unsorted: ls -U, find)"
		}
		return ""
	})
}
