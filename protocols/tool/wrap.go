package tool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// Func is the shape of a tool: typed arguments in, a typed result out.
type Func[A, R any] func(ctx context.Context, args A) (R, error)

// ErrNoSession is returned for a call whose context carries no session.
var ErrNoSession = errors.New("tool: the context carries no airlock session (use gate.WithSession)")

// CallError is a failure of the wrapped tool itself, with its message
// masked so that nothing sensitive reaches the model through it.
type CallError struct {
	Tool    string
	Message string
	cause   error
}

func (e *CallError) Error() string { return fmt.Sprintf("tool %s failed: %s", e.Tool, e.Message) }

// Unwrap returns the tool's original error, for the integrator's own
// handling; never show it to the model.
func (e *CallError) Unwrap() error { return e.cause }

// Wrap returns fn gated by g under the tool name. Every call:
//
//  1. encodes the arguments as JSON (tool.args in rules) and asks g.Check;
//  2. on refusal returns the *gate.RefusedError, whose message names the rule
//     and reason and is safe to show the model;
//  3. otherwise runs fn, masks its result (and any error message) as the
//     decision demands, records the masked result, and returns it.
//
// If the result cannot be masked or recorded, the call fails rather than
// return unmasked or unrecorded data.
func Wrap[A, R any](g *gate.Gate, name string, fn Func[A, R]) Func[A, R] {
	return func(ctx context.Context, args A) (R, error) {
		var zero R
		s := gate.SessionFrom(ctx)
		if s == nil {
			return zero, ErrNoSession
		}
		payload, argMap, err := encodeArgs(args)
		if err != nil {
			return zero, fmt.Errorf("tool %s: encode arguments: %w", name, err)
		}
		req := &gate.Request{
			Session:  s,
			Protocol: gate.ProtocolTool,
			Command:  name + " " + string(payload),
			Payload:  payload,
			Tool:     &gate.ToolCall{Kind: "call", Name: name, Args: argMap},
		}
		d, err := g.Check(ctx, req)
		if err != nil {
			return zero, err
		}
		result, callErr := fn(ctx, args)
		if callErr != nil {
			msg, findings, merr := d.Masker.Value("", callErr.Error())
			if merr != nil {
				msg = "the error message could not be masked"
			}
			_ = g.RecordOutput(ctx, s, gate.Output{DecisionID: d.ID, Stream: "error", Data: []byte(msg), Findings: convert(findings), Final: true})
			return zero, &CallError{Tool: name, Message: msg, cause: callErr}
		}
		masked, data, findings, err := maskResult(d.Masker, result)
		if err != nil {
			_ = g.RecordOutput(ctx, s, gate.Output{DecisionID: d.ID, Stream: "error", Data: []byte("result withheld: masking failed"), Final: true})
			return zero, fmt.Errorf("tool %s: result withheld: masking failed: %w", name, err)
		}
		if err := g.RecordOutput(ctx, s, gate.Output{DecisionID: d.ID, Stream: "result", Data: data, Findings: convert(findings), Final: true}); err != nil {
			return zero, fmt.Errorf("tool %s: result withheld: %w", name, err)
		}
		return masked, nil
	}
}

// encodeArgs returns the arguments as canonical JSON and as the map rules
// see. Arguments that are not a JSON object are exposed as {"value": ...}.
func encodeArgs(args any) ([]byte, map[string]any, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, nil, err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&v); err != nil {
		return nil, nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		m = map[string]any{"value": v}
	}
	return raw, m, nil
}

// maskResult masks a typed result by way of its JSON form, so that every
// string and number inside it is seen by the masker, then decodes the
// masked form back into the result type. A field whose masked form no longer
// fits its Go type (a card number held in an int64) comes back as its zero
// value rather than unmasked.
func maskResult[R any](p *mask.Policy, result R) (R, []byte, []mask.Finding, error) {
	var zero R
	raw, err := json.Marshal(result)
	if err != nil {
		return zero, nil, nil, err
	}
	if p == nil {
		return result, raw, nil, nil
	}
	if s, ok := any(result).(string); ok {
		out, findings, err := p.Value("", s)
		if err != nil {
			return zero, nil, nil, err
		}
		b, _ := json.Marshal(out)
		return any(out).(R), b, findings, nil
	}
	maskedJSON, findings, err := p.JSON(raw)
	if err != nil {
		return zero, nil, nil, err
	}
	var out R
	if len(findings) == 0 {
		return result, raw, nil, nil
	}
	if err := decodeLenient(maskedJSON, &out); err != nil {
		return zero, nil, nil, err
	}
	return out, maskedJSON, findings, nil
}

// decodeLenient decodes JSON into out, leaving a field at its zero value
// when the masked value no longer has the field's type.
func decodeLenient(data []byte, out any) error {
	err := json.Unmarshal(data, out)
	var typeErr *json.UnmarshalTypeError
	if err != nil && errors.As(err, &typeErr) {
		// encoding/json keeps decoding past a type mismatch and reports the
		// first one; the mismatched fields stay zero, which is what we want.
		return nil
	}
	return err
}

func convert(fs []mask.Finding) []gate.Finding {
	if len(fs) == 0 {
		return nil
	}
	out := make([]gate.Finding, len(fs))
	for i, f := range fs {
		out[i] = gate.Finding{Detector: f.Detector, Field: f.Field, Count: f.Count}
	}
	return out
}
