package mcpgate

import (
	"context"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Declared argument types.
//
// A tool server reads an argument as the type its input schema declares,
// whatever type was sent: zod's z.coerce reads ["9"] and "0x9" as the
// number 9 and ["/etc/passwd"] as the string "/etc/passwd"; Pydantic's lax
// mode reads "9" as 9. The rules read the value as sent, and a rule on
// tool.args.to == 9 or tool.args.path == "/etc/passwd" does not match an
// array or a hexadecimal string. So a tools/call holding, at any depth the
// schema declares (properties, array items, through allOf/anyOf/oneOf and
// local $refs), a value whose JSON type is not one the schema declares for
// it ("type", or the types of its "const" or "enum") is refused before the
// rules as rule "mcp/argument-type". An integer is a number without a
// fraction (9.0 is one, as JSON Schema has it); a value whose schema
// declares no type is not checked (the readings of argreadings.go judge
// it).

// jsonTypes is a set of JSON Schema type names; nil means any type.
type jsonTypes map[string]bool

// admits reports whether the set admits v, a decoded argument value.
func (t jsonTypes) admits(v any) bool {
	if t == nil {
		return true
	}
	switch x := v.(type) {
	case nil:
		return t["null"]
	case bool:
		return t["boolean"]
	case string:
		return t["string"]
	case int64:
		return t["integer"] || t["number"]
	case float64:
		return t["number"] || t["integer"] && x == math.Trunc(x)
	case []any:
		return t["array"]
	case map[string]any:
		return t["object"]
	}
	return false
}

// String lists the types, sorted, as the refusal names them.
func (t jsonTypes) String() string {
	names := make([]string, 0, len(t))
	for n := range t {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, " or ")
}

// valueType is the JSON type of a decoded argument value.
func valueType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// schemaTypes reads the JSON types schema s admits, nil when it admits
// any (or the gateway cannot tell).
func schemaTypes(root, s map[string]any, depth int) jsonTypes {
	if depth > maxSchemaDepth {
		return nil
	}
	if t := typeKeyword(s); t != nil {
		return t
	}
	if c, ok := s["const"]; ok {
		return jsonTypes{constType(c): true}
	}
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		t := jsonTypes{}
		for _, v := range e {
			t[constType(v)] = true
		}
		return t
	}
	if ref, ok := s["$ref"].(string); ok {
		m, ok := localRef(root, ref)
		if !ok {
			return nil
		}
		return schemaTypes(root, m, depth+1)
	}
	for _, kw := range []string{"anyOf", "oneOf"} {
		if list, ok := s[kw].([]any); ok && len(list) > 0 {
			return unionTypes(root, list, depth)
		}
	}
	if list, ok := s["allOf"].([]any); ok {
		// Each branch must hold: the first that names types bounds them.
		for _, sub := range list {
			if m, ok := sub.(map[string]any); ok {
				if t := schemaTypes(root, m, depth+1); t != nil {
					return t
				}
			}
		}
	}
	return nil
}

// unionTypes is what any of the schemas in list admits; nil when one of
// them admits any type.
func unionTypes(root map[string]any, list []any, depth int) jsonTypes {
	t := jsonTypes{}
	for _, sub := range list {
		m, ok := sub.(map[string]any)
		if !ok {
			return nil
		}
		st := schemaTypes(root, m, depth+1)
		if st == nil {
			return nil
		}
		for n := range st {
			t[n] = true
		}
	}
	return t
}

// typeKeyword reads a schema's "type" (a name or a list of names) and
// OpenAPI's "nullable"; nil when it has none or names one the gateway
// does not know.
func typeKeyword(s map[string]any) jsonTypes {
	known := map[string]bool{"null": true, "boolean": true, "string": true, "integer": true, "number": true, "array": true, "object": true}
	t := jsonTypes{}
	switch x := s["type"].(type) {
	case string:
		t[x] = true
	case []any:
		for _, e := range x {
			n, ok := e.(string)
			if !ok {
				return nil
			}
			t[n] = true
		}
	default:
		return nil
	}
	for n := range t {
		if !known[n] {
			return nil
		}
	}
	if len(t) == 0 {
		return nil
	}
	if nullable, _ := s["nullable"].(bool); nullable {
		t["null"] = true
	}
	return t
}

// constType is the JSON Schema type of a schema's const or enum value,
// as decoded from JSON (any number is a "number").
func constType(v any) string {
	switch v.(type) {
	case float64, int, int64:
		return "number"
	}
	return valueType(v)
}

// mistyped returns the path of the first value of v (keys sorted, at any
// depth the schema declares) whose type d's declarations do not admit,
// with its type and the admitted ones.
func (d *declaredArgs) mistyped(v any) (path, got string, want jsonTypes, bad bool) {
	if d == nil {
		return "", "", nil, false
	}
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := d.names[k]
			if sub == nil {
				continue
			}
			if !sub.types.admits(x[k]) {
				return k, valueType(x[k]), sub.types, true
			}
			if p, g, w, bad := sub.mistyped(x[k]); bad {
				return k + "." + p, g, w, true
			}
		}
	case []any:
		if d.items == nil {
			return "", "", nil, false
		}
		for i, e := range x {
			if !d.items.types.admits(e) {
				return "[" + strconv.Itoa(i) + "]", valueType(e), d.items.types, true
			}
			if p, g, w, bad := d.items.mistyped(e); bad {
				return "[" + strconv.Itoa(i) + "]." + p, g, w, true
			}
		}
	}
	return "", "", nil, false
}

// mistypedArg returns why the arguments of a tools/call hold a value of a
// type its tool's input schema does not declare, or "".
func (c *catalog) mistypedArg(key string, args map[string]any) string {
	c.mu.Lock()
	d := c.args[kindCall][key]
	c.mu.Unlock()
	p, got, want, bad := d.mistyped(args)
	if !bad {
		return ""
	}
	p = strings.ReplaceAll(p, ".[", "[")
	return "argument " + display(p) + " is " + article(got) + ", but the tool's input schema declares " + want.String()
}

// article prefixes a type name with its indefinite article.
func article(t string) string {
	if strings.ContainsRune("aeiou", rune(t[0])) {
		return "an " + t
	}
	return "a " + t
}

// refuseArgumentType refuses a call an argument of which is not of a type
// the tool declares (see mistypedArg).
func (s *session) refuseArgumentType(ctx context.Context, name, why string) error {
	reason := why + "; send each argument as the type the tool's schema declares"
	req := &gate.Request{Protocol: gate.ProtocolMCP, Command: "tools/call " + display(name), Tool: &gate.ToolCall{Kind: kindCall, Name: name}}
	d, _ := s.conn.Refuse(ctx, req, "argument-type", reason)
	return s.failure(ctx, d, "refused", CodeRefused, "airlock: tools/call "+display(name)+" refused: "+reason)
}
