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
// name). An unsorted listing is no better: it lists a directory in the
// order the file system returns it, which on ext4 and XFS is the order of
// a hash of each name (ls -U, ls -f, find, du, tree -U, cp -rv), so where
// a masked name falls among decoys, or whether it falls where a guess
// made in another directory falls, tells bits of it. So under masking,
// what lists the names it found in a directory, in any order, is
// refused: ls and dir unless they list only the operands the client
// wrote (-d, but not over the {} of find -exec), tree, find unless
// -maxdepth 0 keeps it to its starting points, du unless it sums its
// operands (-s, -d 0), a recursive copy, removal or change of mode or
// owner that names each file it acts on (-v, -c, -i), and every glob, * and
// .* too (the shell sorts what a glob matches). What counts or sums the
// names without listing them passes: du -s, ls -d, stat of a named file.

// nameOrder reports the first part of s that lists the names it found
// in a directory (see above), its line parsed (nil: it does not parse).
func nameOrder(s *gate.SSH, f *syntax.File) (string, bool) {
	for i := range s.Commands {
		c := &s.Commands[i]
		prog := c.Program
		if j := strings.LastIndexByte(prog, '/'); j >= 0 {
			prog = prog[j+1:]
		}
		switch prog {
		case "ls", "dir":
			if !lsOperandsOnly(c.Args) {
				return prog + ", which lists a directory's names in an order taken from them (sorted, or the file system's hash order)", true
			}
		case "tree":
			return "tree, which lists a directory's names in an order taken from them", true
		case "find":
			if !findStartsOnly(c.Args) {
				return "find, which lists a directory's names in the file system's order, a hash of each name (keep it to its starting points: -maxdepth 0)", true
			}
		case "du":
			if !duSumsOnly(c.Args) {
				return "du, which lists a directory's names in the file system's order, a hash of each name (sum it: du -s)", true
			}
		case "cp", "rm", "chmod", "chown", "chgrp":
			if recursiveVerbose(c.Args) {
				return prog + " naming each file it finds in a directory, in the file system's order", true
			}
		}
	}
	return anyGlobIn(f)
}

// lsOperandsOnly reports whether ls lists only its operands (-d,
// --directory), not what a directory holds; -d over the {} of find -exec
// lists names find found.
func lsOperandsOnly(args []string) bool {
	_, operandsOnly := lsOrder(args)
	if operandsOnly && slices.ContainsFunc(args, func(a string) bool { return strings.Contains(a, "{}") }) {
		return false // find -exec ls -d {} +: the operands are names find found
	}
	return operandsOnly
}

// findValueWords are find's options and primaries that take the next word
// as their value (a -maxdepth among them is that value).
var findValueWords = setOf(`-D -O -maxdepth -mindepth -name -iname -path -ipath -wholename -iwholename -regex -iregex
	-lname -ilname -newer -anewer -cnewer -samefile -perm -type -xtype -user -group -uid -gid -size -links -inum
	-atime -ctime -mtime -amin -cmin -mmin -used -fstype -context -printf -fprintf -fprint -fprint0 -fls
	-regextype -files0-from -newerXY`)

// findStartsOnly reports whether find considers only its starting points:
// -maxdepth 0 (as an option, not another option's value).
func findStartsOnly(args []string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-maxdepth" && args[i+1] == "0" && (i == 0 || !findValueWords[args[i-1]]) {
			return true
		}
	}
	return false
}

// duSumsOnly reports whether du prints one line per operand: -s or
// --summarize, or a depth of 0 (-d 0, --max-depth=0), and not -a.
func duSumsOnly(args []string) bool {
	sums := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		switch {
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a, "=")
			switch {
			case longPrefixOf(name, []string{"--all"}):
				return false
			case longPrefixOf(name, []string{"--summarize"}):
				sums = true
			case longPrefixOf(name, []string{"--max-depth"}):
				if !hasValue && i+1 < len(args) {
					i++
					value = args[i]
				}
				sums = value == "0"
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				switch a[j] {
				case 'a':
					return false
				case 's':
					sums = true
				case 'd', 'B', 't', 'X':
					value := a[j+1:]
					if value == "" && i+1 < len(args) {
						i++
						value = args[i]
					}
					if a[j] == 'd' {
						sums = value == "0"
					}
					j = len(a)
				}
			}
		}
	}
	return sums
}

// recursiveVerbose reports whether cp, rm, chmod, chown or chgrp both
// walk a directory (-r, -R, --recursive) and name what they act on (-v,
// --verbose, chmod's and chown's -c, --changes, or the question cp -i
// and rm -i ask about each file). Options are read loosely (any letter
// of a bundle): fail closed.
func recursiveVerbose(args []string) bool {
	recursive, verbose := false, false
	for _, a := range args {
		if a == "--" {
			break
		}
		switch {
		case strings.HasPrefix(a, "--"):
			recursive = recursive || longPrefixOf(a, []string{"--recursive"})
			verbose = verbose || longPrefixOf(a, []string{"--verbose", "--changes", "--interactive"})
		case len(a) > 1 && a[0] == '-':
			recursive = recursive || strings.ContainsAny(a[1:], "rRa")
			verbose = verbose || strings.ContainsAny(a[1:], "vciI")
		}
	}
	return recursive && verbose
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

// lsOrder reads ls's options as getopt reads them (bundles, attached
// values, unambiguous long prefixes): whether its last sort option sorts
// (not -U, -f or --sort=none), and whether -d has it list the operands
// themselves (the client's own words; a glob among them is refused on its
// own). An option it cannot read counts as sorting, and not as -d.
func lsOrder(args []string) (sorted, operandsOnly bool) {
	sorted = true
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
				return true, false
			}
			if lsLong[long] && !hasValue {
				if i+1 >= len(args) {
					return true, false
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
	return sorted, operandsOnly
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

// anyGlobIn reports the first word of a parsed line the shell would
// expand as a glob, which lists what it matches in sorted order. A line
// that does not parse (nil) counts.
func anyGlobIn(f *syntax.File) (string, bool) {
	return firstGlobWord(f, func(w *syntax.Word) string {
		if _, glob := globComponents(w); glob {
			return "the glob " + wordText(w) + ", whose names the shell sorts (name the files)"
		}
		return ""
	})
}
