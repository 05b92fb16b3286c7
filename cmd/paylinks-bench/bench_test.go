package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the harness's child servers (the
// baseline), as the command does.
func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		if err := childMain(role, os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "paylinks-bench child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestQuickRun runs the harness end to end on a tiny preload and checks
// that the report is sane: every scenario whose route exists ran, with
// operations and no errors, against a measured baseline. It asserts no
// speed.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers for a few seconds; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	args := []string{"--quick", "--json", "--links", "300", "--duration", "400ms", "--warmup", "100ms", "--conns", "4"}
	if err := run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var rep Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("the --json report does not decode: %v\n%s", err, stdout.String())
	}
	if rep.Links != 300 || rep.PreloadSeconds <= 0 || rep.StartupSeconds <= 0 {
		t.Errorf("links, preload, start-up = %d, %v s, %v s; want 300 and two times > 0", rep.Links, rep.PreloadSeconds, rep.StartupSeconds)
	}
	if len(rep.BaselineRuns) != 2 || rep.Baseline <= 0 || rep.BaselineBytes < 100 {
		t.Errorf("baseline: %d runs, %v req/s, %d bytes; want 2 runs, > 0 req/s, a link-sized answer", len(rep.BaselineRuns), rep.Baseline, rep.BaselineBytes)
	}
	if rep.PeakRSSMB <= 0 {
		t.Errorf("server peak RSS = %v MB, want > 0", rep.PeakRSSMB)
	}
	ran := map[string]bool{}
	for _, s := range rep.Scenarios {
		if s.Skipped != "" {
			// Only routes that are not built yet may be skipped.
			if !strings.HasPrefix(s.Skipped, "not implemented yet") {
				t.Errorf("%s skipped: %s", s.Name, s.Skipped)
			}
			continue
		}
		ran[s.Name] = true
		if s.Ops == 0 || s.OpsPerSec <= 0 || s.P50ms <= 0 || s.P99ms < s.P50ms {
			t.Errorf("%s: %d ops, %v ops/s, p50 %v ms, p99 %v ms; want ops and 0 < p50 <= p99", s.Name, s.Ops, s.OpsPerSec, s.P50ms, s.P99ms)
		}
		if s.Errors != 0 {
			t.Errorf("%s: %d errors, e.g. %q", s.Name, s.Errors, s.ErrorSamples)
		}
		if s.Ratio <= 0 || s.CPUPer1000 <= 0 {
			t.Errorf("%s: ratio %v, CPU %v s/1k; want both > 0", s.Name, s.Ratio, s.CPUPer1000)
		}
	}
	// pay-proxied ran without errors: the server believed the harness's
	// X-Forwarded-For, or the per-address attempt limit (30) would have
	// refused most of its payments, all from 127.0.0.1.
	for _, name := range []string{"retrieve", "list", "v1-list", "page", "create", "pay", "pay-proxied", "charge", "refund", "v1-create"} {
		if !ran[name] {
			t.Errorf("scenario %s did not run", name)
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s\nprogress:\n%s", stdout.String(), stderr.String())
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, 1000 * time.Millisecond}} {
		got := h.quantile(tc.q)
		if d := float64(got-tc.want) / float64(tc.want); d < -0.02 || d > 0.02 {
			t.Errorf("quantile(%v) = %v, want %v ± 2%%", tc.q, got, tc.want)
		}
	}
	var empty histogram
	if got := empty.quantile(0.5); got != 0 {
		t.Errorf("empty quantile = %v, want 0", got)
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://localhost:8080", true},
		{"http://[::1]:8080", true},
		{"http://10.0.0.1:8080", false},
		{"http://example.com", false},
		{"https://127.0.0.1:8080", false},
	} {
		if err := checkLoopback(tc.url); (err == nil) != tc.ok {
			t.Errorf("checkLoopback(%q) = %v, want ok %v", tc.url, err, tc.ok)
		}
	}
}

func TestCSRFField(t *testing.T) {
	got, ok := csrfField([]byte(`<form><input type="hidden" name="csrf" value="abc_-1"><input name="x">`))
	if !ok || got != "abc_-1" {
		t.Errorf("csrfField = %q, %v; want abc_-1, true", got, ok)
	}
	if _, ok := csrfField([]byte(`<p>no form</p>`)); ok {
		t.Error("csrfField found a token in a page without a form")
	}
}

// TestProfileRun profiles the real binary (serve --pprof-addr): a CPU
// profile per scenario that ran and a heap profile, each a real pprof file.
func TestProfileRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers for a few seconds; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"--quick", "--links", "100", "--duration", "1s", "--warmup", "100ms", "--conns", "2",
		"--scenarios", "retrieve", "--profile", dir}
	if err := run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	for _, name := range []string{"retrieve.cpu.pprof", "heap.pprof"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		// pprof files are gzipped protocol buffers.
		if len(b) < 100 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: %d bytes, not a gzipped profile", name, len(b))
		}
	}
	if !strings.Contains(stdout.String(), "profiled") {
		t.Errorf("the report does not say the server was profiled:\n%s", stdout.String())
	}
}

// TestFailures: a report whose scenarios had errors or did nothing is a
// failed run (the --quick run of CI exits non-zero on it); skipped ones are
// not.
func TestFailures(t *testing.T) {
	ok := Result{Name: "retrieve", Ops: 10, OpsPerSec: 10}
	good := Report{BaselineRuns: []Result{{Name: "baseline", Ops: 5}}, Scenarios: []Result{ok, {Name: "charge", Skipped: "no public key"}}}
	if err := good.failures(); err != nil {
		t.Errorf("a clean report fails: %v", err)
	}
	for _, bad := range []Report{
		{Scenarios: []Result{ok, {Name: "pay", Ops: 9, Errors: 2, ErrorSamples: []string{"POST /l/x: 500"}}}},
		{Scenarios: []Result{ok, {Name: "create"}}},
		{BaselineRuns: []Result{{Name: "baseline"}}, Scenarios: []Result{ok}},
		{Scenarios: []Result{ok}, ListSizes: []SizeResult{{Links: 10, List: Result{Name: "list", Ops: 3, Errors: 1}}}},
	} {
		err := bad.failures()
		if err == nil {
			t.Errorf("report %+v passes", bad)
			continue
		}
		if !strings.Contains(err.Error(), "pay: 2 errors, e.g. \"POST /l/x: 500\"") && !strings.Contains(err.Error(), "no operation") &&
			!strings.Contains(err.Error(), "list: 1 errors") {
			t.Errorf("failure %q does not name the scenario and what went wrong", err)
		}
	}
}

// TestListSizesRun runs --list-sizes: the list scenario alone on fresh
// databases of two sizes, each with its own preload, start-up, RSS and p99
// ratio to the first size.
func TestListSizesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers for a few seconds; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	args := []string{"--quick", "--json", "--links", "100", "--duration", "300ms", "--warmup", "50ms", "--conns", "2",
		"--scenarios", "list", "--list-sizes", "150,400"}
	if err := run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var rep Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("the --json report does not decode: %v", err)
	}
	if len(rep.ListSizes) != 2 {
		t.Fatalf("list sizes: got %d, want 2\n%s", len(rep.ListSizes), stdout.String())
	}
	for i, want := range []int{150, 400} {
		s := rep.ListSizes[i]
		if s.Links != want || s.PreloadSeconds <= 0 || s.StartupSeconds <= 0 || s.PeakRSSMB <= 0 ||
			s.List.Ops == 0 || s.List.Errors != 0 || s.List.P99ms <= 0 {
			t.Errorf("size %d: %+v", want, s)
		}
	}
}

// TestURLRun targets a paylinks started apart (--url, --key, --public-key,
// --pid), as against a server on PostgreSQL: the harness preloads through
// the API and reports the server's RSS and CPU from its pid.
func TestURLRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers for a few seconds; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin, err := buildPaylinks(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(dir, "p.db"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var url, skey, pkey string
	sc := bufio.NewScanner(out)
	for url == "" && sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) == 3 && f[1] == "key:" {
			switch f[0] {
			case "secret":
				skey = f[2]
			case "public":
				pkey = f[2]
			}
		}
		if _, u, ok := strings.Cut(line, "listening on "); ok {
			url = u
		}
	}
	go io.Copy(io.Discard, out)
	if url == "" || skey == "" || pkey == "" {
		t.Fatalf("server printed url %q, keys %q %q", url, skey, pkey)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"--json", "--url", url, "--key", skey, "--public-key", pkey, "--pid", strconv.Itoa(cmd.Process.Pid),
		"--links", "120", "--duration", "300ms", "--warmup", "50ms", "--conns", "2", "--scenarios", "retrieve,list,charge,pay-proxied"}
	if err := run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var rep Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("the --json report does not decode: %v", err)
	}
	if rep.Target != url || rep.Links != 120 {
		t.Errorf("target %q, links %d; want %q and 120", rep.Target, rep.Links, url)
	}
	for _, s := range rep.Scenarios {
		if s.Name == "pay-proxied" {
			// This server does not trust 127.0.0.1 as its proxy and
			// --proxied was not passed: skipped, saying so.
			if !strings.Contains(s.Skipped, "--trusted-proxies 127.0.0.1/32") || s.Ops != 0 {
				t.Errorf("pay-proxied against a server that does not trust the harness: %+v", s)
			}
			continue
		}
		if s.Skipped != "" || s.Ops == 0 || s.Errors != 0 || s.PeakRSSMB <= 0 || s.CPUPer1000 <= 0 {
			t.Errorf("%s against --url: %+v", s.Name, s)
		}
	}
	if len(rep.Scenarios) != 4 {
		t.Errorf("scenarios: got %d, want 4", len(rep.Scenarios))
	}
}
