package mcpgate

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/tool"
)

// listOutcome is what the record keeps of a list: the items shown (names,
// or URIs as the client saw them) and hidden.
type listOutcome struct {
	Method     string   `json:"method"`
	Shown      []string `json:"shown"`
	Hidden     []string `json:"hidden,omitempty"`
	Withheld   int      `json:"withheld,omitempty"` // items whose metadata could not be masked
	NextCursor string   `json:"next_cursor,omitempty"`
}

// judgeList gates a list request; a refusal becomes a JSON-RPC error.
func (s *session) judgeList(ctx context.Context, method, cursor string) (*gate.Decision, error) {
	d, err := s.check(ctx, listRequest(s.gs, method, cursor), nil)
	if err != nil {
		if rerr := s.reply(ctx, d, "list", map[string]string{"refused": err.Error()}, nil); rerr != nil {
			return nil, rerr
		}
		return nil, rpcError(CodeRefused, "%s", err.Error())
	}
	return d, nil
}

// listFailed answers an upstream failure of a list; the upstream's message
// is masked with the list's masks.
func (s *session) listFailed(ctx context.Context, d *gate.Decision, err error) error {
	p, perr := s.metaPolicy(d)
	if perr != nil {
		s.recordError(ctx, perr.Error())
		p = nil
		err = errors.New("(details withheld: they could not be masked)")
	}
	msg := upstreamFailure(err, &masker{p: p})
	if rerr := s.reply(ctx, d, "list", map[string]string{"error": msg}, nil); rerr != nil {
		return rerr
	}
	return rpcError(jsonrpc.CodeInternalError, "%s", msg)
}

// listPage serves one page of a list method: the list is judged as a whole,
// fetched from the upstream, filtered and masked item by item, and recorded
// as the client saw it. Cursors cross the gateway as opaque tokens.
func listPage[T any](ctx context.Context, s *session, method, cursor string, l lister[T]) ([]T, string, error) {
	d, err := s.judgeList(ctx, method, cursor)
	if err != nil {
		return nil, "", err
	}
	upCursor, ok := s.cursors.resolve(cursor)
	if !ok {
		if err := s.reply(ctx, d, "list", map[string]string{"error": "unknown cursor"}, nil); err != nil {
			return nil, "", err
		}
		return nil, "", rpcError(jsonrpc.CodeInvalidParams, "airlock: invalid params: unknown cursor")
	}
	items, next, err := l.fetch(ctx, upCursor)
	if err != nil {
		defer s.upstreamFailed(ctx, err)
		return nil, "", s.listFailed(ctx, d, err)
	}
	kept, out, findings, err := prepareItems(ctx, s, d, method, items, l)
	if err != nil {
		s.recordError(ctx, "mcp: mask list: "+err.Error())
		if err := s.reply(ctx, d, "list", map[string]string{"error": maskFailed}, nil); err != nil {
			return nil, "", err
		}
		return nil, "", rpcError(jsonrpc.CodeInternalError, "%s", maskFailed)
	}
	if cursor == "" && next == "" {
		s.catalog.markComplete(method) // the whole list in one page
	}
	out.NextCursor = s.cursors.issue(next)
	if err := s.reply(ctx, d, "list", out, findings); err != nil {
		return nil, "", err
	}
	return kept, out.NextCursor, nil
}

func (s *session) listTools(ctx context.Context, p *sdk.ListToolsParams) (*sdk.ListToolsResult, error) {
	cursor := ""
	if p != nil {
		cursor = p.Cursor
	}
	tools, next, err := listPage(ctx, s, "tools/list", cursor, s.toolsList())
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
	rs, next, err := listPage(ctx, s, "resources/list", cursor, s.resourcesList())
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
	ts, next, err := listPage(ctx, s, "resources/templates/list", cursor, s.templatesList())
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
	ps, next, err := listPage(ctx, s, "prompts/list", cursor, s.promptsList())
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

// answer returns res, the result of a request decided by d, once the gate
// let it through (see reply); otherwise the error the client gets instead.
func answer[R any](ctx context.Context, s *session, d *gate.Decision, res R, findings []gate.Finding) (R, error) {
	if err := s.reply(ctx, d, "result", res, findings); err != nil {
		var zero R
		return zero, err
	}
	return res, nil
}

// failure answers a request decided by d with a JSON-RPC error of code and
// msg, recorded as the request's result {key: msg}.
func (s *session) failure(ctx context.Context, d *gate.Decision, key string, code int64, msg string) error {
	if err := s.reply(ctx, d, "result", map[string]string{key: msg}, nil); err != nil {
		return err
	}
	return rpcError(code, "%s", msg)
}

func (s *session) callTool(ctx context.Context, p *sdk.CallToolParamsRaw) (*sdk.CallToolResult, error) {
	if p.Name == "" {
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: tools/call needs a tool name")
	}
	if !s.advertised(ctx, kindCall, p.Name) {
		return nil, s.refuseUnknown(ctx, kindCall, p.Name)
	}
	args, canon, err := decodeArgs(p.Arguments)
	if err != nil {
		// Refused before the rules, and counted like any refusal.
		req := &gate.Request{Protocol: gate.ProtocolMCP, Command: "tools/call " + display(p.Name), Tool: &gate.ToolCall{Kind: kindCall, Name: p.Name}}
		_, _ = s.conn.Refuse(ctx, req, "parse", "the arguments could not be parsed: "+err.Error())
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: %v", err)
	}
	if why := tool.ArgumentKeys(args, s.g.words.Get(s.conn.Rules()), display); why != "" {
		return nil, s.refuseArgumentKey(ctx, kindCall, p.Name, why)
	}
	if why := s.catalog.undeclaredArg(kindCall, p.Name, args); why != "" {
		return nil, s.refuseArgumentKey(ctx, kindCall, p.Name, why)
	}
	if why := s.catalog.mistypedArg(p.Name, args); why != "" {
		return nil, s.refuseArgumentType(ctx, p.Name, why)
	}
	req, err := callRequest(s.gs, kindCall, p.Name, args)
	if err != nil {
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: %v", err)
	}
	if why := s.argReadingRefused(ctx, req); why != "" {
		return nil, s.refuseArgumentReading(ctx, kindCall, p.Name, why)
	}
	probe := probeRequest(s.gs, kindCall, p.Name)
	d, m, refusal := s.admit(ctx, req, probe, p.GetProgressToken())
	if refusal != "" {
		return answer(ctx, s, d, errorResult(refusal), nil)
	}
	res, err := s.up.CallTool(ctx, &sdk.CallToolParams{Name: p.Name, Arguments: json.RawMessage(canon)})
	if err != nil {
		defer s.upstreamFailed(ctx, err)
		return answer(ctx, s, d, errorResult(upstreamFailure(err, m)), nil)
	}
	masked, err := m.callResult(res)
	if err != nil {
		s.recordError(ctx, "mcp: mask result: "+err.Error())
		return answer(ctx, s, d, errorResult(maskFailed), nil)
	}
	return answer(ctx, s, d, masked, m.findings)
}

func (s *session) readResource(ctx context.Context, p *sdk.ReadResourceParams) (*sdk.ReadResourceResult, error) {
	if p.URI == "" {
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: resources/read needs a uri")
	}
	if !s.advertised(ctx, kindResource, p.URI) {
		return nil, s.refuseUnknown(ctx, kindResource, p.URI)
	}
	// A URI the upstream lists exactly is its own spelling (aliases of a
	// hidden one are refused by advertised); any other must be canonical.
	if !s.catalog.has(kindResource, p.URI) {
		why := uriSpelling(p.URI)
		if why == "" {
			why = s.uriReadingRefused(ctx, p.URI)
		}
		if why != "" {
			return nil, s.refuseSpelling(ctx, p.URI, why)
		}
	}
	req := resourceRequest(s.gs, p.URI)
	d, m, refusal := s.admit(ctx, req, resourceRequest(s.gs, p.URI), p.GetProgressToken())
	if refusal != "" {
		return nil, s.failure(ctx, d, "refused", CodeRefused, refusal)
	}
	res, err := s.up.ReadResource(ctx, &sdk.ReadResourceParams{URI: p.URI})
	if err != nil {
		defer s.upstreamFailed(ctx, err)
		return nil, s.failure(ctx, d, "error", jsonrpc.CodeInternalError, upstreamFailure(err, m))
	}
	masked, err := m.readResult(res)
	if err != nil {
		s.recordError(ctx, "mcp: mask result: "+err.Error())
		return nil, s.failure(ctx, d, "error", jsonrpc.CodeInternalError, maskFailed)
	}
	return answer(ctx, s, d, masked, m.findings)
}

func (s *session) getPrompt(ctx context.Context, p *sdk.GetPromptParams) (*sdk.GetPromptResult, error) {
	if p.Name == "" {
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: prompts/get needs a prompt name")
	}
	if !s.advertised(ctx, kindPrompt, p.Name) {
		return nil, s.refuseUnknown(ctx, kindPrompt, p.Name)
	}
	args := stringArgs(p.Arguments)
	if why := tool.ArgumentKeys(args, s.g.words.Get(s.conn.Rules()), display); why != "" {
		return nil, s.refuseArgumentKey(ctx, kindPrompt, p.Name, why)
	}
	if why := s.catalog.undeclaredArg(kindPrompt, p.Name, args); why != "" {
		return nil, s.refuseArgumentKey(ctx, kindPrompt, p.Name, why)
	}
	req, err := callRequest(s.gs, kindPrompt, p.Name, args)
	if err != nil {
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: %v", err)
	}
	if why := s.argReadingRefused(ctx, req); why != "" {
		return nil, s.refuseArgumentReading(ctx, kindPrompt, p.Name, why)
	}
	probe := probeRequest(s.gs, kindPrompt, p.Name)
	d, m, refusal := s.admit(ctx, req, probe, p.GetProgressToken())
	if refusal != "" {
		return nil, s.failure(ctx, d, "refused", CodeRefused, refusal)
	}
	res, err := s.up.GetPrompt(ctx, &sdk.GetPromptParams{Name: p.Name, Arguments: p.Arguments})
	if err != nil {
		defer s.upstreamFailed(ctx, err)
		return nil, s.failure(ctx, d, "error", jsonrpc.CodeInternalError, upstreamFailure(err, m))
	}
	masked, err := m.promptResult(res)
	if err != nil {
		s.recordError(ctx, "mcp: mask result: "+err.Error())
		return nil, s.failure(ctx, d, "error", jsonrpc.CodeInternalError, maskFailed)
	}
	return answer(ctx, s, d, masked, m.findings)
}
