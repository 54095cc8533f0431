package shell

import (
	"slices"
	"strings"
)

// A size is a length: stat's Size (and %s, %b), ls's long listings and
// -s, du's apparent sizes in bytes, find's -size tests and %s, %k, %b,
// tree's -s, -h and --du, and file's "very long lines (N)" each tell how
// long a file that holds a masked value is, and so how long the value is.
// A column cut at a width tells a prefix of what it cuts, or that the
// text is longer than the width: w cuts a command line and a user name,
// last a user name and a host, lsof a command name (9 bytes unless
// +c 0). So under masking each is refused, and the message names a form
// that tells none of it.

// sizeLeak reports the first option (or the default output) of a faithful
// program that prints a size or cuts a column at a width (see above).
func sizeLeak(prog string, args []string) (string, bool) {
	switch prog {
	case "stat":
		return statSize(args)
	case "ls", "dir":
		return lsSize(prog, args)
	case "du":
		for _, a := range args {
			if a == "--" {
				break
			}
			if a == "--apparent-size" || a == "--bytes" || strings.HasPrefix(a, "--block-size") || strings.HasPrefix(a, "--app") && longPrefixOf(a, []string{"--apparent-size"}) ||
				len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsAny(a[1:], "bB") {
				return "du " + a + ", which prints a file's length in bytes (its blocks, du -s or du -k, tell no more than a file system block)", true
			}
		}
	case "find":
		for i, a := range args {
			switch a {
			case "-size", "-ls", "-fls":
				return "find " + a + ", which tests or prints a file's size (list names: find ... -print)", true
			case "-printf", "-fprintf":
				f := ""
				if a == "-printf" && i+1 < len(args) {
					f = args[i+1]
				} else if i+2 < len(args) {
					f = args[i+2]
				}
				if directive(f, "skb") {
					return "find " + a + " " + f + ", which prints a file's size (drop %s, %k and %b)", true
				}
			}
		}
	case "tree":
		for _, a := range args {
			if a == "--du" || a == "--si" || len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsAny(a[1:], "sh") {
				return "tree " + a + ", which prints sizes (tree without -s, -h and --du)", true
			}
		}
	case "file":
		if !hasLong(args, "--mime-type") && !hasLong(args, "--mime") && !hasLong(args, "--mime-encoding") && !hasShort(args, 'i') {
			return "file, which tells the length of a text's longest lines (ask for the type alone: file --mime-type)", true
		}
	case "w":
		return "w, which cuts command lines and user names at a width (list sessions: who)", true
	case "last", "lastb":
		if !hasShort(args, 'w') && !hasLong(args, "--fullnames") {
			return prog + ", which cuts user and host names at a width (print them whole: " + prog + " -w)", true
		}
	case "lsof":
		for i, a := range args {
			if a == "+c0" || a == "+c" && i+1 < len(args) && args[i+1] == "0" {
				return "", false
			}
		}
		return "lsof, which cuts command names at 9 bytes (print them whole: lsof +c 0 ...)", true
	}
	return "", false
}

// statSize reports a stat that prints a size: its default and terse
// outputs (Size, Blocks), and formats with %s or %b. stat -f (a file
// system's figures) tells nothing of one file.
func statSize(args []string) (string, bool) {
	formats, fs := []string{}, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		switch {
		case a == "--terse" || strings.HasPrefix(a, "--te") && longPrefixOf(a, []string{"--terse"}):
			return "stat " + a + ", which prints a file's size (name the fields: stat -c '%n %A %U %y')", true
		case a == "--file-system":
			fs = true
		case strings.HasPrefix(a, "--"):
			name, value, ok := strings.Cut(a, "=")
			if name == "--format" || name == "--printf" || longPrefixOf(name, []string{"--format", "--printf"}) && len(name) > 3 {
				if !ok && i+1 < len(args) {
					i++
					value = args[i]
				}
				formats = append(formats, value)
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				switch a[j] {
				case 't':
					return "stat " + a + ", which prints a file's size (name the fields: stat -c '%n %A %U %y')", true
				case 'f':
					fs = true
				case 'c':
					f := a[j+1:]
					if f == "" && i+1 < len(args) {
						i++
						f = args[i]
					}
					formats = append(formats, f)
					j = len(a)
				}
			}
		}
	}
	for _, f := range formats {
		if directive(f, "sb") && !fs {
			return "stat " + f + ", which prints a file's size or blocks (drop %s and %b)", true
		}
	}
	if len(formats) == 0 && !fs {
		return "stat, whose Size tells a file's length (name the fields: stat -c '%n %A %U %y')", true
	}
	return "", false
}

// lsSize reports an ls that prints sizes (-l and its kin -g -o -n, -s,
// --size, --format=long or verbose) or sorts by them (-S, --sort=size).
func lsSize(prog string, args []string) (string, bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		name, value, _ := strings.Cut(a, "=")
		switch {
		case name == "--size" || name == "--si" || name == "--block-size" || name == "--author":
			return prog + " " + a + ", which prints sizes (names and modes: stat -c '%n %A %U %y')", true
		case (name == "--format" || longPrefixOf(name, []string{"--format"}) && len(name) > 4) && slices.Contains([]string{"long", "verbose"}, value):
			return prog + " " + a + ", which prints sizes (names and modes: stat -c '%n %A %U %y')", true
		case (name == "--sort" || longPrefixOf(name, []string{"--sort"}) && len(name) > 4) && value == "size":
			return prog + " " + a + ", which orders files by size", true
		case strings.HasPrefix(a, "--"):
		case len(a) > 1 && a[0] == '-':
			if strings.ContainsAny(a[1:], "lgonsS") {
				return prog + " " + a + ", which prints or orders by sizes (names and modes: stat -c '%n %A %U %y')", true
			}
		}
	}
	return "", false
}

// directive reports whether a printf-like format holds a conversion of
// one of letters, with any flags, width or precision (%%, a literal
// percent sign, is none).
func directive(format, letters string) bool {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		j := i + 1
		if j < len(format) && format[j] == '%' {
			i = j
			continue
		}
		for j < len(format) && strings.IndexByte("-+ #0123456789.'", format[j]) >= 0 {
			j++
		}
		if j < len(format) && strings.IndexByte(letters, format[j]) >= 0 {
			return true
		}
		i = j - 1
	}
	return false
}
