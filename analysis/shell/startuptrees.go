package shell

import (
	"path"
	"strings"
)

// Clients that copy a remote tree (or update a work copy) whose names
// come from the remote side: svn checkout, export and update, hg clone
// and update, rclone, aws s3, gsutil, s3cmd, mc, ncftpget, and the cp of
// docker, podman and kubectl (a container's files). As for git clone,
// the local directory they write into is judged (mayHoldStartup). Where
// the options' values cannot be told from the operands (aws, gsutil,
// rclone, s3cmd, mc: many options of each take a value), every local
// word that is not an option is taken as a possible destination: a
// value judged as a directory is refused only when it may hold a
// start-up path.

// treeCopyDests returns the local directories c writes remote-chosen
// names into.
func treeCopyDests(prog string, args []string) []string {
	ops, _ := splitOperands(args)
	// The subcommand is the first operand that is one: a global
	// option's value (kubectl -n NS, aws --profile P, svn --username U)
	// comes before it.
	sub, rest := "", ops
	for i, o := range ops {
		if treeSubcommands[o] {
			sub, rest = o, ops[i+1:]
			break
		}
	}
	if prog == "hg" && (slicesHasAny(args, "--cwd", "-R", "--repository") || hasPrefixAny(args, "--cwd=", "--repository=")) {
		return []string{""} // another repository or directory: not judged
	}
	switch prog {
	case "svn":
		switch sub {
		case "checkout", "co", "export":
			return checkoutDest(rest)
		case "update", "up", "switch", "sw", "merge", "revert", "cleanup", "resolve":
			return append([]string{"."}, localWords(rest)...)
		}
	case "hg":
		switch sub {
		case "clone":
			return checkoutDest(rest)
		case "update", "up", "checkout", "co", "pull", "revert", "unbundle", "import", "merge", "rebase", "graft":
			if sub == "pull" && !slicesHasAny(args, "-u", "--update", "--rebase") {
				return nil
			}
			return []string{"."}
		}
	case "rclone":
		switch sub {
		case "copy", "sync", "move", "bisync", "mount", "cryptdecode", "copyurl":
			return localWords(patternValuesOut(args, rest))
		}
	case "aws":
		if sub == "s3" && len(rest) > 0 {
			switch rest[0] {
			case "cp", "mv", "sync":
				return localWords(patternValuesOut(args, rest[1:]))
			}
		}
	case "gsutil", "s3cmd", "mc":
		switch sub {
		case "cp", "mv", "rsync", "sync", "get", "mirror":
			return localWords(patternValuesOut(args, rest))
		}
	case "ncftpget":
		if slicesHasAny(args, "-c") {
			return nil // to standard output
		}
		return localWords(ops)
	case "docker", "podman", "kubectl", "nerdctl", "oc":
		if sub != "cp" || len(rest) < 2 {
			return nil
		}
		cp := []string{"-r", "--"}
		for _, s := range rest[:len(rest)-1] {
			if i := strings.IndexByte(s, ':'); i >= 0 {
				s = s[i+1:]
				if s == "" || s == "/" {
					s = "."
				}
			}
			cp = append(cp, s)
		}
		if strings.Contains(rest[len(rest)-1], ":") {
			return nil // into the container
		}
		return copyDests(append(cp, rest[len(rest)-1]), "cp")
	}
	return nil
}

// localWords are the words of ops that may be local paths: not a URL
// (scheme://) nor a remote (name: before any slash).
func localWords(ops []string) []string {
	var out []string
	for _, o := range ops {
		if strings.Contains(o, "://") || remoteOperand(o) {
			continue
		}
		out = append(out, o)
	}
	return out
}

// treeSubcommands are the subcommands treeCopyDests knows, of every
// program it judges.
var treeSubcommands = map[string]bool{"checkout": true, "co": true, "export": true, "update": true, "up": true,
	"switch": true, "sw": true, "merge": true, "revert": true, "cleanup": true, "resolve": true, "clone": true,
	"pull": true, "unbundle": true, "import": true, "rebase": true, "graft": true, "copy": true, "sync": true,
	"move": true, "bisync": true, "mount": true, "cryptdecode": true, "copyurl": true, "s3": true, "cp": true,
	"mv": true, "rsync": true, "get": true, "mirror": true}

// hasPrefixAny reports whether a word of args starts with one of prefixes.
func hasPrefixAny(args []string, prefixes ...string) bool {
	for _, a := range args {
		for _, p := range prefixes {
			if strings.HasPrefix(a, p) {
				return true
			}
		}
	}
	return false
}

// patternValuesOut leaves out of ops the words that follow a long option
// in args and are a pattern with no slash (--exclude '*.tmp'): a filter,
// not a destination.
func patternValuesOut(args, ops []string) []string {
	values := map[string]bool{}
	for i := 1; i < len(args); i++ {
		if strings.HasPrefix(args[i-1], "--") && !strings.Contains(args[i-1], "=") &&
			strings.ContainsAny(args[i], "*?[") && !strings.ContainsAny(args[i], "/$`") {
			values[args[i]] = true
		}
	}
	var out []string
	for _, o := range ops {
		if !values[o] {
			out = append(out, o)
		}
	}
	return out
}

// checkoutDest is the directory an svn checkout/export or hg clone makes:
// the last operand, or the source URL's last segment when only the source
// is given; nil without operands.
func checkoutDest(ops []string) []string {
	switch len(ops) {
	case 0:
		return nil
	case 1:
		return []string{path.Base(strings.TrimRight(ops[0], "/"))}
	}
	return []string{ops[len(ops)-1]}
}
