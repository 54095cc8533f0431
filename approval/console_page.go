package approval

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

//go:embed console/*.html console/*.js console/*.css
var consoleFiles embed.FS

var consoleTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"name": displayName,
	"rfc3339": func(t time.Time) string {
		return t.UTC().Format(time.RFC3339)
	},
	"clock": func(t time.Time) string {
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"join": strings.Join,
	"stateLabel": func(s gate.ReviewState) string {
		if s == gate.ReviewConsumed {
			return "approved, used"
		}
		return string(s)
	},
}).ParseFS(consoleFiles, "console/*.html"))

// pageData feeds the console's templates.
type pageData struct {
	Title      string
	User       string
	CSRF       string
	Flash      string
	FlashError bool
	Tab        string
	Reviews    []ConsoleReview
	// Version identifies the pending list's content, so the page's script
	// replaces the list only when it changed.
	Version string
	// StoreError is true when the review store could not be read.
	StoreError bool
	// Grants, on the grants page.
	Grants []ConsoleGrant
	// GrantsEnabled is true when the approver keeps grants.
	GrantsEnabled bool
}

type loginData struct {
	Title string
	CSRF  string
	Error bool
}

func (c *Console) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := consoleTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (c *Console) pageData(v viewer, tab string, reviews []ConsoleReview) pageData {
	d := pageData{Title: c.title(), User: displayName(v.identity), Tab: tab, Reviews: reviews}
	_, d.GrantsEnabled = c.Approver.(Granter)
	if v.session != nil {
		d.CSRF = v.session.csrf
		d.Flash = c.sessions.takeFlash(v.session)
		d.FlashError = strings.HasPrefix(d.Flash, "error: ")
	}
	return d
}

func (c *Console) servePending(w http.ResponseWriter, r *http.Request, v viewer) {
	ps, err := c.pending(r.Context())
	d := c.pageData(v, "pending", c.views(ps, v.identity, time.Now()))
	d.Version = version(ps)
	c.renderList(w, "pending", d, err)
}

// renderList renders page name, whose list failed to load when err is
// not nil: then the page says so with the error's status, never "nothing
// is waiting", so the reviewer knows the list is unknown.
func (c *Console) renderList(w http.ResponseWriter, name string, d pageData, err error) {
	status := http.StatusOK
	if err != nil {
		d.Flash, d.FlashError, d.StoreError = "error: "+err.Error(), true, true
		status = statusOf(err)
	}
	c.render(w, status, name, d)
}

func (c *Console) servePendingFragment(w http.ResponseWriter, r *http.Request, v viewer) {
	ps, err := c.pending(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	d := pageData{Reviews: c.views(ps, v.identity, time.Now())}
	if v.session != nil {
		d.CSRF = v.session.csrf
	}
	w.Header().Set("X-Review-Version", version(ps))
	c.render(w, http.StatusOK, "pending-list", d)
}

// version hashes the fingerprint of a pending list.
func version(ps []Pending) string {
	sum := sha256.Sum256([]byte(fingerprint(ps)))
	return hex.EncodeToString(sum[:8])
}

func (c *Console) serveHistory(w http.ResponseWriter, r *http.Request, v viewer) {
	ps, err := c.history(r.Context())
	d := c.pageData(v, "history", c.views(ps, gate.Identity{}, time.Now()))
	c.renderList(w, "history", d, err)
}

// serveEvents streams "change" events while the viewer is connected, so
// the page refreshes its list without a reload.
func (c *Console) serveEvents(w http.ResponseWriter, r *http.Request, v viewer) {
	// Take the fingerprint before the client learns the stream is open, so
	// no change after that point goes unannounced.
	last := c.fingerprint(r.Context())
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("retry: 2000\n\n")); err != nil || rc.Flush() != nil {
		return
	}
	watch, _ := c.Approver.(Watcher)
	poll := cmp.Or(c.PollInterval, 2*time.Second)
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	// Streams end now and then; EventSource reconnects on its own, which
	// re-authenticates the viewer.
	limit := time.NewTimer(10 * time.Minute)
	defer limit.Stop()
	for {
		var changed <-chan struct{}
		if watch != nil {
			changed = watch.Changed()
		}
		pollT := time.NewTimer(poll)
		select {
		case <-r.Context().Done():
			pollT.Stop()
			return
		case <-c.done:
			pollT.Stop()
			return
		case <-limit.C:
			pollT.Stop()
			return
		case <-heartbeat.C:
			pollT.Stop()
			if _, err := w.Write([]byte(": ping\n\n")); err != nil || rc.Flush() != nil {
				return
			}
			continue
		case <-changed:
		case <-pollT.C:
		}
		pollT.Stop()
		// A viewer whose token was revoked gets no more events.
		if _, err := c.authenticate(r); err != nil {
			return
		}
		fp := c.fingerprint(r.Context())
		if fp == last {
			continue
		}
		last = fp
		if _, err := w.Write([]byte("event: change\ndata: {}\n\n")); err != nil || rc.Flush() != nil {
			return
		}
	}
}

// fingerprint summarises the pending list and the grants so polling sends
// only changes. A failing store is a state of its own, so that its start
// and its end are both announced.
func (c *Console) fingerprint(ctx context.Context) string {
	ps, err := c.pending(ctx)
	if err != nil {
		return "error"
	}
	fp := fingerprint(ps)
	if g, ok := c.Approver.(Granter); ok {
		gs, err := g.Grants(ctx)
		if err != nil {
			return "error"
		}
		for _, gr := range gs {
			fp += "g" + gr.ID + ":" + strconv.Itoa(gr.Uses)
			if gr.RevokedAt != nil {
				fp += "r"
			}
		}
	}
	return fp
}

func fingerprint(ps []Pending) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.ID)
		for _, v := range p.Votes {
			b.WriteString("," + v.Reviewer.Subject)
		}
		b.WriteByte(';')
	}
	return b.String()
}

var staticTypes = map[string]string{
	"console.js":  "text/javascript; charset=utf-8",
	"console.css": "text/css; charset=utf-8",
}

func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	typ, ok := staticTypes[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	data, err := consoleFiles.ReadFile("console/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(data)
}
