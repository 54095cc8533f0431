package mask

import "testing"

func BenchmarkPerDetector(b *testing.B) {
	e, _ := New(Config{})
	in := string(benchText(1<<20, 1))
	for _, d := range e.dets {
		p, _ := e.Policy([]string{d.name})
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			defer cpuMetric(b, int64(len(in)))()
			for b.Loop() {
				p.Value("", in)
			}
		})
	}
}
