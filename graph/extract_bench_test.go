package graph

import "testing"

// benchmarkExtract measures Extract on a fixture of the module's testdata.
func benchmarkExtract(b *testing.B, fixture string) {
	data := loadFixture(b, fixture)
	opts := testOpts(true)
	b.ReportAllocs()
	for b.Loop() {
		_ = Extract(data, opts)
	}
}

func BenchmarkExtractSeed(b *testing.B) { benchmarkExtract(b, "seed_example.json") }

func BenchmarkExtractFullClickUp(b *testing.B) { benchmarkExtract(b, "clickup_task_full.json") }
