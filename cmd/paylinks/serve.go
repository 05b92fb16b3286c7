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
	"net/netip"
	"strconv"
	"time"

	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/checkout"
	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/service"
)

// flagSet returns a flag set whose errors go to stderr and that does not exit.
func flagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// envDefault returns the environment value of key, or def.
func envDefault(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// dbFlag adds --db (default PAYLINKS_DB, else the embedded SQLite file).
func dbFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	return fs.String("db", envDefault(getenv, "PAYLINKS_DB", defaultDB), "database: sqlite:PATH or postgres://… (env PAYLINKS_DB)")
}

func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	var h slog.Handler
	switch format {
	case "", "text":
		h = slog.NewTextHandler(w, nil)
	case "json":
		h = slog.NewJSONHandler(w, nil)
	default:
		return nil, fmt.Errorf("--log-format %q: use text or json", format)
	}
	return slog.New(api.LogHandler{Handler: h}), nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	// stopped, set once the server has shut down cleanly, logs the last
	// line; deferred first, it runs after every other deferred close.
	var stopped func()
	defer func() {
		if stopped != nil {
			stopped()
		}
	}()
	fs := flagSet("serve", stderr)
	addr := fs.String("addr", envDefault(getenv, "PAYLINKS_ADDR", "127.0.0.1:8080"), "listen address (env PAYLINKS_ADDR)")
	db := dbFlag(fs, getenv)
	publicURL := fs.String("public-url", getenv("PAYLINKS_PUBLIC_URL"), "base URL of checkout pages (env PAYLINKS_PUBLIC_URL; default http://ADDR)")
	logFormat := fs.String("log-format", envDefault(getenv, "PAYLINKS_LOG_FORMAT", "text"), "log format: text or json (env PAYLINKS_LOG_FORMAT)")
	maxConnsDefault, _ := strconv.Atoi(getenv("PAYLINKS_DB_MAX_CONNS"))
	maxConns := fs.Int("db-max-conns", maxConnsDefault, "PostgreSQL pool size; 0 picks a default (env PAYLINKS_DB_MAX_CONNS)")
	trustedProxies := fs.String("trusted-proxies", getenv("PAYLINKS_TRUSTED_PROXIES"), "comma-separated CIDRs of load balancers whose X-Forwarded-For is believed (env PAYLINKS_TRUSTED_PROXIES)")
	pprofAddr := fs.String("pprof-addr", getenv("PAYLINKS_PPROF_ADDR"), "serve Go's /debug/pprof/ on this loopback address, e.g. 127.0.0.1:6060; off when empty (env PAYLINKS_PPROF_ADDR)")
	memoryLimit := fs.String("memory-limit", envDefault(getenv, "PAYLINKS_MEMORY_LIMIT", defaultMemoryLimit),
		"memory budget of the Go runtime, e.g. 40MiB or 1GiB; off leaves Go's defaults; GOMEMLIMIT and GOGC win over it (env PAYLINKS_MEMORY_LIMIT)")
	maxOpen := fs.String("max-conns", envDefault(getenv, "PAYLINKS_MAX_CONNS", defaultMaxConns),
		"most client connections open at once; idle ones are closed first to make room; 0 or off: no cap (env PAYLINKS_MAX_CONNS)")
	metricsAddr := fs.String("metrics-addr", getenv("PAYLINKS_METRICS_ADDR"), "serve Prometheus /metrics on this address, e.g. 127.0.0.1:9090; off when empty (env PAYLINKS_METRICS_ADDR)")
	tlsCert := fs.String("tls-cert", getenv("PAYLINKS_TLS_CERT"), "serve HTTPS (and HTTP/2) with this PEM certificate chain; reloaded on SIGHUP (env PAYLINKS_TLS_CERT)")
	tlsKey := fs.String("tls-key", getenv("PAYLINKS_TLS_KEY"), "the PEM private key of --tls-cert (env PAYLINKS_TLS_KEY)")
	fs.Usage = func() { serveUsage(fs) }
	hooks := addWebhookFlags(fs, getenv)
	rates := addEthRateFlags(fs, getenv)
	chainOpt := addChainFlags(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := chainOpt.check(); err != nil {
		return err
	}
	// The feed prices crypto sessions; checked here so a bad flag stops
	// serve at start.
	feed, err := rates.feed()
	if err != nil {
		return err
	}
	connCap, err := parseMaxConns(*maxOpen)
	if err != nil {
		return err
	}
	mem, err := applyMemory(*memoryLimit, getenv)
	if err != nil {
		return err
	}
	if mem.limit > 0 {
		// The keeper ends before serve returns: a serve that failed to
		// start must not leave it adjusting the process's limit.
		budgetCtx, stopBudget := context.WithCancel(ctx)
		kept := make(chan struct{})
		go func() {
			defer close(kept)
			keepMemoryBudget(budgetCtx, mem.limit)
		}()
		defer func() {
			stopBudget()
			<-kept
		}()
	}
	proxies, err := api.ParsePrefixes(*trustedProxies)
	if err != nil {
		return err
	}
	log, err := newLogger(*logFormat, stderr)
	if err != nil {
		return err
	}

	st, err := openStore(ctx, *db, *maxConns)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()
	secrets, err := loadSecrets(ctx, st)
	if err != nil {
		return err
	}
	met, stopMetrics, err := serveMetrics(*metricsAddr, st, stdout)
	if err != nil {
		return err
	}
	defer stopMetrics()
	svcOpt := service.Options{Logger: log, FingerprintSecret: secrets.fingerprint}
	// Live sessions are quoted from the market sources; test sessions from
	// them too, or else from the fixed --eth-test-rate. With neither, the
	// mode offers card only.
	if feed.Configured() {
		svcOpt.Rates = feed
	}
	if t := feed.Test(); t.Configured() {
		svcOpt.TestRates = t
	}
	// Live mode offers ETH only while a watcher follows a node for it.
	svcOpt.LiveChain = *chainOpt.rpcURL != ""
	if err := paymentOptions(st, getenv, log, &svcOpt); err != nil {
		return err
	}
	svcOpt.TestProcessor = met.CountPayments("test", svcOpt.TestProcessor)
	svcOpt.LiveProcessor = met.CountPayments("live", svcOpt.LiveProcessor)
	svc := service.New(st, svcOpt)
	boot, err := svc.BootstrapIfEmpty(ctx)
	if err != nil {
		return err
	}
	if boot != nil {
		fmt.Fprintf(stdout, `
  paylinks: this is a new database, so it made the account %q.
  Its test-mode keys, shown only this once (copy them now):

    secret key:  %s
    public key:  %s

  Make more keys with (paylinks on your PATH: go install ./cmd/paylinks
  puts it in $(go env GOPATH)/bin; or use go run ./cmd/paylinks):
    paylinks keys create --db %s --mode test --kind secret

  Its test-mode ETH wallet (chain 1337, a geth --dev node's): paylinks
  keeps only its xpub; the recovery phrase of the test deposit addresses,
  shown only this once, is:

    %s

`, boot.Account.Name, boot.SecretKey, boot.PublicKey, *db, boot.TestMnemonic)
	}

	defer startReconciler(ctx, svc)()
	stopChain, err := startChainWatcher(ctx, st, chainOpt, chainSink(svc), log)
	if err != nil {
		return err
	}
	defer stopChain()

	if *pprofAddr != "" {
		stopPprof, err := servePprof(*pprofAddr, stdout)
		if err != nil {
			return err
		}
		defer stopPprof()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	var certs *certReloader
	scheme := "http"
	if *tlsCert != "" || *tlsKey != "" {
		if certs, err = newCertReloader(*tlsCert, *tlsKey); err != nil {
			ln.Close()
			return err
		}
		scheme = "https"
	}
	if *publicURL == "" {
		*publicURL = scheme + "://" + ln.Addr().String()
	}
	handler := server.New(server.Config{Service: svc, PublicURL: *publicURL, Logger: log, Version: version, Metrics: met,
		Checkout: checkout.Options{Secret: secrets.checkout, ClientIP: api.ClientIP(proxies)}})
	defer startWebhooks(ctx, st, handler, hooks, log, met)()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if certs != nil {
		srv.TLSConfig = certs.tlsConfig()
		stopReload := reloadOnSIGHUP(certs, log)
		defer stopReload()
	}
	log.Info("paylinks listening", "addr", ln.Addr().String(), "public_url", *publicURL, "version", version,
		"max_conns", connCap, "memory_limit", mem.limit, "gc_percent", mem.gcPercent)
	fmt.Fprintf(stdout, "paylinks: listening on %s://%s\n", scheme, ln.Addr().String())

	errc := make(chan error, 1)
	if certs != nil {
		go func() { errc <- srv.ServeTLS(limitConns(ln, srv, connCap), "", "") }()
	} else {
		go func() { errc <- srv.Serve(limitConns(ln, srv, connCap)) }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("paylinks shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	stopped = func() { log.Info("paylinks stopped: requests finished, database closed") }
	return nil
}

// servePprof serves net/http/pprof on addr, which must be a loopback
// address: profiles show the program's internals and cost CPU, and are for
// the operator on the machine, never for the network. It prints
// "paylinks: pprof on http://ADDR" and returns the function that stops it.
func servePprof(addr string, stdout io.Writer) (stop func(), err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof-addr %q: %w", addr, err)
	}
	if ip, err := netip.ParseAddr(host); (err != nil || !ip.IsLoopback()) && host != "localhost" {
		return nil, fmt.Errorf("--pprof-addr %q: want a loopback address such as 127.0.0.1:6060", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(stdout, "paylinks: pprof on http://%s\n", ln.Addr().String())
	return func() { srv.Close() }, nil
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flagSet("migrate", stderr)
	db := dbFlag(fs, getenv)
	fs.Usage = func() { commandUsage(fs, "migrate") }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := migrateStore(ctx, *db); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "paylinks: migrations applied")
	return nil
}
