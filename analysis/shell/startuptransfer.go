package shell

import (
	"path"
	"strings"
)

// Transfer clients that take their commands from a script or from their
// input: lftp (-c, -e, -f, or commands on standard input), smbclient (-c,
// -T x, or standard input), ftp and tftp reading commands from standard
// input (a here-document included), and aria2c (names from the server's
// Content-Disposition, a metalink or a torrent). The local names of what
// they fetch come from the remote side (mirror, mget, a directory listing)
// or from a script the gate does not see; they are data-chosen-name
// writers judged by the local directory they write into (the working
// directory unless changed). A script given on the command line (lftp -c
// '...', smbclient -c '...') is read: get with a local name (-o, the
// second operand) is judged by that name, lcd moves the directory, mirror
// and mget write remote names into it, and a command not understood
// (a shell escape, source, an alias, a setting of transfers) makes the
// directory unknown. A script that does not end the session reads more
// commands from the input: unknown too.

// transferDests returns the directories prog writes remote-chosen names
// into ("" unknown) and the local files its command-line script names.
func transferDests(prog string, args []string) (dirs, files []string) {
	switch prog {
	case "socat":
		return nil, socatFiles(args)
	case "lftp":
		return lftpDests(args)
	case "smbclient":
		return smbclientDests(args)
	case "ftp", "pftp", "tnftp", "netkit-ftp":
		ops, _ := splitOperands(args)
		for _, o := range ops {
			if !strings.Contains(o, "://") || strings.HasSuffix(o, "/") {
				return []string{""}, nil // commands read from the input
			}
		}
		if len(ops) == 0 {
			return []string{""}, nil
		}
		return nil, nil // auto-fetch of URLs: their names are words
	case "tftp":
		for _, a := range args {
			if a == "-c" || a == "-g" || a == "-p" || strings.HasPrefix(a, "-g") || strings.HasPrefix(a, "-p") {
				return nil, nil // the file names are words of the line
			}
		}
		return []string{""}, nil
	case "aria2c":
		dir := "."
		for i, a := range args {
			switch {
			case a == "-i" || strings.HasPrefix(a, "--input-file") || strings.HasPrefix(a, "--conf-path") ||
				strings.HasPrefix(a, "-i") && len(a) > 2:
				// An input file's per-download dir= and out=, or a
				// configuration's dir=: directories the gate does not see.
				return []string{""}, nil
			case (a == "-d" || a == "--dir") && i+1 < len(args):
				dir = args[i+1]
			case strings.HasPrefix(a, "--dir="):
				dir = strings.TrimPrefix(a, "--dir=")
			case strings.HasPrefix(a, "-d") && len(a) > 2:
				dir = a[2:]
			}
		}
		return []string{dir}, nil
	}
	return treeCopyDests(prog, args), nil
}

// lftpDests: lftp's script (-c ends after it; -e, then the input; -f a
// file; none: the input).
func lftpDests(args []string) (dirs, files []string) {
	script, ends := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-f" || strings.HasPrefix(a, "-f"):
			return []string{""}, nil // a script file the gate does not read
		case (a == "-c" || a == "-e") && i+1 < len(args):
			i++
			script += args[i] + "\n"
			ends = ends || a == "-c"
		case a == "-u" || a == "-p" || a == "--user" || a == "--password":
			i++
		}
	}
	dirs, files, exits := transferScript(script, lftpCommand, true)
	if !ends && !exits {
		dirs = append(dirs, "") // more commands from the input
	}
	return dirs, files
}

// smbclientDests: smbclient -L and -M write nothing; -T with x extracts
// a tar archive into the working directory; -c runs its script; else
// commands come from the input. Every -T and -c counts, whatever their
// order.
func smbclientDests(args []string) (dirs, files []string) {
	acted := false
	script := func(text string) {
		d, f, _ := transferScript(text, smbCommand, false)
		dirs, files, acted = append(dirs, d...), append(files, f...), true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-L" || a == "--list" || a == "-M" || a == "--message" ||
			strings.HasPrefix(a, "--list=") || strings.HasPrefix(a, "--message="):
			acted = true
		case strings.HasPrefix(a, "-T") && !strings.HasPrefix(a, "--") || strings.HasPrefix(a, "--tar"):
			v := strings.TrimPrefix(strings.TrimPrefix(a, "--tar"), "-T")
			v = strings.TrimPrefix(v, "=")
			if v == "" && i+1 < len(args) {
				v = args[i+1]
			}
			if strings.Contains(v, "x") {
				dirs = append(dirs, ".")
			}
			acted = true // tar c: reads the share, writes the named archive
		case a == "-c" || a == "--command":
			if i+1 < len(args) {
				i++
				script(args[i])
			}
		case strings.HasPrefix(a, "--command="):
			script(strings.TrimPrefix(a, "--command="))
		case strings.HasPrefix(a, "-c") && len(a) > 2:
			script(a[2:])
		}
	}
	if !acted {
		return []string{""}, nil
	}
	return dirs, files
}

// transferCommand judges one command of a transfer script: the local
// files it names, whether it writes remote names into the current local
// directory, the directory it moves to (lcd), and whether it is known.
type transferCommand func(name string, ops []string) (files, remoteDirs []string, lcd string, known bool)

// transferScript reads a script of commands separated by ; and newlines,
// tracking the local directory.
func transferScript(script string, judge transferCommand, escapes bool) (dirs, files []string, exits bool) {
	cwd := "."
	for _, line := range strings.FieldsFunc(script, func(r rune) bool { return r == ';' || r == '\n' }) {
		words, ok := scriptWords(line, escapes)
		if !ok {
			return append(dirs, ""), files, false
		}
		if len(words) == 0 {
			continue
		}
		switch words[0] {
		case "bye", "exit", "quit", "q":
			return dirs, files, true
		}
		fs, remote, lcd, known := judge(words[0], words[1:])
		if !known {
			return append(dirs, ""), files, false
		}
		for _, f := range fs {
			if cwd == "" {
				f = "${LCD}/" + f // judged as a name in any directory
			} else {
				f = joinDir(cwd, f)
			}
			files = append(files, f)
		}
		for _, d := range remote {
			dirs = append(dirs, joinDir(cwd, dirOrUnknown(d)))
		}
		switch {
		case lcd == "-" || strings.HasPrefix(lcd, "-") && lcd != "-":
			cwd = "" // the previous directory, or an option: unknown
		case lcd != "":
			cwd = joinDir(cwd, dirOrUnknown(lcd))
		}
	}
	return dirs, files, false
}

// scriptWords splits a script command at blanks, with '...', "..." and
// (when escapes) backslash quoting; false when it holds an expansion or
// is unbalanced. smbclient keeps backslashes: they separate its remote
// path components.
func scriptWords(line string, escapes bool) ([]string, bool) {
	var out []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '\'' || c == '"'):
			quote, in = c, true
		case escapes && c == '\\' && quote != '\'' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			in = true
		case quote == 0 && (c == ' ' || c == '\t'):
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		case c == '$' || c == '`' || c == '!' && quote == 0 && !in && len(out) == 0 || c == '&' || c == '|' || c == '>' || c == '<':
			return nil, false // expansion, a shell command, redirection or background
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, false
	}
	if in {
		out = append(out, cur.String())
	}
	return out, true
}

// lftpRemoteOnly are lftp commands that write no local file.
var lftpRemoteOnly = map[string]bool{"open": true, "user": true, "cd": true, "ls": true, "dir": true, "cls": true,
	"nlist": true, "pwd": true, "put": true, "mput": true, "reput": true, "cat": true, "more": true, "zcat": true,
	"zmore": true, "rm": true, "mrm": true, "rmdir": true, "mkdir": true, "mv": true, "chmod": true, "du": true,
	"find": true, "echo": true, "debug": true, "lpwd": true, "wait": true, "jobs": true, "sleep": true,
	"close": true, "cache": true, "ln": true, "recls": true, "renlist": true, "rels": true, "site": true, "quote": true}

// lftpCommand judges one lftp command.
func lftpCommand(name string, ops []string) ([]string, []string, string, bool) {
	switch {
	case name == "open" && slicesHasAny(ops, "-e", "--exec"):
		return nil, nil, "", false // open -e CMD: a command not judged
	case lftpRemoteOnly[name]:
		return nil, nil, "", true
	case name == "set":
		// Settings of transfers and commands (xfer:, cmd:, mirror:) change
		// where or how files land, and sftp:connect-program and
		// fish:connect-program name a program to run: not judged.
		for _, p := range []string{"net:", "ssl:", "ftp:", "dns:", "http:"} {
			if len(ops) > 0 && strings.HasPrefix(ops[0], p) {
				return nil, nil, "", true
			}
		}
		return nil, nil, "", false
	case name == "lcd":
		if len(ops) == 0 {
			return nil, nil, "~", true
		}
		return nil, nil, ops[len(ops)-1], true
	case name == "get" || name == "pget" || name == "get1" || name == "reget" || name == "pget1":
		return namedGets(ops)
	case name == "mget":
		opts, _ := lftpOptions(ops, "O")
		return nil, []string{optValue(opts, "-O", ".")}, "", true
	case name == "mirror":
		if slicesHasAny(ops, "-R", "--reverse") {
			return nil, nil, "", true // uploads
		}
		for _, o := range ops {
			if name, _, ok := strings.Cut(o, "="); ok && strings.HasPrefix(o, "--") && !mirrorValued[name] {
				return nil, nil, "", false // --target-directory=, --script=...: not judged
			}
		}
		opts, pos := lftpOptions(ops, "OPifxXI")
		switch {
		case len(pos) > 2:
			return nil, nil, "", false // a long option's value taken as an operand: not judged
		case len(pos) > 1:
			return nil, []string{pos[1]}, "", true
		case len(pos) == 1 && path.Base(pos[0]) != "." && path.Base(pos[0]) != "/":
			return nil, []string{joinDir(optValue(opts, "-O", "."), path.Base(pos[0]))}, "", true
		}
		return nil, []string{optValue(opts, "-O", ".")}, "", true
	}
	return nil, nil, "", false
}

// mirrorValued are lftp mirror's long options that take a value and do
// not move where it writes or run anything.
var mirrorValued = map[string]bool{"--parallel": true, "--exclude": true, "--include": true, "--exclude-glob": true,
	"--include-glob": true, "--newer-than": true, "--older-than": true, "--size-range": true, "--max-errors": true,
	"--use-pget-n": true}

// namedGets: get RFILE [-o LFILE] ...: each local file is the -o value
// given right after its remote file, else the remote file's base name,
// under -O DIR when given. A -o that follows no remote file is judged
// too.
func namedGets(ops []string) ([]string, []string, string, bool) {
	opts, _ := lftpOptions(ops, "oOn")
	dir := optValue(opts, "-O", "")
	var files []string
	pending := false // the last word was a remote file whose name is kept
	for _, o := range opts {
		switch {
		case o.name == "":
			files = append(files, path.Base(o.value))
			pending = true
		case o.name == "-o" && pending:
			files[len(files)-1] = o.value
			pending = false
		case o.name == "-o":
			files = append(files, o.value)
		default:
			pending = false
		}
	}
	if dir != "" {
		for i, f := range files {
			files[i] = joinDir(dir, f)
		}
	}
	return files, nil, "", true
}

// lftpOption is one option of a command (name "-X", value when it takes
// one) or, with no name, an operand.
type lftpOption struct{ name, value string }

// lftpOptions parses a command's words in order: short option clusters
// (-cO DIR, -O/tmp), the letters in valued taking the rest of the
// cluster or the next word. pos are the operands.
func lftpOptions(ops []string, valued string) (opts []lftpOption, pos []string) {
	for i := 0; i < len(ops); i++ {
		a := ops[i]
		switch {
		case strings.HasPrefix(a, "--") || a == "-":
			opts = append(opts, lftpOption{name: a})
		case strings.HasPrefix(a, "-"):
			for k := 1; k < len(a); k++ {
				if strings.IndexByte(valued, a[k]) < 0 {
					opts = append(opts, lftpOption{name: "-" + a[k:k+1]})
					continue
				}
				v := a[k+1:]
				if v == "" && i+1 < len(ops) {
					i++
					v = ops[i]
				}
				opts = append(opts, lftpOption{name: "-" + a[k:k+1], value: v})
				break
			}
		default:
			opts = append(opts, lftpOption{value: a})
			pos = append(pos, a)
		}
	}
	return opts, pos
}

// optValue is the value given to option o in opts, or def.
func optValue(opts []lftpOption, o, def string) string {
	for _, op := range opts {
		if op.name == o {
			return op.value
		}
	}
	return def
}

// slicesHasAny reports whether ops holds one of vals.
func slicesHasAny(ops []string, vals ...string) bool {
	for _, o := range ops {
		for _, v := range vals {
			if o == v {
				return true
			}
		}
	}
	return false
}

// smbRemoteOnly are smbclient commands that write no local file.
var smbRemoteOnly = map[string]bool{"ls": true, "dir": true, "cd": true, "put": true, "mput": true, "del": true,
	"rm": true, "mkdir": true, "md": true, "rmdir": true, "rd": true, "pwd": true, "prompt": true, "recurse": true,
	"allinfo": true, "altname": true, "stat": true, "du": true, "volume": true, "showacls": true, "echo": true,
	"help": true, "?": true, "archive": true, "rename": true, "deltree": true, "mask": true, "setmode": true}

// smbCommand judges one smbclient command.
func smbCommand(name string, ops []string) ([]string, []string, string, bool) {
	switch {
	case smbRemoteOnly[name]:
		return nil, nil, "", true
	case name == "lcd":
		if len(ops) == 0 {
			return nil, nil, "", true
		}
		return nil, nil, ops[0], true
	case name == "get" || name == "reget":
		if len(ops) == 0 {
			return nil, nil, "", true
		}
		local := ops[0]
		if len(ops) > 1 {
			local = ops[1]
		}
		// A backslash may separate components where the name is used.
		return []string{local, strings.ReplaceAll(local, `\`, "/")}, nil, "", true
	case name == "mget" || name == "tar" && len(ops) > 0 && strings.Contains(ops[0], "x"):
		return nil, []string{"."}, "", true
	case name == "tar":
		return nil, nil, "", true // tar c: writes the named archive
	}
	return nil, nil, "", false // lowercase, !, and the rest
}
