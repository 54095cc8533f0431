package main

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/airlock-sdk/airlock/record"
)

// FuzzTranscript feeds arbitrary record lines to the transcript printer, in
// every view: whatever a line holds, nothing but replay's own colour
// sequences may reach the terminal.
func FuzzTranscript(f *testing.F) {
	for _, body := range []string{
		`{"kind":"session_start","identity":{"subject":"a\u001b]0;x\u0007","name":"\u202e"},"session":{"protocol":"ssh","target":"\u0000","fail_open":true}}`,
		`{"kind":"decision","request":{"protocol":"postgres","command":"SELECT 1\r\n\u001b[2J","payload":"G1sySg==","sql":{"statements":[{"kind":"SELECT","text":"\u009b31m"}]}},"decision":{"action":"deny","rule":"r\u0007","rules":["\u2066"],"mask":["\u001b"],"errors":["\u001b[H"],"fail_open":true}}`,
		`{"kind":"approval_reviewed","approval":{"id":"\u001b","reviewer":{"subject":"\u0008"},"reason":"\u007f","rules":["\u0085"],"break_glass":true}}`,
		`{"kind":"output","output":{"stream":"\u009b","data":"G1sySgc=","findings":[{"detector":"\u001b","field":"\u0007","count":1}],"truncated":true,"exit_status":1}}`,
		`{"kind":"session_end","session":{"reason":"\u001bc"},"error":"\u001b[?1049h"}`,
		`{"kind":"\u001b[31m","error":"\u001b"}`,
		`{"head_seq":3,"head_hash":"\u001b","final":true,"key_id":"\u001b","sig":"AA=="}`,
	} {
		kind := "x"
		if bytes.Contains([]byte(body), []byte("head_seq")) {
			kind = "checkpoint"
		}
		f.Add([]byte(`{"v":1,"session":"s\u001b[2J","seq":1,"prev":"","hash":"","kind":"` + kind + `","ts":1,"event":` + body + `}`))
	}
	f.Add([]byte(`{"v":1,"session":"\u001b[2J","seq":1,"prev":"","hash":"","kind":"output","ts":1,"event":{"kind":"output","output":{"stream":"\u009b","data":"G1sySgc="}}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := record.ParseLine(line)
		if err != nil || e == nil {
			return
		}
		for _, detail := range []bool{false, true} {
			var out bytes.Buffer
			w := bufio.NewWriter(&out)
			pr := &printer{w: w, pal: palette{on: true}, detail: detail, tag: detail, start: map[string]int64{}}
			pr.header(e.SessionID)
			pr.entry(*e)
			pr.problem(string(line))
			_ = w.Flush()
			assertInert(t, out.String())
		}
	})
}
