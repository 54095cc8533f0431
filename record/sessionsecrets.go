package record

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/airlock-sdk/airlock/gate"
)

// The bounds of what a redactor remembers. Past them it refuses to record
// an event that would add a secret (fail closed) rather than forget one
// that a later event of the session may echo.
const (
	maxSessionSecrets = 4096    // forms remembered per session
	maxSecretBytes    = 8 << 20 // bytes remembered by one redactor
	minRemembered     = 8       // shorter values are too common to chase
)

// ErrSecretMemoryFull is wrapped by the error of an event refused because
// the secrets it would add to its session's memory exceed a bound: 4096
// forms for one session, 8 MiB for the whole recorder.
var ErrSecretMemoryFull = errors.New("record: too many secrets to remember")

// sessionSecrets remembers, per session, the secrets redacted from its
// requests, so that an upstream echoing one (in output data, an error, an
// approval) does not put it in the record in clear. A session is forgotten
// at its end. The zero value is ready to use.
type sessionSecrets struct {
	n     atomic.Int64 // sessions remembered: 0 skips the lock
	mu    sync.RWMutex
	m     map[string]*secretReplacer // immutable once stored
	bytes int
}

// get returns the replacer of session's remembered secrets, or nil.
func (ss *sessionSecrets) get(session string) *secretReplacer {
	if ss.n.Load() == 0 {
		return nil
	}
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	return ss.m[session]
}

// rememberKnown adds secrets (their forms of minRemembered bytes or more)
// to session's memory and returns the session's replacer. prev is a
// replacer the session had (nil: none) and known whether prev holds every
// one of secrets: then, while prev is still the session's, there is
// nothing to add.
func (ss *sessionSecrets) rememberKnown(r *redactor, session string, secrets []string, prev *secretReplacer, known bool) (*secretReplacer, error) {
	// A secret is remembered with all its forms at once: one already known
	// needs no forms computed (the usual case, the same header on every
	// request of a session).
	if old := ss.get(session); old != nil && (known && old == prev || old.knowsAll(secrets)) {
		return old, nil
	}
	forms := rememberedForms(secrets)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	old := ss.m[session]
	if len(forms) == 0 {
		return old, nil
	}
	rep := r.merge(old, forms)
	if rep == old {
		return old, nil
	}
	added := rep.size() - old.size()
	if len(rep.secrets) > maxSessionSecrets {
		return nil, fmt.Errorf("%w: session %s would remember %d forms of its secrets, more than the %d one session may; "+
			"refusing to store this event (its request is refused): end the session and start a new one",
			ErrSecretMemoryFull, session, len(rep.secrets), maxSessionSecrets)
	}
	if ss.bytes+added > maxSecretBytes {
		return nil, fmt.Errorf("%w: the recorder would remember %d bytes of secrets for %d sessions, more than its %d MiB; "+
			"refusing to store this event of session %s (its request is refused). A session's secrets are freed when its "+
			"session_end (or refused) event is recorded: sessions whose end is never recorded hold theirs until the Recorder "+
			"is closed, so end every session, and restart the recorder if sessions were lost",
			ErrSecretMemoryFull, ss.bytes+added, len(ss.m), maxSecretBytes>>20, session)
	}
	if ss.m == nil {
		ss.m = map[string]*secretReplacer{}
	}
	if old == nil {
		ss.n.Add(1)
	}
	ss.m[session] = rep
	ss.bytes += added
	return rep, nil
}

// forget drops session's memory.
func (ss *sessionSecrets) forget(session string) {
	if ss.n.Load() == 0 {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if old, ok := ss.m[session]; ok {
		ss.bytes -= old.size()
		delete(ss.m, session)
		ss.n.Add(-1)
	}
}

// endsSession reports whether e is the last event of its session.
func endsSession(e *gate.Event) bool {
	return e.Kind == gate.EventSessionEnd || e.Kind == gate.EventRefused
}

// rememberedForms returns the forms in which secrets may come back in a
// later event: each value as it is, percent-encoded, JSON-escaped and in
// base64 (also inside a longer base64 text, see appendBase64Forms), and the values it carries (a cookie's values, the user:password
// of a Basic credential, its password), in the same forms. Forms shorter
// than minRemembered are left out.
func rememberedForms(secrets []string) []string {
	var out []string
	for _, s := range secrets {
		if len(s) < minRemembered {
			continue
		}
		out = appendForms(out, s)
		for _, v := range carried(s) {
			out = appendForms(out, v)
		}
	}
	return cleanSecrets(out)
}

// appendForms appends s and its encodings of minRemembered bytes or more.
func appendForms(out []string, s string) []string {
	if len(s) < minRemembered {
		return out
	}
	esc := appendString(nil, s)
	out = append(out, s, url.QueryEscape(s), url.PathEscape(s), string(esc[1:len(esc)-1]),
		base64.RawStdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)))
	return appendBase64Forms(out, s)
}

// carried returns the values inside a secret: the values of its name=value
// pairs (a cookie header, a query) and, for a Basic credential, the decoded
// user:password and the password.
func carried(s string) []string {
	var out []string
	if _, v, ok := strings.Cut(s, "="); ok {
		out = append(out, strings.TrimSpace(v))
	}
	// A value may hold any one of the separators, as its own.
	for _, sep := range []string{";", "&", ","} {
		for p := range strings.SplitSeq(s, sep) {
			if _, v, ok := strings.Cut(p, "="); ok {
				out = append(out, strings.TrimSpace(v))
			}
		}
	}
	tok := s
	if _, t, ok := strings.Cut(s, " "); ok {
		tok = strings.TrimSpace(t)
	}
	if b, err := base64.StdEncoding.DecodeString(tok); err == nil {
		if _, pw, ok := strings.Cut(string(b), ":"); ok {
			out = append(out, string(b), pw)
		}
	}
	return out
}

// size is the bytes sr holds (nil: none).
func (sr *secretReplacer) size() int {
	if sr == nil {
		return 0
	}
	n := sr.m.size()
	for i, s := range sr.secrets {
		n += len(s) + len(sr.macs[i])
	}
	return n
}

// merge returns a replacer of a's secrets and secrets, a itself when it
// holds them all. MACs already in a are not computed again.
func (r *redactor) merge(a *secretReplacer, secrets []string) *secretReplacer {
	if a == nil {
		return r.replacer(secrets)
	}
	var add []string
	for _, s := range secrets {
		if !a.has(s) {
			add = append(add, s)
		}
	}
	if len(add) == 0 {
		return a
	}
	known := make(map[string]string, len(a.secrets))
	for i, s := range a.secrets {
		known[s] = a.macs[i]
	}
	all := append(append([]string(nil), a.secrets...), cleanSecrets(add)...)
	slices.SortStableFunc(all, func(x, y string) int { return len(y) - len(x) })
	sr := newSecretReplacer(all)
	for i, s := range all {
		if m, ok := known[s]; ok {
			sr.macs[i] = m
		} else {
			sr.macs[i] = r.mac(s)
		}
	}
	return sr
}

// has reports whether s is one of sr's secrets (nil: none).
func (sr *secretReplacer) has(s string) bool {
	return sr != nil && sr.m.rawID(s) >= 0
}

// macOf returns the MAC of s when s is one of sr's secrets.
func (sr *secretReplacer) macOf(s string) (string, bool) {
	if sr == nil {
		return "", false
	}
	if id := sr.m.rawID(s); id >= 0 {
		return sr.macs[sr.m.secret[id]], true
	}
	return "", false
}

// hasAll reports whether every one of secrets is one of sr's (nil:
// none is): then merge(sr, secrets) is sr.
func (sr *secretReplacer) hasAll(secrets []string) bool {
	if sr == nil {
		return false
	}
	for _, s := range secrets {
		if !sr.has(s) {
			return false
		}
	}
	return true
}

// knowsAll reports whether every secret that would be remembered (one of
// minRemembered bytes or more) is one of sr's secrets.
func (sr *secretReplacer) knowsAll(secrets []string) bool {
	for _, s := range secrets {
		if len(s) >= minRemembered && !sr.has(s) {
			return false
		}
	}
	return true
}
