package gate

import (
	"bytes"
	"context"
	"os"
	"time"
)

// WatchRules reloads the rule file at path into g whenever its content
// changes, checking every interval until ctx ends. A file that fails to load
// is logged and ignored: the gate keeps the last good rule set, so a typo
// never opens (or closes) the gate by accident. The rule set is swapped
// atomically; requests in flight finish under the old one.
func (g *Gate) WatchRules(ctx context.Context, path string, interval time.Duration, opts ...RuleOption) {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	var lastBad []byte
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		data, err := os.ReadFile(path)
		if err != nil {
			g.log.Error("rule file unreadable; keeping the current rules", "path", path, "error", err)
			continue
		}
		if contentVersion(data) == g.Rules().Version() || bytes.Equal(data, lastBad) {
			continue
		}
		rs, err := ParseRules(path, data, opts...)
		if err != nil {
			lastBad = data
			g.log.Error("rule file does not load; keeping the current rules", "path", path, "error", err)
			continue
		}
		lastBad = nil
		g.SetRules(rs)
	}
}
