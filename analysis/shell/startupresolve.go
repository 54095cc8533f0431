package shell

import (
	"path"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Names the kernel resolves differently from the text. The judge matches
// a path's trailing components lexically; a word that reaches a file by
// a way the text does not show is judged under every name it may stand
// for (spellings), and a part of it the gate cannot know stands for any
// directory, the home directory and / included. The resolution rules:
//
//   - absolute paths are normalised: // and /./ fold, and so does ..
//     after a name; but the kernel resolves .. physically, after any
//     symbolic link on the host (/var/run/../root is /root, /var/root
//     lexically), so the text after a path's last .. is also judged
//     after a directory only known at run time;
//   - the standard links of a Linux host are followed both ways
//     (/var/run is /run, /var/lock /run/lock; /bin, /sbin and /lib* are
//     /usr's on a merged-usr system), so /var/run/systemd/system is
//     /run/systemd/system; other links on the host are not seen;
//   - ~NAME is a home directory, ~N, ~+N and ~-N the directory stack
//     (unknown); $HOME and ${HOME} are ~, any other expansion (${HOME%/},
//     $PWD, $(pwd), $(getent passwd u | cut -d: -f6), $X after X=~) is
//     unknown: it may be the home directory, / or any directory, so a
//     word built from it is judged with the home directory and / before
//     its known text too ("$D"/bin/ls may be ~/bin/ls, "$D"/etc/cron.d/x
//     /etc/cron.d/x);
//   - a descriptor's path (/dev/fd/N, /proc/PID/fd/N, /dev/stdin,
//     /dev/stdout, /dev/stderr, and a path below one: the descriptor may
//     be open on a directory, exec 3<~; echo x > /dev/fd/3/.bashrc) is
//     any file the line opens by a redirection, whatever its direction
//     (opening /dev/fd/3 reopens the file for writing), followed by the
//     rest; a descriptor other than 0, 1 and 2, or one used as a
//     directory, may also be open on a file the line does not name
//     (exec {v}<~, a program's own), so it is also judged as unknown;
//   - /proc/PID/root is / and /proc/self/cwd the working directory;
//     another process's cwd is unknown;
//   - the home directory is not known by an absolute path other than
//     /root and /home/NAME (sshd may give any): a directory named bin,
//     or a file directly in it, written by an absolute path (or from a
//     working directory given by one) is a start-up path unless its
//     parent lies strictly inside a known home directory or in a system
//     tree that is no login directory (homeBinWrite);
//   - a program named by a path (./cat, /tmp/x/cat, ~/bin/ls) is
//     whatever file is there, not the system's program of that name:
//     its arguments are judged as any unknown program's (systemProgram).

// unknownDir stands for a directory only known at run time in a
// spelling: an expansion knownTail skips.
const unknownDir = "$_"

// spellings returns w and the other names the kernel may resolve it to
// (see the top of this file); opened are the files the line opens by a
// redirection (nil: a descriptor's path is left as it is, for the caller
// to resolve with the line's).
func spellings(w string, opened *lineFiles) []string {
	out := []string{w}
	if rest, n, ok := fdPath(w); ok && opened != nil {
		for _, t := range opened.files {
			out = append(out, spellings(t+rest, nil)...)
		}
		if (n > 2 || rest != "") && !opened.fds[n] || n < 0 {
			out = append(out, unknownDir+rest)
		}
		return out
	}
	if rest, ok := otherProcessCwd(w); ok {
		return append(out, unknownDir+rest)
	}
	if i := strings.LastIndex(w, "/../"); i >= 0 || strings.HasPrefix(w, "../") || strings.HasSuffix(w, "/..") || w == ".." {
		switch {
		case i >= 0:
			out = append(out, unknownDir+w[i+3:])
		case strings.HasSuffix(w, "/..") || w == "..":
			out = append(out, unknownDir)
		default:
			out = append(out, unknownDir+w[2:])
		}
	}
	if strings.HasPrefix(w, "/") {
		out = append(out, linkedNames(path.Clean(w))[1:]...)
	}
	return out
}

// linkedNames returns the cleaned absolute path p and its names through
// hostLinks, each way.
func linkedNames(p string) []string {
	out := []string{p}
	for from, to := range hostLinks {
		for _, pair := range [][2]string{{from, to}, {to, from}} {
			if rest, ok := strings.CutPrefix(p, pair[0]); ok && (rest == "" || rest[0] == '/') {
				out = append(out, pair[1]+rest)
			}
		}
	}
	return out
}

// hostLinks are the symbolic links every current Linux host has (merged
// /usr, /var/run): each is judged as its target and the target as it.
var hostLinks = map[string]string{
	"/var/run": "/run", "/var/lock": "/run/lock", "/bin": "/usr/bin", "/sbin": "/usr/sbin", "/lib": "/usr/lib",
	"/lib32": "/usr/lib32", "/lib64": "/usr/lib64", "/libx32": "/usr/libx32",
}

// stdPaths are the standard descriptors' own paths.
var stdPaths = map[string]int{"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}

// fdPath reports whether w is a descriptor's path or below one, with the
// text after the descriptor and its number (-1 when not a number).
func fdPath(w string) (rest string, n int, ok bool) {
	w = lightClean(w)
	for std, fd := range stdPaths {
		if r, found := strings.CutPrefix(w, std); found && (r == "" || r[0] == '/') {
			return r, fd, true
		}
	}
	var tail string
	if r, found := strings.CutPrefix(w, "/dev/fd/"); found {
		tail = r
	} else if r, found := strings.CutPrefix(w, "/proc/"); found {
		parts := strings.SplitN(r, "/", 5)
		switch {
		case len(parts) >= 3 && parts[1] == "fd":
			tail = strings.Join(parts[2:], "/")
		case len(parts) >= 5 && parts[1] == "task" && parts[3] == "fd":
			tail = parts[4]
		default:
			return "", 0, false
		}
	} else {
		return "", 0, false
	}
	num, r, _ := strings.Cut(tail, "/")
	if r != "" {
		r = "/" + r
	}
	n = -1
	if num != "" && len(num) < 6 && strings.Trim(num, "0123456789") == "" {
		n = 0
		for _, d := range num {
			n = n*10 + int(d-'0')
		}
	}
	return r, n, true
}

// otherProcessCwd reports whether w is below /proc/PID/cwd of a process
// other than the one that opens it (self, thread-self, $$, $BASHPID are
// the shell or the program itself), with the text after cwd.
func otherProcessCwd(w string) (string, bool) {
	r, ok := strings.CutPrefix(lightClean(w), "/proc/")
	if !ok {
		return "", false
	}
	pid, r, _ := strings.Cut(r, "/")
	switch pid {
	case "self", "thread-self", "$$", "$BASHPID", "${BASHPID}":
		return "", false
	}
	if rest, ok := strings.CutPrefix(r, "cwd"); ok && (rest == "" || rest[0] == '/') {
		return rest, true
	}
	return "", false
}

// lineFiles are the files a line's redirections open, in any direction
// (a descriptor duplicated, >&3, opens none), and the descriptors they
// name by number (exec 3<~ opens 3; 0 and 1 are the defaults).
type lineFiles struct {
	files []string
	fds   map[int]bool
}

// openedFiles returns the files and descriptors s's redirections open.
func openedFiles(s *gate.SSH) lineFiles {
	out := lineFiles{fds: map[int]bool{}}
	for _, c := range s.Commands {
		for _, r := range c.Redirections {
			if r.Target == "" || r.Op == ">&" || r.Op == "<&" || r.Op == "<<" || r.Op == "<<-" || r.Op == "<<<" {
				continue
			}
			out.files = append(out.files, r.Target)
			if _, n, ok := fdPath("/dev/fd/" + r.FD); ok && r.FD != "" {
				out.fds[n] = true
			}
		}
	}
	return out
}

// anchoredStartup reports whether the known text after a directory only
// known at run time is a start-up path when that directory is the home
// directory or /.
func anchoredStartup(tail string) bool {
	if !strings.HasPrefix(tail, "/") {
		tail = "/" + tail
	}
	return startupClean(path.Clean("~"+tail)) || startupClean(path.Clean(tail))
}

// unknownWriteTarget is writeTargetStartup for a word only known at run
// time: its known text after the last expansion, with / before it, is a
// program directory or a bin directory that may be the login
// directory's ("$R"/usr/bin/ls, "$R"/srv/app/bin/ls).
func (j *lineJudge) unknownWriteTarget(w string) bool {
	c := cleanHome(w)
	if !strings.ContainsAny(c, wildcards) {
		return false
	}
	tail := knownTail(c)
	if !strings.HasPrefix(tail, "/") {
		tail = "/" + tail
	}
	p := path.Clean(tail)
	if j.homes != nil {
		return programPath(p) || knownHomeBinTail(p, j.homes)
	}
	return programPath(p) || mayBeHomeBin(p)
}

// homeBinWrite reports whether the word w, written by a command run in
// one of dirs (lineDirs), is a directory named bin or a file directly in
// it whose parent may be the login directory: an absolute path, not
// strictly inside a known home directory nor in a system tree
// (notLoginDirs). A word only known at run time is judged by
// anchoredStartup.
func (j *lineJudge) homeBinWrite(w string, dirs []string) bool {
	w = cleanHome(w)
	if w == "" || strings.ContainsAny(w, wildcards) {
		return false
	}
	if strings.HasPrefix(w, "/") {
		return j.mayBeHomeBin(path.Clean(w))
	}
	if strings.HasPrefix(w, "~") {
		return false
	}
	for _, d := range dirs {
		if p := cleanHome(d + "/" + w); strings.HasPrefix(p, "/") && j.mayBeHomeBin(path.Clean(p)) {
			return true
		}
	}
	return false
}

// mayBeHomeBin is the function of that name, or knownHomeBin when the
// login's home directory is known.
func (j *lineJudge) mayBeHomeBin(p string) bool {
	if j.homes != nil {
		return knownHomeBin(p, j.homes)
	}
	return mayBeHomeBin(p)
}

// lightClean folds the empty and . components of an absolute path
// (//dev/./fd/3 is /dev/fd/3) but not .., which the kernel resolves
// after any link, nor a last . or / (cp -r /d/. names no file).
func lightClean(w string) string {
	if !strings.HasPrefix(w, "/") || !strings.Contains(w, "//") && !strings.Contains(w, "/./") {
		return w
	}
	parts := strings.Split(w, "/")
	n := len(parts)
	kept := parts[:1]
	for i, p := range parts[1:] {
		if p != "" && p != "." || i == n-2 && i > 0 {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "/")
}

// mayBeHomeBin is homeBinWrite for a cleaned absolute path.
func mayBeHomeBin(p string) bool {
	parts := strings.Split(p, "/")
	n := len(parts)
	var parent []string
	switch {
	case parts[n-1] == "bin":
		parent = parts[:n-1]
	case n > 2 && parts[n-2] == "bin":
		parent = parts[:n-2]
	default:
		return false
	}
	if rest, ok := homeRelative(parent); ok && len(rest) > 0 {
		return false // ~/proj/bin
	}
	if len(parent) > 1 && notLoginDirs[parent[1]] {
		return false
	}
	return true
}

// notLoginDirs are the top directories that hold no login directory of
// an account one logs in as: the system's programs and the kernel's
// file systems. (The program directories count through programWrite.)
var notLoginDirs = map[string]bool{"usr": true, "proc": true, "sys": true, "dev": true, "boot": true, "lib": true,
	"lib64": true, "sbin": true, "bin": true}

// systemProgram reports whether c runs the system's program of its name:
// named bare (found on PATH) or by a path in a system program directory.
// ./cat and /tmp/x/cat run whatever file is there.
func systemProgram(c gate.SSHCommand) bool {
	return !strings.Contains(c.Path, "/") || systemDirs[path.Dir(path.Clean(c.Path))]
}

// tildePrefix splits a word starting with ~ into the name after the
// tilde (up to the first slash) and the rest.
func tildePrefix(w string) (name, rest string, ok bool) {
	after, ok := strings.CutPrefix(w, "~")
	if !ok {
		return "", "", false
	}
	name, rest, _ = strings.Cut(after, "/")
	if strings.Contains(after, "/") {
		rest = "/" + rest
	}
	return name, rest, true
}

// mayHoldStartup is the function of that name for a directory of the
// line: a descriptor's path is each file the line opened (or unknown).
func (j *lineJudge) mayHoldStartup(dir string) bool {
	if _, _, ok := fdPath(dir); !ok {
		return mayHoldStartup(dir)
	}
	for _, v := range spellings(dir, &j.opened)[1:] {
		if mayHoldStartup(v) {
			return true
		}
	}
	return false
}
