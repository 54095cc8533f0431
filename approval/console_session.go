package approval

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// DefaultSessionTTL is how long a console login lasts.
const DefaultSessionTTL = 8 * time.Hour

// maxSessions bounds the console's login sessions.
const maxSessions = 10000

// consoleSession is a browser login: the reviewer, the CSRF token its forms
// must echo, and a one-shot message for the next page.
type consoleSession struct {
	identity gate.Identity
	// token is the reviewer token the login was made with; it is checked
	// again on every request, so revoking it ends the login at once.
	token   string
	csrf    string
	expires time.Time
	flash   string
}

// sessions keeps console logins server-side; the cookie holds only a random
// id.
type sessions struct {
	mu sync.Mutex
	m  map[string]*consoleSession
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *sessions) create(id gate.Identity, token string, ttl time.Duration) (string, *consoleSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]*consoleSession)
	}
	now := time.Now()
	for k, v := range s.m {
		if now.After(v.expires) {
			delete(s.m, k)
		}
	}
	for k := range s.m { // still full: drop an arbitrary one
		if len(s.m) < maxSessions {
			break
		}
		delete(s.m, k)
	}
	sid := randomToken()
	cs := &consoleSession{identity: cloneIdentity(id), token: token, csrf: randomToken(), expires: now.Add(ttl)}
	s.m[sid] = cs
	return sid, cs
}

func (s *sessions) get(sid string) (*consoleSession, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.m[sid]
	if !ok || sid == "" {
		return nil, false
	}
	if time.Now().After(cs.expires) {
		delete(s.m, sid)
		return nil, false
	}
	return cs, true
}

// takeFlash returns and clears the session's message.
func (s *sessions) takeFlash(cs *consoleSession) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := cs.flash
	cs.flash = ""
	return f
}

func (s *sessions) setFlash(cs *consoleSession, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs.flash = msg
}

func (s *sessions) delete(sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sid)
}

func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
