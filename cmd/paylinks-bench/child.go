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
	"os"
	"os/signal"
	"syscall"
	"time"
)

// childEnv names the role when the harness runs itself as a child server.
const childEnv = "PAYLINKS_BENCH_CHILD"

// The child role: the minimal stdlib server of the baseline.
const roleBaseline = "baseline"

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
		return serveUntil(ctx, baselineHandler(b))
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

// serveUntil serves h on a loopback port, printing "listening on
// http://ADDR", until ctx ends.
func serveUntil(ctx context.Context, h http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
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
