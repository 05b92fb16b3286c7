package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store/sqlite"
)

// childEnv names the role when the harness runs itself as a child server.
const childEnv = "PAYLINKS_BENCH_CHILD"

// The child roles.
const (
	roleBaseline = "baseline" // the minimal stdlib server
	roleProfiled = "profiled" // paylinks wired as cmd/paylinks serves it, plus pprof
)

// childMain runs a child role until SIGTERM.
func childMain(role string, args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fs := flag.NewFlagSet(role, flag.ContinueOnError)
	switch role {
	case roleBaseline:
		body := fs.String("body", "", "file holding the JSON to answer")
		if err := fs.Parse(args); err != nil {
			return err
		}
		b, err := os.ReadFile(*body)
		if err != nil {
			return err
		}
		return serveUntil(ctx, baselineHandler(b), nil)
	case roleProfiled:
		db := fs.String("db", "", "SQLite file")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return serveProfiled(ctx, *db)
	}
	return fmt.Errorf("unknown child role %q", role)
}

// baselineHandler answers every request with body: no storage, no auth, no
// encoding. It is the most a Go HTTP server can do on this machine.
func baselineHandler(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(body)
	})
}

// serveProfiled serves paylinks the way cmd/paylinks serve does (SQLite
// store, service, server, the same http.Server timeouts and text log) and
// net/http/pprof on a second loopback listener. Keep it in step with
// cmd/paylinks/serve.go: it exists only because that binary has no pprof.
func serveProfiled(ctx context.Context, db string) error {
	log := slog.New(api.LogHandler{Handler: slog.NewTextHandler(os.Stderr, nil)})
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()
	svc := service.New(st, service.Options{Logger: log})
	if _, err := svc.BootstrapIfEmpty(ctx); err != nil {
		return err
	}
	pm := http.NewServeMux()
	pm.HandleFunc("/debug/pprof/", pprof.Index)
	pm.HandleFunc("/debug/pprof/profile", pprof.Profile)
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer pln.Close()
	go (&http.Server{Handler: pm, ReadHeaderTimeout: 10 * time.Second}).Serve(pln)
	fmt.Printf("pprof on http://%s\n", pln.Addr())
	return serveUntil(ctx, nil, func(addr string) http.Handler {
		return server.New(server.Config{Service: svc, PublicURL: "http://" + addr, Logger: log, Version: "bench-profiled"})
	})
}

// serveUntil serves h (or the handler made for the listening address) on a
// loopback port, printing "listening on http://ADDR", until ctx ends.
func serveUntil(ctx context.Context, h http.Handler, makeHandler func(addr string) http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if makeHandler != nil {
		h = makeHandler(ln.Addr().String())
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(slog.NewTextHandler(io.Discard, nil), slog.LevelWarn)}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
