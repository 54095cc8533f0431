package shell

import (
	"path"
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// The login directory by its absolute name. Without it the judge knows a
// home directory only as ~, $HOME, /root or /home/NAME, and must take
// every directory named bin whose parent may be a home as ~/bin (a build
// into /srv/other/bin is refused), while names chosen by data written
// into /srv/app (tar -C, unzip -d, rsync -a d/, git clone) pass when
// /srv/app is the account's home. Given the account's login directory
// (Login, learned from the host by the caller), a line is judged twice:
// as written, with the bin rule narrowed to the home's own bin
// directories (and the program directories, whatever the home), and
// respelt, each word that names a path inside the home directory by any
// lexical spelling (absolute, // and /./, .., relative to the login
// directory or to a directory the line changes to, after = or an option
// letter, inside inline code) spelt from ~, so every rule that knows ~
// judges it. A link on the host to the home directory, other than the
// names Login gives, is not seen (as for any other directory).

// Login is what the judge knows of the account a command line runs as.
// The zero value knows nothing: WritesStartupFor is then WritesStartup.
type Login struct {
	// Home is the account's home directory, the directory ~ and $HOME
	// stand for: absolute. "", "/" or a relative path means unknown.
	Home string
	// Dir is the directory a command line starts in (the login
	// directory sshd changes to), when it is not Home: relative words
	// at the start of a line are relative to it. It is judged as a home
	// directory too (sshd reads its .ssh/authorized_keys).
	Dir string
	// Aliases are other absolute names of Home and Dir (with symbolic
	// links resolved), judged as the home directory too.
	Aliases []string
}

// names returns the absolute, cleaned names of the login's home
// directories, Home first; nil when Home is unknown.
func (l Login) names() []string {
	if !usableHome(l.Home) {
		return nil
	}
	out := []string{path.Clean(l.Home)}
	for _, d := range append([]string{l.Dir}, l.Aliases...) {
		if usableHome(d) && !slices.Contains(out, path.Clean(d)) {
			out = append(out, path.Clean(d))
		}
	}
	return out
}

// usableHome reports whether d can name a home directory: absolute, not
// / (then every path would be inside it), no NUL or newline.
func usableHome(d string) bool {
	return strings.HasPrefix(d, "/") && path.Clean(d) != "/" && !strings.ContainsAny(d, "\x00\n")
}

// WritesStartupFor is WritesStartup for a line run by the account l
// describes: a write into its home directory by the home's absolute
// name, or by a relative name from the login directory, is judged as a
// write into ~ (see the top of this file), and a directory named bin
// counts only as the home's own (~/bin) or a program directory, not as
// any directory whose parent may be a home. With the home unknown it is
// WritesStartup.
func WritesStartupFor(s *gate.SSH, l Login) (string, bool) {
	names := l.names()
	if s == nil || names == nil {
		return WritesStartup(s)
	}
	homes := make([][]string, len(names))
	for i, n := range names {
		homes[i] = strings.Split(n, "/")
	}
	if w, ok := writesStartup(s, homes); ok {
		return w, true
	}
	dir := l.Dir
	if !strings.HasPrefix(dir, "/") {
		dir = names[0]
	}
	r := &respeller{home: names[0], dir: path.Clean(dir), names: names}
	for _, n := range names {
		r.blanks = max(r.blanks, strings.Count(n, " "))
	}
	if t, ok := r.respell(s); ok {
		return writesStartup(t, homes)
	}
	return "", false
}

// knownHomeBin is mayBeHomeBin with the home directories known (homes,
// each a name's components): the parent of a bin directory counts when
// it is one of them, another account's home (/root, /home/NAME), or /
// (a relative word in a directory only known at run time).
func knownHomeBin(p string, homes [][]string) bool {
	parent, ok := binParent(p)
	if !ok {
		return false
	}
	if len(parent) == 1 {
		return true
	}
	if rest, ok := homeRelative(parent); ok && len(rest) == 0 {
		return true
	}
	for _, h := range homes {
		if slices.Equal(parent, h) {
			return true
		}
	}
	return false
}

// knownHomeBinTail is knownHomeBin for the known text p (cleaned, from /)
// after a directory only known at run time: that directory may end in
// any home's first names, or be /home.
func knownHomeBinTail(p string, homes [][]string) bool {
	parent, ok := binParent(p)
	if !ok {
		return false
	}
	if len(parent) <= 2 {
		return true // $D/bin, $D/NAME/bin: $D may be a home, or /home
	}
	if rest, ok := homeRelative(parent); ok && len(rest) == 0 {
		return true
	}
	known := parent[1:]
	for _, h := range homes {
		if len(known) <= len(h)-1 && slices.Equal(h[len(h)-len(known):], known) {
			return true
		}
	}
	return false
}

// binParent returns the components of the directory holding the bin
// directory a cleaned absolute path p is or is directly in.
func binParent(p string) ([]string, bool) {
	parts := strings.Split(p, "/")
	n := len(parts)
	switch {
	case parts[n-1] == "bin":
		return parts[:n-1], true
	case n > 2 && parts[n-2] == "bin":
		return parts[:n-2], true
	}
	return nil, false
}
