package gate

import (
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// The cache stays within its bound, and past it still gives each value
// its own attributes.
func TestAttrCacheBounded(t *testing.T) {
	c := newAttrCache(func(s string) *measureOpts { return newMeasureOpts(attribute.String("rule", s)) })
	for i := 0; i < maxAttrSets+100; i++ {
		name := fmt.Sprint("rule-", i)
		for range 2 {
			cfg := metric.NewAddConfig(c.get(name).add)
			set := cfg.Attributes()
			if v, ok := set.Value("rule"); !ok || v.AsString() != name {
				t.Fatalf("value %d: attributes %v", i, set.ToSlice())
			}
		}
	}
	if n := len(*c.m.Load()); n != maxAttrSets {
		t.Fatalf("cache holds %d sets, want the bound %d", n, maxAttrSets)
	}
}
