package mcpgate

import (
	"context"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/yosida95/uritemplate/v3"

	"github.com/airlock-sdk/airlock/gate"
)

// Advertised names.
//
// Rules are written against the names an upstream advertises, and an
// upstream may be lenient about the names it is called with (folding case,
// normalising Unicode, trimming spaces or NULs). A rule on
// "delete_everything" says nothing about "Delete_Everything" or
// "delete_everything\x00", yet a lenient upstream runs the same tool for all
// three. So the gateway forwards a call only when its name is, byte for
// byte, one the upstream advertised in this session and the discovery
// filter showed: every other name is refused before the rules run, and the
// refusal is recorded as a deny decision of rule "mcp/unknown-name". An
// advertised name that is another spelling (case, look-alike letters,
// width, invisible characters) of a name the client was not shown is
// refused too: an upstream listing "Delete_Everything" beside the hidden
// "delete_everything" may run one tool for both. That needs the whole list,
// which the gateway reads once per session when the client's pages did not
// cover it.
//
// The same holds for prompts/get (prompt names) and resources/read: a URI
// must equal an advertised resource URI, or match an advertised resource
// template as RFC 6570 defines it (with the same template library the Go SDK
// server uses to route reads, which matches literal parts exactly and
// variables only with the characters the expansion may produce), whose
// percent-encoding is in normal form (no encoded letters or digits,
// upper-case hex), and which is not another spelling (case, look-alike
// letters, encoding) of a resource URI the upstream listed, shown or hidden:
// "admin://Root" through "admin://{name}" is refused when "admin://root" is
// listed. A URI that matches a template is then judged by the rules like any
// other read.
//
// The catalog holds what the client was shown (raw names, before metadata
// masking). A name not in it sends the gateway to the upstream for the whole
// list once more (all pages, filtered the same way), since a client may call
// a tool it never listed, or one on a page it did not fetch (at most once a
// second per kind); the name is refused when it is still missing.

// CodeUnknownName is the JSON-RPC error code of a tools/call or prompts/get
// whose name the upstream did not advertise (invalid params, as MCP
// specifies for unknown tools). An unknown resource URI gets
// CodeResourceNotFound.
const CodeUnknownName = jsonrpc.CodeInvalidParams

// CodeResourceNotFound is the JSON-RPC error code of a resources/read whose
// URI the upstream did not advertise.
const CodeResourceNotFound = -32002

// refreshInterval is the shortest time between two catalog refreshes of one
// kind in a session.
const refreshInterval = time.Second

// maxRefreshPages bounds the pages of one catalog refresh, so that an
// upstream returning cursors forever cannot hold a call forever.
const maxRefreshPages = 100

// catalog is the set of names and URIs advertised to one client session.
type catalog struct {
	mu        sync.Mutex
	tools     map[string]bool
	prompts   map[string]bool
	resources map[string]bool
	templates map[string]*regexp.Regexp // by template text; nil when it does not parse
	// upstream holds the skeleton of every resource URI the upstream
	// listed (shown, hidden or withheld), for template reads.
	upstream map[string]bool
	// unshown holds, by kind, the skeletons of the tool and prompt names
	// and resource URIs the client was not shown (hidden or withheld).
	unshown map[string]map[string]bool
	// complete: by list method, every page was read once.
	complete map[string]bool
	// args holds, by kind and name, the arguments a tool or prompt declares.
	args map[string]map[string]*declaredArgs
}

const kindTemplate = "template"

func (c *catalog) add(kind, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch kind {
	case kindCall:
		if c.tools == nil {
			c.tools = map[string]bool{}
		}
		c.tools[key] = true
	case kindPrompt:
		if c.prompts == nil {
			c.prompts = map[string]bool{}
		}
		c.prompts[key] = true
	case kindResource:
		if c.resources == nil {
			c.resources = map[string]bool{}
		}
		c.resources[key] = true
	case kindTemplate:
		if c.templates == nil {
			c.templates = map[string]*regexp.Regexp{}
		}
		if _, ok := c.templates[key]; ok {
			return
		}
		var re *regexp.Regexp
		if t, err := uritemplate.New(key); err == nil {
			re = t.Regexp()
		}
		c.templates[key] = re
	}
}

// saw notes a resource URI the upstream listed, shown or not.
func (c *catalog) saw(uri string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.upstream == nil {
		c.upstream = map[string]bool{}
	}
	c.upstream[skeleton(uri)] = true
}

// has reports whether key was advertised for kind, exactly.
func (c *catalog) has(kind, key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch kind {
	case kindCall:
		return c.tools[key]
	case kindPrompt:
		return c.prompts[key]
	case kindResource:
		return c.resources[key]
	}
	return false
}

// matchesTemplate reports whether uri, in percent-normal form, matches an
// advertised resource template.
func (c *catalog) matchesTemplate(uri string) bool {
	if !percentNormal(uri) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, re := range c.templates {
		if re != nil && re.MatchString(uri) {
			return true
		}
	}
	return false
}

// collides reports whether uri, read through a template, is another
// spelling of a resource the upstream listed ("admin://Root" for
// "admin://root" under "admin://{name}"): a forgiving upstream would serve
// that resource, which the rules judged under its own URI.
func (c *catalog) collides(uri string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.upstream[skeleton(uri)]
}

// noteWithheld notes it, an item of l the client is not shown, so that
// another spelling of it is refused (see shadows): a tool or prompt by its
// name, a resource by its URI.
func noteWithheld[T any](s *session, l lister[T], it T) {
	switch {
	case l.exact != nil:
		s.catalog.withhold(l.kind, l.exact(it))
	case l.kind == kindResource && l.key != nil:
		s.catalog.withhold(l.kind, l.key(it))
	}
}

// withhold notes a tool or prompt name, or a resource URI, the client is
// not shown.
func (c *catalog) withhold(kind, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.unshown == nil {
		c.unshown = map[string]map[string]bool{}
	}
	if c.unshown[kind] == nil {
		c.unshown[kind] = map[string]bool{}
	}
	c.unshown[kind][skeleton(name)] = true
}

// shadows reports whether name, though advertised, is another spelling of
// a name the client was not shown: an upstream listing both
// "delete_everything" (which the rules hide) and "Delete_Everything" may
// well run the same tool for both.
func (c *catalog) shadows(kind, name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unshown[kind][skeleton(name)]
}

func (c *catalog) markComplete(method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.complete == nil {
		c.complete = map[string]bool{}
	}
	c.complete[method] = true
}

func (c *catalog) isComplete(method string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.complete[method]
}

func (c *catalog) resourcesComplete() bool { return c.isComplete("resources/list") }

// percentNormal reports whether uri's percent-encoding is in the normal form
// of RFC 3986 (section 6.2.2): no encoded unreserved character, upper-case
// hex digits. A template variable accepts encoded octets, so without this
// "admin://%72oot" would match "admin://{name}" and pass a rule on
// "admin://root" to an upstream that decodes it.
func percentNormal(uri string) bool {
	for i := 0; i < len(uri); i++ {
		if uri[i] != '%' {
			continue
		}
		if i+2 >= len(uri) {
			return false
		}
		hi, lo := uri[i+1], uri[i+2]
		if !isUpperHex(hi) || !isUpperHex(lo) {
			return false
		}
		b := unhex(hi)<<4 | unhex(lo)
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '.' || b == '_' || b == '~' {
			return false
		}
		i += 2
	}
	return true
}

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'A' + 10
}

// advertised reports whether key may be requested as kind, refreshing the
// catalog from the upstream once when it is not known yet.
func (s *session) advertised(ctx context.Context, kind, key string) bool {
	if s.catalog.has(kind, key) && s.catalog.isComplete(listMethod(kind)) {
		return !s.catalog.shadows(kind, key)
	}
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	if s.catalog.has(kind, key) {
		// Known, but the names the client was not shown (which this one may
		// be another spelling of) are known in full only once the whole
		// list was read: once per session, before the first use.
		if !s.catalog.isComplete(listMethod(kind)) {
			if err := s.refreshKind(ctx, kind); err != nil {
				s.g.log.Debug("catalog refresh", "session", s.gs.ID, "kind", kind, "error", err)
			}
		}
		return s.catalog.isComplete(listMethod(kind)) && !s.catalog.shadows(kind, key)
	}
	if kind == kindResource && s.catalog.matchesTemplate(key) {
		return s.templateReadable(ctx, key)
	}
	// A stream of unknown names must not become a stream of upstream lists.
	if last, ok := s.refreshed[kind]; ok && time.Since(last) < refreshInterval {
		return false
	}
	if s.refreshed == nil {
		s.refreshed = map[string]time.Time{}
	}
	s.refreshed[kind] = time.Now()
	var err error
	switch kind {
	case kindCall, kindPrompt:
		err = s.refreshKind(ctx, kind)
	case kindResource:
		err = refresh(ctx, s, "resources/list", s.resourcesList())
		if terr := refresh(ctx, s, "resources/templates/list", s.templatesList()); err == nil {
			err = terr
		}
	}
	if err != nil {
		s.g.log.Debug("catalog refresh", "session", s.gs.ID, "kind", kind, "error", err)
	}
	if kind == kindResource {
		return s.catalog.has(kind, key) && !s.catalog.shadows(kind, key) || s.catalog.matchesTemplate(key) && s.templateReadable(ctx, key)
	}
	return s.catalog.has(kind, key) && s.catalog.isComplete(listMethod(kind)) && !s.catalog.shadows(kind, key)
}

// refreshKind refreshes the tools, prompts or resources of the catalog.
func (s *session) refreshKind(ctx context.Context, kind string) error {
	switch kind {
	case kindPrompt:
		return refresh(ctx, s, "prompts/list", s.promptsList())
	case kindResource:
		return refresh(ctx, s, "resources/list", s.resourcesList())
	}
	return refresh(ctx, s, "tools/list", s.toolsList())
}

// listMethod is the list that advertises items of kind.
func listMethod(kind string) string {
	switch kind {
	case kindPrompt:
		return "prompts/list"
	case kindResource:
		return "resources/list"
	}
	return "tools/list"
}

// templateReadable decides a URI that matches an advertised template: it is
// refused when it is another spelling of a resource the upstream listed,
// which needs the whole resource list (read once per session; a list that
// cannot be read whole refuses template reads). Called under refreshMu.
func (s *session) templateReadable(ctx context.Context, uri string) bool {
	if !s.catalog.resourcesComplete() {
		if err := refresh(ctx, s, "resources/list", s.resourcesList()); err != nil {
			s.g.log.Debug("catalog refresh", "session", s.gs.ID, "kind", kindResource, "error", err)
			return false
		}
	}
	return s.catalog.resourcesComplete() && !s.catalog.collides(uri)
}

// refresh fetches every page of a list from the upstream and adds what the
// client would be shown to the catalog. Nothing is sent to the client or
// recorded: this is the gateway reading the upstream's advertisement.
func refresh[T any](ctx context.Context, s *session, method string, l lister[T]) error {
	d := s.g.cfg.Gate.Rules().Decide(ctx, listRequest(s.gs, method, ""))
	cursor := ""
	for range maxRefreshPages {
		items, next, err := l.fetch(ctx, cursor)
		if err != nil {
			s.upstreamFailed(ctx, err)
			return err
		}
		if _, _, _, err := prepareItems(ctx, s, d, method, items, l); err != nil {
			return err
		}
		if next == "" {
			s.catalog.markComplete(method)
			return nil
		}
		if next == cursor {
			return nil
		}
		cursor = next
	}
	return nil
}

// refuseUnknown refuses a request for a name the upstream did not
// advertise, before the rules (gate.Conn.Refuse: a deny decision of rule
// "mcp/unknown-name", counted in session.denied), and returns the error the
// client receives.
func (s *session) refuseUnknown(ctx context.Context, kind, key string) error {
	var what, command string
	code := int64(CodeUnknownName)
	tc := &gate.ToolCall{Kind: kind}
	switch kind {
	case kindCall:
		what, command, tc.Name = "tool", "tools/call "+display(key), key
	case kindPrompt:
		what, command, tc.Name = "prompt", "prompts/get "+display(key), key
	default:
		what, command, tc.URI, code = "resource", "resources/read "+display(key), key, CodeResourceNotFound
	}
	reason := "the upstream advertises no " + what + " of exactly this name to this identity"
	req := &gate.Request{Protocol: gate.ProtocolMCP, Command: command, Tool: tc}
	d, _ := s.conn.Refuse(ctx, req, "unknown-name", reason)
	msg := "airlock: unknown " + what + " " + display(key) + ": " + reason
	return s.failure(ctx, d, "refused", code, msg)
}

// lister fetches one kind of list from the upstream and knows its items.
type lister[T any] struct {
	fetch func(ctx context.Context, cursor string) ([]T, string, error)
	// probe is the request a use of the item would make, for the discovery
	// filter and for the masks of its metadata.
	probe func(T) *gate.Request
	// hideable: the discovery filter may hide the item.
	hideable bool
	// kind and key register the item in the catalog.
	kind string
	key  func(T) string
	// exact, when set, is a part of the item that metadata masking must
	// leave alone (a name the client calls): an item whose exact part a mask
	// would change is withheld.
	exact func(T) string
	// label names the item in the record, from its masked form.
	label func(T) string
	// args, when set, reads the arguments the item declares.
	args func(T) *declaredArgs
}

func (s *session) toolsList() lister[*sdk.Tool] {
	return lister[*sdk.Tool]{
		fetch: func(ctx context.Context, c string) ([]*sdk.Tool, string, error) {
			res, err := s.up.ListTools(ctx, &sdk.ListToolsParams{Cursor: c})
			if err != nil {
				return nil, "", err
			}
			return slices.DeleteFunc(res.Tools, func(x *sdk.Tool) bool { return x == nil }), res.NextCursor, nil
		},
		probe: func(t *sdk.Tool) *gate.Request {
			return probeRequest(s.gs, kindCall, t.Name)
		},
		hideable: true, kind: kindCall,
		key:   func(t *sdk.Tool) string { return t.Name },
		exact: func(t *sdk.Tool) string { return t.Name },
		label: func(t *sdk.Tool) string { return t.Name },
		args:  toolArgs,
	}
}

func (s *session) promptsList() lister[*sdk.Prompt] {
	return lister[*sdk.Prompt]{
		fetch: func(ctx context.Context, c string) ([]*sdk.Prompt, string, error) {
			res, err := s.up.ListPrompts(ctx, &sdk.ListPromptsParams{Cursor: c})
			if err != nil {
				return nil, "", err
			}
			return slices.DeleteFunc(res.Prompts, func(x *sdk.Prompt) bool { return x == nil }), res.NextCursor, nil
		},
		probe: func(p *sdk.Prompt) *gate.Request {
			return probeRequest(s.gs, kindPrompt, p.Name)
		},
		hideable: true, kind: kindPrompt,
		key:   func(p *sdk.Prompt) string { return p.Name },
		exact: func(p *sdk.Prompt) string { return p.Name },
		label: func(p *sdk.Prompt) string { return p.Name },
		args:  promptArgs,
	}
}

func (s *session) resourcesList() lister[*sdk.Resource] {
	return lister[*sdk.Resource]{
		fetch: func(ctx context.Context, c string) ([]*sdk.Resource, string, error) {
			res, err := s.up.ListResources(ctx, &sdk.ListResourcesParams{Cursor: c})
			if err != nil {
				return nil, "", err
			}
			return slices.DeleteFunc(res.Resources, func(x *sdk.Resource) bool { return x == nil }), res.NextCursor, nil
		},
		probe:    func(r *sdk.Resource) *gate.Request { return resourceRequest(s.gs, r.URI) },
		hideable: true, kind: kindResource,
		key:   func(r *sdk.Resource) string { return r.URI },
		label: func(r *sdk.Resource) string { return r.URI },
	}
}

// templatesList: a template stands for many URIs, so no single probe can
// prove every read of it denied; templates are never hidden. The probe
// (the template text as a URI) only gathers the masks of its metadata.
func (s *session) templatesList() lister[*sdk.ResourceTemplate] {
	return lister[*sdk.ResourceTemplate]{
		fetch: func(ctx context.Context, c string) ([]*sdk.ResourceTemplate, string, error) {
			res, err := s.up.ListResourceTemplates(ctx, &sdk.ListResourceTemplatesParams{Cursor: c})
			if err != nil {
				return nil, "", err
			}
			return slices.DeleteFunc(res.ResourceTemplates, func(x *sdk.ResourceTemplate) bool { return x == nil }), res.NextCursor, nil
		},
		probe: func(t *sdk.ResourceTemplate) *gate.Request { return resourceRequest(s.gs, t.URITemplate) },
		kind:  kindTemplate,
		key:   func(t *sdk.ResourceTemplate) string { return t.URITemplate },
		label: func(t *sdk.ResourceTemplate) string { return t.URITemplate },
	}
}
