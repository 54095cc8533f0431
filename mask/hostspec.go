package mask

import "bytes"

// Login names at hosts. user@host is an e-mail address's shape, but also
// the shape of a login on a host: an scp or git remote
// (git@github.com:org/repo.git, deploy@web.example.com:/srv/app), and the
// user of a URL (ssh://git@github.com/org/repo, postgres://app@db:5432/).
// Neither is an address: the part after '@' is a host, the part before it
// an account name. Masking them as addresses hides the remote an agent is
// told to use. An address followed by ':' and text with no path
// ("ann@example.com:hunter2", a leaked e-mail and password) is still an
// address.

// maxHostPath bounds the bytes read after the ':' of a remote for the
// slash of its path.
const maxHostPath = 64

// hostSpec reports whether the address shape t[a:b] is a login at a host:
// the user of a URL of a network scheme (loginSchemes), or a remote
// followed by ':' and a path:
// '/' or '~' first, or a git repository's path (a name, '/', and a path
// ending in ".git", or any path after the user "git"). A relative path
// after another user is read as an address and a password
// ("ann@example.com:pass/word").
func hostSpec(t []byte, a, b int) bool {
	if a >= 3 && t[a-1] == '/' && t[a-2] == '/' && t[a-3] == ':' {
		return loginScheme(t[:a-3])
	}
	if at(t, b) != ':' {
		return false
	}
	i := b + 1
	switch at(t, i) {
	case '/', '~':
		return true
	}
	slash := false
	j := i
	for ; j < len(t) && j-i < maxHostPath; j++ {
		c := t[j]
		if c == '/' {
			if j == i {
				return false
			}
			slash = true
			continue
		}
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			break
		}
	}
	if !slash || j-i >= maxHostPath {
		return false
	}
	at := bytes.IndexByte(t[a:b], '@')
	p := bytes.TrimSuffix(t[i:j], []byte("/"))
	return string(t[a:a+at]) == "git" || bytes.HasSuffix(p, []byte(".git"))
}

// loginSchemes are the URL schemes whose user@host is an account at a
// server. A URL of another scheme (an application's own, people://…)
// may name a person by address: it is read as one.
var loginSchemes = map[string]bool{
	"ssh": true, "git": true, "git+ssh": true, "ssh+git": true, "sftp": true, "scp": true, "rsync": true,
	"ftp": true, "ftps": true, "http": true, "https": true, "svn": true, "svn+ssh": true, "hg+ssh": true,
	"postgres": true, "postgresql": true, "mysql": true, "mariadb": true, "mongodb": true, "mongodb+srv": true,
	"redis": true, "rediss": true, "amqp": true, "amqps": true, "ldap": true, "ldaps": true, "smb": true,
	"telnet": true, "vnc": true, "rdp": true, "s3": true,
}

// loginScheme reports whether the text before "://" ends in a scheme of
// loginSchemes, in any case.
func loginScheme(before []byte) bool {
	i := len(before)
	for i > 0 && i > len(before)-16 {
		c := before[i-1]
		if !isAlnum(c) && c != '+' && c != '.' && c != '-' {
			break
		}
		i--
	}
	return loginSchemes[string(bytes.ToLower(before[i:]))]
}
