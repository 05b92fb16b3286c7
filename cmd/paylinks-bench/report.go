package main

import (
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of one run; --json prints it as is.
type Report struct {
	Date    time.Time `json:"date"`
	Machine Machine   `json:"machine"`
	Target  string    `json:"target"`
	// Revision is the commit the server binary was built from, with
	// "+dirty" when the tree had uncommitted changes.
	Revision string `json:"revision,omitempty"`

	Links           int     `json:"links"`
	Conns           int     `json:"conns"`
	DurationSeconds float64 `json:"duration_seconds"` // measured, per scenario
	WarmupSeconds   float64 `json:"warmup_seconds"`

	PreloadSeconds float64 `json:"preload_seconds"`
	PreloadRate    float64 `json:"preload_links_per_second"`
	// StartupSeconds is from starting the server to the first 200 of
	// /readyz, with the links already in the database.
	StartupSeconds float64 `json:"startup_to_ready_seconds,omitempty"`
	// ReadyRSS is the server's resident memory when it became ready,
	// before any load.
	ReadyRSS *RSSSplit `json:"server_rss_at_ready,omitempty"`
	// PeakRSSMB is the server's highest VmHWM over the run.
	PeakRSSMB float64 `json:"server_peak_rss_mb,omitempty"`

	// BaselineBytes is the size of the baseline's answer (a link's JSON).
	BaselineBytes int `json:"baseline_bytes,omitempty"`
	// BaselineRuns are the baseline measured before and after the
	// scenarios; Baseline is their mean, the denominator of every ratio.
	BaselineRuns []Result `json:"baseline_runs,omitempty"`
	Baseline     float64  `json:"baseline_ops_per_second,omitempty"`

	Scenarios []Result `json:"scenarios"`
	// ListSizes are the list scenario on fresh databases of other sizes
	// (--list-sizes).
	ListSizes []SizeResult `json:"list_sizes,omitempty"`
}

// Result is one scenario's measurement.
type Result struct {
	Name    string `json:"name"`
	Op      string `json:"op"`
	Skipped string `json:"skipped,omitempty"`
	Conns   int    `json:"conns,omitempty"`

	Ops          int64    `json:"ops"`
	OpsPerSec    float64  `json:"ops_per_second"`
	P50ms        float64  `json:"p50_ms"`
	P99ms        float64  `json:"p99_ms"`
	Errors       int64    `json:"errors"`
	ErrorSamples []string `json:"error_samples,omitempty"`

	// Ratio is OpsPerSec over the baseline's; Bar is what issue 6 asks of
	// it (0: no bar) and Met whether it was reached.
	Ratio float64 `json:"ratio_to_baseline,omitempty"`
	Bar   float64 `json:"bar,omitempty"`
	Met   *bool   `json:"met,omitempty"`

	// PeakRSSMB is the server's peak RSS during the measured window;
	// CPUPer1000 its CPU seconds (user+system) per 1000 operations.
	PeakRSSMB  float64 `json:"server_peak_rss_mb,omitempty"`
	CPUPer1000 float64 `json:"server_cpu_seconds_per_1000,omitempty"`
	// RSS is the server's resident memory at the end of the window, split
	// as the kernel counts it (anonymous: heaps and SQLite's page caches;
	// file: mapped files; shmem: the WAL index).
	RSS  *RSSSplit `json:"server_rss_end,omitempty"`
	Note string    `json:"note,omitempty"`
}

// RSSSplit is VmRSS and its parts, in MB.
type RSSSplit struct {
	Total float64 `json:"total_mb"`
	Anon  float64 `json:"anon_mb"`
	File  float64 `json:"file_mb"`
	Shmem float64 `json:"shmem_mb"`
}

// SizeResult is the list scenario on a database of Links links.
type SizeResult struct {
	Links          int     `json:"links"`
	PreloadSeconds float64 `json:"preload_seconds"`
	StartupSeconds float64 `json:"startup_to_ready_seconds"`
	PeakRSSMB      float64 `json:"server_peak_rss_mb"`
	List           Result  `json:"list"`
}

func sizeResult(r *Report) SizeResult {
	s := SizeResult{Links: r.Links, PreloadSeconds: r.PreloadSeconds, StartupSeconds: r.StartupSeconds, PeakRSSMB: r.PeakRSSMB}
	if len(r.Scenarios) > 0 {
		s.List = r.Scenarios[0]
	}
	return s
}

// Machine is where the run happened.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	MemoryMB  int    `json:"memory_mb"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	// LoadAvg is /proc/loadavg when the run started: how busy the machine
	// already was.
	LoadAvg string `json:"loadavg"`
}

// revision reads the commit a Go binary was built from.
func revision(bin string) string {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return ""
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryMB = kb / 1024
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

// finish computes the baseline mean and every ratio.
func (r *Report) finish() {
	var sum float64
	var n int
	for _, b := range r.BaselineRuns {
		if b.OpsPerSec > 0 {
			sum += b.OpsPerSec
			n++
		}
	}
	if n == 0 {
		return
	}
	r.Baseline = sum / float64(n)
	for i := range r.BaselineRuns {
		r.BaselineRuns[i].Ratio = r.BaselineRuns[i].OpsPerSec / r.Baseline
	}
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		if s.Skipped != "" {
			continue
		}
		s.Ratio = s.OpsPerSec / r.Baseline
		if s.Bar > 0 {
			met := s.Ratio >= s.Bar && s.Errors == 0
			s.Met = &met
		}
	}
}

// WriteTable prints the report for people.
func (r *Report) WriteTable(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "paylinks-bench %s — %s", r.Date.Format("2006-01-02 15:04 MST"), r.Target)
	if r.Revision != "" {
		fmt.Fprintf(w, " at %s", r.Revision)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "machine: %d × %s, %d MB, Linux %s, %s, load average at start %s\n",
		m.CPUs, m.CPUModel, m.MemoryMB, m.Kernel, m.GoVersion, m.LoadAvg)
	fmt.Fprintf(w, "load: %d connections, closed loop, %.1f s measured after %.1f s warm-up per scenario\n",
		r.Conns, r.DurationSeconds, r.WarmupSeconds)
	fmt.Fprintf(w, "preload: %d links in %.1f s (%.0f links/s)", r.Links, r.PreloadSeconds, r.PreloadRate)
	if r.StartupSeconds > 0 {
		fmt.Fprintf(w, "; start-up to ready %.0f ms", r.StartupSeconds*1000)
	}
	if r.ReadyRSS != nil {
		fmt.Fprintf(w, "; RSS when ready %.0f MB", r.ReadyRSS.Total)
	}
	if r.PeakRSSMB > 0 {
		fmt.Fprintf(w, "; server peak RSS %.0f MB", r.PeakRSSMB)
	}
	fmt.Fprintln(w)
	if r.Baseline > 0 {
		fmt.Fprintf(w, "baseline: %.0f req/s (mean of %d runs), a %d-byte JSON answer\n", r.Baseline, len(r.BaselineRuns), r.BaselineBytes)
	}
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tops/s\tp50 ms\tp99 ms\terrors\t× baseline\tbar\t\tpeak RSS MB\tCPU s/1k ops\t")
	row := func(s Result) {
		if s.Skipped != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t%s\tskipped\t-\t-\t\n", s.Name, bar(s.Bar))
			return
		}
		verdict := ""
		if s.Met != nil {
			verdict = map[bool]string{true: "met", false: "MISSED"}[*s.Met]
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.2f\t%d\t%s\t%s\t%s\t%s\t%s\t\n", s.Name, s.OpsPerSec, s.P50ms, s.P99ms, s.Errors,
			ratio(s.Ratio), bar(s.Bar), verdict, orDash(s.PeakRSSMB, "%.0f"), orDash(s.CPUPer1000, "%.3f"))
	}
	for _, b := range r.BaselineRuns {
		row(b)
	}
	for _, s := range r.Scenarios {
		row(s)
	}
	tw.Flush()

	fmt.Fprintln(w)
	for _, s := range r.Scenarios {
		switch {
		case s.Skipped != "":
			fmt.Fprintf(w, "%s: skipped: %s\n", s.Name, s.Skipped)
		default:
			fmt.Fprintf(w, "%s: %s\n", s.Name, s.Op)
		}
		for _, e := range s.ErrorSamples {
			fmt.Fprintf(w, "    error: %s\n", e)
		}
		if s.Note != "" {
			fmt.Fprintf(w, "    note: %s\n", s.Note)
		}
	}

	if len(r.ListSizes) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "list at links\tpreload s\tstart-up ms\tops/s\tp50 ms\tp99 ms\terrors\tpeak RSS MB\tp99 / first\t")
		first := r.ListSizes[0].List.P99ms
		for _, s := range r.ListSizes {
			fmt.Fprintf(tw, "%d\t%.1f\t%.0f\t%.0f\t%.2f\t%.2f\t%d\t%.0f\t%s\t\n", s.Links, s.PreloadSeconds, s.StartupSeconds*1000,
				s.List.OpsPerSec, s.List.P50ms, s.List.P99ms, s.List.Errors, s.PeakRSSMB, ratio(s.List.P99ms/max(first, 1e-9)))
		}
		tw.Flush()
	}
}

func ratio(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func bar(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("≥ %.2f", v)
}

func orDash(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// failures reports the scenarios that had errors or completed no operation
// (skipped ones aside): a run with them measured a server that misbehaved,
// and exits non-zero after its report, so that the --quick run of CI fails.
func (r *Report) failures() error {
	var bad []string
	check := func(s Result) {
		switch {
		case s.Skipped != "":
		case s.Errors > 0:
			sample := ""
			if len(s.ErrorSamples) > 0 {
				sample = fmt.Sprintf(", e.g. %q", s.ErrorSamples[0])
			}
			bad = append(bad, fmt.Sprintf("%s: %d errors%s", s.Name, s.Errors, sample))
		case s.Ops == 0:
			bad = append(bad, s.Name+": no operation completed")
		}
	}
	for _, s := range r.BaselineRuns {
		check(s)
	}
	for _, s := range r.Scenarios {
		check(s)
	}
	for _, s := range r.ListSizes {
		check(s.List)
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d scenario runs failed: %s", len(bad), strings.Join(bad, "; "))
}
