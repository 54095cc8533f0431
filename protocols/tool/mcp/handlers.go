package mcp

import (
	"context"
	"encoding/json"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/gate"
)

// listOutcome is what the record keeps of a list: the names shown and hidden.
type listOutcome struct {
	Method     string   `json:"method"`
	Shown      []string `json:"shown"`
	Hidden     []string `json:"hidden,omitempty"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// judgeList gates a list request; a refusal becomes a JSON-RPC error.
func (s *session) judgeList(ctx context.Context, method, cursor string) (*gate.Decision, error) {
	d, err := s.check(ctx, listRequest(s.gs, method, cursor), nil)
	if err != nil {
		s.recordResult(ctx, d, "list", map[string]string{"refused": err.Error()}, nil)
		return nil, rpcError(CodeRefused, "%s", err.Error())
	}
	return d, nil
}

// filterList keeps the items the identity could call at all.
func filterList[T any](ctx context.Context, s *session, method string, items []T, probe func(T) *gate.Request, name func(T) string) ([]T, listOutcome) {
	idx := s.g.filters.get(s.g.cfg.Gate.Rules())
	out := listOutcome{Method: method, Shown: []string{}}
	kept := make([]T, 0, len(items))
	for _, it := range items {
		if probe != nil && probeHidden(ctx, idx, probe(it)) {
			out.Hidden = append(out.Hidden, name(it))
			continue
		}
		kept = append(kept, it)
		out.Shown = append(out.Shown, name(it))
	}
	return kept, out
}

func (s *session) listFailed(ctx context.Context, d *gate.Decision, err error) error {
	msg := upstreamFailure(err, &masker{})
	s.recordResult(ctx, d, "list", map[string]string{"error": msg}, nil)
	return rpcError(jsonrpc.CodeInternalError, "%s", msg)
}

// listPage serves one page of a list method: the list is judged as a whole,
// fetched from the upstream, filtered item by item (when probe is set) and
// recorded as the client saw it.
func listPage[T any](ctx context.Context, s *session, method, cursor string,
	fetch func(cursor string) (items []T, next string, err error),
	probe func(T) *gate.Request, name func(T) string) ([]T, string, error) {
	d, err := s.judgeList(ctx, method, cursor)
	if err != nil {
		return nil, "", err
	}
	items, next, err := fetch(cursor)
	if err != nil {
		return nil, "", s.listFailed(ctx, d, err)
	}
	kept, out := filterList(ctx, s, method, items, probe, name)
	out.NextCursor = next
	s.recordResult(ctx, d, "list", out, nil)
	return kept, next, nil
}

func (s *session) listTools(ctx context.Context, p *sdk.ListToolsParams) (*sdk.ListToolsResult, error) {
	cursor := ""
	if p != nil {
		cursor = p.Cursor
	}
	tools, next, err := listPage(ctx, s, "tools/list", cursor,
		func(c string) ([]*sdk.Tool, string, error) {
			res, err := s.up.ListTools(ctx, &sdk.ListToolsParams{Cursor: c})
			if err != nil {
				return nil, "", err
			}
			return res.Tools, res.NextCursor, nil
		},
		func(t *sdk.Tool) *gate.Request {
			return callRequest(s.gs, kindCall, t.Name, map[string]any{}, []byte("{}"))
		},
		func(t *sdk.Tool) string { return t.Name })
	if err != nil {
		return nil, err
	}
	return &sdk.ListToolsResult{Tools: tools, NextCursor: next}, nil
}

func (s *session) listResources(ctx context.Context, p *sdk.ListResourcesParams) (*sdk.ListResourcesResult, error) {
	cursor := ""
	if p != nil {
		cursor = p.Cursor
	}
	rs, next, err := listPage(ctx, s, "resources/list", cursor,
		func(c string) ([]*sdk.Resource, string, error) {
			res, err := s.up.ListResources(ctx, &sdk.ListResourcesParams{Cursor: c})
			if err != nil {
				return nil, "", err
			}
			return res.Resources, res.NextCursor, nil
		},
		func(r *sdk.Resource) *gate.Request { return resourceRequest(s.gs, r.URI) },
		func(r *sdk.Resource) string { return r.URI })
	if err != nil {
		return nil, err
	}
	return &sdk.ListResourcesResult{Resources: rs, NextCursor: next}, nil
}

// listResourceTemplates is judged but not filtered: a template stands for
// many URIs, so no single probe can prove every read of it denied.
func (s *session) listResourceTemplates(ctx context.Context, p *sdk.ListResourceTemplatesParams) (*sdk.ListResourceTemplatesResult, error) {
	cursor := ""
	if p != nil {
		cursor = p.Cursor
	}
	ts, next, err := listPage(ctx, s, "resources/templates/list", cursor,
		func(c string) ([]*sdk.ResourceTemplate, string, error) {
			res, err := s.up.ListResourceTemplates(ctx, &sdk.ListResourceTemplatesParams{Cursor: c})
			if err != nil {
				return nil, "", err
			}
			return res.ResourceTemplates, res.NextCursor, nil
		},
		nil, func(t *sdk.ResourceTemplate) string { return t.URITemplate })
	if err != nil {
		return nil, err
	}
	return &sdk.ListResourceTemplatesResult{ResourceTemplates: ts, NextCursor: next}, nil
}

func (s *session) listPrompts(ctx context.Context, p *sdk.ListPromptsParams) (*sdk.ListPromptsResult, error) {
	cursor := ""
	if p != nil {
		cursor = p.Cursor
	}
	ps, next, err := listPage(ctx, s, "prompts/list", cursor,
		func(c string) ([]*sdk.Prompt, string, error) {
			res, err := s.up.ListPrompts(ctx, &sdk.ListPromptsParams{Cursor: c})
			if err != nil {
				return nil, "", err
			}
			return res.Prompts, res.NextCursor, nil
		},
		func(p *sdk.Prompt) *gate.Request {
			return callRequest(s.gs, kindPrompt, p.Name, map[string]any{}, []byte("{}"))
		},
		func(p *sdk.Prompt) string { return p.Name })
	if err != nil {
		return nil, err
	}
	return &sdk.ListPromptsResult{Prompts: ps, NextCursor: next}, nil
}

// errorResult is a tool error result the model can read.
func errorResult(msg string) *sdk.CallToolResult {
	return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: msg}}}
}

// notAvailable is the refusal of a request for an item the discovery filter
// hides, should the gate ever allow it (it cannot under the same rules).
const notAvailable = "airlock: this item is not available to this identity"

// admit judges req: it reports the decision, or the client-safe refusal.
// hiddenProbe is the probe request of the item, checked against the
// discovery filter so that a hidden item is never forwarded.
func (s *session) admit(ctx context.Context, req, hiddenProbe *gate.Request, progressToken any) (*gate.Decision, *masker, string) {
	idx := s.g.filters.get(s.g.cfg.Gate.Rules())
	hidden := probeHidden(ctx, idx, hiddenProbe)
	d, err := s.check(ctx, req, progressToken)
	if err != nil {
		return d, nil, err.Error()
	}
	if hidden {
		s.recordError(ctx, "mcp: the gate allowed an item the discovery filter hides; refused (decision "+d.ID+")")
		return d, nil, notAvailable
	}
	p, err := policyFor(s.g.cfg.Masks, d)
	if err != nil {
		s.recordError(ctx, "mcp: "+err.Error()+" (decision "+d.ID+")")
		return d, nil, "airlock: the result could not be masked, so the request was not forwarded"
	}
	return d, &masker{p: p}, ""
}

const maskFailed = "airlock: the result could not be masked and was withheld"

func (s *session) callTool(ctx context.Context, p *sdk.CallToolParamsRaw) (*sdk.CallToolResult, error) {
	if p.Name == "" {
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: tools/call needs a tool name")
	}
	args, canon, err := decodeArgs(p.Arguments)
	if err != nil {
		s.recordError(ctx, "mcp: tools/call "+p.Name+": "+err.Error())
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: %v", err)
	}
	req := callRequest(s.gs, kindCall, p.Name, args, canon)
	probe := callRequest(s.gs, kindCall, p.Name, map[string]any{}, []byte("{}"))
	d, m, refusal := s.admit(ctx, req, probe, p.GetProgressToken())
	if refusal != "" {
		res := errorResult(refusal)
		s.recordResult(ctx, d, "result", res, nil)
		return res, nil
	}
	res, err := s.up.CallTool(ctx, &sdk.CallToolParams{Name: p.Name, Arguments: json.RawMessage(canon)})
	if err != nil {
		out := errorResult(upstreamFailure(err, m))
		s.recordResult(ctx, d, "result", out, nil)
		return out, nil
	}
	masked, err := m.callResult(res)
	if err != nil {
		s.recordError(ctx, "mcp: mask result: "+err.Error())
		out := errorResult(maskFailed)
		s.recordResult(ctx, d, "result", out, nil)
		return out, nil
	}
	s.recordResult(ctx, d, "result", masked, gateFindings(m.findings))
	return masked, nil
}

func (s *session) readResource(ctx context.Context, p *sdk.ReadResourceParams) (*sdk.ReadResourceResult, error) {
	if p.URI == "" {
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: resources/read needs a uri")
	}
	req := resourceRequest(s.gs, p.URI)
	d, m, refusal := s.admit(ctx, req, resourceRequest(s.gs, p.URI), p.GetProgressToken())
	if refusal != "" {
		s.recordResult(ctx, d, "result", map[string]string{"refused": refusal}, nil)
		return nil, rpcError(CodeRefused, "%s", refusal)
	}
	res, err := s.up.ReadResource(ctx, &sdk.ReadResourceParams{URI: p.URI})
	if err != nil {
		msg := upstreamFailure(err, m)
		s.recordResult(ctx, d, "result", map[string]string{"error": msg}, nil)
		return nil, rpcError(jsonrpc.CodeInternalError, "%s", msg)
	}
	masked, err := m.readResult(res)
	if err != nil {
		s.recordError(ctx, "mcp: mask result: "+err.Error())
		s.recordResult(ctx, d, "result", map[string]string{"error": maskFailed}, nil)
		return nil, rpcError(jsonrpc.CodeInternalError, "%s", maskFailed)
	}
	s.recordResult(ctx, d, "result", masked, gateFindings(m.findings))
	return masked, nil
}

func (s *session) getPrompt(ctx context.Context, p *sdk.GetPromptParams) (*sdk.GetPromptResult, error) {
	if p.Name == "" {
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: prompts/get needs a prompt name")
	}
	args := stringArgs(p.Arguments)
	canon, err := json.Marshal(args)
	if err != nil {
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: arguments: %v", err)
	}
	req := callRequest(s.gs, kindPrompt, p.Name, args, canon)
	probe := callRequest(s.gs, kindPrompt, p.Name, map[string]any{}, []byte("{}"))
	d, m, refusal := s.admit(ctx, req, probe, p.GetProgressToken())
	if refusal != "" {
		s.recordResult(ctx, d, "result", map[string]string{"refused": refusal}, nil)
		return nil, rpcError(CodeRefused, "%s", refusal)
	}
	res, err := s.up.GetPrompt(ctx, &sdk.GetPromptParams{Name: p.Name, Arguments: p.Arguments})
	if err != nil {
		msg := upstreamFailure(err, m)
		s.recordResult(ctx, d, "result", map[string]string{"error": msg}, nil)
		return nil, rpcError(jsonrpc.CodeInternalError, "%s", msg)
	}
	masked, err := m.promptResult(res)
	if err != nil {
		s.recordError(ctx, "mcp: mask result: "+err.Error())
		s.recordResult(ctx, d, "result", map[string]string{"error": maskFailed}, nil)
		return nil, rpcError(jsonrpc.CodeInternalError, "%s", maskFailed)
	}
	s.recordResult(ctx, d, "result", masked, gateFindings(m.findings))
	return masked, nil
}
