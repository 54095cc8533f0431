package shell

import "strings"

// Copies from another host name their local files after the remote
// source: scp host:.bashrc ~, rsync host:.ssh/rc ~/.ssh/ and sftp
// host:.bashrc (into the working directory) write ~/.bashrc and
// ~/.ssh/rc, though no word of the line spells the local name. The
// remote part (host:) is taken off each source and the copy judged as cp
// would be (copyDests); a copy to another host writes nothing here. An
// sftp that reads its commands (get, lcd) from its input or a batch
// file writes where the gate cannot tell.

// remoteValued are scp's, sftp's and rsync's short options whose value
// is the next argument.
var remoteValued = map[string]string{"scp": "cFiJloPSDX", "sftp": "BbcDFiJloPRSsX", "rsync": "efTBM"}

// remoteCopyDests returns what copyDests gives for prog's operands, with
// remote sources' host parts taken off; nil when the destination is
// remote.
func remoteCopyDests(prog string, args []string) []string {
	var ops []string
	recursive := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			ops = append(ops, args[i+1:]...)
			i = len(args)
		case a == "--recursive" || a == "--archive":
			recursive = true
		case strings.HasPrefix(a, "--"):
		case len(a) > 1 && a[0] == '-':
			if _, v, ok := clusterValue(a[1:], remoteValued[prog]); ok && v == "" {
				i++
			}
			if k := strings.IndexAny(a[1:], remoteValued[prog]); k < 0 && strings.ContainsAny(a, "ra") ||
				k >= 0 && strings.ContainsAny(a[1:1+k], "ra") {
				recursive = true
			}
		default:
			ops = append(ops, a)
		}
	}
	if prog == "sftp" && (len(ops) != 1 || !remoteOperand(ops[0])) {
		// Commands from standard input or a batch file (get, lcd):
		// names and directories the gate does not see.
		return []string{""}
	}
	if prog == "sftp" {
		ops = append(ops, ".")
	}
	if len(ops) < 2 || remoteOperand(ops[len(ops)-1]) {
		return nil
	}
	cp := []string{}
	if recursive {
		cp = append(cp, "-r")
	}
	cp = append(cp, "--")
	for _, s := range ops[:len(ops)-1] {
		if remoteOperand(s) {
			s = s[strings.IndexByte(s, ':')+1:]
			if s == "" || strings.HasPrefix(s, ":") {
				s = "." // the remote home, or an rsync module: names unknown
			}
		}
		cp = append(cp, s)
	}
	return copyDests(append(cp, ops[len(ops)-1]), "cp")
}

// remoteOperand reports whether an operand names another host's file: a
// colon before any slash.
func remoteOperand(s string) bool {
	i := strings.IndexAny(s, ":/")
	return i > 0 && s[i] == ':'
}
