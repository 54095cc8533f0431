package shell

import "strings"

// A masked value keeps its place and its secret, but not always its
// length or its neighbours: what lays text out around it, or counts it,
// tells the length of what the masker replaced. wc -c (or -m, -L, or
// wc's default, which counts bytes) over ls -d's output or a file that
// holds a masked e-mail address, printf '%-40s|' padding a name to a
// column, ps -o comm:30 padding a command to its width: each prints a
// number or a run of spaces the masker leaves alone, from which the
// length of the hidden value follows. A cut is worse (ps -o args:12,
// ps --cols 40, systemctl status without --full ellipsizing a command
// line, a COLUMNS the line sets): the masker no longer finds the value
// it must hide. And the programs that list processes or units in an
// order taken from what they hold, or pick them by a pattern, tell a
// masked value a piece at a time as a listing does a name (ps --sort=args,
// systemctl list-units 'a*', journalctl -u 'a*', journalctl -F, which
// lists a field's values in the journal's hash order). So under masking
// these are refused: wc but -l and -w, a printf width or precision, ps
// with a sort, a cut, a width, or a text field before the last column,
// pgrep and pkill matching part of a name (all but -x), systemctl's
// listings, patterns and ellipsized status, journalctl's field listing,
// unit patterns, outputs that encode (json, export) and --no-full, and
// any line that names COLUMNS.

// layoutLeak reports the first option of a faithful program in args that
// lays out, counts, cuts or orders what it prints by what it holds (see
// above).
func layoutLeak(prog string, args []string) (string, bool) {
	if what, ok := sizeLeak(prog, args); ok {
		return what, true
	}
	switch prog {
	case "wc":
		return wcCounts(args)
	case "ps":
		return psLayout(args)
	case "pgrep", "pkill":
		if !hasShort(args, 'x') && !hasLong(args, "--exact") {
			return prog + " without -x, which matches part of a process's name (match it whole: " + prog + " -x)", true
		}
	case "systemctl":
		return systemctlLists(args)
	case "journalctl":
		return journalctlLayout(args)
	}
	return "", false
}

// wcCounts reports a wc that counts bytes, characters or the longest
// line: any option but -l, -w and their long forms, or none (wc prints
// bytes by default).
func wcCounts(args []string) (string, bool) {
	counted := false
	for _, a := range args {
		if a == "--" {
			break
		}
		switch {
		case a == "--lines" || a == "--words" || (strings.HasPrefix(a, "--") && longPrefixOf(a, []string{"--lines", "--words"}) && len(a) > 4):
			counted = true
		case strings.HasPrefix(a, "--"):
			return "wc " + a + ", which counts the length of what it reads, masked values included", true
		case len(a) > 1 && a[0] == '-':
			if strings.Trim(a[1:], "lw") != "" {
				return "wc " + a + ", which counts the length of what it reads, masked values included", true
			}
			counted = true
		}
	}
	if !counted {
		return "wc, which counts bytes by default, masked values included (count lines: wc -l)", true
	}
	return "", false
}

// psFixedFields are ps's format fields that hold numbers, times, states
// or account names (which the system chose, not data a program read),
// never a command line: padding them tells nothing.
var psFixedFields = setOf(`user euser ruser suser fuser uname group egroup rgroup sgroup fgroup
	pid ppid pgid pgrp sid sess tgid tpgid uid euid ruid suid fuid svuid gid egid rgid sgid fgid svgid
	pcpu %cpu c cp pmem %mem rss rssize rsz vsz vsize sz size nlwp thcount ni nice pri priority opri psr rtprio
	stat s state tty tt tname time cputime cputimes etime etimes start stime start_time lstart bsdstart bsdtime
	lwp spid tid f flags class cls policy sched maj_flt min_flt majflt minflt trs drs dsiz tsiz pending blocked
	ignored caught sig sigmask sigignore sigcatch wchan nwchan addr`)

// psLayout reports a ps option that sorts by a field that holds text
// (--sort, k; O always), sets
// the width it cuts lines at (-w, w, --cols, --columns, --width), or a
// format (-o, o, -O, --format) with a width or a header on a field
// (comm:30, args=), or a field that holds names or command lines
// anywhere but last (ps cuts and pads every column but the last).
func psLayout(args []string) (string, bool) {
	var formats []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		var format string
		switch {
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a, "=")
			switch name {
			case "--sort":
				if !hasValue && i+1 < len(args) {
					i++
					value = args[i]
				}
				if !psFixedKeys(value) {
					return "ps " + a + ", which orders what it lists by what it holds", true
				}
				continue
			case "--cols", "--columns", "--width":
				return "ps " + a + ", which orders or cuts what it lists by what it holds", true
			case "--format":
				if !hasValue && i+1 < len(args) {
					i++
					value = args[i]
				}
				format = value
			case "--pid", "--ppid", "--sid", "--tty", "--user", "--User", "--group", "--Group", "--quick-pid", "--rows", "--lines":
				if !hasValue {
					i++ // the list is the next word
				}
				continue
			default:
				continue
			}
		case a == "":
			continue
		default:
			// Short (-o) and BSD (o) options alike; a letter that takes
			// a value takes the rest of the word, or the next word. A
			// letter that sorts or sets the width counts wherever it is.
			dash := a[0] == '-'
			word := strings.TrimPrefix(a, "-")
			for j := 0; j < len(word); j++ {
				switch c := word[j]; {
				case c == 'k' && j == len(word)-1 && i+1 < len(args) && psFixedKeys(args[i+1]):
					i++ // sorted by numbers, times or states only
					j = len(word)
				case c == 'k' || c == 'O' || c == 'w':
					return "ps " + a + ", which orders or cuts what it lists by what it holds", true
				case c == 'o':
					format = word[j+1:]
					if format == "" && i+1 < len(args) {
						i++
						format = args[i]
					}
					j = len(word)
				case dash && strings.IndexByte("CGUgpqstu", c) >= 0 || !dash && strings.IndexByte("pqtU", c) >= 0:
					if j == len(word)-1 {
						i++ // the list is the next word
					}
					j = len(word)
				}
			}
		}
		if format == "" {
			continue
		}
		formats = append(formats, format)
	}
	return psFormatLeaks(formats)
}

// systemctlListVerbs are systemctl's verbs that list units, jobs or
// files in an order taken from their names, padded to columns.
var systemctlListVerbs = setOf(`list-units list-sockets list-timers list-automounts list-paths list-unit-files
	list-machines list-jobs list-dependencies list-dependency`)

// systemctlLists reports a systemctl listing (a list- verb, or no verb,
// which is list-units), a unit pattern (systemctl matches *, ? and [ ]
// itself, quoted or not), status or show cut to the terminal (without -l
// or --full), or an output mode that encodes (-o json).
func systemctlLists(args []string) (string, bool) {
	verb, full := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-l" || a == "--full" || (strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.ContainsRune(a, 'l')):
			full = true
		case a == "-o" || a == "--output" || strings.HasPrefix(a, "--output=") || (strings.HasPrefix(a, "-o") && len(a) > 2):
			value := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(a, "--output="), "--output"), "-o")
			if value == "" && i+1 < len(args) {
				i++
				value = args[i]
			}
			if !journalPlainOutput(value) {
				return "systemctl -o " + value + ", an output that encodes what it prints", true
			}
		case a == "-t" || a == "--type" || a == "--state" || a == "-p" || a == "--property" || a == "-n" || a == "--lines" ||
			a == "-H" || a == "--host" || a == "-M" || a == "--machine" || a == "--root" || a == "--kill-whom" || a == "-s" || a == "--signal":
			i++
		case strings.HasPrefix(a, "-"):
		case verb == "":
			verb = a
		default:
			if strings.ContainsAny(a, "*?[") {
				return "systemctl " + verb + " " + a + ", a unit pattern, which tells whether a unit's name matches it", true
			}
		}
	}
	switch {
	case verb == "" || systemctlListVerbs[verb]:
		return "systemctl " + verb + ", which lists units in an order taken from their names, padded to columns", true
	case (verb == "status") && !full:
		return "systemctl status without --full, which cuts long lines (command lines among them) to a width", true
	}
	return "", false
}

// journalPlainOutput reports whether a journalctl (or systemctl) output
// mode prints what was logged as text: short and its kin, cat, with-unit,
// verbose. json, json-pretty, json-sse, json-seq and export write values
// the masker does not read as stored (byte arrays, binary fields).
func journalPlainOutput(mode string) bool {
	return strings.HasPrefix(mode, "short") || mode == "cat" || mode == "with-unit" || mode == "verbose"
}

// journalctlLayout reports a journalctl option that lists a field's
// values (-F, --field: in the journal's hash order), matches units by a
// pattern (-u 'a*', --user-unit), writes an output that encodes, or cuts
// fields to the terminal (--no-full).
func journalctlLayout(args []string) (string, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(a, "=")
		takes := func() string {
			if hasValue {
				return value
			}
			if strings.HasPrefix(a, "--") || len(a) == 2 {
				if i+1 < len(args) {
					i++
					return args[i]
				}
				return ""
			}
			return a[2:]
		}
		switch {
		case name == "--no-full":
			return "journalctl --no-full, which cuts long fields to a width", true
		case name == "--field" || strings.HasPrefix(a, "-F"):
			return "journalctl " + a + ", which lists a field's values in an order taken from them", true
		case name == "--unit" || name == "--user-unit" || strings.HasPrefix(a, "-u"):
			if v := takes(); strings.ContainsAny(v, "*?[") {
				return "journalctl " + a + " " + v + ", a unit pattern, which tells whether a unit's name matches it", true
			}
		case name == "--output" || strings.HasPrefix(a, "-o"):
			if v := takes(); !journalPlainOutput(v) {
				return "journalctl -o " + v + ", an output that encodes what it prints", true
			}
		}
	}
	return "", false
}

// psFixedKeys reports whether a ps sort specification (--sort, k) sorts
// only by fields that hold no command line or name (psFixedFields), each
// with an optional + or -.
func psFixedKeys(spec string) bool {
	keys := strings.Split(spec, ",")
	for _, k := range keys {
		k = strings.TrimLeft(k, "+-")
		if !psFixedFields[k] {
			return false
		}
	}
	return len(keys) > 0
}

// psFormatLeaks reports a ps format (the -o options in order, each
// adding columns) that cuts or pads a field holding text: a width on it
// (args:20), or the field anywhere but last (ps cuts and pads every
// column but the last). Fields of psFixedFields may take a width or a
// header (pid=, etime:12); a header (NAME=TEXT) runs to the end of its
// option's value, commas included.
func psFormatLeaks(formats []string) (string, bool) {
	var fields []string
	for _, format := range formats {
		for format != "" {
			field, rest, _ := strings.Cut(strings.TrimLeft(format, ", "), ",")
			if i := strings.IndexByte(field, ' '); i >= 0 && !strings.Contains(field[:i], "=") {
				field, rest = field[:i], field[i+1:]+","+rest
			}
			if name, _, _ := strings.Cut(field, ":"); strings.Contains(name, "=") {
				field, rest = strings.TrimLeft(format, ", "), "" // the header takes the rest
			}
			if field != "" {
				fields = append(fields, field)
			}
			format = rest
		}
	}
	for k, field := range fields {
		name, _, _ := strings.Cut(field, ":")
		name, _, _ = strings.Cut(name, "=")
		if psFixedFields[name] {
			continue
		}
		if n, _, _ := strings.Cut(field, "="); strings.Contains(n, ":") {
			return "ps -o " + field + ", a field cut or padded to a width", true
		}
		if k != len(fields)-1 {
			return "ps -o " + strings.Join(fields, ",") + ", whose " + name + " column is cut and padded to a width", true
		}
	}
	return "", false
}
