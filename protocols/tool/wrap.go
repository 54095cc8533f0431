package tool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/packed"
	"github.com/airlock-sdk/airlock/mask"
)

// Func is the shape of a tool: typed arguments in, a typed result out.
type Func[A, R any] func(ctx context.Context, args A) (R, error)

// ErrNoSession is returned for a call whose context carries no session
// handle.
var ErrNoSession = errors.New("tool: the context carries no airlock session (use gate.Conn.Context)")

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

// couldNotMask replaces a tool's error message that could not be masked.
const couldNotMask = "the error message could not be masked"

// Wrap returns fn gated under the tool name. Every call finds its session
// handle in the context (gate.Conn.Context; without one the call is refused
// with ErrNoSession), then:
//
//  1. encodes the arguments as JSON (tool.args in rules) and asks the
//     handle's Check;
//  2. on refusal returns the *gate.RefusedError, whose message names the rule
//     and reason and is safe to show the model;
//  3. otherwise runs fn, masks its result (and any error message) as the
//     decision demands, and returns it through the handle's Result, which
//     records it.
//
// If the result cannot be masked or recorded, the call fails rather than
// return unmasked or unrecorded data; when it could not be recorded the
// session is broken (gate.Conn.Err) and refuses every later call.
func Wrap[A, R any](name string, fn Func[A, R]) Func[A, R] {
	var words WordCache
	return func(ctx context.Context, args A) (R, error) {
		var zero R
		conn := gate.ConnFrom(ctx)
		if conn == nil {
			return zero, ErrNoSession
		}
		payload, argMap, err := encodeArgs(args)
		if err != nil {
			return zero, fmt.Errorf("tool %s: encode arguments: %w", name, err)
		}
		shown, secrets, err := CommandArgs(argMap)
		if err != nil {
			return zero, fmt.Errorf("tool %s: encode arguments: %w", name, err)
		}
		req := &gate.Request{
			Protocol: gate.ProtocolTool,
			Command:  name + " " + string(shown),
			Payload:  payload,
			Secrets:  secrets,
			Tool:     &gate.ToolCall{Kind: "call", Name: name, Args: argMap},
		}
		// Parts of the arguments held as raw JSON or maps (a
		// json.RawMessage, an any) may hold keys the tool reads otherwise
		// than the rules: refused before the rules (tool/argument-key).
		why := repeatedKey(payload)
		if why == "" {
			why = ArgumentKeys(argMap, words.Get(conn.Rules()), strconv.Quote)
		}
		if why != "" {
			_, err := conn.Refuse(ctx, req, "argument-key", why+"; spell each argument key once, exactly as the rules do")
			if conn.Err() != nil {
				return zero, ended(name)
			}
			return zero, err
		}
		d, err := conn.Check(ctx, req)
		if err != nil {
			if conn.Err() != nil {
				return zero, ended(name)
			}
			return zero, err
		}
		result, callErr := fn(ctx, args)
		if callErr != nil {
			return zero, callError(ctx, conn, d, name, callErr)
		}
		masked, data, findings, err := maskResult(d.Masker, result)
		if err != nil {
			// The record says the result was withheld; the model never sees it.
			if _, _, rerr := conn.Result(ctx, d, "error", []byte("result withheld: masking failed"), gate.ResultOptions{Format: gate.Text, Premasked: true}); rerr != nil {
				return zero, unrecorded(name, "result")
			}
			return zero, fmt.Errorf("tool %s: result withheld: masking failed: %w", name, err)
		}
		if _, _, err := conn.Result(ctx, d, "result", data, gate.ResultOptions{Premasked: true, Findings: findings}); err != nil {
			return zero, unrecorded(name, "result")
		}
		return masked, nil
	}
}

// callError returns the *CallError the model sees for a failure of the
// tool: its message masked and recorded as the call's "error" output. A
// message that cannot be masked is replaced; one that cannot be recorded is
// not returned at all.
func callError(ctx context.Context, conn *gate.Conn, d *gate.Decision, name string, callErr error) error {
	msg, _, err := conn.Result(ctx, d, "error", []byte(callErr.Error()), gate.ResultOptions{Format: gate.Text})
	if err != nil {
		if conn.Err() != nil {
			return unrecorded(name, "error message")
		}
		msg = []byte(couldNotMask)
	}
	return &CallError{Tool: name, Message: string(msg), cause: callErr}
}

// unrecorded is the error of a call whose result (or error message) could
// not be recorded: the session has ended (gate.Conn.Err says why; the
// recorder's error is kept out of the model's view).
func unrecorded(name, what string) error {
	return fmt.Errorf("tool %s: %s withheld: it could not be recorded: %w", name, what, gate.ErrSessionEnded)
}

// ended is the refusal of a call on a session that has ended (closed, or
// broken by a result that could not be recorded). It matches gate.ErrDenied
// and gate.ErrSessionEnded; why the session broke (gate.Conn.Err) stays out
// of the model's view.
func ended(name string) error {
	return fmt.Errorf("tool %s: refused, the session has ended: %w (%w)", name, gate.ErrDenied, gate.ErrSessionEnded)
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
	if err := checkBytes(p, reflect.ValueOf(result), 0); err != nil {
		return zero, nil, nil, err
	}
	if name := packed.Encoded(raw); name != "" {
		return zero, nil, nil, fmt.Errorf("%w (%s)", errPackedMasked, name)
	}
	// Packed data as characters up to U+00FF in a string, which the
	// caller encodes back to bytes (see packed.Latin1).
	if bytes.Contains(raw, []byte(`\u00`)) || packed.Latin1(raw) != nil {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return zero, nil, nil, err
		}
		if name := packed.Latin1Strings(v); name != "" {
			return zero, nil, nil, fmt.Errorf("%w (%s as characters)", errPackedMasked, name)
		}
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
