package mask

import "bytes"

// Passwords in command lines and URLs, where no name of a secret stands
// before them: mysql's (and mysqldump's, mysqladmin's, mariadb's)
// "-pSECRET" glued to its option, sshpass's "-p SECRET", curl's
// "-u user:SECRET", and the password of a URL's user information
// ("postgres://app:SECRET@db/app"). Short options of other programs keep
// their arguments ("docker run -p 8080:80", "ssh -p 2222").

// maxCmdLine bounds how far after a program's name its options are read.
const maxCmdLine = 256

// maxUserInfo bounds a URL's user information.
const maxUserInfo = 256

// passOptionPrograms are the programs whose "-p" takes a password, and
// whether it may stand apart from its option ("-p SECRET"): mysql's
// "-p" alone asks for one, its next word being a database. The names are
// keywords: "mysql" also begins mysqldump and mysqladmin, "mariadb"
// mariadb-dump.
var passOptionPrograms = []struct {
	name  string
	apart bool
}{
	{"mysql", false}, {"mariadb", false}, {"sshpass", true},
}

// matchPassOption matches the argument of the first "-p" after a
// program of passOptionPrograms on its line.
func matchPassOption(s *scan, h kwHit) (span, bool) {
	t := s.t
	if is(at(t, h.start-1), clWord) || at(t, h.start-1) == '-' {
		return span{}, false
	}
	e := h.end
	for is(at(t, e), clWord) || at(t, e) == '-' {
		e++
	}
	apart := false
	for _, p := range passOptionPrograms {
		if bytes.EqualFold(t[h.start:h.end], []byte(p.name)) {
			apart = p.apart
		}
	}
	if at(t, e) != ' ' {
		return span{}, false
	}
	end := min(len(t), e+maxCmdLine)
	if k := bytes.IndexByte(t[e:end], '\n'); k >= 0 {
		end = e + k
	}
	for i := e; i+2 < end; i++ {
		if t[i] != ' ' || t[i+1] != '-' || t[i+2] != 'p' {
			continue
		}
		j := i + 3
		if at(t, j) == ' ' {
			if !apart {
				continue
			}
			for at(t, j) == ' ' {
				j++
			}
			if at(t, j) == '-' {
				continue
			}
		}
		if j >= end || isValueEnd(t[j]) && t[j] != '"' && t[j] != '\'' {
			continue
		}
		return assignmentValue(s, j)
	}
	return span{}, false
}

// matchUserInfoPassword matches the password of the user information
// after "://": "scheme://user:SECRET@host".
func matchUserInfoPassword(s *scan, h kwHit) (span, bool) {
	t := s.t
	colon, atSign := -1, -1
	j := h.end
	for ; j < len(t) && j-h.end <= maxUserInfo; j++ {
		c := t[j]
		if c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '<' || c == '>' {
			break
		}
		switch {
		case c == ':' && colon < 0:
			colon = j
		case c == '@':
			atSign = j // the last one: a password may hold '@' ("p@ss")
		}
	}
	if colon < 0 || atSign <= colon+1 {
		return span{}, false
	}
	return valueSpan(s, colon+1, atSign)
}

// matchCurlUser matches the password of curl's "-u user:SECRET" (or
// "--user") on curl's line.
func matchCurlUser(s *scan, h kwHit) (span, bool) {
	t := s.t
	if is(at(t, h.start-1), clWord) || at(t, h.end) != ' ' {
		return span{}, false
	}
	end := min(len(t), h.end+maxCmdLine)
	if k := bytes.IndexByte(t[h.end:end], '\n'); k >= 0 {
		end = h.end + k
	}
	for _, opt := range []string{" -u ", " --user ", " --user=", " -u"} {
		k := bytes.Index(t[h.end:end], []byte(opt))
		if k < 0 {
			continue
		}
		j := h.end + k + len(opt)
		if q := at(t, j); q == '"' || q == '\'' {
			j++
		}
		v := s.valueEnd(j)
		if c := bytes.IndexByte(t[j:v], ':'); c > 0 && j+c+1 < v {
			return span{start: j + c + 1, end: v}, true
		}
		return span{}, false
	}
	return span{}, false
}
