package postgres

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5"
)

// BenchmarkQuery measures one point query through the gateway (rules and
// masking on) and directly, in the simple and the extended protocol.
// "gateway" records to memory; "gateway-nop" records nowhere, so the
// figures show the proxy and the gate alone. cpu-ns/op is the process's
// CPU time per query (client, proxy and gate; PostgreSQL is another
// process), the figure issue #19 compares with pgbouncer.
func BenchmarkQuery(b *testing.B) {
	tg := startGateway(b)
	nop := startGateway(b, func(g *gate.Config, _ *Config) {
		g.Recorder = gate.RecorderFunc(func(context.Context, gate.Event) error { return nil })
	})
	ctx := context.Background()
	direct, err := pgx.Connect(ctx, dbURL(tg.db))
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close(ctx)
	for _, target := range []string{"direct", "gateway", "gateway-nop"} {
		for _, mode := range []string{"simple", "extended"} {
			b.Run(target+"/"+mode, func(b *testing.B) {
				c := direct
				switch target {
				case "gateway":
					c = tg.connect(b, "agent", modes[mode])
				case "gateway-nop":
					c = nop.connect(b, "agent", modes[mode])
				}
				qm := pgx.QueryExecModeSimpleProtocol
				if mode == "extended" {
					qm = pgx.QueryExecModeCacheStatement
				}
				var name string
				b.ReportAllocs()
				cpu := benchCPU()
				for i := 0; b.Loop(); i++ {
					if err := c.QueryRow(ctx, "SELECT name FROM customers WHERE id = $1", qm, 1+i%2).Scan(&name); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(benchCPU()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// benchCPU is the CPU time (user and system) the test process used so far.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkClassify measures classification of a repeated statement shape,
// fresh and cached, and of a shape the cache has not seen (cache-miss: an
// agent's new statement, parsed, classified and then cached).
func BenchmarkClassify(b *testing.B) {
	q := "SELECT abalance FROM pgbench_accounts WHERE aid = 12345"
	b.Run("parser", func(b *testing.B) {
		for b.Loop() {
			if _, err := (pgsql.ParserClassifier{}).Classify(q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := pgsql.NewClassifier(0)
		for b.Loop() {
			if _, err := c.Classify(q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cache-miss", func(b *testing.B) {
		c := pgsql.NewClassifier(0)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := c.Classify(fmt.Sprintf("SELECT abalance AS a_%d FROM pgbench_accounts WHERE aid = 12345", i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
