package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/internal/syncbuf"
	"github.com/airlock-sdk/airlock/record"
)

func TestGatewayEndToEnd(t *testing.T) {
	t.Setenv("AGENT_TOKEN", "agent-secret-token")
	t.Setenv("REVIEWER_TOKEN", "reviewer-secret-token")
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-review-listen", "127.0.0.1:0", "-mode", "retry",
			"-record", filepath.Join(dir, "rec.jsonl")}, out)
	}()
	re := regexp.MustCompile(`gateway (http://\S+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("gateway did not start: %s", out.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	call := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer agent-secret-token")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := call("GET", "/v1/customers", ""); code != 200 || strings.Contains(body, "4111") ||
		strings.Contains(body, "5555555555554444") || strings.Contains(body, "ann@example.com") {
		t.Errorf("customers: %d %s", code, body)
	}
	if code, body := call("GET", "/v1/../admin/users", ""); code != 403 || !strings.Contains(body, "no-admin") {
		t.Errorf("admin: %d %s", code, body)
	}
	if code, body := call("GET", "/ADMIN/users", ""); code != 403 || !strings.Contains(body, "no-admin") {
		t.Errorf("admin by case: %d %s", code, body)
	}
	if code, body := call("POST", "/v1/refunds", `{"amount":20}`); code != 409 || !strings.Contains(body, "approval_id") {
		t.Errorf("refund: %d %s", code, body)
	}
	if code, body := call("POST", "/v1/refunds", `{"amount":5000}`); code != 403 || !strings.Contains(body, "no-big-refunds") {
		t.Errorf("big refund: %d %s", code, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rec, err := os.ReadFile(filepath.Join(dir, "rec.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(rec, []byte(`"decision"`)) || bytes.Contains(rec, []byte("agent-secret-token")) {
		t.Errorf("record file: %.2000s", rec)
	}
	sessions, err := record.ReadFile(filepath.Join(dir, "rec.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	outputs := 0
	for _, evs := range sessions {
		for _, ev := range evs {
			if ev.Event != nil && ev.Event.Output != nil {
				outputs++
				if d := string(ev.Event.Output.Data); strings.Contains(d, "4111") || strings.Contains(d, "ann@example.com") {
					t.Errorf("recorded output not masked: %s", d)
				}
			}
		}
	}
	if outputs == 0 {
		t.Error("no response recorded")
	}
}
