package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"

	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/paylinks/paylinks/internal/chain"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

// chainFlags are serve's chain watcher flags.
type chainFlags struct {
	rpcURL *string
	depth  *uint64
}

func addChainFlags(fs *flag.FlagSet, getenv func(string) string) chainFlags {
	depth := uint64(chain.DefaultDepth)
	if v, err := strconv.ParseUint(getenv("PAYLINKS_ETH_CONFIRMATIONS_DEPTH"), 10, 64); err == nil {
		depth = v
	}
	return chainFlags{
		rpcURL: fs.String("eth-rpc-url", getenv("PAYLINKS_ETH_RPC_URL"),
			"JSON-RPC URL (http, https, ws or wss) of an Ethereum node: watch it for payments to crypto checkout sessions; one replica watches at a time (env PAYLINKS_ETH_RPC_URL)"),
		depth: fs.Uint64("eth-confirmations-depth", depth,
			"how many confirmations a payment is followed to, and reported to its session at each new block (env PAYLINKS_ETH_CONFIRMATIONS_DEPTH)"),
	}
}

// check validates the flags before anything starts.
func (f chainFlags) check() error {
	if *f.rpcURL == "" {
		return nil
	}
	u, err := url.Parse(*f.rpcURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ws" && u.Scheme != "wss") {
		return fmt.Errorf("--eth-rpc-url: want an http://, https://, ws:// or wss:// URL of a node")
	}
	if *f.depth == 0 {
		return errors.New("--eth-confirmations-depth: want at least 1")
	}
	return nil
}

// chainSink is what the chain watcher reports to: the service layer's
// crypto checkout sessions (their state machine derives each session's
// state from the transfers the watcher reports).
func chainSink(svc *service.Service) chain.Sink { return svc.CryptoSink() }

// startChainWatcher starts the chain watcher when --eth-rpc-url is set,
// under the store's lock when replicas share it (PostgreSQL): one replica
// watches and another takes over within seconds when it dies. The
// returned stop waits for it.
func startChainWatcher(ctx context.Context, st store.Store, f chainFlags, sink chain.Sink, log *slog.Logger) (stop func(), err error) {
	if *f.rpcURL == "" {
		return func() {}, nil
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("--eth-rpc-url: this build has no crypto checkout sessions for the chain watcher to pay")
	}
	client, err := ethclient.DialContext(ctx, *f.rpcURL)
	if err != nil {
		return nil, fmt.Errorf("--eth-rpc-url: %w", err)
	}
	w := chain.NewWatcher(client, st, sink, chain.WatcherConfig{Depth: *f.depth, Logger: log})
	locker, _ := st.(store.Locker)
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.RunExclusive(ctx, locker, 0)
	}()
	return func() {
		cancel()
		<-done
		client.Close()
	}, nil
}
