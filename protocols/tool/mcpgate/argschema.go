package mcpgate

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Declared arguments.
//
// Rules are written against the arguments a tool declares. An upstream may
// act on an argument it never declared (an alias such as "file" beside the
// declared "path", a legacy option, a debugging switch), and a rule on
// tool.args.path says nothing about it. So a tools/call whose arguments
// hold a key the tool's input schema does not declare (at any depth where
// the schema declares an object's properties: nested objects, arrays of
// objects), or a prompts/get with an argument the prompt does not list, is
// refused before the rules as rule "mcp/argument-key". A schema that admits
// other keys (additionalProperties true or a schema, patternProperties, or
// no properties at all and no "additionalProperties": false) declares no
// closed set, and the keys it admits are not checked; their spelling still
// is (argkeys.go).

// declaredArgs is the set of argument keys an object schema declares, with
// what each declared key's own schema declares in turn.
type declaredArgs struct {
	// names maps each declared key to the declarations of its value (nil:
	// a value not checked further).
	names map[string]*declaredArgs
	// items holds the declarations of an array's elements (nil: unchecked).
	items *declaredArgs
	// open: the schema admits keys it does not name.
	open bool
	// types are the JSON types the schema admits for the value (nil:
	// any; see argtypes.go).
	types jsonTypes
}

// undeclared returns the path of the first key of v (sorted, at any depth
// the schema declares) that d does not declare, if any.
func (d *declaredArgs) undeclared(v any) (string, bool) {
	if d == nil {
		return "", false
	}
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub, ok := d.names[k]
			if !ok && !d.open {
				return k, true
			}
			if p, bad := sub.undeclared(x[k]); bad {
				return k + "." + p, true
			}
		}
	case []any:
		for i, e := range x {
			if p, bad := d.items.undeclared(e); bad {
				return "[" + strconv.Itoa(i) + "]." + p, true
			}
		}
	}
	return "", false
}

// maxSchemaDepth bounds the nesting of schema followed.
const maxSchemaDepth = 16

// toolArgs reads the argument keys a tool's input schema declares.
func toolArgs(t *sdk.Tool) *declaredArgs {
	root, ok := schemaObject(t.InputSchema)
	if !ok {
		return &declaredArgs{open: true}
	}
	if d := readSchema(root, root, 0); d != nil {
		return d
	}
	return &declaredArgs{open: true}
}

// readSchema reads what schema s declares of an object's keys and an
// array's elements; nil means it constrains neither.
func readSchema(root, s map[string]any, depth int) *declaredArgs {
	if depth > maxSchemaDepth {
		return nil
	}
	d := &declaredArgs{names: map[string]*declaredArgs{}}
	var sawProperties, closed, sawItems bool
	var walk func(s map[string]any, depth int)
	walk = func(s map[string]any, depth int) {
		if depth > maxSchemaDepth {
			d.open = true
			return
		}
		if props, ok := s["properties"].(map[string]any); ok {
			sawProperties = true
			for k, p := range props {
				var sub *declaredArgs
				if m, ok := p.(map[string]any); ok {
					sub = readSchema(root, m, depth+1)
				}
				if prev, dup := d.names[k]; dup {
					sub = mergeDeclared(prev, sub)
				}
				d.names[k] = sub
			}
		}
		switch ap := s["additionalProperties"].(type) {
		case bool:
			if ap {
				d.open = true
			} else {
				closed = true
			}
		case map[string]any:
			d.open = true
		}
		if _, ok := s["patternProperties"]; ok {
			d.open = true
		}
		if _, ok := s["unevaluatedProperties"].(map[string]any); ok {
			d.open = true
		}
		if items, ok := s["items"].(map[string]any); ok {
			sub := readSchema(root, items, depth+1)
			if sawItems {
				d.items = mergeDeclared(d.items, sub)
			} else {
				d.items, sawItems = sub, true
			}
		}
		for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
			if list, ok := s[kw].([]any); ok {
				for _, sub := range list {
					if m, ok := sub.(map[string]any); ok {
						walk(m, depth+1)
					}
				}
			}
		}
		for _, kw := range []string{"then", "else", "if"} {
			if m, ok := s[kw].(map[string]any); ok {
				walk(m, depth+1)
			}
		}
		if ref, ok := s["$ref"].(string); ok {
			if m, ok := localRef(root, ref); ok {
				walk(m, depth+1)
			} else {
				d.open = true // a schema the gateway cannot read names nothing
			}
		}
	}
	walk(s, depth)
	if !sawProperties && !closed {
		d.open = true
	}
	d.types = schemaTypes(root, s, depth)
	if d.open && len(d.names) == 0 && d.items == nil && d.types == nil {
		return nil
	}
	return d
}

// mergeDeclared is what two schemas of one value declare together: a key
// either declares, checked only as far as both check it.
func mergeDeclared(a, b *declaredArgs) *declaredArgs {
	if a == nil || b == nil {
		return nil
	}
	m := &declaredArgs{names: map[string]*declaredArgs{}, open: a.open || b.open, items: mergeDeclared(a.items, b.items)}
	if a.types != nil && b.types != nil {
		m.types = jsonTypes{}
		for n := range a.types {
			m.types[n] = true
		}
		for n := range b.types {
			m.types[n] = true
		}
	}
	for k, v := range a.names {
		m.names[k] = v
	}
	for k, v := range b.names {
		if prev, ok := m.names[k]; ok {
			m.names[k] = mergeDeclared(prev, v)
		} else {
			m.names[k] = v
		}
	}
	return m
}

// localRef resolves a reference into the schema's own $defs or definitions.
func localRef(root map[string]any, ref string) (map[string]any, bool) {
	for _, prefix := range []string{"#/$defs/", "#/definitions/"} {
		if name, ok := strings.CutPrefix(ref, prefix); ok {
			defs, _ := root[strings.TrimSuffix(strings.TrimPrefix(prefix, "#/"), "/")].(map[string]any)
			m, ok := defs[name].(map[string]any)
			return m, ok
		}
	}
	return nil, false
}

// schemaObject returns a schema as decoded JSON, whatever form the client
// holds it in.
func schemaObject(v any) (map[string]any, bool) {
	if m, ok := v.(map[string]any); ok {
		return m, true
	}
	if v == nil {
		return nil, false
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

// promptArgs reads the arguments a prompt lists.
func promptArgs(p *sdk.Prompt) *declaredArgs {
	d := &declaredArgs{names: map[string]*declaredArgs{}}
	for _, a := range p.Arguments {
		if a != nil {
			d.names[a.Name] = nil
		}
	}
	return d
}

// declare notes the arguments an advertised tool or prompt declares. A
// later listing replaces an earlier one.
func (c *catalog) declare(kind, key string, d *declaredArgs) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.args == nil {
		c.args = map[string]map[string]*declaredArgs{}
	}
	if c.args[kind] == nil {
		c.args[kind] = map[string]*declaredArgs{}
	}
	c.args[kind][key] = d
}

// undeclaredArg returns why args hold a key the tool or prompt does not
// declare, or "". An item listed without declarations (none noted) is
// treated as closed with no arguments.
func (c *catalog) undeclaredArg(kind, key string, args map[string]any) string {
	c.mu.Lock()
	d, ok := c.args[kind][key]
	c.mu.Unlock()
	if !ok {
		d = &declaredArgs{}
	}
	k, bad := d.undeclared(args)
	if !bad {
		return ""
	}
	what := "the tool's input schema"
	if kind == kindPrompt {
		what = "the prompt's argument list"
	}
	return "argument key " + display(k) + " is not declared by " + what
}
