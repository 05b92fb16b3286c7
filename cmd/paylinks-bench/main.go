// Command paylinks-bench measures paylinks against the machine's own limit.
//
// It builds and starts the real paylinks binary on a fresh SQLite database
// (or targets a running server with --url), preloads links, and drives each
// scenario with a closed-loop load generator (N keep-alive connections, a
// fixed duration) on loopback only. In the same run it measures a baseline:
// a minimal stdlib net/http server, started by this command, that answers a
// link-sized JSON object with no storage and no auth. Every scenario is
// reported as req/s, p50/p99 latency, errors, its ratio to the baseline, and
// the server's peak RSS and CPU seconds per 1000 operations.
//
//	go run ./cmd/paylinks-bench                   # 100000 links, 10 s per scenario
//	go run ./cmd/paylinks-bench --quick           # about 20 s, for CI
//	go run ./cmd/paylinks-bench --json            # the report as JSON
//	go run ./cmd/paylinks-bench --list-sizes 10000,1000000
//
// See BENCHMARKS.md for the flags, the scenarios and the latest results.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if role := os.Getenv(childEnv); role != "" {
		if err := childMain(role, os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "paylinks-bench:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "paylinks-bench:", err)
		os.Exit(1)
	}
}

// run is the whole command; tests call it with their own arguments.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("paylinks-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg       Config
		quick     = fs.Bool("quick", false, "a short smoke run (about 20 s): small preload, short scenarios")
		asJSON    = fs.Bool("json", false, "print the report as JSON instead of a table")
		jsonOut   = fs.String("json-out", "", "also write the report as JSON to this file")
		scenarios = fs.String("scenarios", "", "comma-separated scenarios to run (default: all); see BENCHMARKS.md")
		sizes     = fs.String("list-sizes", "", "also run the list scenario on fresh databases of these sizes, e.g. 10000,1000000, and compare p99")
	)
	fs.StringVar(&cfg.URL, "url", "", "target a running paylinks at this loopback URL instead of starting one (needs --key)")
	fs.StringVar(&cfg.Key, "key", "", "with --url: a test secret key (skey_test_…)")
	fs.StringVar(&cfg.PublicKey, "public-key", "", "with --url: a test public key (pkey_test_…) for the charge scenario")
	fs.BoolVar(&cfg.Proxied, "proxied", false, "with --url: the server trusts 127.0.0.1 as its proxy (serve --trusted-proxies 127.0.0.1/32), for pay-proxied")
	fs.IntVar(&cfg.PID, "pid", 0, "with --url: the server's process id, to report its RSS and CPU")
	fs.StringVar(&cfg.Bin, "bin", "", "the paylinks binary to start (default: build ./cmd/paylinks of this module)")
	fs.IntVar(&cfg.Links, "links", 100000, "links to preload")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured time of each scenario")
	fs.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "unmeasured load before each scenario")
	fs.IntVar(&cfg.Conns, "conns", 32, "concurrent connections (closed loop: each has one request in flight)")
	fs.IntVar(&cfg.ListMaxOffset, "list-max-offset", 10000, "list pages start at a random offset below this (and below --links)")
	fs.StringVar(&cfg.ProfileDir, "profile", "", "write a CPU profile of the server per scenario to this folder (starts paylinks with serve --pprof-addr)")
	fs.StringVar(&cfg.ServerLog, "server-log", "", "append the server's log to this file (default: discarded)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["links"] {
			cfg.Links = 2000
		}
		if !set["duration"] {
			cfg.Duration = 1200 * time.Millisecond
		}
		if !set["warmup"] {
			cfg.Warmup = 300 * time.Millisecond
		}
		if !set["conns"] {
			cfg.Conns = 16
		}
	}
	if *scenarios != "" {
		cfg.Scenarios = strings.Split(*scenarios, ",")
	}
	cfg.Progress = stderr

	rep, err := Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *sizes != "" {
		for _, s := range strings.Split(*sizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				return fmt.Errorf("--list-sizes: %q is not a positive number", s)
			}
			sc := cfg
			sc.Links = n
			sc.Scenarios = []string{"list"}
			sc.NoBaseline = true
			r, err := Run(ctx, sc)
			if err != nil {
				return fmt.Errorf("--list-sizes %d: %w", n, err)
			}
			rep.ListSizes = append(rep.ListSizes, sizeResult(r))
		}
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
		return rep.failures()
	}
	rep.WriteTable(stdout)
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	return rep.failures()
}
