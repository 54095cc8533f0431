package postgres

import (
	"strings"
	"sync"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
)

// listenedChannels are the channels the client asked for by name in a
// LISTEN statement it sent (the client goroutine adds, the upstream
// goroutine reads). Code the gateway cannot see may LISTEN on a channel
// named by any value it read (EXECUTE format('LISTEN %I', card)), and a
// notification on it brings the name back in its channel field: under a
// decision that masks, a channel not in this set reaches the client as
// "[masked]".
type listenedChannels struct {
	mu    sync.Mutex
	names map[string]bool
}

// note adds the channel of each LISTEN of sts whose name the gateway can
// read; one it cannot read stays out (its notifications are masked).
func (l *listenedChannels) note(sts []pgsql.Statement) {
	for i := range sts {
		if !strings.EqualFold(sts[i].Kind, "LISTEN") {
			continue
		}
		name, ok := listenChannel(sts[i].Text)
		if !ok {
			continue
		}
		l.mu.Lock()
		if l.names == nil {
			l.names = map[string]bool{}
		}
		if len(l.names) < maxListened {
			l.names[name] = true
		}
		l.mu.Unlock()
	}
}

// maxListened bounds the channels remembered per session; past it, a
// channel is masked.
const maxListened = 1024

// has reports whether the client named channel in a LISTEN.
func (l *listenedChannels) has(channel string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.names[channel]
}

// listenChannel returns the channel a LISTEN statement's text names, as
// the server stores it: a quoted identifier as written, an unquoted one
// in lower case, both cut to the server's 63 bytes. ok is false when the
// text is not a plain LISTEN of one identifier (a Unicode-escaped name,
// a comment where the name should be).
func listenChannel(text string) (name string, ok bool) {
	s := strings.TrimSpace(text)
	if len(s) < 6 || !strings.EqualFold(s[:6], "listen") {
		return "", false
	}
	s = strings.TrimSpace(s[6:])
	s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
	switch {
	case s == "":
		return "", false
	case s[0] == '"':
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] != '"' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			if i+1 != len(s) {
				return "", false
			}
			return truncateName(b.String()), true
		}
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || i > 0 && (c >= '0' && c <= '9' || c == '$')) {
			return "", false
		}
	}
	return truncateName(strings.ToLower(s)), true
}

// truncateName cuts an identifier to the server's NAMEDATALEN-1 bytes, on
// a character boundary.
func truncateName(s string) string {
	if len(s) <= maxNameLen {
		return s
	}
	n := maxNameLen
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}
