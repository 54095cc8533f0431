package shell

import (
	"path"
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Writes whose file names come from data, not from the command line: an
// archive extracted (tar, bsdtar, unzip, cpio, 7z, ar), a patch applied
// (patch, git apply, git am), a work tree updated by git (pull, merge,
// checkout, reset --hard, stash, clone, ...), the old scp protocol's and
// rsync's receiving ends (scp -t DIR, rsync --server ... DIR), and a
// directory tree copied with its contents merged into the destination
// (cp -r SRC/. DEST, cp -rT, rsync -a SRC/ DEST, a glob of sources). The
// gate cannot know those names, so such a write counts as a start-up
// write when the directory it writes into may hold a start-up path
// (mayHoldStartup): a home directory or one of its ancestors, a
// directory inside a start-up directory (~/.ssh, ~/.config, ~/.local, a
// .git), a system start-up directory (/etc), or a directory only known
// at run time. An ordinary directory (a project, /tmp/x) is left to the
// rules. Members named on the command line (tar x -f a.tar etc/app.conf,
// unzip a.zip docs/x, ar x lib.a o.o) pin the names: each is judged as
// the path it extracts to; a pattern, a list read from a file
// (tar -T), a renaming (--transform) or absolute names (tar -P, cpio
// without --no-absolute-filenames, unzip -:, 7z -spf) does not.

// dataDest is a directory a command writes names from data into, relative
// to the command's working directory.
type dataDest struct {
	dir string
	// why names the route in a refusal.
	why string
}

// dataDests returns the directories c writes data-chosen names into.
func dataDests(c gate.SSHCommand) []dataDest {
	var dirs []string
	switch c.Program {
	case "tar", "bsdtar", "gtar":
		dirs = tarDests(c.Args)
	case "unzip":
		dirs = unzipDests(c.Args)
	case "cpio":
		dirs = cpioDests(c.Args)
	case "7z", "7za", "7zr", "7zz":
		dirs = sevenZipDests(c.Args)
	case "ar":
		if len(c.Args) > 1 && !strings.HasPrefix(c.Args[0], "--") && strings.Contains(c.Args[0], "x") {
			dirs = pinnedOrDir(c.Args[2:], ".")
		}
	case "patch":
		dirs = patchDests(c.Args)
	case "git":
		dirs = gitDests(c.Args)
	case "scp":
		dirs = scpSinkDests(c.Args)
		if dirs == nil {
			dirs = append(remoteCopyDests(c.Program, c.Args), scpUncheckedDests(c.Args)...)
		}
	case "rsync":
		dirs = append(rsyncDests(c.Args), remoteCopyDests(c.Program, c.Args)...)
	case "sftp":
		dirs = remoteCopyDests(c.Program, c.Args)
	case "cp", "mv", "ln":
		dirs = copyDests(c.Args, c.Program)
	case "mount", "bindfs":
		dirs = bindSources(c.Program, c.Args)
	case "curl", "wget":
		dirs = downloadDests(c.Program, c.Args)
	default:
		dirs = moreDataDests(c.Program, c.Args)
	}
	if len(dirs) > maxDataDests {
		dirs = []string{""} // too many to judge: fail closed
	}
	out := make([]dataDest, len(dirs))
	for i, d := range dirs {
		out[i] = dataDest{dir: d, why: c.Program + " writes names from its data into " + d}
	}
	return out
}

// maxDataDests bounds the directories judged for one command (each -C
// directory with each member named); past it the command counts as
// writing into a directory only known at run time.
const maxDataDests = 256

// mayHoldStartup reports whether dir (a directory as written, relative to
// the login directory, ~ the home) may hold a start-up path among names
// the gate does not see: see the comment at the top of this file.
func mayHoldStartup(dir string) bool {
	if !strings.HasPrefix(dir, "/") {
		// A relative .. is folded: a link the line makes is judged
		// when made.
		return mayHoldStartupAs(dir)
	}
	for _, v := range spellings(dir, nil) {
		if mayHoldStartupAs(v) {
			return true
		}
	}
	return false
}

// mayHoldStartupAs is mayHoldStartup for one spelling of the directory.
func mayHoldStartupAs(dir string) bool {
	if dir == "" || strings.ContainsAny(dir, wildcards) {
		return true
	}
	p := cleanHome(dir)
	switch {
	case p == "~" || strings.HasPrefix(p, "~/"):
		p = "/home/~" + p[1:]
	case !strings.HasPrefix(p, "/"):
		p = "/home/~/" + p
	}
	p = path.Clean(p)
	if p == "/" || p == "/home" || p == "/root" || p == "/etc" || strings.HasPrefix(p, "/etc/") {
		return true
	}
	if strings.HasPrefix(p, "/home/") && strings.Count(p, "/") == 2 {
		return true // a home directory
	}
	for k := 1; k <= len(p); k++ {
		if (k == len(p) || p[k] == '/') && startupClean(p[:k]) && (k == len(p) || !containerOnly(p[:k])) {
			return true // inside a start-up directory, or one itself
		}
	}
	last := path.Base(p)
	return toolFiles[last] != nil || last == "site-packages" || last == "dist-packages"
}

// joinDir is d/rel, rel itself when absolute or under ~, "" (unknown)
// when either is.
func joinDir(d, rel string) string {
	if d == "" || rel == "" {
		return ""
	}
	rel = cleanHome(rel)
	if strings.HasPrefix(rel, "/") || rel == "~" || strings.HasPrefix(rel, "~/") {
		return rel
	}
	return d + "/" + rel
}

// pinnedOrDir returns each member under dir when members are named and
// none is a pattern, else dir: the names are then the archive's.
func pinnedOrDir(members []string, dir string) []string {
	if len(members) == 0 {
		return []string{dir}
	}
	var out []string
	for _, m := range members {
		if strings.ContainsAny(m, "*?[") {
			return []string{dir}
		}
		out = append(out, joinDir(dir, m))
	}
	return out
}

// clusterValue finds the first letter of a short option cluster a (after
// its dash) that takes a value, and the value when attached.
func clusterValue(a string, letters string) (letter byte, attached string, ok bool) {
	for i := 0; i < len(a); i++ {
		if strings.IndexByte(letters, a[i]) >= 0 {
			return a[i], a[i+1:], true
		}
	}
	return 0, "", false
}

// tarLongValued are tar's long options whose value may be the next argument.
var tarLongValued = map[string]bool{"--directory": true, "--file": true, "--files-from": true, "--exclude": true,
	"--exclude-from": true, "--to-command": true, "--use-compress-program": true, "--transform": true,
	"--xform": true, "--owner": true, "--group": true, "--mode": true, "--format": true, "--label": true,
	"--newer": true, "--after-date": true, "--blocking-factor": true, "--record-size": true,
	"--tape-length": true, "--info-script": true, "--new-volume-script": true, "--volno-file": true,
	"--rsh-command": true, "--index-file": true, "--checkpoint-action": true, "--strip-components": true,
	"--suffix": true, "--newer-mtime": true, "--mtime": true, "--sparse-version": true, "--quoting-style": true}

// tarDests: GNU tar and bsdtar extraction (x, --extract, --get), into
// each -C directory or the working directory.
func tarDests(args []string) []string {
	const valued = "bCfFgHIKLNTVX"
	var extract, pinned, absolute = false, true, false
	var dirs, members []string
	take := func(letter byte, v string) {
		switch letter {
		case 'C':
			dirs = append(dirs, v)
		case 'T':
			pinned = false
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case i == 0 && a != "" && a[0] != '-':
			// Old style: a bundle of letters whose values follow in order.
			extract = strings.ContainsRune(a, 'x')
			absolute = strings.ContainsRune(a, 'P')
			for k := 0; k < len(a); k++ {
				if strings.IndexByte(valued, a[k]) >= 0 && i+1 < len(args) {
					i++
					take(a[k], args[i])
				}
			}
			if strings.ContainsRune(a, 'O') {
				return nil
			}
		case strings.HasPrefix(a, "--"):
			name, v, hasV := strings.Cut(a, "=")
			switch name {
			case "--extract", "--get":
				extract = true
			case "--to-stdout":
				return nil
			case "--absolute-names":
				absolute = true
			case "--wildcards", "--transform", "--xform", "--files-from", "--to-command":
				pinned = false
			}
			if tarLongValued[name] && !hasV && i+1 < len(args) {
				i++
				v = args[i]
			}
			if name == "--directory" {
				dirs = append(dirs, v)
			}
		case len(a) > 1 && a[0] == '-':
			cl := a[1:]
			for k := 0; k < len(cl); k++ {
				switch cl[k] {
				case 'x':
					extract = true
				case 'O':
					return nil
				case 'P':
					absolute = true
				}
				if strings.IndexByte(valued, cl[k]) >= 0 {
					v := cl[k+1:]
					if v == "" && i+1 < len(args) {
						i++
						v = args[i]
					}
					take(cl[k], v)
					break
				}
			}
		default:
			members = append(members, a)
		}
	}
	if !extract {
		return nil
	}
	if absolute {
		return []string{"/"}
	}
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	if len(dirs)*max(len(members), 1) > maxDataDests {
		return []string{""}
	}
	var out []string
	for _, d := range dirs {
		if pinned {
			out = append(out, pinnedOrDir(members, d)...)
		} else {
			out = append(out, d)
		}
	}
	return out
}

// unzipDests: unzip ZIP [MEMBER...] [-x XMEMBER...] [-d DIR]; -l, -t, -v,
// -z, -Z, -p and -c write nothing.
func unzipDests(args []string) []string {
	dir := "."
	var ops []string
	excluding := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) > 1 && a[0] == '-' {
			excluding = false
			if strings.Contains(a, ":") {
				return []string{"/"} // -: keeps ../ and absolute names
			}
			if strings.ContainsAny(a[1:2], "ltvzZpc") {
				return nil
			}
			if l, v, ok := clusterValue(a[1:], "dx"); ok {
				if l == 'x' {
					excluding = true
					continue
				}
				if v == "" && i+1 < len(args) {
					i++
					v = args[i]
				}
				dir = v
			}
			continue
		}
		if !excluding {
			ops = append(ops, a)
		}
	}
	if len(ops) == 0 {
		return nil
	}
	return pinnedOrDir(ops[1:], dir)
}

// cpioDests: cpio -i (into -D DIR or the working directory; absolute
// names kept unless --no-absolute-filenames) and cpio -p DIR.
func cpioDests(args []string) []string {
	mode := byte(0)
	dir, noAbs := ".", false
	var ops []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--"):
			name, v, hasV := strings.Cut(a, "=")
			switch name {
			case "--extract":
				mode = 'i'
			case "--pass-through":
				mode = 'p'
			case "--no-absolute-filenames":
				noAbs = true
			case "--directory":
				if !hasV && i+1 < len(args) {
					i++
					v = args[i]
				}
				dir = v
			}
		case len(a) > 1 && a[0] == '-':
			for k := 1; k < len(a); k++ {
				if a[k] == 'i' || a[k] == 'p' || a[k] == 'o' {
					mode = a[k]
				}
				if strings.IndexByte("DEFHIMORC", a[k]) >= 0 {
					v := a[k+1:]
					if v == "" && i+1 < len(args) {
						i++
						v = args[i]
					}
					if a[k] == 'D' {
						dir = v
					}
					break
				}
			}
		default:
			ops = append(ops, a)
		}
	}
	switch {
	case mode == 'i' && !noAbs:
		return []string{"/"}
	case mode == 'i':
		return []string{dir}
	case mode == 'p' && len(ops) > 0:
		return []string{joinDir(dir, ops[len(ops)-1])}
	case mode == 'p':
		return []string{""}
	}
	return nil
}

// sevenZipDests: 7z x and 7z e, into -oDIR or the working directory.
func sevenZipDests(args []string) []string {
	if len(args) == 0 || args[0] != "x" && args[0] != "e" {
		return nil
	}
	dir := "."
	for _, a := range args[1:] {
		if v, ok := strings.CutPrefix(a, "-o"); ok {
			dir = v
		}
		if a == "-spf" || a == "-spf2" {
			return []string{"/"}
		}
	}
	return []string{dir}
}

// patchLongValued are patch's long options whose value may be the next argument.
var patchLongValued = map[string]bool{"--input": true, "--output": true, "--directory": true, "--ifdef": true,
	"--reject-file": true, "--prefix": true, "--basename-prefix": true, "--suffix": true,
	"--version-control": true, "--fuzz": true, "--strip": true, "--get": true, "--quoting-style": true}

// patchDests: patch without a file operand or -o writes the files its
// input names, under -d DIR or the working directory.
func patchDests(args []string) []string {
	const valued = "iodDrBYzVFpg"
	dir := "."
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return nil // a file operand: judged as an argument
			}
		case strings.HasPrefix(a, "--"):
			name, v, hasV := strings.Cut(a, "=")
			if patchLongValued[name] && !hasV && i+1 < len(args) {
				i++
				v = args[i]
			}
			switch name {
			case "--output":
				return nil
			case "--directory":
				dir = v
			}
		case len(a) > 1 && a[0] == '-':
			if l, v, ok := clusterValue(a[1:], valued); ok {
				if v == "" && i+1 < len(args) {
					i++
					v = args[i]
				}
				switch l {
				case 'o':
					return nil
				case 'd':
					dir = v
				}
			}
		default:
			return nil // the file to patch is named
		}
	}
	return []string{dir}
}

// gitWorkTreeCommands are git commands that write work tree files whose
// names come from commits, patches or the index.
var gitWorkTreeCommands = map[string]bool{"apply": true, "am": true, "pull": true, "merge": true,
	"checkout": true, "switch": true, "restore": true, "reset": true, "stash": true, "cherry-pick": true,
	"rebase": true, "revert": true, "read-tree": true, "checkout-index": true, "submodule": true}

// gitDests: the work tree a git command updates from data (git worktree
// add fills a new one), a directory git init makes a repository, or the
// directory git clone creates.
func gitDests(args []string) []string {
	dirs := []string{"."}
	workTree, gitDir, bare := "", "", false
	i := gitSubIndex(args)
	for k := 0; k < i; k++ {
		switch a := args[k]; {
		case a == "--git-dir" && k+1 < i:
			k++
			gitDir = args[k]
		case strings.HasPrefix(a, "--git-dir="):
			gitDir = strings.TrimPrefix(a, "--git-dir=")
		case a == "--bare":
			bare = true
		case a == "-C" && k+1 < i:
			k++
			dirs = []string{joinDir(dirs[0], args[k])}
		case a == "--work-tree" && k+1 < i:
			k++
			workTree = args[k]
		case strings.HasPrefix(a, "--work-tree="):
			workTree = strings.TrimPrefix(a, "--work-tree=")
		}
	}
	if i >= len(args) {
		return nil
	}
	sub, rest := args[i], args[i+1:]
	if workTree != "" {
		dirs = []string{joinDir(dirs[0], workTree)}
	}
	if sub == "init" {
		if gitDir != "" && !strings.HasSuffix(strings.TrimRight(gitDir, "/"), ".git") {
			return []string{""} // a git directory the judge would not know as one
		}
		if bare {
			rest = append([]string{"--bare"}, rest...)
		}
		return gitInitDests(dirs[0], rest)
	}
	if sub == "worktree" && len(rest) > 0 && rest[0] == "add" {
		// git worktree add [-b B] DIR [COMMIT]: DIR gets the commit's files.
		for k := 1; k < len(rest); k++ {
			switch a := rest[k]; {
			case a == "-b" || a == "-B" || a == "--reason":
				k++
			case strings.HasPrefix(a, "-"):
			default:
				return []string{joinDir(dirs[0], a)}
			}
		}
		return nil
	}
	if sub == "clone" {
		ops := gitCloneOperands(rest)
		if gd, ok := gitDirUnrecognized(rest); ok {
			return []string{gd}
		}
		switch len(ops) {
		case 0:
			return nil
		case 1:
			u := strings.TrimSuffix(strings.TrimRight(ops[0], "/"), ".git")
			u = u[strings.LastIndexAny(u, "/:")+1:]
			return []string{joinDir(dirs[0], u)}
		default:
			if b, _ := gitDirUnrecognized(rest); b == "bare" && !strings.HasSuffix(strings.TrimRight(ops[1], "/"), ".git") {
				return []string{""} // a bare repository the judge would not know as one
			}
			return []string{joinDir(dirs[0], ops[1])}
		}
	}
	if !gitWorkTreeCommands[sub] || !gitWritesWorkTree(sub, rest) {
		return nil
	}
	return dirs
}

// gitMakesRepository reports whether git run with args creates a
// repository (init, clone).
func gitMakesRepository(args []string) bool {
	i := gitSubIndex(args)
	return i < len(args) && (args[i] == "init" || args[i] == "clone")
}

// gitInitDests: git init [DIR] makes DIR (the working directory by
// default) a repository: in a home directory (or a start-up directory)
// every later git run below it reads its .git/config, whose
// core.fsmonitor and core.hooksPath run programs; judged as a write into
// DIR. A bare repository (--bare) or a --separate-git-dir whose name
// does not end in .git is a git directory the judge would not know as
// one (later writes to its config and hooks would pass): unknown.
func gitInitDests(cwd string, args []string) []string {
	var ops []string
	bare := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			ops = append(ops, args[i+1:]...)
			i = len(args)
		case a == "--bare":
			bare = true
		case a == "--separate-git-dir" || a == "-b" || a == "--initial-branch" || a == "--object-format" ||
			a == "--ref-format" || a == "--template":
			if a == "--separate-git-dir" && i+1 < len(args) && !strings.HasSuffix(strings.TrimRight(args[i+1], "/"), ".git") {
				return []string{""}
			}
			i++
		case strings.HasPrefix(a, "--separate-git-dir="):
			if !strings.HasSuffix(strings.TrimRight(strings.TrimPrefix(a, "--separate-git-dir="), "/"), ".git") {
				return []string{""}
			}
		case strings.HasPrefix(a, "-"):
		default:
			ops = append(ops, a)
		}
	}
	dir := cwd
	if len(ops) > 0 {
		dir = joinDir(cwd, ops[0])
	}
	if bare && !strings.HasSuffix(strings.TrimRight(cleanHome(dir), "/"), ".git") {
		return []string{""}
	}
	return []string{dir}
}

// gitDirUnrecognized reports, for git clone's options, "bare" when it
// makes a bare repository (--bare, --mirror), and a --separate-git-dir
// whose name does not end in .git as unknown ("", true).
func gitDirUnrecognized(args []string) (string, bool) {
	kind := ""
	for i, a := range args {
		v, ok := strings.CutPrefix(a, "--separate-git-dir=")
		if a == "--separate-git-dir" && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if ok && !strings.HasSuffix(strings.TrimRight(v, "/"), ".git") {
			return "", true
		}
		if a == "--bare" || a == "--mirror" {
			kind = "bare"
		}
	}
	return kind, false
}

// gitSubIndex is the index in args (git's arguments) of its subcommand,
// past git's own options; len(args) when there is none.
func gitSubIndex(args []string) int {
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			break
		}
		switch a {
		case "-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env":
			i++
		}
	}
	return min(i, len(args))
}

// gitCloneValued are git clone's options whose value is the next argument.
var gitCloneValued = map[string]bool{"-o": true, "-b": true, "-u": true, "-j": true, "--reference": true,
	"--reference-if-able": true, "--separate-git-dir": true, "--depth": true, "--filter": true,
	"--origin": true, "--branch": true, "--upload-pack": true, "--jobs": true, "--shallow-since": true,
	"--shallow-exclude": true, "--bundle-uri": true, "--server-option": true, "--template": true,
	"-c": true, "--config": true, "--ref-format": true}

// gitCloneOperands are git clone's repository and directory, its
// options' values left out.
func gitCloneOperands(args []string) []string {
	var ops []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(ops, args[i+1:]...)
		case gitCloneValued[a]:
			i++
		case strings.HasPrefix(a, "-"):
		default:
			ops = append(ops, a)
		}
	}
	return ops
}

// gitWritesWorkTree reports whether git sub with args writes work tree
// files: not apply --check/--stat/--numstat/--summary/--cached, reset
// only with --hard, --merge or --keep, restore unless only --staged,
// read-tree only with -u, stash only when it changes the work tree.
func gitWritesWorkTree(sub string, args []string) bool {
	has := func(opts ...string) bool {
		for _, a := range args {
			for _, o := range opts {
				if a == o {
					return true
				}
			}
		}
		return false
	}
	switch sub {
	case "apply":
		return !has("--check", "--stat", "--numstat", "--summary", "--cached")
	case "reset":
		return has("--hard", "--merge", "--keep")
	case "restore":
		return !has("--staged", "-S") || has("--worktree", "-W")
	case "read-tree":
		return has("-u")
	case "stash":
		return len(args) == 0 || !has("list", "show", "drop", "clear", "create", "store")
	case "submodule":
		return has("update")
	}
	return true
}

// scpSinkDests: the old scp protocol's receiving end, scp -t DIR (what
// sshd runs for scp -O): the names come from the sender.
func scpSinkDests(args []string) []string {
	sink := false
	var ops []string
	for _, a := range args {
		switch {
		case a == "--":
		case len(a) > 1 && a[0] == '-':
			if strings.ContainsRune(a, 't') {
				sink = true
			}
		default:
			ops = append(ops, a)
		}
	}
	if !sink {
		return nil
	}
	if len(ops) == 0 {
		return []string{"."}
	}
	return []string{ops[len(ops)-1]}
}

// scpUncheckedDests: scp -T turns off the client's check that the names
// a remote source sends are the ones asked for (scp -O -T host:x ~ may
// receive .bashrc): every remote copy into a local destination then
// writes names from the remote.
func scpUncheckedDests(args []string) []string {
	unchecked := false
	var ops []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			ops = append(ops, args[i+1:]...)
			i = len(args)
		case len(a) > 1 && a[0] == '-':
			k := strings.IndexAny(a[1:], remoteValued["scp"])
			if k < 0 && strings.ContainsRune(a, 'T') || k >= 0 && strings.ContainsRune(a[1:1+k], 'T') {
				unchecked = true
			}
			if k >= 0 && k == len(a)-2 {
				i++
			}
		default:
			ops = append(ops, a)
		}
	}
	if !unchecked || len(ops) < 2 || remoteOperand(ops[len(ops)-1]) {
		return nil
	}
	for _, s := range ops[:len(ops)-1] {
		if remoteOperand(s) {
			return []string{ops[len(ops)-1]}
		}
	}
	return nil
}

// rsyncDests: rsync --server without --sender (the receiving end sshd
// runs) writes the sender's names into its last operand; a local or
// pulling recursive rsync merges a source ending in / into the
// destination.
func rsyncDests(args []string) []string {
	server, sender, recursive := false, false, false
	var ops []string
	for _, a := range args {
		switch {
		case a == "--server":
			server = true
		case a == "--sender":
			sender = true
		case a == "--recursive" || a == "--archive" || a == "--dirs" || strings.HasPrefix(a, "--files-from"):
			recursive = true // --dirs copies a directory's entries; --files-from reads names
		case strings.HasPrefix(a, "--"):
		case len(a) > 1 && a[0] == '-':
			if strings.ContainsAny(a, "rad") {
				recursive = true
			}
		default:
			ops = append(ops, a)
		}
	}
	if !server && len(ops) > 1 {
		// A remote source (host:dir/, host::module, rsync://host/module)
		// sends the names: judged whatever the options say.
		for _, s := range ops[:len(ops)-1] {
			if strings.Contains(s, "::") || strings.HasPrefix(s, "rsync://") {
				recursive = true
			}
		}
	}
	if server {
		if sender || len(ops) == 0 {
			return nil
		}
		return []string{ops[len(ops)-1]}
	}
	if !recursive || len(ops) < 2 {
		return nil
	}
	dest := ops[len(ops)-1]
	if i := strings.IndexAny(dest, ":/"); i >= 0 && dest[i] == ':' {
		return nil // a remote destination
	}
	var out []string
	for _, s := range ops[:len(ops)-1] {
		module := strings.HasPrefix(s, "rsync://") && strings.Count(strings.TrimRight(s, "/"), "/") <= 3 ||
			strings.HasSuffix(s, "::") || strings.Contains(s, "::") && !strings.Contains(s[strings.Index(s, "::")+2:], "/")
		if module || strings.HasSuffix(s, "/") || strings.HasSuffix(s, "/.") || s == "." || strings.ContainsAny(path.Base(s), wildcards) {
			out = append(out, dest)
		}
	}
	return out
}

// copyDests: where cp, mv and ln put each source: the destination
// itself for -T, or for a tree (cp -r, mv, a link to a directory) whose
// name is not known (a source ending in /. or ., a pattern, an
// expansion), whose names then land in it; else the destination joined
// with the source's name (mv /tmp/d/bin ~ makes ~/bin). A plain file of
// an unknown name copied into home is not counted: no start-up file at
// the top of a home directory lacks a leading dot, and a pattern does not
// match one.
func copyDests(args []string, prog string) []string {
	recursive, noTarget := prog != "cp", false
	dest := ""
	var ops []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			ops = append(ops, args[i+1:]...)
			i = len(args)
		case a == "--recursive" || a == "--archive":
			recursive = true
		case a == "--no-target-directory":
			noTarget = true
		case strings.HasPrefix(a, "--target-directory="):
			dest = strings.TrimPrefix(a, "--target-directory=")
		case a == "--target-directory" && i+1 < len(args):
			i++
			dest = args[i]
		case strings.HasPrefix(a, "--"):
		case len(a) > 1 && a[0] == '-':
			if strings.ContainsAny(a, "rRa") {
				recursive = true
			}
			if strings.ContainsRune(a, 'T') {
				noTarget = true
			}
			if l, v, ok := clusterValue(a[1:], "tS"); ok {
				if v == "" && i+1 < len(args) {
					i++
					v = args[i]
				}
				if l == 't' {
					dest = v
				}
			}
		default:
			ops = append(ops, a)
		}
	}
	if dest == "" {
		if len(ops) < 2 {
			return nil
		}
		dest, ops = ops[len(ops)-1], ops[:len(ops)-1]
	}
	links, symbolic, relative := prog == "ln", prog == "ln", false
	if prog == "ln" {
		symbolic, relative = hasShortOrLong(args, 's', "--symbolic"), hasShortOrLong(args, 'r', "--relative")
	}
	if prog == "cp" {
		// cp -s and cp -l make links, not copies: cp -rs ~ d makes
		// d/bin/ls a second name for ~/bin/ls.
		links = hasShortOrLong(args, 's', "--symbolic-link") || hasShortOrLong(args, 'l', "--link")
	}
	var out []string
	for _, s := range ops {
		if links && strings.HasPrefix(s, "~+") && mayHoldStartup(cleanHome(s)) {
			out = append(out, cleanHome(s)) // ~+ is the working directory
			continue
		}
		if links && (strings.HasPrefix(s, "/") || strings.HasPrefix(cleanHome(s), "~")) && mayHoldStartup(s) {
			// A link to home (or .ssh, /etc): a second name for it that
			// later writes go through unjudged (ln -s ~ /tmp/h).
			out = append(out, s)
			continue
		}
		if links && !strings.HasPrefix(s, "/") && !strings.HasPrefix(cleanHome(s), "~") {
			// A relative target: ln -s resolves it against the link's
			// directory (DEST itself, or DEST's directory when DEST
			// names the link), ln, ln -r and cp against the working
			// one; a link to any of them that may hold a start-up path
			// (ln -s . d in home) is a second name for it.
			targets := []string{dest + "/" + s, path.Dir(dest) + "/" + s}
			if !symbolic || relative || prog == "cp" {
				targets = append(targets, s)
			}
			for _, t := range targets {
				if mayHoldStartup(t) {
					out = append(out, t)
				}
			}
		}
		s = cleanHome(s)
		b := path.Base(s)
		if b == "~" {
			b = "home" // cp -r ~ /backup makes /backup/NAME
		}
		unknownName := b == "." || strings.ContainsAny(b, wildcards) || strings.ContainsAny(s, "$`")
		switch {
		case noTarget, unknownName && recursive:
			out = append(out, dest)
		case !unknownName:
			out = append(out, joinDir(dest, b))
		}
	}
	return out
}

// changesDirUnseen reports whether c runs code in the shell itself that
// the analysis does not see, and so may change its directory, or starts
// a login shell whose start-up files may change the directory its own
// script (listed after it) runs in.
func changesDirUnseen(c gate.SSHCommand) bool {
	switch c.Program {
	case "source", ".", "eval", "":
		return true
	}
	if startsLoginShell(c) {
		return true // its start-up files run before the rest of its script
	}
	return strings.ContainsAny(c.Program, "$`")
}

// maxLineDirs bounds the working directories tracked for one line; past
// it the directory is unknown (fail closed).
const maxLineDirs = 8

// lineDirs returns, for each command of s, the working directories it
// may run in, relative to the login directory ("." is it, "" unknown).
// The login directory stays one unless the line starts with a cd to a
// directory and chains every command with && alone (no ;, |, ||, &,
// subshell or newline): then every later command runs after that cd
// succeeded. (Only a cd that starts the line is surely the shell's own:
// the commands of inline code, bash -c '...', are listed too.) When the
// list is the line's own && chain and nothing else (ownChain), every cd
// moves the commands after it (mkdir -p D && cd D && tar xf a.tar);
// otherwise every later cd adds its directory, joined to each known; a relative name not
// starting with . may be any directory (CDPATH). A command that runs
// code in the shell itself, unseen (source, ., eval, a program name from
// an expansion), may change directory anywhere: after it the directory is
// also unknown. (A child process cannot change the shell's directory.)
func lineDirs(s *gate.SSH) [][]string {
	cur := []string{"."}
	out := make([][]string, len(s.Commands))
	text := strings.TrimSpace(s.Command)
	chained := len(s.Commands) > 0 && (s.Commands[0].Program == "cd" || s.Commands[0].Program == "pushd") &&
		(strings.HasPrefix(text, "cd ") || strings.HasPrefix(text, "pushd ")) &&
		!strings.ContainsAny(text, ";|()\n`") && !strings.Contains(strings.ReplaceAll(text, "&&", ""), "&")
	own := -1             // ownChain, decided at the first cd past the line's start
	back := []string{"."} // where cd - and popd go: before the last cd
	cdpath := cdpathEntries(s.Command)
	for i, c := range s.Commands {
		out[i] = cur
		if changesDirUnseen(c) {
			if !slices.Contains(cur, "") {
				cur = append(slices.Clone(cur), "")
			}
			continue
		}
		if c.Program != "cd" && c.Program != "pushd" && c.Program != "popd" {
			continue
		}
		var next []string
		prev := back
		back = cur
		for _, d := range changedDirs(c) {
			if d != "" && d[0] != '/' && d[0] != '.' && d[0] != '~' {
				// A relative name may be found through CDPATH (set in
				// the environment or an rc file): CDPATH=/ cd home.
				next = append(append(next, ""), cdpathDirs(cdpath, d)...)
			}
			if d == "" && (c.Program == "popd" || operandIs(c, "-")) {
				next = append(next, prev...) // cd - and popd go back
			}
			for _, from := range cur {
				next = append(next, joinDir(from, d))
			}
		}
		if i > 0 && own < 0 {
			own = 0
			if ownChain(s) {
				own = 1
			}
		}
		if !(i == 0 && chained || i > 0 && own == 1) {
			next = append(append([]string(nil), cur...), next...)
		}
		if len(next) > maxLineDirs {
			next = []string{""}
		}
		cur = next
	}
	return out
}

// hasShortOrLong reports whether args hold the option letter short in a
// cluster of short options (-rs) or the long option long, before any --.
// A letter inside a cluster's option value counts too: fail closed.
func hasShortOrLong(args []string, short byte, long string) bool {
	for _, a := range args {
		switch {
		case a == "--":
			return false
		case a == long:
			return true
		case len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.IndexByte(a[1:], short) >= 0:
			return true
		}
	}
	return false
}

// bindSources are the directories mount --bind (or -B, --rbind, -o bind)
// and bindfs show under a second name: their operands. A bind mount of
// the home directory makes every later write through the mount point
// look like an ordinary one.
func bindSources(prog string, args []string) []string {
	bind := prog == "bindfs"
	var ops []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--bind" || a == "--rbind" || a == "-B" || a == "-R":
			bind = true
		case a == "-o" && i+1 < len(args):
			i++
			bind = bind || strings.Contains(args[i], "bind")
		case strings.HasPrefix(a, "-o"), strings.HasPrefix(a, "--options="):
			bind = bind || strings.Contains(a, "bind")
		case (a == "-t" || a == "-O") && i+1 < len(args):
			i++
		case strings.HasPrefix(a, "-"):
		default:
			ops = append(ops, a)
		}
	}
	if !bind {
		return nil
	}
	return ops
}

// operandIs reports whether c's first operand is op.
func operandIs(c gate.SSHCommand, op string) bool {
	ops := operands(c.Args)
	return len(ops) > 0 && ops[0] == op
}

// cdpathEntries returns the directories of every literal CDPATH
// assignment in a line's text (CDPATH=~/.local/share cd systemd): cd
// finds a relative name there before the working directory. Values the
// gate cannot read count as the unknown directory "" the caller adds.
// At most maxLineDirs are kept.
func cdpathEntries(text string) []string {
	var out []string
	for rest := text; ; {
		i := strings.Index(rest, "CDPATH=")
		if i < 0 {
			return out
		}
		rest = rest[i+len("CDPATH="):]
		end := strings.IndexAny(rest, " \t\n;&|)")
		if end < 0 {
			end = len(rest)
		}
		v := strings.Trim(rest[:end], `"'`)
		for _, e := range strings.Split(v, ":") {
			if e == "" {
				e = "."
			}
			if !strings.ContainsAny(e, wildcards) && len(out) < maxLineDirs {
				out = append(out, joinDir(".", e))
			}
		}
	}
}

// cdpathDirs returns the relative cd operand d joined to each of entries
// (cdpathEntries).
func cdpathDirs(entries []string, d string) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e+"/"+d)
	}
	return out
}
