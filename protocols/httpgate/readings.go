package httpgate

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/coerce"
)

// Routers map several spellings of a path to one route: Express (strict
// routing off, its default), Rails, Laravel, ASP.NET Core and Spring
// before 6 route /api/payments/ as /api/payments; Rails and Spring's
// suffix patterns route /api/payments.json there too (the extension picks
// the format); IIS and ASP.NET on Windows drop the trailing dots and
// spaces of a segment (/api/payments. and /api/payments%20), macOS
// matches names in any Unicode normalisation, and some servers and
// applications under compatibility normalisation (NFKC); Express (by
// default), ASP.NET and IIS fold case, which the model does only with
// LowerCasePaths, so without it the lower-cased path and its spellings
// are readings too. Virtual hosts are matched without the port (Go's
// ServeMux routes a Host of admin.example.com:8080 to admin.example.com/)
// and, by nginx and Apache, without the trailing dot of a fully qualified
// name. A rule written on one spelling (http.path == "/api/payments",
// http.host == "admin.example.com") would not see the others. So the
// request is also judged, without recording, under each spelling such a
// router would route it as (its readings), and refused with 400 when one
// of them matches a rule that would hold or deny it, or mask more of the
// response, where the request as sent does not. A reading that only the
// rule set's default denies does not count: that an allow rule admits the
// request as sent is not undone by no rule naming the other spelling.

// pathReadings returns the other spellings of the model path p that a
// router may take for it: p with the trailing slash dropped or added,
// composed or decomposed (NFC, NFD, and their compatibility forms NFKC,
// NFKD: full-width ａ is a), with the trailing dots and spaces of
// its segments dropped, and with the
// extension of its last segment dropped; each with and without a trailing
// slash. p itself is not among them.
func pathReadings(p string) []string {
	if p == "/" || p == "" {
		return nil
	}
	bare := strings.TrimSuffix(p, "/")
	var small [8]string // stems stay on the stack below nine
	stems := append(small[:0], bare)
	if !isASCII(bare) {
		// macOS matches file names in any Unicode normalisation; servers
		// and applications that compare paths under compatibility
		// normalisation (NFKC, as IIS's best-fit mapping of full-width
		// forms) read /ａdmin as /admin.
		for _, s := range []string{norm.NFC.String(bare), norm.NFD.String(bare), norm.NFKC.String(bare), norm.NFKD.String(bare)} {
			if !slices.Contains(stems, s) {
				stems = append(stems, s)
			}
		}
	}
	// A range reads the stems there are when it starts: those appended
	// in it are not read again.
	for _, s := range stems {
		if t := trimSegmentDots(s); t != s && t != "" && !slices.Contains(stems, t) {
			stems = append(stems, t)
		}
	}
	for _, s := range stems {
		if s2, ok := dropExtension(s); ok {
			stems = append(stems, s2)
		}
	}
	out := make([]string, 0, 2*len(stems))
	for _, s := range stems {
		for _, v := range []string{s, s + "/"} {
			if v != p && v != "/" && v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// trimSegmentDots drops the trailing dots and spaces of every segment of
// p, and the segments that are left empty, as Windows does with file names.
func trimSegmentDots(p string) string {
	if !strings.ContainsAny(p, ". ") {
		return p
	}
	segs := strings.Split(p, "/")
	out := segs[:0]
	for _, s := range segs[1:] {
		if s = strings.TrimRight(s, ". "); s != "" {
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

// dropExtension drops a format extension from the last segment of p: a
// '.' followed by one to ten ASCII letters or digits, after a non-empty
// stem (refunds.json is refunds; .env is not dropped).
func dropExtension(p string) (string, bool) {
	slash := strings.LastIndexByte(p, '/')
	last := p[slash+1:]
	dot := strings.LastIndexByte(last, '.')
	if dot <= 0 || dot == len(last)-1 || len(last)-dot-1 > 10 {
		return "", false
	}
	for _, c := range last[dot+1:] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return "", false
		}
	}
	return p[:slash+1] + last[:dot], true
}

// hostReadings returns the other spellings of the model host h (lower
// case) that a router may take for it: without its port (Go's ServeMux,
// like most virtual-host routers, matches the host alone) and without the
// trailing dot of a fully qualified name; h itself is not among them.
func hostReadings(h string) []string {
	var out []string
	add := func(v string) {
		if v != "" && v != h && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	bare := h
	if host, _, err := net.SplitHostPort(h); err == nil {
		bare = host
		if strings.Contains(host, ":") {
			bare = "[" + host + "]" // an IPv6 literal, as a Host header spells it
		}
		add(bare)
	}
	add(strings.TrimSuffix(bare, "."))
	return out
}

// readRules caches, per rule set, whether any rule reads the path (in
// http.path, http whole, or request.command) or the host: without one,
// every reading of it is judged alike and none is evaluated.
type readRules struct {
	cur atomic.Pointer[readRulesOf]
}

type readRulesOf struct {
	rs         *gate.RuleSet
	path, host bool
}

func (c *readRules) get(rs *gate.RuleSet) *readRulesOf {
	if rs == nil {
		return &readRulesOf{}
	}
	if n := c.cur.Load(); n != nil && n.rs == rs {
		return n
	}
	n := &readRulesOf{rs: rs}
	for _, info := range rs.Info() {
		for _, v := range info.Reads {
			switch v {
			case "http", "request":
				n.path, n.host = true, true
			case "http.path", "request.command":
				n.path = true
			case "http.host":
				n.host = true
			}
		}
	}
	c.cur.Store(n)
	return n
}

// checkReadings judges req under each reading of its path and host (see
// pathReadings, hostReadings) and of the values of the parameters the
// rules read (valueReadingsOf) with the rules in force (RuleSet.Decide:
// nothing recorded, nothing counted) and returns a refusal when a reading
// is held, denied or masked by a rule where the request as sent is not.
func (gw *Gateway) checkReadings(ctx context.Context, s *gate.Session, req *gate.Request) *refusal {
	rs := gw.hub.Rules()
	if req.HTTP == nil {
		return nil
	}
	reads := gw.readRules.get(rs)
	var paths, hosts []string
	if reads.path {
		paths = pathReadings(req.HTTP.Path)
		if low := strings.ToLower(req.HTTP.Path); !gw.cfg.LowerCasePaths && low != req.HTTP.Path {
			// Without LowerCasePaths the model keeps the case, and a
			// router that folds it (Express's default, ASP.NET, IIS)
			// runs the lower-case route.
			for _, p := range append([]string{low}, pathReadings(low)...) {
				if p != req.HTTP.Path && !slices.Contains(paths, p) {
					paths = append(paths, p)
				}
			}
		}
	}
	if reads.host {
		hosts = hostReadings(req.HTTP.Host)
	}
	values, ref := valueReadingsOf(req, gw.names.get(rs))
	if ref != nil {
		return ref
	}
	if len(paths) == 0 && len(hosts) == 0 && len(values) == 0 {
		return nil
	}
	now := time.Now().UTC()
	sent := *req
	sent.Session, sent.Time = s, now
	base := rs.Decide(ctx, &sent)
	if base.Action == gate.Deny {
		return nil // refused anyway
	}
	// The command is the method, the path and the query: only the path
	// changes.
	query, ok := strings.CutPrefix(req.Command, req.HTTP.Method+" "+req.HTTP.Path)
	if !ok {
		return refuse(400, "path", "the request cannot be judged under its path readings")
	}
	judge := func(check, what, sentAs, readAs string, alt *gate.Request) *refusal {
		alt.Session, alt.Time = s, now
		d := rs.Decide(ctx, alt)
		switch m, ok := d.GuardsMoreThan(base); {
		case !ok:
			return nil
		case m == "":
			return refuse(400, check, "the %s %.64q is routed as %.64q by many servers, which the rules %s", what, sentAs, readAs, verb(d.Action))
		default:
			return refuse(400, check, "the %s %.64q is routed as %.64q by many servers, whose responses the rules mask (%s)", what, sentAs, readAs, m)
		}
	}
	for _, p := range paths {
		alt, h := *req, *req.HTTP
		h.Path = p
		alt.HTTP, alt.Command = &h, h.Method+" "+p+query
		if ref := judge("path", "path", req.HTTP.Path, p, &alt); ref != nil {
			return ref
		}
	}
	for _, v := range values {
		v.req.Session, v.req.Time = s, now
		if coerce.Guards(rs, rs.Decide(ctx, v.req), base) {
			return refuse(400, v.check, "%s, which the rules guard where they do not guard the request as sent", v.why)
		}
	}
	for _, host := range hosts {
		alt, h := *req, *req.HTTP
		h.Host = host
		alt.HTTP = &h
		if ref := judge("host", "host", req.HTTP.Host, host, &alt); ref != nil {
			return ref
		}
	}
	return nil
}

func verb(a gate.Action) string {
	if a == gate.Review {
		return "hold for review"
	}
	return "deny"
}
