package record_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// Follow shows a session live while a gateway records it, checking its
// chain entry by entry, and stops when the session is over.
func ExampleFollow() {
	dir, _ := os.MkdirTemp("", "airlock-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "record.jsonl")
	sink, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		panic(err)
	}
	priv, pub, _ := record.GenerateKey()
	rec := record.New(sink, record.Options{SigningKey: priv})
	defer rec.Close()

	ctx := context.Background()
	go func() { // the gateway, elsewhere
		for _, k := range []gate.EventKind{gate.EventSessionStart, gate.EventOutput, gate.EventSessionEnd} {
			time.Sleep(10 * time.Millisecond)
			_ = rec.Record(ctx, gate.Event{Kind: k, SessionID: "s1", Session: &gate.SessionInfo{Protocol: "ssh"},
				Output: &gate.Output{Stream: "stdout", Data: []byte("hello\r\n")}})
		}
	}()

	for e, err := range record.Follow(ctx, path, record.FollowOptions{Session: "s1", Poll: 5 * time.Millisecond, Verify: true, Key: pub}) {
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(e.Seq, e.Kind)
	}
	// Output:
	// 1 session_start
	// 2 output
	// 3 session_end
	// 4 checkpoint
}
