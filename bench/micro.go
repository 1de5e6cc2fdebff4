package main

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// runExtractMicro runs the extraction micro-benchmarks with go test, for the
// extraction target (<= 20 µs, <= 150 allocations per op on the full fixture).
func runExtractMicro(ctx context.Context) []micro {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "^BenchmarkExtract(Seed|FullClickUp)$",
		"-benchmem", "-benchtime", "1s", "-count", "1", "./graph/")
	out, err := cmd.CombinedOutput()
	var res []micro
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 8 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		m := micro{Name: f[0]}
		for i := 2; i+1 < len(f); i += 2 {
			v, _ := strconv.ParseFloat(f[i], 64)
			switch f[i+1] {
			case "ns/op":
				m.NsPerOp = v
			case "B/op":
				m.BPerOp = v
			case "allocs/op":
				m.Allocs = v
			}
		}
		res = append(res, m)
	}
	if err != nil && len(res) == 0 {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 300 {
			msg = msg[:300]
		}
		res = append(res, micro{Name: "BenchmarkExtract", Error: err.Error() + ": " + msg})
	}
	return res
}
