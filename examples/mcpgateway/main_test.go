package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == "server" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"agent sees tools: delete_customer, read_customer\n",
		"read_customer map[id:1] -> error=false Ada Lovelace <[EMAIL]>, card [CREDIT_CARD]",
		`delete_customer map[id:1] -> error=true airlock: denied by rule "customer-1-is-protected": customer 1 is under legal hold`,
		"delete_customer map[id:2] -> error=false deleted customer 2",
		`drop_all map[] -> refused: calling "tools/call": airlock: unknown tool drop_all`,
		"session_end",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "ada@example.com") {
		t.Errorf("unmasked e-mail in output:\n%s", got)
	}
}
