package shell

import (
	"path"
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// respeller spells the words of a line that name a path inside a known
// home directory from ~ (see startuplogin.go).
type respeller struct {
	home  string   // what ~ stands for
	dir   string   // the directory the line starts in
	names []string // the home directories' names, cleaned
	// blanks is the most blanks in one of names: a path inside the
	// home spelt in code runs past as many.
	blanks int
}

// textSeps end a path inside a word or inline code: blanks, quotes,
// brackets, separators and the = , : before an option's value.
const textSeps = " \t\n'\"`()<>;|&=,:"

// respell returns a copy of s whose words naming a path inside the home
// are spelt from ~, and whether any was.
func (r *respeller) respell(s *gate.SSH) (*gate.SSH, bool) {
	out := *s
	changed := false
	set := func(dst *string, v string) {
		if v != *dst {
			*dst, changed = v, true
		}
	}
	if s.Kind == "sftp" {
		set(&out.Path, r.word(s.Path, loginDir))
		set(&out.TargetPath, r.word(s.TargetPath, loginDir))
		return &out, changed
	}
	set(&out.Command, r.embedded(s.Command, loginDir))
	dirs := lineDirs(s)
	out.Commands = make([]gate.SSHCommand, len(s.Commands))
	for i, c := range s.Commands {
		c.Args = slices.Clone(c.Args)
		for k, a := range c.Args {
			set(&c.Args[k], r.word(a, dirs[i]))
		}
		c.Redirections = slices.Clone(c.Redirections)
		for k, rd := range c.Redirections {
			set(&c.Redirections[k].Target, r.word(rd.Target, dirs[i]))
		}
		c.Redirects = slices.Clone(c.Redirects)
		for k, t := range c.Redirects {
			set(&c.Redirects[k], r.word(t, dirs[i]))
		}
		out.Commands[i] = c
	}
	return &out, changed
}

// word respells w, a word of a command run in one of dirs (lineDirs): the
// whole word when it is a path, else each path inside it (embedded).
func (r *respeller) word(w string, dirs []string) string {
	if !strings.ContainsAny(w, textSeps[3:]) {
		if v, ok := r.path(w, dirs); ok {
			return v
		}
	}
	return r.embedded(w, dirs)
}

// embedded respells each path inside text that starts it, after one of
// textSeps, or after an option letter (-C/srv/app): up to the next of
// textSeps, or a home's name whole when it holds one of them.
func (r *respeller) embedded(text string, dirs []string) string {
	var b strings.Builder
	option := strings.HasPrefix(text, "-") && !strings.HasPrefix(text, "--")
	for i := 0; i < len(text); {
		start := i == 0 || strings.IndexByte(textSeps, text[i-1]) >= 0 ||
			option && text[i] == '/' && !strings.Contains(text[:i], "/")
		if !start {
			b.WriteByte(text[i])
			i++
			continue
		}
		if h, ok := r.nameAt(text[i:]); ok {
			b.WriteString("~")
			i += len(h)
			continue
		}
		if end, v, ok := r.run(text[i:], dirs); ok {
			b.WriteString(v)
			i += end
			continue
		}
		b.WriteByte(text[i])
		i++
	}
	return b.String()
}

// run respells the path text starts with: up to the next of textSeps,
// or, when a home's name holds blanks, up to one of as many blanks
// before it (the longest that names a path inside a home).
func (r *respeller) run(text string, dirs []string) (int, string, bool) {
	seps := textSeps
	if r.blanks > 0 {
		seps = textSeps[1:]
	}
	hard := strings.IndexAny(text, seps)
	if hard < 0 {
		hard = len(text)
	}
	ends := []int{hard}
	for k := 0; k < hard && len(ends) <= r.blanks; k++ {
		if text[k] == ' ' {
			ends = append(ends, k)
		}
	}
	slices.Reverse(ends[1:])
	for _, end := range ends {
		if v, ok := r.path(text[:end], dirs); ok && end > 0 {
			return end, v, true
		}
	}
	return 0, "", false
}

// nameAt returns the home name text starts with, followed by its end, a
// slash or one of textSeps.
func (r *respeller) nameAt(text string) (string, bool) {
	for _, h := range r.names {
		if rest, ok := strings.CutPrefix(text, h); ok && (rest == "" || strings.IndexByte("/"+textSeps, rest[0]) >= 0) {
			return h, true
		}
	}
	return "", false
}

// path respells w when it names a path inside a home directory: an
// absolute path; a path after ~ that leaves it with ..; a relative path
// run in one of dirs that reaches the home from outside it, or leaves
// it with .. (a relative path from inside the home without .. is judged
// from ~ already: the cd that entered it is respelt).
func (r *respeller) path(w string, dirs []string) (string, bool) {
	c := cleanHome(w)
	if c == "" || strings.ContainsAny(c, wildcards) || strings.HasPrefix(c, "-") {
		return "", false
	}
	var cands []string
	switch {
	case strings.HasPrefix(c, "/"):
		cands = []string{c}
	case c == "~" || strings.HasPrefix(c, "~/"):
		if !strings.Contains(c, "..") {
			return "", false
		}
		cands = []string{r.home + c[1:]}
	case strings.HasPrefix(c, "~"):
		return "", false
	default:
		for _, d := range dirs {
			b, ok := r.base(d)
			if !ok {
				continue
			}
			if _, in := r.under(path.Clean(b)); in && !strings.Contains(c, "..") {
				continue
			}
			cands = append(cands, b+"/"+c)
		}
	}
	for _, a := range cands {
		if v, ok := r.under(path.Clean(a)); ok {
			switch {
			case strings.HasSuffix(c, "/."):
				v += "/."
			case strings.HasSuffix(c, "/"):
				v += "/"
			}
			return v, true
		}
	}
	return "", false
}

// base returns the absolute directory a relative word run in d (as
// lineDirs gives it) is relative to; false when d is only known at run
// time.
func (r *respeller) base(d string) (string, bool) {
	d = cleanHome(d)
	switch {
	case d == "" || strings.ContainsAny(d, wildcards):
		return "", false
	case strings.HasPrefix(d, "/"):
		return d, true
	case d == "~" || strings.HasPrefix(d, "~/"):
		return r.home + d[1:], true
	case strings.HasPrefix(d, "~"):
		return "", false
	}
	return r.dir + "/" + d, true
}

// under spells the cleaned absolute path p from ~ when it lies in one of
// the home directories.
func (r *respeller) under(p string) (string, bool) {
	for _, h := range r.names {
		if p == h {
			return "~", true
		}
		if rest, ok := strings.CutPrefix(p, h+"/"); ok {
			return "~/" + rest, true
		}
	}
	return "", false
}
