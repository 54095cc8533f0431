package shell

import "strings"

// Downloads whose file names come from the server: curl -J (the
// Content-Disposition name, into --output-dir or the working directory),
// curl -K FILE (a configuration that may name any output), and wget
// following links or server names (-r, -m, --content-disposition,
// --trust-server-names, -i FILE: into -P DIR or the working directory).

// downloadDests returns the directories prog writes server-chosen names
// into.
func downloadDests(prog string, args []string) []string {
	switch prog {
	case "curl":
		dir, named := ".", false
		for i, a := range args {
			switch {
			case a == "--output-dir" && i+1 < len(args):
				dir = args[i+1]
			case strings.HasPrefix(a, "--output-dir="):
				dir = strings.TrimPrefix(a, "--output-dir=")
			case a == "--remote-header-name":
				named = true
			case a == "--config" || strings.HasPrefix(a, "--config="):
				return []string{""}
			case len(a) > 1 && a[0] == '-' && a[1] != '-':
				if k := strings.IndexAny(a[1:], "JK"); k >= 0 {
					if a[1+k] == 'K' {
						return []string{""}
					}
					named = true
				}
			}
		}
		if named {
			return []string{dir}
		}
	case "wget":
		dir, named := ".", false
		for i, a := range args {
			switch {
			case a == "-P" || a == "--directory-prefix":
				if i+1 < len(args) {
					dir = args[i+1]
				}
			case strings.HasPrefix(a, "--directory-prefix="):
				dir = strings.TrimPrefix(a, "--directory-prefix=")
			case strings.HasPrefix(a, "-P") && len(a) > 2:
				dir = a[2:]
			case a == "--recursive" || a == "--mirror" || a == "--content-disposition" || a == "--trust-server-names" ||
				a == "--input-file" || strings.HasPrefix(a, "--input-file=") || a == "--page-requisites":
				named = true
			case len(a) > 1 && a[0] == '-' && a[1] != '-':
				if k := strings.IndexAny(a[1:], "rmipP"); k >= 0 && a[1+k] != 'P' {
					named = true
				}
			}
		}
		if named {
			return []string{dir}
		}
	}
	return nil
}
