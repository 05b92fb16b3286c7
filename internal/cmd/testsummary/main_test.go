package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestSummarizeRealRun runs go test -json on a sample module (a pass with
// two subtests, two skips, a failure, a package that does not build) and
// checks the report and the counts.
func TestSummarizeRealRun(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gobin, "test", "-json", "-count=1", "./...")
	cmd.Dir = filepath.Join("testdata", "sample")
	cmd.Env = append(cmd.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	raw, _ := cmd.Output() // fails: the sample has failures
	var out bytes.Buffer
	c, err := summarize(bytes.NewReader(raw), &out)
	if err != nil {
		t.Fatal(err)
	}
	// Passed: TestPasses and its two subtests. Failed: TestFails and the
	// package that does not build.
	if want := (counts{passed: 3, failed: 2, skipped: 2}); c != want {
		t.Errorf("counts %+v, want %+v\n%s", c, want, out.String())
	}
	report := out.String()
	lines := strings.Split(strings.TrimSpace(report), "\n")
	if last := lines[len(lines)-1]; last != "3 passed, 2 failed, 2 skipped" {
		t.Errorf("last line %q, want the summary", last)
	}
	for _, want := range []string{
		"got 1, want 2",
		"skipped 2 tests: SAMPLE_DB is not set: no database to test against",
		"FAIL\tsample/fine",
		"FAIL\tsample/broken [build failed]",
		"undefined",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Count(report, "FAIL\tsample/broken") != 1 {
		t.Errorf("want one FAIL line of the broken package:\n%s", report)
	}
	if strings.Contains(report, "=== RUN   TestPasses") {
		t.Errorf("report repeats the run lines of passing tests:\n%s", report)
	}
}
