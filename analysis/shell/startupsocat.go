package shell

import "strings"

// socatFileKeywords are the socat address types that open, create or
// replace a file system path: the text after the colon, up to the first
// comma, is that path, relative to the working directory.
var socatFileKeywords = map[string]bool{"OPEN": true, "CREATE": true, "CREAT": true, "GOPEN": true, "FILE": true,
	"PIPE": true, "NAMEDPIPE": true, "UNIX-LISTEN": true, "UNIX-CONNECT": true, "UNIX-SENDTO": true,
	"UNIX-RECVFROM": true, "UNIX-RECV": true, "UNIX-CLIENT": true, "UNIX": true, "LOCAL": true}

// socatFiles returns the paths socat's address operands name (each side
// of a dual address a!!b): KEYWORD:path,options for the file keywords,
// and a bare operand with a slash (socat's GOPEN). A relative path is
// returned as written, so it is judged against the working directories
// (socat OPEN:.bashrc run in the home directory) like any other word.
func socatFiles(args []string) []string {
	var out []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") && a != "-" {
			continue
		}
		for _, addr := range strings.Split(a, "!!") {
			kw, rest, ok := strings.Cut(addr, ":")
			switch {
			case ok && socatFileKeywords[strings.ToUpper(kw)]:
			case !ok && strings.Contains(addr, "/"):
				rest = addr
			default:
				continue
			}
			if i := strings.IndexByte(rest, ','); i >= 0 {
				rest = rest[:i]
			}
			if rest != "" {
				out = append(out, rest)
			}
		}
	}
	return out
}
