package wait

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFor(t *testing.T) {
	woken := make(chan struct{})
	close(woken)
	if err := For(context.Background(), woken, time.Hour); err != nil {
		t.Fatalf("closed wake: %v", err)
	}
	if err := For(context.Background(), nil, time.Millisecond); err != nil {
		t.Fatalf("time passed: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := For(ctx, nil, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context: %v", err)
	}
}
