package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/httpgate"
	"github.com/jackc/pgx/v5"
)

// demoRun names the agent's run in the data-flow part of the tour.
const demoRun = "demo-run-1"

// demoRunAgent is the agent of the data-flow part, and demoRunToken its
// PostgreSQL password. It is not the tour's first agent: that one's reads
// already labelled its identity (a run the client names does not shed its
// identity's labels), so its POST would be held from the start.
var demoRunAgent = gate.Identity{Subject: "agent-8", Name: "release agent", Groups: []string{"agents"}, Kind: gate.KindAgent}

const demoRunToken = "demo-release-agent-token-0123456789"

// demoRunRules say "after reading personal data, nothing leaves without a
// human" in one rule. They end the demo's rule file: the labels section
// closes it.
const demoRunRules = `
  - name: webhooks
    when: request.protocol == "http" && http.method == "POST" && http.path == "/v1/webhooks"
    action: allow
  - name: no-egress-after-pii
    when: '"pii" in run.labels && request.protocol == "http" && http.method in ["POST", "PUT", "PATCH"]'
    action: review
    reason: this run has read personal data; sending it out needs a human
labels:
  pii: {detectors: [email]}
`

// demoDataFlow shows a run: sessions of one agent across protocols. A POST
// is allowed, the agent reads customers through PostgreSQL in the same run,
// and the same POST is then held, its reason naming the label and the read.
func demoDataFlow(ctx context.Context, g *gate.Gate, pgURL string, step demoStep) error {
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		io.WriteString(rw, "delivered\n")
	}))
	defer hook.Close()
	front, closeFront, err := demoHTTPFront(g, demoRunAgent, "partner-webhooks", hook, httpgate.Credential{})
	if err != nil {
		return err
	}
	defer closeFront()
	post := func() (any, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, front.URL+"/v1/webhooks", strings.NewReader(`{"event":"sync"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(httpgate.RunHeader, demoRun)
		return demoHTTPDo(req)
	}
	step(16, "A run: another agent, whose harness names its run (Airlock-Run header, airlock.run startup parameter). A webhook POST is allowed.",
		"POST /v1/webhooks in run "+demoRun, post)

	cfg, err := pgx.ParseConfig(pgURL)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["airlock.run"] = demoRun
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	step(17, "In the same run the agent reads customers through PostgreSQL: the email is masked, and the run is labelled pii.",
		"SELECT name, email FROM customers", func() (any, error) {
			var name, email string
			err := conn.QueryRow(ctx, "SELECT name, email FROM customers", pgx.QueryExecModeSimpleProtocol).Scan(&name, &email)
			return name + " | " + email, err
		})
	step(18, "The same POST is now held for a human: the reason names the label and the read that set it.",
		"POST /v1/webhooks in run "+demoRun, post)
	return nil
}
