package approval

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

func FuzzDecodeDecision(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","decision":"approve","reason":"ok"}`,
		`{"id":"a","decision":"deny"}`,
		`{"id":"","decision":"approve"}`,
		`{"id":"a","decision":"approve"} {"id":"b"}`,
		`{"id":"a","decision":"APPROVE"}`,
		`{"id":"a","decision":"approve","extra":true}`,
		`[]`, `null`, ``, `{"id":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := decodeDecision(body)
		if err != nil {
			return
		}
		if d.ID == "" || (d.Decision != "approve" && d.Decision != "deny") {
			t.Fatalf("accepted %+v", d)
		}
	})
}

func FuzzVerify(f *testing.F) {
	secret := []byte("secret")
	now := time.Unix(1_800_000_000, 0)
	ts, sig := Sign(secret, now, []byte("body"))
	f.Add(ts, sig, []byte("body"))
	f.Add(ts, sig, []byte("bodx"))
	f.Add("", "", []byte{})
	f.Add("-1", "v1=", []byte{})
	f.Add("99999999999999999999", sig, []byte("body"))
	f.Add(ts, "v1=zz", []byte("body"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		err := Verify(secret, ts, sig, body, now, time.Minute)
		if err != nil {
			return
		}
		// Accepted: it must be exactly what Sign makes for this body at a
		// time within the skew.
		sec, perr := strconv.ParseInt(ts, 10, 64)
		if perr != nil {
			t.Fatalf("accepted malformed timestamp %q", ts)
		}
		_, want := Sign(secret, time.Unix(sec, 0), body)
		if sig != want {
			t.Fatalf("accepted signature %q for %q", sig, body)
		}
	})
}

// FuzzCallback throws arbitrary messages at the webhook callback: nothing
// but a correctly signed, fresh, first-seen message may cast a vote.
func FuzzCallback(f *testing.F) {
	key := []byte("alice-secret")
	f.Add([]byte(`{"id":"ID","decision":"approve","reason":"ok"}`), "alice", "", "", true)
	f.Add([]byte(`{"id":"ID","decision":"approve","reason":"ok"}`), "alice", "1", "v1=00", false)
	f.Add([]byte(`{"id":"ID","decision":"deny"}`), "bob", "", "", true)
	f.Add([]byte(`garbage`), "", "", "", false)
	f.Fuzz(func(t *testing.T, body []byte, keyName, ts, sig string, sign bool) {
		m := &Memory{}
		id, _ := m.Submit(t.Context(), request("d", gate.ReviewPolicy{}))
		body = bytes.ReplaceAll(body, []byte("ID"), []byte(id))
		wh := &Webhook{URL: "http://127.0.0.1:1/", Secret: []byte("s"), Store: m,
			Reviewers: map[string]WebhookReviewer{"alice": {Identity: alice, Secret: key}}}
		signed := false
		if sign && keyName == "alice" {
			ts, sig = Sign(key, time.Now(), body)
			signed = true
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set(HeaderKey, keyName)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, sig)
		rw := httptest.NewRecorder()
		wh.Callback().ServeHTTP(rw, req)
		p, _ := m.Get(id)
		if len(p.Votes) > 0 && !signed {
			t.Fatalf("unsigned message voted: %d %s", rw.Code, rw.Body)
		}
		if rw.Code == http.StatusOK && !signed {
			t.Fatalf("unsigned message accepted: %s", rw.Body)
		}
	})
}
