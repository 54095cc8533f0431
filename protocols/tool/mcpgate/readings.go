package mcpgate

import (
	"encoding/json"
	"fmt"

	"github.com/airlock-sdk/airlock/internal/packed"
)

// A client that decodes a result's text reads values the masker did not:
// text that is also a protobuf message glues a value to a field's tag
// and length, which a decoder strips (packed.ProtoFields); text in a
// base85 alphabet (ASCII85, Z85, RFC 1924's) decodes to a value, or to
// compressed data holding one (packed.Base85Finds), wherever its payload
// starts in the run. Under a mask, masked text is read as the HTTP
// gateway reads a masked body, with the same code; a value found
// withholds the result.

// maxBase85Unpacked bounds what a base85 run's compressed data is unpacked to
// per decode; more is refused.
const maxBase85Unpacked = 16 << 20

// readings returns the error that withholds masked text a decoding
// client reads a value in, or nil.
func (m *masker) readings(text string) error {
	if len(text) < 4 {
		return nil
	}
	b := []byte(text)
	if packed.ProtoGlued(b, m.p.Finds) {
		return fmt.Errorf("mcp: the result holds a value glued to protobuf framing (a field's tag or length), which masking cannot read")
	}
	if len(b) < packed.MinBase85Run {
		return nil
	}
	found, err := packed.Base85Finds(b, maxBase85Unpacked, m.p.Finds)
	switch {
	case found:
		return fmt.Errorf("mcp: the result holds base85 text that decodes to a value, or to compressed data with one, which masking cannot read")
	case err != nil:
		return fmt.Errorf("mcp: the result holds base85 text that decodes to %w", err)
	}
	return nil
}

// readingsIn is readings for each string (and key) of doc, masked JSON
// (structured content), as the client reads it decoded, and for doc
// whole.
func (m *masker) readingsIn(doc []byte) error {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return fmt.Errorf("structured content: %w", err)
	}
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case string:
			return m.readings(x)
		case []any:
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		case map[string]any:
			for k, e := range x {
				if err := m.readings(k); err != nil {
					return err
				}
				if err := walk(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(v); err != nil {
		return err
	}
	return m.readings(string(doc))
}
